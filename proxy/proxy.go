// Package proxy is lbgen's built-in reverse proxy: the executable
// definition of the routing rules (docs/routing.md) that every rendered nginx,
// Apache and HAProxy configuration is tested against for parity.
package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lbgen/lbgen/health"
	"github.com/lbgen/lbgen/model"
)

// Client-side timeouts, nginx's defaults: client_header_timeout and
// keepalive_timeout.
const (
	clientHeaderTimeout = 60 * time.Second
	clientIdleTimeout   = 75 * time.Second
)

// Options configures a Proxy.
type Options struct {
	// Log receives one line per request and per health change; nil
	// discards them.
	Log io.Writer
	// Listen, when non-empty, replaces the cluster's listeners: one
	// public, plain-HTTP listener per address.
	Listen []string
}

// Proxy serves every listener of one cluster.
type Proxy struct {
	c         *model.Cluster
	listeners []model.Listener
	pool      *pool
	fallbacks []*fallback
	client    *client
	prober    *health.Prober
	serverTLS *tls.Config

	logMu    sync.Mutex
	log      io.Writer
	logBatch []byte      // request lines not written yet
	logTimer *time.Timer // writes the batch when it has waited enough

	inflight sync.WaitGroup // requests being served, tunnels included
	serving  atomic.Int64   // requests in their handler, tunnels not
	// busy counts the requests in progress, long polls and tunnels for as
	// long as they last; beyond limit, new ones get 503 at once, as
	// nginx's limit_conn answers.
	busy   atomic.Int64
	limit  int64
	health sync.WaitGroup // health check loops

	mu         sync.Mutex
	started    bool
	closing    bool
	servers    []*server
	addrs      []string
	tunnels    map[*tunnel]struct{}
	stopHealth context.CancelFunc
}

// New prepares a proxy for a validated, normalised cluster. It reads the
// TLS certificate when a listener needs it but opens no socket.
func New(c *model.Cluster, opts Options) (*Proxy, error) {
	p := &Proxy{
		c:         c,
		listeners: c.Listen,
		pool:      newPool(c.Nodes, c.Health, c.Sticky.Style),
		log:       opts.Log,
		tunnels:   map[*tunnel]struct{}{},
		limit:     int64(c.MaxConnections),
	}
	if p.log == nil {
		p.log = io.Discard
	}

	if len(opts.Listen) > 0 {
		p.listeners = make([]model.Listener, len(opts.Listen))
		for i, addr := range opts.Listen {
			p.listeners[i] = model.Listener{Addr: addr}
		}
	}
	for i, f := range c.Fallback {
		u, err := url.Parse(f.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("fallback %s: %q is not http(s)://host[:port]", f.Name, f.URL)
		}
		p.fallbacks = append(p.fallbacks, &fallback{name: f.Name, scheme: u.Scheme, host: u.Host, index: i})
	}
	needTLS := false
	for _, l := range p.listeners {
		if _, err := parseAllow(l.Allow); err != nil {
			return nil, fmt.Errorf("listener %s: %w", l.Addr, err)
		}
		needTLS = needTLS || l.TLS
	}
	if needTLS {
		cfg, err := serverTLSConfig(c.TLS)
		if err != nil {
			return nil, err
		}
		p.serverTLS = cfg
	}
	d := dialer{timeout: c.Timeouts.Connect.D()}
	p.client = newNodeClient(d, c.Timeouts.Read.D())
	p.prober = health.NewProber(c, d.dial, d.dialTLS)
	return p, nil
}

// serverTLSConfig loads the listener certificate (relative paths are
// relative to the working directory) and allows TLS 1.2+ with AEAD
// ciphers only. HTTP/1.1 only: WebSocket upgrades need it.
func serverTLSConfig(t *model.TLS) (*tls.Config, error) {
	if t == nil {
		return nil, errors.New("a TLS listener needs tls.certificate and tls.key")
	}
	cert, err := tls.LoadX509KeyPair(t.Certificate, t.Key)
	if err != nil {
		return nil, fmt.Errorf("TLS listener certificate: %w", err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
			tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
		NextProtos: []string{"http/1.1"},
	}, nil
}

// Start binds every listener and starts the active health checks. It
// returns once all listeners accept connections; ctx bounds only that.
// The proxy then runs until Shutdown.
func (p *Proxy) Start(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started || p.closing {
		return errors.New("proxy already started")
	}
	var lc net.ListenConfig
	lns := make([]net.Listener, 0, len(p.listeners))
	for _, l := range p.listeners {
		ln, err := lc.Listen(ctx, "tcp", bindAddr(l.Addr))
		if err != nil {
			for _, ln := range lns {
				ln.Close()
			}
			return fmt.Errorf("listen %s: %w", l.Addr, err)
		}
		lns = append(lns, ln)
	}
	p.started = true
	if fit, files := fitOpenFiles(p.limit); fit < p.limit {
		p.logf("max_connections=%d lowered=%d reason=%s", p.limit, fit,
			field(fmt.Sprintf("%d open files per process: each client takes two", files)))
		p.limit = fit
	}
	for i, l := range p.listeners {
		ln, addr := lns[i], lns[i].Addr().String()
		if l.TLS {
			ln = tls.NewListener(ln, p.serverTLS)
		}
		srv := newServer(p, p.newHandler(l, addr), ln, addr)
		p.servers = append(p.servers, srv)
		p.addrs = append(p.addrs, addr)
		go srv.serve()
	}
	hctx, cancel := context.WithCancel(context.Background())
	p.stopHealth = cancel
	for _, n := range p.pool.nodes {
		if n.State == model.StateDown {
			continue
		}
		p.health.Add(1)
		go func() {
			defer p.health.Done()
			p.prober.Run(hctx, n.Node, func(err error) { p.record(n, err) })
		}()
	}
	return nil
}

// bindAddr turns a listen address ("PORT", "ADDR:PORT", "*:PORT") into
// one net.Listen accepts.
func bindAddr(addr string) string {
	if !strings.Contains(addr, ":") {
		return ":" + addr
	}
	if port, ok := strings.CutPrefix(addr, "*:"); ok {
		return ":" + port
	}
	return addr
}

// Addrs returns the bound addresses, in listener order; with port 0 they
// carry the port the system chose.
func (p *Proxy) Addrs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.addrs...)
}

// Shutdown stops accepting connections, lets in-flight requests finish,
// closes WebSocket tunnels and stops the health checks. When ctx ends
// first, remaining connections are closed and ctx's error returned.
func (p *Proxy) Shutdown(ctx context.Context) error {
	defer p.flushLog()
	p.mu.Lock()
	p.closing = true
	servers := p.servers
	tunnels := make([]*tunnel, 0, len(p.tunnels))
	for t := range p.tunnels {
		tunnels = append(tunnels, t)
	}
	stopHealth := p.stopHealth
	p.mu.Unlock()

	errc := make(chan error, len(servers))
	for _, srv := range servers {
		go func() { errc <- srv.shutdown(ctx) }()
	}
	// Tunnels are connections taken over from the servers.
	for _, t := range tunnels {
		t.Close()
	}
	var errs []error
	for range servers {
		errs = append(errs, <-errc)
	}
	if stopHealth != nil {
		stopHealth()
	}
	p.health.Wait()
	defer p.client.CloseIdleConnections(true)
	if err := errors.Join(errs...); err != nil {
		return err
	}
	// Every tracked connection is closed, so no request can start; wait
	// for the hijacked ones to end.
	done := make(chan struct{})
	go func() {
		p.inflight.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// NodeUp reports whether the health view holds a node up. Nodes in state
// down are never up; unknown names are not either.
func (p *Proxy) NodeUp(name string) bool {
	n, ok := p.pool.byName[name]
	return ok && p.pool.isUp(n)
}
