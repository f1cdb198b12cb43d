// Package lab runs a real load balancer from an output directory, as the
// README says to, with test nodes behind it and sticky traffic through it:
// the bench for tests of lbgen apply and lbgen watch.
package lab

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/internal/sandbox"
	"github.com/lbgen/lbgen/internal/servers"
	"github.com/lbgen/lbgen/internal/testbackend"
	"github.com/lbgen/lbgen/model"
	"github.com/lbgen/lbgen/validate"
)

// Cookie is the sticky cookie of every lab cluster.
const Cookie = "gcbSessionServer"

// Lab is an output directory, a listen port and named test nodes; Start
// runs the target's server from the directory.
type Lab struct {
	t      testing.TB
	Target generator.Target
	Dir    string
	Port   int
	Nodes  map[string]*testbackend.Backend
	// Pause is how long each Traffic client waits between requests; zero
	// sends them back to back.
	Pause  time.Duration
	server *servers.Process
}

// New prepares a lab with the named nodes running. It fails the test when
// the target's server is not installed, or skips it with
// LBGEN_SKIP_SERVERS=1.
func New(t testing.TB, target generator.Target, names ...string) *Lab {
	t.Helper()
	if _, err := servers.Binary(target); err != nil {
		if os.Getenv("LBGEN_SKIP_SERVERS") != "" {
			t.Skip(err)
		}
		t.Fatalf("%v; install nginx-light apache2 haproxy, or set LBGEN_SKIP_SERVERS=1", err)
	}
	ports, err := sandbox.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	l := &Lab{t: t, Target: target, Dir: t.TempDir(), Port: ports[0], Nodes: map[string]*testbackend.Backend{}}
	for _, name := range names {
		b, err := testbackend.Start(testbackend.Options{Name: name, CookieName: Cookie})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		l.Nodes[name] = b
	}
	return l
}

// Addr is the listener's address.
func (l *Lab) Addr() string { return fmt.Sprintf("127.0.0.1:%d", l.Port) }

// YAML is a cluster file: head (version, name, preset, timeouts, health…),
// the lab's listener plus extra listener lines, and the nodes, each
// "NAME" or "NAME:STATE".
func (l *Lab) YAML(head, extraListeners string, nodes ...string) []byte {
	var b bytes.Buffer
	b.WriteString(head)
	fmt.Fprintf(&b, "listen:\n  - addr: %q\n%s", l.Addr(), extraListeners)
	b.WriteString("nodes:\n")
	for _, s := range nodes {
		name, state, _ := strings.Cut(s, ":")
		fmt.Fprintf(&b, "  - {name: %s, host: 127.0.0.1, port: %d", name, l.Nodes[name].Port())
		if state != "" {
			fmt.Fprintf(&b, ", state: %s", state)
		}
		b.WriteString("}\n")
	}
	return b.Bytes()
}

// Cluster is YAML loaded and validated; an invalid file fails the test.
func (l *Lab) Cluster(head, extraListeners string, nodes ...string) *model.Cluster {
	l.t.Helper()
	data := l.YAML(head, extraListeners, nodes...)
	c, diags := validate.Load("lab.yaml", data)
	if c == nil {
		l.t.Fatalf("invalid lab cluster: %v\n%s", diags, data)
	}
	return c
}

// Start runs the server from the output directory until the test ends.
func (l *Lab) Start() {
	l.t.Helper()
	p, err := servers.Start(context.Background(), l.Target, l.Dir, []string{l.Addr()})
	if err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(func() { p.Stop() })
	l.server = p
	// Apache may answer before it writes its pid file, which apply finds
	// the server by and tests compare the directory with.
	want := strconv.Itoa(p.Pid())
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		files, _ := filepath.Glob(filepath.Join(l.Dir, generator.DefaultRunDir, "*.pid"))
		if slices.ContainsFunc(files, func(f string) bool {
			data, err := os.ReadFile(f)
			return err == nil && strings.TrimSpace(string(data)) == want
		}) {
			return
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("%s answers but wrote no pid file with its pid %s under %s", l.Target, want, generator.DefaultRunDir)
		}
	}
}

// Workers counts the master's worker processes, old ones included.
func (l *Lab) Workers() int {
	l.t.Helper()
	return len(l.WorkerPids())
}

// WorkerPids lists the master's worker processes, sorted.
func (l *Lab) WorkerPids() []int {
	l.t.Helper()
	kids, err := servers.Children(l.server.Pid())
	if err != nil {
		l.t.Fatal(err)
	}
	slices.Sort(kids)
	return kids
}

// Get sends a request that sticks to node ("" sends no cookie) and returns
// the node that answered; anything but a 200 from a node is an error.
func (l *Lab) Get(client *http.Client, node string) (string, error) {
	req, err := http.NewRequest(http.MethodGet, "http://"+l.Addr()+"/cobrowse/x", nil)
	if err != nil {
		return "", err
	}
	if node != "" {
		req.Header.Set("Cookie", Cookie+"=."+node)
	}
	res, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return "", err
	}
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d: %s", res.StatusCode, bytes.TrimSpace(body))
	}
	a, err := testbackend.ParseAnswer(body)
	return a.Node, err
}

// NewConnection is a client that opens a connection per request, as a
// new session does: open connections may be served by an old generation
// until it closes them.
func NewConnection() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
}

// Traffic sends sticky keep-alive requests, one client per session ("" for
// none), until the returned stop is called; stop reports how many were
// sent and the failures.
func (l *Lab) Traffic(sessions ...string) (stop func() (sent int64, failures []error)) {
	var n atomic.Int64
	var mu sync.Mutex
	var failures []error
	done := make(chan struct{})
	var wg sync.WaitGroup
	for i, s := range sessions {
		wg.Go(func() {
			client := &http.Client{Timeout: 10 * time.Second}
			defer client.CloseIdleConnections()
			for {
				select {
				case <-done:
					return
				default:
				}
				n.Add(1)
				if _, err := l.Get(client, s); err != nil {
					mu.Lock()
					failures = append(failures, fmt.Errorf("client %d (%s): %w", i, s, err))
					mu.Unlock()
				}
				time.Sleep(l.Pause)
			}
		})
	}
	return func() (int64, []error) {
		close(done)
		wg.Wait()
		return n.Load(), failures
	}
}
