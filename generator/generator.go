// Package generator renders a validated, normalised cluster into the
// configuration of one target. Rendering is pure: no disk, clock,
// environment or network; writing the result is a separate step.
package generator

import (
	"bytes"
	"fmt"
	"path"
	"slices"
	"strings"
	"text/template"

	"github.com/lbgen/lbgen/model"
	"github.com/lbgen/lbgen/templates"
)

// Target is a load balancer lbgen renders for.
type Target string

// Targets in the order `-t all` renders them.
const (
	Nginx   Target = "nginx"
	Apache  Target = "apache"
	HAProxy Target = "haproxy"
)

// Targets lists every target Render supports.
var Targets = []Target{Nginx, Apache, HAProxy}

// ParseTarget accepts a target name.
func ParseTarget(s string) (Target, error) {
	t := Target(s)
	if !slices.Contains(Targets, t) {
		names := make([]string, len(Targets))
		for i, t := range Targets {
			names[i] = string(t)
		}
		return "", fmt.Errorf("unknown target %q (use %s or all)", s, strings.Join(names, ", "))
	}
	return t, nil
}

// FileName is the config file a target renders.
func (t Target) FileName() string {
	switch t {
	case Apache:
		return "httpd.conf"
	case HAProxy:
		return "haproxy.cfg"
	}
	return "nginx.conf"
}

// Options are platform settings that are not part of the cluster.
type Options struct {
	// Source names the cluster file in the generated header.
	Source string
	// Snippet renders only what goes into an existing installation
	// (nginx http{} content, Apache without ServerRoot/modules/MPM,
	// HAProxy without global/defaults sections).
	Snippet bool
	// LogDir and RunDir are where logs and pid/socket files go; relative
	// paths are relative to the output directory. Defaults: logs, run.
	LogDir string
	RunDir string
	// ApacheModules is the directory holding Apache's mod_*.so files.
	ApacheModules string
	// ApacheWSTunnel selects the mod_proxy_wstunnel form of WebSocket
	// proxying for Apache before 2.4.47.
	ApacheWSTunnel bool
}

// Default platform settings.
const (
	DefaultLogDir        = "logs"
	DefaultRunDir        = "run"
	DefaultApacheModules = "/usr/lib/apache2/modules"
)

func (o Options) withDefaults() Options {
	if o.Source == "" {
		o.Source = "<stdin>"
	}
	if o.LogDir == "" {
		o.LogDir = DefaultLogDir
	}
	if o.RunDir == "" {
		o.RunDir = DefaultRunDir
	}
	if o.ApacheModules == "" {
		o.ApacheModules = DefaultApacheModules
	}
	return o
}

// Output is what one target renders: files and the directories, relative
// to the output directory, that must exist before the server starts.
type Output struct {
	Target Target
	Files  []File
	Dirs   []string
	// OpenFiles is the most files one process of the server (an nginx
	// worker, an Apache child, HAProxy) opens with max_connections clients
	// connected. RaisesLimit says the server raises its own soft limit to
	// what it needs, within the hard limit, as nginx (worker_rlimit_nofile)
	// and HAProxy do; Apache keeps the soft limit it is started with.
	OpenFiles   int
	RaisesLimit bool
	// PidFile and ErrorLog are where the running server writes its pid
	// and its errors, relative to the output directory unless absolute;
	// empty where the config names none (snippets, HAProxy in the
	// foreground).
	PidFile  string
	ErrorLog string
	// RuntimeSocket is HAProxy's runtime API, relative like PidFile.
	RuntimeSocket string
}

// File is one rendered file, named relative to the output directory.
type File struct {
	Name string
	Data []byte
}

// Render renders c, which must be validated and normalised, for target t.
func Render(c *model.Cluster, t Target, opts Options) (*Output, error) {
	opts = opts.withDefaults()
	v, err := newView(c, opts)
	if err != nil {
		return nil, err
	}
	var data any
	out := &Output{Target: t}
	switch t {
	case Nginx:
		nv, err := newNginxView(v)
		if err != nil {
			return nil, err
		}
		data, out.Dirs, out.OpenFiles, out.RaisesLimit = nv, nginxDirs(v), nv.OpenFiles, true
		if !opts.Snippet {
			out.PidFile, out.ErrorLog = nv.PidFile(), nv.ErrorLog()
		}
	case Apache:
		av, err := newApacheView(v)
		if err != nil {
			return nil, err
		}
		data, out.Dirs, out.OpenFiles = av, apacheDirs(v), av.MPM.OpenFiles
		if !opts.Snippet {
			out.PidFile, out.ErrorLog = av.PidFile(), av.ErrorLog()
		}
	case HAProxy:
		// HAProxy logs to stdout; its master writes a pid file.
		hv, err := newHAProxyView(v)
		if err != nil {
			return nil, err
		}
		data, out.OpenFiles, out.RaisesLimit = hv, hv.OpenFiles(), true
		if !opts.Snippet {
			out.PidFile, out.RuntimeSocket = hv.PidFile(), hv.RuntimeSocket()
			if !path.IsAbs(opts.RunDir) {
				out.Dirs = []string{opts.RunDir}
			}
		}
	default:
		return nil, fmt.Errorf("unknown target %q", t)
	}
	text, err := execute(t.FileName()+".tmpl", data)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", t, err)
	}
	out.Files = []File{{Name: t.FileName(), Data: text}}
	return out, nil
}

var tmpl = template.Must(template.New("").Option("missingkey=error").Funcs(funcMap()).ParseFS(templates.FS, "*.tmpl"))

func execute(name string, data any) ([]byte, error) {
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// runtimeDirs lists the log and run directories when they are relative.
func runtimeDirs(o Options, extra ...string) []string {
	var dirs []string
	for _, d := range append([]string{o.LogDir, o.RunDir}, extra...) {
		if !path.IsAbs(d) {
			dirs = append(dirs, d)
		}
	}
	slices.Sort(dirs)
	return slices.Compact(dirs)
}
