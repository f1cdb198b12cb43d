// Package parity runs a cluster's routing scenarios against the real
// nginx, Apache and HAProxy and the built-in reference proxy, on loopback
// only, and reports where each agrees with the reference semantics.
package parity

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/lbgen/lbgen/internal/sandbox"
	"github.com/lbgen/lbgen/internal/testbackend"
	"github.com/lbgen/lbgen/model"
)

// Sandbox timeouts keep fault scenarios short; their ratios match what
// the rules need (read well above connect, tunnel idle distinct from read).
const (
	sandboxConnect  = 500 * time.Millisecond
	sandboxRead     = 2 * time.Second
	sandboxTunnel   = 3 * time.Second
	sandboxInterval = 500 * time.Millisecond
	sandboxFails    = 2
	sandboxPasses   = 2
)

// Sandbox is a copy of a cluster whose every node and fallback is a local
// test backend and whose every listener is on a free loopback port. The
// hosts in the original file are never contacted.
type Sandbox struct {
	Cluster   *model.Cluster
	Dir       string
	Nodes     map[string]*testbackend.Backend // by node name
	Fallbacks map[string]*testbackend.Backend // by fallback name
	// Listeners are the rewritten listeners, in file order.
	Listeners []model.Listener
	// Notes say how the sandbox differs from the file.
	Notes []string
}

var unsafeBackendName = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// NewSandbox starts the backends and writes throwaway certificates into
// dir. Close stops the backends.
func NewSandbox(c *model.Cluster, dir string) (_ *Sandbox, err error) {
	s := &Sandbox{Cluster: c.Clone(), Dir: dir, Nodes: map[string]*testbackend.Backend{}, Fallbacks: map[string]*testbackend.Backend{}}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	sc := s.Cluster
	for i, n := range sc.Nodes {
		b, err := testbackend.Start(testbackend.Options{Name: backendName("node", i, n.Name), CookieName: sc.Sticky.Cookie})
		if err != nil {
			return nil, err
		}
		s.Nodes[n.Name] = b
		sc.Nodes[i].Host, sc.Nodes[i].Port, sc.Nodes[i].TLSPort = "127.0.0.1", b.Port(), 0
	}
	for i, f := range sc.Fallback {
		b, err := testbackend.Start(testbackend.Options{Name: backendName("fallback", i, f.Name)})
		if err != nil {
			return nil, err
		}
		s.Fallbacks[f.Name] = b
		sc.Fallback[i].URL = b.URL()
	}
	if sc.TLS != nil && sc.TLS.Upstream != model.UpstreamPlain {
		s.Notes = append(s.Notes, fmt.Sprintf("tls.upstream %s replaced by plain: the test backends speak HTTP", sc.TLS.Upstream))
		sc.TLS.Upstream = model.UpstreamPlain
	}
	ports, err := sandbox.FreePorts(len(sc.Listen))
	if err != nil {
		return nil, err
	}
	for i := range sc.Listen {
		sc.Listen[i].Addr = fmt.Sprintf("127.0.0.1:%d", ports[i])
		if sc.Listen[i].Internal || len(sc.Listen[i].Allow) > 0 {
			// Clients from 127.0.0.1 are allowed; 127.0.0.2 plays an outsider.
			sc.Listen[i].Allow = []string{"127.0.0.1/32"}
		}
	}
	s.Listeners = sc.Listen
	if sc.TLS != nil && sc.TLS.Certificate != "" {
		if sc.TLS.Certificate, sc.TLS.Key, err = sandbox.SelfSigned(dir); err != nil {
			return nil, err
		}
	}
	sc.Admin = nil
	sc.Timeouts = model.Timeouts{Connect: model.Duration(sandboxConnect), Read: model.Duration(sandboxRead), Tunnel: model.Duration(sandboxTunnel)}
	sc.Health.Interval, sc.Health.Fails, sc.Health.Passes = model.Duration(sandboxInterval), sandboxFails, sandboxPasses
	if sc.Health.ExpectStatus != http.StatusOK {
		s.Notes = append(s.Notes, fmt.Sprintf("health.expect_status %d replaced by 200: the test backends answer health checks with 200", sc.Health.ExpectStatus))
		sc.Health.ExpectStatus = http.StatusOK
	}
	s.Notes = append(s.Notes, fmt.Sprintf("nodes and fallbacks are local test backends; timeouts connect %s, read %s, tunnel %s; health every %s, %d fails, %d passes",
		sandboxConnect, sandboxRead, sandboxTunnel, sandboxInterval, sandboxFails, sandboxPasses))
	return s, nil
}

// backendName is a name the test backend accepts, still recognisable.
func backendName(kind string, i int, name string) string {
	return fmt.Sprintf("%s%d-%s", kind, i, strings.Trim(unsafeBackendName.ReplaceAllString(name, "_"), "._-"))
}

// NodeOf maps a backend's reported name back to the node name.
func (s *Sandbox) NodeOf(backend string) string {
	for name, b := range s.Nodes {
		if b.Name() == backend {
			return name
		}
	}
	for name, b := range s.Fallbacks {
		if b.Name() == backend {
			return "fallback:" + name
		}
	}
	return backend
}

// Reset brings every backend back to serving and healthy.
func (s *Sandbox) Reset() {
	for _, b := range s.all() {
		b.Recover()
		b.SetHealthy(true)
		b.SetDelay(0)
	}
}

func (s *Sandbox) all() []*testbackend.Backend {
	var out []*testbackend.Backend
	for _, b := range s.Nodes {
		out = append(out, b)
	}
	for _, b := range s.Fallbacks {
		out = append(out, b)
	}
	return out
}

// Close stops every backend and removes nothing else: Dir belongs to the
// caller.
func (s *Sandbox) Close() error {
	var errs []error
	for _, b := range s.all() {
		errs = append(errs, b.Close())
	}
	return errors.Join(errs...)
}
