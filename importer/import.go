// Package importer reads an existing nginx, Apache or HAProxy config into a
// v1 cluster file, and reports what the config gets wrong and what the
// cluster file has no place for.
package importer

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/model"
	"github.com/lbgen/lbgen/validate"
)

// Result is an imported cluster: the cluster file, or none when the config
// could not be read as a sticky cluster, and the findings either way.
type Result struct {
	YAML     []byte
	Findings []model.Diagnostic
}

// Files reads a config file and finds the files its includes name.
type Files interface {
	ReadFile(name string) ([]byte, error)
	Glob(pattern string) ([]string, error)
}

// Disk is Files on the local file system.
type Disk struct{}

func (Disk) ReadFile(name string) ([]byte, error)  { return os.ReadFile(name) }
func (Disk) Glob(pattern string) ([]string, error) { return filepath.Glob(pattern) }

// maxIncludes bounds the files one import reads, includes of includes too.
const maxIncludes = 64

// Import reads file as a config of target. The cluster file's values carry
// comments naming where in the config each one was read.
func Import(target generator.Target, file string, files Files) (*Result, error) {
	data, err := files.ReadFile(file)
	if err != nil {
		return nil, err
	}
	d := newDraft()
	p, perr := parse(target, file, data)
	if perr != nil {
		d.syntax(perr)
		return &Result{Findings: d.findings}, nil
	}
	includes(d, target, p, file, files)
	lb := readHeader(p.Comments)
	switch target {
	case generator.Nginx:
		readNginx(d, p, lb)
	case generator.Apache:
		readApache(d, p, lb)
	case generator.HAProxy:
		readHAProxy(d, p, lb)
	}
	d.identity(lb, file)
	return d.finish(file)
}

func parse(target generator.Target, file string, data []byte) (*parsed, *syntaxError) {
	if !utf8.Valid(data) {
		// Cluster files are UTF-8; a value could not be written.
		line, col := 1, 1
		for i := 0; i < len(data); {
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			if r == '\n' {
				line, col = line+1, 0
			}
			col++
			i += size
		}
		return nil, syntaxErrorf(at{File: file, Line: line, Col: col}, "not UTF-8 text")
	}
	switch target {
	case generator.Apache:
		return parseApache(file, data)
	case generator.HAProxy:
		return parseHAProxy(file, data)
	}
	return parseNginx(file, data)
}

// syntax reports a config its server would not load either.
func (d *draft) syntax(e *syntaxError) {
	d.fail(e.at, "I-syntax", e.msg, "the config must load in its server: check it with the server's own test (nginx -t, apachectl -t, haproxy -c)")
}

// includes replaces include directives by the files they name, when
// those exist: relative to Apache's ServerRoot when the config sets one,
// else to the including file.
func includes(d *draft, target generator.Target, p *parsed, file string, files Files) {
	root := ""
	for _, x := range p.Top {
		if target == generator.Apache && strings.EqualFold(x.Name, "ServerRoot") && len(x.Args) == 1 {
			root = x.Args[0]
		}
	}
	count := 0
	var expand func(ds []*directive, from string, depth int) []*directive
	expand = func(ds []*directive, from string, depth int) []*directive {
		var out []*directive
		for _, x := range ds {
			if x.Block != nil {
				x.Block = expand(x.Block, from, depth)
			}
			name := strings.ToLower(x.Name)
			if name != "include" && name != "includeoptional" || len(x.Args) != 1 {
				out = append(out, x)
				continue
			}
			pattern := x.Args[0]
			switch {
			case filepath.IsAbs(pattern):
			case root != "":
				pattern = filepath.Join(root, pattern)
			default:
				pattern = filepath.Join(filepath.Dir(from), pattern)
			}
			matches, _ := files.Glob(pattern)
			if len(matches) == 0 {
				d.warn(x.At, "I-include", "include "+x.Args[0]+" names no file here: not followed", "import on the machine the config runs on, or copy the included files beside it")
				continue
			}
			for _, m := range matches {
				count++
				if count > maxIncludes || depth > 8 {
					d.warn(x.At, "I-include", "too many nested includes: "+m+" not followed", "")
					break
				}
				data, err := files.ReadFile(m)
				if err != nil {
					d.warn(x.At, "I-include", "include "+m+": "+err.Error(), "")
					continue
				}
				sub, perr := parse(target, m, data)
				if perr != nil {
					d.syntax(perr)
					continue
				}
				p.Comments = append(p.Comments, sub.Comments...)
				out = append(out, expand(sub.Top, m, depth+1)...)
			}
		}
		return out
	}
	p.Top = expand(p.Top, file, 0)
}

var clusterNameRe = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// identity sets the cluster's name and preset: those lbgen wrote in its
// header, else the preset whose path the config serves.
func (d *draft) identity(lb *lbgenHeader, file string) {
	c := &d.c
	if lb != nil {
		c.Name, c.Preset = lb.name, lb.preset
		d.source("name", lb.at)
		d.source("preset", lb.at)
		return
	}
	c.Preset = "generic"
	for _, p := range model.Presets {
		if p.Path == c.Path && p.Name != "generic" {
			c.Preset = p.Name
		}
	}
	c.Name = c.Preset
	if c.Preset == "generic" {
		base := d.nameHint
		if base == "" {
			base = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
		}
		base = strings.Map(func(r rune) rune {
			if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-' || r == '_' {
				return r
			}
			return '-'
		}, strings.ToLower(base))
		if clusterNameRe.MatchString(base) {
			c.Name = base
		} else {
			c.Name = "imported"
		}
	}
}

// finish validates the cluster file it writes: its findings join the
// import's, placed where the config said what they are about.
func (d *draft) finish(file string) (*Result, error) {
	if len(d.c.Nodes) == 0 {
		d.fail(at{File: file, Line: 1, Col: 1}, "I-no-cluster", "no load-balanced nodes found: this is not a sticky cluster config lbgen can read",
			"nginx: an upstream group or a map of the sticky cookie; Apache: <Proxy balancer://...> with BalancerMember lines; HAProxy: a backend with server lines")
	}
	if len(d.c.Nodes) > 0 && d.c.Sticky.Cookie == "" {
		d.fail(at{File: file, Line: 1, Col: 1}, "I-no-sticky", "no sticky cookie found: this config balances requests without session stickiness",
			"lbgen is for clusters whose sessions stay on one node: name the cookie in a map (nginx), stickysession= (Apache) or cookie (HAProxy)")
	}
	if len(d.c.Listen) == 0 && len(d.c.Nodes) > 0 {
		d.warn(at{File: file, Line: 1, Col: 1}, "I-no-listener", "no listening address found: imported with listen 8080", "set the address clients connect to")
		d.c.Listen = []model.Listener{{Addr: "8080"}}
	}
	if model.HasErrors(d.findings) {
		return &Result{Findings: model.SortDiagnostics(d.findings)}, nil
	}
	if d.c.Path == "" {
		d.c.Path = "/"
		d.warn(at{File: file, Line: 1, Col: 1}, "I-no-path", "no location or ProxyPass names the cluster's path: imported path /", "set path to the URL prefix the cluster serves")
	}
	if preset, _ := model.LookupPreset(d.c.Preset); d.c.Health.Path == "" && preset.HealthPath == "" {
		d.c.Health.Path = d.c.Path
		d.warn(at{File: file, Line: 1, Col: 1}, "I-health-path", "the config names no health check path: imported health.path "+d.c.Path,
			"set health.path to the path your nodes answer health checks on")
	}
	header := []string{"Imported by lbgen from " + file + ". Comments name where each value was read."}
	out, err := d.yamlOut(header)
	if err != nil {
		return nil, err
	}
	_, diags := validate.Load(file+".yaml", out)
	for _, v := range diags {
		a := at{File: file, Line: 1, Col: 1}
		for path := v.Path; path != ""; path = parentPath(path) {
			if src, ok := d.from[path]; ok {
				a = src
				break
			}
		}
		d.report(v.Severity, a, v.Code, v.Message, v.Hint)
	}
	r := &Result{Findings: model.SortDiagnostics(d.findings)}
	if !model.HasErrors(diags) {
		r.YAML = out
	}
	return r, nil
}

// parentPath strips the last element of a field path.
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}
