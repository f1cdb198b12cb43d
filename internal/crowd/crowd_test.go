package crowd_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/internal/crowd"
	"github.com/lbgen/lbgen/internal/sandbox"
	"github.com/lbgen/lbgen/internal/servers"
	"github.com/lbgen/lbgen/internal/testbackend"
	"github.com/lbgen/lbgen/model"
	"github.com/lbgen/lbgen/outdir"
	"github.com/lbgen/lbgen/proxy"
	"github.com/lbgen/lbgen/validate"
)

// The crowd each target must hold at once: more connections than the
// targets held before they sized themselves from max_connections (Apache
// 399, nginx 958).
const (
	webSockets = 1000
	polls      = 1000
	hold       = 5 * time.Second
)

// TestCrowd holds the crowd through every target, rendered from a cluster
// file that leaves max_connections and every timeout at their defaults,
// and through the reference proxy: every WebSocket opens, every poll is
// answered while all of them are held, and every WebSocket still echoes
// afterwards.
func TestCrowd(t *testing.T) {
	nodes := startNodes(t)
	for _, target := range []string{"nginx", "apache", "haproxy", "proxy"} {
		t.Run(target, func(t *testing.T) {
			addr := startBalancer(t, target, nodes)
			c := crowd.Crowd{Addr: addr, Path: "/cobrowse/cometd", Cookie: "gcbSessionServer", WebSockets: webSockets, Polls: polls,
				Hold: hold, Timeout: 10 * time.Second}
			for _, n := range nodes {
				c.Nodes = append(c.Nodes, n.Name())
			}
			res, err := crowd.Run(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			t.Log(res)
			if res.WebSockets != webSockets || res.Echoed != webSockets || res.Polls != polls || res.Failed() != 0 {
				t.Errorf("want every one of %d WebSockets open and echoing and %d polls answered: %s", webSockets, polls, res)
			}
			if res.Held != webSockets+polls {
				t.Errorf("held %d connections at once, want %d: %s", res.Held, webSockets+polls, res)
			}
		})
	}
}

// TestCrowdAtLimit fills each target's limit with WebSockets and sends
// polls beyond it: nginx and the reference proxy answer them 503, Apache
// and HAProxy keep them waiting (the client gives up), and every held
// WebSocket still echoes.
func TestCrowdAtLimit(t *testing.T) {
	const max, beyond = 100, 20
	nodes := startNodes(t)
	for _, tc := range []struct {
		target, got string
	}{
		{"nginx", "poll: HTTP 503"},
		{"apache", "poll: timeout"},
		{"haproxy", "poll: timeout"},
		{"proxy", "poll: HTTP 503"},
	} {
		t.Run(tc.target, func(t *testing.T) {
			addr, conf := startBalancerWith(t, tc.target, nodes, fmt.Sprintf("max_connections: %d\n", max))
			limit := max
			if m := maxRequestWorkers.FindStringSubmatch(conf); m != nil {
				// Apache's limit is MaxRequestWorkers, a child of threads above.
				limit, _ = strconv.Atoi(m[1])
			}
			c := crowd.Crowd{Addr: addr, Path: "/cobrowse/cometd", Cookie: "gcbSessionServer", WebSockets: limit, Polls: beyond,
				Hold: time.Second, Timeout: 3 * time.Second}
			res, err := crowd.Run(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			t.Log(res)
			if res.WebSockets != limit || res.Echoed != limit || res.Polls != 0 || res.Failures[tc.got].Count != beyond || res.Failed() != beyond {
				t.Errorf("want %d WebSockets held and echoing and %d × %s: %s", limit, beyond, tc.got, res)
			}
		})
	}
}

var maxRequestWorkers = regexp.MustCompile(`(?m)^MaxRequestWorkers (\d+)$`)

func startNodes(t *testing.T) []*testbackend.Backend {
	var nodes []*testbackend.Backend
	for i := range 3 {
		b, err := testbackend.Start(testbackend.Options{Name: fmt.Sprintf("CB_Server_%d", i+1), CookieName: "gcbSessionServer"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		nodes = append(nodes, b)
	}
	return nodes
}

// startBalancer runs target on a cluster of nodes with lbgen's defaults
// and returns its listener.
func startBalancer(t *testing.T, target string, nodes []*testbackend.Backend) string {
	t.Helper()
	addr, _ := startBalancerWith(t, target, nodes, "")
	return addr
}

// startBalancerWith runs target on a cluster of nodes with lbgen's
// defaults and extra lines, and returns its listener and rendered config.
func startBalancerWith(t *testing.T, target string, nodes []*testbackend.Backend, extra string) (string, string) {
	t.Helper()
	ports, err := sandbox.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	file := fmt.Sprintf("version: 1\nname: crowd\npreset: cobrowse\nlisten:\n  - addr: %q\n%snodes:\n", addr, extra)
	for _, n := range nodes {
		file += fmt.Sprintf("  - {name: %s, host: 127.0.0.1, port: %d}\n", n.Name(), n.Port())
	}
	c, diags := validate.Load("crowd.yaml", []byte(file))
	if c == nil {
		t.Fatalf("cluster: %v", diags)
	}
	if extra == "" && c.MaxConnections != model.DefaultMaxConnections {
		t.Fatalf("max_connections %d, want the default", c.MaxConnections)
	}
	if target == "proxy" {
		p, err := proxy.New(c, proxy.Options{})
		if err == nil {
			err = p.Start(context.Background())
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			p.Shutdown(ctx)
		})
		return addr, ""
	}
	tg, err := generator.ParseTarget(target)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := servers.Binary(tg); err != nil {
		if os.Getenv("LBGEN_SKIP_SERVERS") != "" {
			t.Skip(err)
		}
		t.Fatalf("%v; install nginx-light apache2 haproxy, or set LBGEN_SKIP_SERVERS=1", err)
	}
	dir := t.TempDir()
	out, err := generator.Render(c, tg, generator.Options{Source: "crowd.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := outdir.Write(dir, []*generator.Output{out}); err != nil {
		t.Fatal(err)
	}
	p, err := servers.Start(context.Background(), tg, dir, []string{addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("%s output:\n%s", target, p.Output())
		}
	})
	return addr, string(out.Files[0].Data)
}
