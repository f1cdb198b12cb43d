package bench

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/internal/sandbox"
	"github.com/lbgen/lbgen/internal/servers"
	"github.com/lbgen/lbgen/model"
	"github.com/lbgen/lbgen/outdir"
	"github.com/lbgen/lbgen/validate"
)

// StickyCookie is the Co-browse preset's cookie, the one the seed guide
// maps.
const StickyCookie = "gcbSessionServer"

// SeedConnectTimeout is the seed guide's proxy_connect_timeout, the
// baseline's, and by default the benchmark cluster's too, so that lbgen
// and the baseline fail over under the same setting. Every other timeout
// and health setting of the cluster is lbgen's default.
const SeedConnectTimeout = 5 * time.Second

// node is one cluster node as a load balancer sees it: on loopback.
type node struct {
	Name string
	Port int
}

// Addr is the node's address, for templates too.
func (n node) Addr() string { return fmt.Sprintf("127.0.0.1:%d", n.Port) }

// stage is where one load balancer runs: its directory, its listener, the
// nodes behind it, the CPUs it may use ("" for any) and the cluster's
// connect timeout.
type stage struct {
	dir     string
	listen  string
	nodes   []node
	cpus    string
	connect time.Duration
	// maxConnections is the cluster's max_connections; 0 leaves the default.
	maxConnections int
}

// contender is one load balancer configuration the benchmark compares.
type contender struct {
	id   string // file-name friendly
	name string
	// extra rows are shown for throughput only: they differ from another
	// contender in nothing a failover would show.
	extra bool
	// failoverOnly rows differ from another contender only in how they
	// handle failing nodes.
	failoverOnly bool
	// seed configs have the seed's timeouts whatever the cluster says.
	seed  bool
	start func(ctx context.Context, h *harness, st stage) (*servers.Process, error)
}

// Names of the contenders that are not lbgen targets.
const (
	baselineID       = "baseline"
	baselineName     = "baseline"
	baselineWarnName = "baseline, error_log warn"
	handwrittenID    = "apache-hand"
	handwrittenName  = "apache, by hand"
	proxyName        = "proxy"
)

// contenders lists what cfg.Only selects, and always the baseline, which
// the ratios need.
func (h *harness) contenders() []contender {
	var out []contender
	for _, c := range allContenders() {
		if c.id == baselineID || len(h.cfg.Only) == 0 || slices.Contains(h.cfg.Only, c.id) {
			out = append(out, c)
		}
	}
	return out
}

// ContenderIDs lists the names Config.Only accepts.
func ContenderIDs() []string {
	var ids []string
	for _, c := range allContenders() {
		ids = append(ids, c.id)
	}
	return ids
}

// allContenders lists the baseline first (ratios are to it), then every
// target lbgen renders, then the built-in proxy.
func allContenders() []contender {
	cs := []contender{
		{id: baselineID, name: baselineName, seed: true, start: startBaseline(baselineName, "debug")},
		{id: "baseline-warn", name: baselineWarnName, extra: true, seed: true, start: startBaseline(baselineWarnName, "warn")},
	}
	for _, t := range generator.Targets {
		cs = append(cs, contender{id: string(t), name: string(t), start: startTarget(t)})
		if t == generator.Nginx {
			cs = append(cs, contender{id: "nginx-watch", name: "nginx + watch", failoverOnly: true, start: startWatched})
		}
		if t == generator.Apache {
			cs = append(cs, contender{id: handwrittenID, name: handwrittenName, extra: true, start: startHandwritten})
		}
	}
	return append(cs, contender{id: proxyName, name: proxyName, start: startProxy})
}

//go:embed cluster.yaml.tmpl
var clusterText string

//go:embed baseline.nginx.conf.tmpl
var baselineText string

//go:embed backends.nginx.conf.tmpl
var backendsText string

//go:embed handwritten.httpd.conf.tmpl
var handwrittenText string

var (
	clusterTmpl  = template.Must(template.New("cluster").Option("missingkey=error").Parse(clusterText))
	baselineTmpl = template.Must(template.New("baseline").Option("missingkey=error").Parse(baselineText))
	backendsTmpl = template.Must(template.New("backends").Option("missingkey=error").Parse(backendsText))
	handwritten  = template.Must(template.New("handwritten").Option("missingkey=error").Parse(handwrittenText))
)

func execute(t *template.Template, data any) ([]byte, error) {
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// writeCluster writes the benchmark's cluster file for st into st.dir and
// returns its path and the loaded cluster.
func writeCluster(st stage) (string, *model.Cluster, error) {
	data, err := execute(clusterTmpl, map[string]any{"Listen": st.listen, "Nodes": st.nodes, "Connect": model.Duration(st.connect),
		"MaxConnections": st.maxConnections})
	if err != nil {
		return "", nil, err
	}
	path := filepath.Join(st.dir, "cluster.yaml")
	if err := os.MkdirAll(st.dir, 0o755); err != nil {
		return "", nil, err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return "", nil, err
	}
	c, diags := validate.Load(path, data)
	if c == nil {
		return "", nil, fmt.Errorf("benchmark cluster is invalid: %v", diags)
	}
	return path, c, nil
}

// startTarget renders the cluster for t, as `lbgen render` does, and runs
// the real server on it.
func startTarget(t generator.Target) func(context.Context, *harness, stage) (*servers.Process, error) {
	return func(ctx context.Context, h *harness, st stage) (*servers.Process, error) {
		_, c, err := writeCluster(st)
		if err != nil {
			return nil, err
		}
		out, err := generator.Render(c, t, generator.Options{Source: "cluster.yaml"})
		if err != nil {
			return nil, err
		}
		if _, err := outdir.Write(st.dir, []*generator.Output{out}); err != nil {
			return nil, err
		}
		cmd, err := servers.Command(t, st.dir)
		if err != nil {
			return nil, err
		}
		return h.run(ctx, string(t), cmd, st)
	}
}

// startWatched runs lbgen's nginx with `lbgen watch` beside it, as one
// process group: sh starts nginx in the background and becomes watch, so
// stopping the group stops both.
func startWatched(ctx context.Context, h *harness, st stage) (*servers.Process, error) {
	path, c, err := writeCluster(st)
	if err != nil {
		return nil, err
	}
	out, err := generator.Render(c, generator.Nginx, generator.Options{Source: path})
	if err != nil {
		return nil, err
	}
	if _, err := outdir.Write(st.dir, []*generator.Output{out}); err != nil {
		return nil, err
	}
	nginx, err := servers.Command(generator.Nginx, st.dir)
	if err != nil {
		return nil, err
	}
	lbgen, err := filepath.Abs(h.cfg.Lbgen)
	if err != nil {
		return nil, err
	}
	script := shellWords(nginx.Args...) + " & exec " + shellWords(lbgen, "watch", "-c", path, "-t", "nginx", "-o", st.dir)
	cmd := exec.Command("sh", "-c", script)
	cmd.Env, cmd.Dir = nginx.Env, nginx.Dir
	return h.run(ctx, "nginx + watch", cmd, st)
}

// shellWords quotes words for sh.
func shellWords(words ...string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	return strings.Join(quoted, " ")
}

// startProxy runs `lbgen proxy` on the cluster file in a process of its
// own, so its CPU and memory are measured like a server's.
func startProxy(ctx context.Context, h *harness, st stage) (*servers.Process, error) {
	path, _, err := writeCluster(st)
	if err != nil {
		return nil, err
	}
	return h.run(ctx, proxyName, exec.Command(h.cfg.Lbgen, "proxy", "-c", path), st)
}

// startBaseline runs nginx on the seed guide's sample with the given
// error_log level.
func startBaseline(name, errorLog string) func(context.Context, *harness, stage) (*servers.Process, error) {
	return func(ctx context.Context, h *harness, st stage) (*servers.Process, error) {
		if err := os.MkdirAll(st.dir, 0o755); err != nil {
			return nil, err
		}
		ports, err := sandbox.FreePorts(1)
		if err != nil {
			return nil, err
		}
		cert, key, err := sandbox.SelfSigned(st.dir)
		if err != nil {
			return nil, err
		}
		conf, err := execute(baselineTmpl, map[string]any{
			"Listen": st.listen, "TLSListen": fmt.Sprintf("127.0.0.1:%d", ports[0]),
			"Certificate": cert, "Key": key, "Nodes": st.nodes, "ErrorLog": errorLog,
		})
		if err != nil {
			return nil, err
		}
		files := []generator.File{{Name: "nginx.conf", Data: conf}, {Name: "mime.types", Data: mimeTypes()}}
		return h.startNginx(ctx, name, st, files)
	}
}

// startHandwritten runs Apache on the fastest configuration written by
// hand for the same sticky routing, to compare lbgen's Apache config with.
func startHandwritten(ctx context.Context, h *harness, st stage) (*servers.Process, error) {
	conf, err := execute(handwritten, map[string]any{
		"Modules": generator.DefaultApacheModules, "Listen": st.listen, "Nodes": st.nodes, "Cookie": StickyCookie,
	})
	if err != nil {
		return nil, err
	}
	out := &generator.Output{Target: generator.Apache, Files: []generator.File{{Name: "httpd.conf", Data: conf}}, Dirs: []string{"logs", "run"}}
	if _, err := outdir.Write(st.dir, []*generator.Output{out}); err != nil {
		return nil, err
	}
	cmd, err := servers.Command(generator.Apache, st.dir)
	if err != nil {
		return nil, err
	}
	return h.run(ctx, handwrittenName, cmd, st)
}

// mimeTypes is the system's mime.types, which the sample includes, or a
// stand-in where nginx keeps it elsewhere: proxying never consults it.
func mimeTypes() []byte {
	if b, err := os.ReadFile("/etc/nginx/mime.types"); err == nil {
		return b
	}
	return []byte("types {\n    text/html html;\n}\n")
}

// startNginx writes a hand-made nginx config with the directories it needs
// and runs nginx on it.
func (h *harness) startNginx(ctx context.Context, name string, st stage, files []generator.File) (*servers.Process, error) {
	out := &generator.Output{Target: generator.Nginx, Files: files, Dirs: []string{"logs", "run", "tmp"}}
	if _, err := outdir.Write(st.dir, []*generator.Output{out}); err != nil {
		return nil, err
	}
	cmd, err := servers.Command(generator.Nginx, st.dir)
	if err != nil {
		return nil, err
	}
	return h.run(ctx, name, cmd, st)
}

// run starts cmd pinned to st's CPUs with its output in st.dir/output.log
// (request logs on stdout would otherwise pile up in memory) and waits
// for st's listener.
func (h *harness) run(ctx context.Context, name string, cmd *exec.Cmd, st stage) (*servers.Process, error) {
	path := filepath.Join(st.dir, "output.log")
	out, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	defer out.Close() // the process has its own descriptor
	cmd.Stdout, cmd.Stderr = out, out
	p, err := servers.Run(ctx, name, h.pin(cmd, st.cpus), []string{st.listen})
	if err != nil {
		text, _ := os.ReadFile(path)
		return nil, fmt.Errorf("%w\n%s", err, bytes.TrimSpace(text))
	}
	return p, nil
}

// startBackends runs the throughput nodes: one nginx answering on every
// node's address.
func (h *harness) startBackends(ctx context.Context, dir string, nodes []node, cpus string) (*servers.Process, error) {
	conf, err := execute(backendsTmpl, map[string]any{"Nodes": nodes})
	if err != nil {
		return nil, err
	}
	st := stage{dir: dir, listen: nodes[0].Addr(), nodes: nodes, cpus: cpus}
	p, err := h.startNginx(ctx, "backends", st, []generator.File{{Name: "nginx.conf", Data: conf}})
	if errors.Is(err, servers.ErrNotInstalled) {
		return nil, fmt.Errorf("the throughput nodes are nginx (Debian: apt-get install nginx-light): %w", err)
	}
	return p, err
}

// connectTimeout is the connect timeout c runs with on a cluster whose
// file says connect.
func (c contender) connectTimeout(connect time.Duration) time.Duration {
	if c.seed {
		return SeedConnectTimeout
	}
	return connect
}
