// Package parity runs a cluster's routing scenarios against the real
// nginx, Apache and HAProxy and the built-in reference proxy, on loopback
// only, and reports where each agrees with the reference semantics.
package parity

import (
	"errors"
	"fmt"
	"net/url"
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
	Nodes     map[string]node                 // by node name
	Fallbacks map[string]*testbackend.Backend // by fallback name
	// Listeners are the rewritten listeners, in file order.
	Listeners []model.Listener
	// Notes say how the sandbox differs from the file.
	Notes []string
	// pins holds, per runner, a sticky value that lands on each active
	// node in the hash style, where no value names a node.
	pins map[string]map[string]string
}

// node is the test backends standing in for one cluster node: one for
// each port the cluster reaches it on (port, tls_port, or both with
// tls.upstream: match). Faults apply to all of them.
type node []*testbackend.Backend

func (n node) each(f func(*testbackend.Backend)) {
	for _, b := range n {
		f(b)
	}
}

// Kill makes connects to the node refused.
func (n node) Kill() { n.each((*testbackend.Backend).Kill) }

// Blackhole makes connects to the node time out.
func (n node) Blackhole() { n.each((*testbackend.Backend).Blackhole) }

// Hang makes the node accept and never answer.
func (n node) Hang() { n.each((*testbackend.Backend).Hang) }

// Recover makes the node serve again.
func (n node) Recover() { n.each((*testbackend.Backend).Recover) }

// SetHealthy makes the node pass or fail its health checks while it keeps
// serving every other request.
func (n node) SetHealthy(ok bool) { n.each(func(b *testbackend.Backend) { b.SetHealthy(ok) }) }

var unsafeBackendName = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// NewSandbox starts the backends and writes throwaway certificates into
// dir. Close stops the backends.
func NewSandbox(c *model.Cluster, dir string) (_ *Sandbox, err error) {
	s := &Sandbox{Cluster: c.Clone(), Dir: dir, Nodes: map[string]node{}, Fallbacks: map[string]*testbackend.Backend{}}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	sc := s.Cluster
	if err := s.nodes(); err != nil {
		return nil, err
	}
	for i, f := range sc.Fallback {
		u, err := url.Parse(f.URL)
		if err != nil {
			return nil, fmt.Errorf("fallback %s: %w", f.Name, err)
		}
		b, err := testbackend.Start(testbackend.Options{Name: backendName("fallback", i, f.Name), TLS: u.Scheme == "https"})
		if err != nil {
			return nil, err
		}
		s.Fallbacks[f.Name] = b
		sc.Fallback[i].URL = b.URL()
	}
	if err := s.listeners(); err != nil {
		return nil, err
	}
	if sc.TLS != nil && sc.TLS.Certificate != "" {
		if sc.TLS.Certificate, sc.TLS.Key, err = sandbox.SelfSigned(dir); err != nil {
			return nil, err
		}
	}
	sc.Timeouts = model.Timeouts{Connect: model.Duration(sandboxConnect), Read: model.Duration(sandboxRead), Tunnel: model.Duration(sandboxTunnel)}
	sc.Health.Interval, sc.Health.Fails, sc.Health.Passes = model.Duration(sandboxInterval), sandboxFails, sandboxPasses
	s.Notes = append(s.Notes, fmt.Sprintf("nodes and fallbacks are local test backends (TLS where the cluster reaches them over TLS, health answers %d); timeouts connect %s, read %s, tunnel %s; health every %s, %d fails, %d passes",
		sc.Health.ExpectStatus, sandboxConnect, sandboxRead, sandboxTunnel, sandboxInterval, sandboxFails, sandboxPasses))
	return s, nil
}

// nodes starts a backend for each port the cluster reaches each node on:
// plain at port, TLS at tls_port. A port nothing is meant to reach stays
// free, so a target that connects there anyway is refused.
func (s *Sandbox) nodes() error {
	sc := s.Cluster
	mode := sc.UpstreamMode()
	for i, n := range sc.Nodes {
		name := backendName("node", i, n.Name)
		opts := testbackend.Options{Name: name, HealthStatus: sc.Health.ExpectStatus}
		if sc.Sticky.Style == model.StyleRoute {
			// The application's own cookie; in the other styles the
			// balancer sets it, or the application writes another form.
			opts.CookieName = sc.Sticky.Cookie
		}
		var set node
		if mode != model.UpstreamTLS {
			b, err := testbackend.Start(opts)
			if err != nil {
				return err
			}
			set = append(set, b)
			sc.Nodes[i].Port, sc.Nodes[i].TLSPort = b.Port(), 0
		}
		if mode != model.UpstreamPlain {
			opts.Name, opts.TLS = name+"-tls", true
			b, err := testbackend.Start(opts)
			if err != nil {
				return err
			}
			set = append(set, b)
			sc.Nodes[i].TLSPort = b.Port()
		}
		if mode == model.UpstreamTLS {
			free, err := sandbox.FreePorts(1)
			if err != nil {
				return err
			}
			sc.Nodes[i].Port = free[0]
		}
		sc.Nodes[i].Host = "127.0.0.1"
		s.Nodes[n.Name] = set
	}
	return nil
}

// listeners moves every listener and the admin page to a free loopback
// port; allow lists admit 127.0.0.1 only, and 127.0.0.2 plays an outsider.
func (s *Sandbox) listeners() error {
	sc := s.Cluster
	n := len(sc.Listen)
	if sc.Admin != nil {
		n++
	}
	ports, err := sandbox.FreePorts(n)
	if err != nil {
		return err
	}
	for i := range sc.Listen {
		sc.Listen[i].Addr = fmt.Sprintf("127.0.0.1:%d", ports[i])
		if sc.Listen[i].Internal || len(sc.Listen[i].Allow) > 0 {
			sc.Listen[i].Allow = []string{"127.0.0.1/32"}
		}
	}
	s.Listeners = sc.Listen
	if sc.Admin != nil {
		sc.Admin.Addr = fmt.Sprintf("127.0.0.1:%d", ports[n-1])
		sc.Admin.Allow = []string{"127.0.0.1/32"}
	}
	return nil
}

// backendName is a name the test backend accepts, still recognisable.
func backendName(kind string, i int, name string) string {
	return fmt.Sprintf("%s%d-%s", kind, i, strings.Trim(unsafeBackendName.ReplaceAllString(name, "_"), "._-"))
}

// NodeOf maps a backend's reported name back to the node name.
func (s *Sandbox) NodeOf(backend string) string {
	for name, set := range s.Nodes {
		for _, b := range set {
			if b.Name() == backend {
				return name
			}
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
	for _, set := range s.Nodes {
		out = append(out, set...)
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
