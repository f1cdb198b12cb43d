// Package testbackend runs local HTTP backends that stand in for cluster
// nodes in end-to-end tests of generated load-balancer configurations.
//
// A Backend speaks HTTP/1.1 with keep-alive, or HTTPS on a throwaway
// certificate, and only ever listens on 127.0.0.1:
//
//   - paths whose last segment is health, about, isAlive or ready answer
//     "OK <name>\n" with status 200 or Options.HealthStatus (503
//     "DOWN <name>\n" after SetHealthy(false));
//   - requests with "Upgrade: websocket" become a WebSocket echo that
//     answers each message with a text frame "<name>:<payload>";
//   - everything else gets a JSON Answer describing what arrived, after
//     the SetDelay delay plus the sleep=<ms> query parameter, if any.
//
// Failure states (killed, blackholed, hung) can be set from any goroutine.
// DialWebSocket is a small WebSocket client for tests.
package testbackend

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lbgen/lbgen/internal/selfsigned"
)

// Options configures a Backend.
type Options struct {
	// Name is the node name reported in every answer. Required; letters,
	// digits, '.', '_' and '-' only, so it is safe in headers and cookies.
	Name string
	// Addr is the listen address, default "127.0.0.1:0". Any host but
	// 127.0.0.1 or localhost is refused.
	Addr string
	// CookieName, if set, makes every answer to a request without that
	// cookie carry "Set-Cookie: <CookieName>=.<Name>; Path=/".
	CookieName string
	// TLS serves HTTPS on a throwaway self-signed certificate.
	TLS bool
	// HealthStatus is the status of a healthy health answer, default 200.
	HealthStatus int
}

// State is the failure state of a Backend.
type State int

// The states a Backend can be in.
const (
	StateUp        State = iota // serving normally
	StateHang                   // accepting and reading, never answering
	StateKilled                 // not listening: connects are refused
	StateBlackhole              // listening but never accepting: connects time out
	StateClosed                 // closed for good
)

func (s State) String() string {
	switch s {
	case StateUp:
		return "up"
	case StateHang:
		return "hang"
	case StateKilled:
		return "killed"
	case StateBlackhole:
		return "blackhole"
	case StateClosed:
		return "closed"
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// listening reports whether the state needs a serving listener.
func (s State) listening() bool { return s == StateUp || s == StateHang }

// ErrClosed is returned by SetState after Close.
var ErrClosed = errors.New("testbackend: backend closed")

// snapshot is the current state plus a channel closed when it is replaced,
// so that hung requests can wait for the next state without polling.
type snapshot struct {
	state   State
	changed chan struct{}
}

// Backend is one local test node. All methods are safe for concurrent use.
type Backend struct {
	name         string
	cookieName   string
	healthStatus int
	tls          *tls.Config // nil: plain HTTP
	addr         string      // always "127.0.0.1:PORT"
	port         int
	srv          *http.Server

	healthy      atomic.Bool
	delay        atomic.Int64 // time.Duration
	requests     atomic.Int64
	healthChecks atomic.Int64
	lastConnID   atomic.Int64
	cur          atomic.Pointer[snapshot]

	// active counts accepted connections whose goroutines have not
	// finished yet, so Close can wait for them.
	active sync.WaitGroup

	mu     sync.Mutex // serialises state changes; guards the fields below
	ln     *listener  // set while listening
	holder io.Closer  // what occupies the port while not listening, if anything
}

// Start starts a backend in StateUp.
func Start(opts Options) (*Backend, error) {
	if !validName(opts.Name) {
		return nil, fmt.Errorf("testbackend: invalid node name %q (want letters, digits, '.', '_' or '-')", opts.Name)
	}
	if opts.CookieName != "" && !validToken(opts.CookieName) {
		return nil, fmt.Errorf("testbackend: invalid cookie name %q", opts.CookieName)
	}
	addr, err := loopbackAddr(opts.Addr)
	if err != nil {
		return nil, err
	}
	var tlsConfig *tls.Config
	if opts.TLS {
		if tlsConfig, err = serverTLS(); err != nil {
			return nil, err
		}
	}
	ln, err := listenLoopback(addr)
	if err != nil {
		return nil, fmt.Errorf("testbackend: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	b := &Backend{
		name:         opts.Name,
		cookieName:   opts.CookieName,
		healthStatus: cmp.Or(opts.HealthStatus, http.StatusOK),
		tls:          tlsConfig,
		addr:         net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		port:         port,
	}
	b.srv = &http.Server{
		Handler:                      http.HandlerFunc(b.serveHTTP),
		ConnContext:                  withConn,
		ConnState:                    connStateHook,
		DisableGeneralOptionsHandler: true, // "OPTIONS *" is a request like any other
	}
	b.healthy.Store(true)
	b.cur.Store(&snapshot{state: StateUp, changed: make(chan struct{})})
	b.serve(ln)
	return b, nil
}

// loopbackAddr validates addr and pins it to 127.0.0.1 (not ::1).
func loopbackAddr(addr string) (string, error) {
	if addr == "" {
		return "127.0.0.1:0", nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("testbackend: bad address %q: %w", addr, err)
	}
	if host != "127.0.0.1" && host != "localhost" {
		return "", fmt.Errorf("testbackend: refusing to listen on %q: only 127.0.0.1 is allowed", addr)
	}
	return net.JoinHostPort("127.0.0.1", port), nil
}

// Name returns the node name.
func (b *Backend) Name() string { return b.name }

// Addr returns "127.0.0.1:PORT"; it never changes.
func (b *Backend) Addr() string { return b.addr }

// Port returns the TCP port.
func (b *Backend) Port() int { return b.port }

// URL returns "http://127.0.0.1:PORT", or https:// for a TLS backend.
func (b *Backend) URL() string {
	if b.tls != nil {
		return "https://" + b.addr
	}
	return "http://" + b.addr
}

// State returns the current state.
func (b *Backend) State() State { return b.cur.Load().state }

// Requests returns how many requests were answered, on all paths.
func (b *Backend) Requests() int64 { return b.requests.Load() }

// HealthChecks returns how many health requests were answered.
func (b *Backend) HealthChecks() int64 { return b.healthChecks.Load() }

// SetHealthy makes health endpoints answer 200 (true) or 503 (false).
func (b *Backend) SetHealthy(ok bool) { b.healthy.Store(ok) }

// SetDelay delays every non-health answer by d (a slow node).
func (b *Backend) SetDelay(d time.Duration) { b.delay.Store(int64(d)) }

// Kill stops listening and closes every connection, so that connects are
// refused. The port stays reserved (on Linux) so nothing else grabs it.
func (b *Backend) Kill() { b.mustSetState(StateKilled) }

// Blackhole closes every connection and keeps the port in a listening socket
// that never accepts and whose accept queue is full, so connects time out.
// It panics where unsupported (anything but Linux); use SetState to get an
// error instead.
func (b *Backend) Blackhole() { b.mustSetState(StateBlackhole) }

// Hang keeps accepting connections and reading requests but answers nothing
// until another state is set; then waiting requests proceed in that state.
func (b *Backend) Hang() { b.mustSetState(StateHang) }

// Recover serves normally again on the same port.
func (b *Backend) Recover() { b.mustSetState(StateUp) }

// mustSetState backs the error-less convenience methods: failing to get the
// port back is an environment problem a test cannot handle anyway. Calls
// after Close are ignored so deferred cleanups may race freely.
func (b *Backend) mustSetState(s State) {
	if err := b.SetState(s); err != nil && !errors.Is(err, ErrClosed) {
		panic(err)
	}
}

// SetState moves the backend to s. The change has taken effect when it
// returns. If the port cannot be re-acquired the backend is left killed and
// the error returned.
func (b *Backend) SetState(s State) error {
	if s < StateUp || s >= StateClosed {
		return fmt.Errorf("testbackend: cannot set state %v", s)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	old := b.cur.Load()
	if old.state == StateClosed {
		return ErrClosed
	}
	if old.state == s {
		return nil
	}
	// Publish first so requests racing with the change already obey it, and
	// wake hung requests last, once their connections may have been closed.
	next := &snapshot{state: s, changed: make(chan struct{})}
	b.cur.Store(next)
	defer close(old.changed)
	if old.state.listening() && s.listening() {
		return nil
	}
	b.release()
	if err := b.acquire(s); err != nil {
		b.cur.Store(&snapshot{state: StateKilled, changed: make(chan struct{})})
		close(next.changed)
		b.holder, _ = reservePort(b.port)
		return err
	}
	return nil
}

// release closes whatever occupies the port and every open connection.
func (b *Backend) release() {
	if b.ln != nil {
		b.ln.shutdown()
		b.ln = nil
	}
	if b.holder != nil {
		b.holder.Close()
		b.holder = nil
	}
}

// acquire takes the port again in the way state s needs.
func (b *Backend) acquire(s State) error {
	err := retryInUse(func() error {
		var err error
		switch {
		case s.listening():
			var ln net.Listener
			if ln, err = net.Listen("tcp", b.addr); err == nil {
				b.serve(ln)
			}
		case s == StateKilled:
			// Reserving is best effort: the port is refused either way.
			b.holder, _ = reservePort(b.port)
		case s == StateBlackhole:
			b.holder, err = openBlackhole(b.port)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("testbackend: %s: entering %v: %w", b.name, s, err)
	}
	return nil
}

// retryInUse runs take until it does not fail with "address already in
// use", for at most portPatience. The port was the backend's a moment
// ago; what else holds it (a socket of the connections just closed, a
// connection opening with it as its source port) lets go within moments.
func retryInUse(take func() error) error {
	deadline := time.Now().Add(portPatience)
	for {
		err := take()
		if err == nil || !errors.Is(err, syscall.EADDRINUSE) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// portPatience bounds how long a state change waits for its port.
const portPatience = 3 * time.Second

// serve starts serving ln; callers hold b.mu or own b exclusively.
func (b *Backend) serve(ln net.Listener) {
	l := newListener(ln, b.tls, &b.active, &b.lastConnID)
	b.ln = l
	go func() {
		defer close(l.served)
		b.srv.Serve(l) // returns once the listener is closed
	}()
}

// Close stops everything, releases the port and waits for all connection
// goroutines to end. It is idempotent.
func (b *Backend) Close() error {
	b.mu.Lock()
	old := b.cur.Load()
	if old.state == StateClosed {
		b.mu.Unlock()
		return nil
	}
	b.cur.Store(&snapshot{state: StateClosed, changed: make(chan struct{})})
	b.release()
	close(old.changed)
	b.mu.Unlock()
	b.active.Wait()
	return nil
}

// awaitServing blocks while the backend hangs and reports whether the
// caller may answer, i.e. whether the backend is up.
func (b *Backend) awaitServing(ctx context.Context) bool {
	for {
		s := b.cur.Load()
		switch s.state {
		case StateUp:
			return true
		case StateHang:
			select {
			case <-s.changed:
			case <-ctx.Done():
				return false
			}
		default:
			return false
		}
	}
}

// serverTLS is the TLS configuration of every TLS backend: one throwaway
// certificate per process, HTTP/1.1 only (WebSocket upgrades need it).
var serverTLS = sync.OnceValues(func() (*tls.Config, error) {
	cert, key, err := selfsigned.PEM()
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(cert, key)
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, NextProtos: []string{"http/1.1"}}, nil
})

func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '_' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

// validToken reports whether s is an RFC 7230 token (a valid cookie name).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || isSeparator(c) {
			return false
		}
	}
	return true
}

func isSeparator(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '@', ',', ';', ':', '\\', '"', '/', '[', ']', '?', '=', '{', '}':
		return true
	}
	return false
}
