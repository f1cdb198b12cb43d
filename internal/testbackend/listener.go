package testbackend

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
)

// listener tracks the connections it accepts so that all of them can be
// closed at once, including hijacked WebSocket connections that http.Server
// no longer knows about.
type listener struct {
	net.Listener
	tls    *tls.Config     // nil: plain HTTP
	active *sync.WaitGroup // shared with the Backend; one count per live conn
	lastID *atomic.Int64   // shared with the Backend so ids stay unique across restarts
	served chan struct{}   // closed when http.Server.Serve has returned

	mu     sync.Mutex
	closed bool
	conns  map[*conn]struct{}
}

func newListener(ln net.Listener, tlsConfig *tls.Config, active *sync.WaitGroup, lastID *atomic.Int64) *listener {
	return &listener{
		Listener: ln,
		tls:      tlsConfig,
		active:   active,
		lastID:   lastID,
		served:   make(chan struct{}),
		conns:    make(map[*conn]struct{}),
	}
}

// Accept registers each connection before handing it to http.Server; one
// accepted while shutdown runs is closed at once rather than missed.
func (l *listener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	c := &conn{Conn: nc, id: l.lastID.Add(1), ln: l}
	if l.tls != nil {
		// The handshake runs on the first read, in the serving goroutine.
		c.Conn, c.tls = tls.Server(nc, l.tls), true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		nc.Close()
		return nil, net.ErrClosed
	}
	l.conns[c] = struct{}{}
	l.active.Add(1)
	return c, nil
}

// shutdown stops accepting, waits for Serve to return and closes every
// connection. When it returns, connects are refused and peers see EOF.
func (l *listener) shutdown() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.Listener.Close()
	<-l.served
	l.mu.Lock()
	conns := l.conns
	l.conns = nil
	l.mu.Unlock()
	for c := range conns {
		c.Conn.Close()
	}
}

func (l *listener) forget(c *conn) {
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
}

// conn is an accepted connection with its identity and request count.
type conn struct {
	net.Conn
	tls      bool
	id       int64
	ln       *listener
	requests atomic.Int64
	finished sync.Once
}

func (c *conn) Close() error {
	c.ln.forget(c)
	return c.Conn.Close()
}

// CloseWrite keeps http.Server's graceful half-close working through the
// wrapper.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// finish records that the goroutine serving c is done with it.
func (c *conn) finish() { c.finished.Do(c.ln.active.Done) }

// connStateHook finishes connections http.Server is done with; hijacked
// ones are finished by their handler instead.
func connStateHook(nc net.Conn, s http.ConnState) {
	if s == http.StateClosed {
		nc.(*conn).finish()
	}
}

type connKey struct{}

func withConn(ctx context.Context, nc net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, nc.(*conn))
}

func connFrom(ctx context.Context) *conn { return ctx.Value(connKey{}).(*conn) }
