package proxy

import (
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// tunnel is the node side of an upgraded (WebSocket) connection. Both
// directions are copied through it, so it sees all traffic and can close
// the tunnel after timeouts.tunnel without data either way.
type tunnel struct {
	io.ReadWriteCloser
	idle    time.Duration
	start   time.Time
	last    atomic.Int64 // time since start of the last data, monotonic
	done    chan struct{}
	once    sync.Once
	release func()
	// timer closes an idle tunnel; a timer, not a goroutine, waits, so
	// thousands of idle WebSockets cost no stacks for it.
	timer atomic.Pointer[time.Timer]
}

// openTunnel registers a tunnel so Shutdown can close it.
func (p *Proxy) openTunnel(rwc io.ReadWriteCloser) *tunnel {
	t := &tunnel{
		ReadWriteCloser: rwc,
		idle:            p.c.Timeouts.Tunnel.D(),
		start:           time.Now(),
		done:            make(chan struct{}),
	}
	t.release = func() {
		p.mu.Lock()
		delete(p.tunnels, t)
		p.mu.Unlock()
	}
	p.mu.Lock()
	closing := p.closing
	if !closing {
		p.tunnels[t] = struct{}{}
	}
	p.mu.Unlock()
	if closing {
		t.Close()
		return t
	}
	t.timer.Store(time.AfterFunc(t.idle, t.checkIdle))
	return t
}

func (t *tunnel) Read(b []byte) (int, error) {
	n, err := t.ReadWriteCloser.Read(b)
	if n > 0 {
		t.last.Store(int64(time.Since(t.start)))
	}
	return n, err
}

func (t *tunnel) Write(b []byte) (int, error) {
	n, err := t.ReadWriteCloser.Write(b)
	if n > 0 {
		t.last.Store(int64(time.Since(t.start)))
	}
	return n, err
}

// waitSize is what an idle direction holds while it waits on a source
// it cannot wait on without a buffer (TLS, a node's early bytes).
const waitSize = 512

// burstBuffers lend the buffer a direction copies with while data flows,
// and pass the one it copies each answer body with.
var burstBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// pump copies src to dst until src ends, passing data as it arrives. Most
// WebSockets are idle most of the time, so an idle direction holds no
// buffer when raw, src's socket, is given: it waits until the socket is
// readable, then borrows a pooled buffer while data flows. Otherwise it
// waits with a small buffer and borrows a large one when a read fills it.
func pump(dst io.Writer, src io.Reader, raw syscall.RawConn) (int64, error) {
	var total int64
	var wait []byte
	if raw == nil {
		wait = make([]byte, waitSize)
	}
	buf := wait
	for {
		if buf == nil {
			if err := awaitReadable(raw); err != nil {
				return total, err
			}
			buf = *burstBuffers.Get().(*[]byte)
		}
		n, err := src.Read(buf)
		if n > 0 {
			written, werr := dst.Write(buf[:n])
			total += int64(written)
			if werr != nil {
				err = werr
			}
		}
		burst := len(buf) > waitSize
		switch {
		case err == io.EOF:
			err = nil
			fallthrough
		case err != nil:
			if burst {
				burstBuffers.Put(&buf)
			}
			return total, err
		case n == len(buf) && !burst:
			buf = *burstBuffers.Get().(*[]byte)
		case n < len(buf) && burst:
			lent := buf
			burstBuffers.Put(&lent)
			buf = wait
		}
	}
}

// Close ends the tunnel; the copying then closes the client side.
func (t *tunnel) Close() error {
	t.once.Do(func() {
		close(t.done)
		if timer := t.timer.Load(); timer != nil {
			timer.Stop()
		}
		t.release()
	})
	return t.ReadWriteCloser.Close()
}

// checkIdle closes the tunnel once it has been idle for t.idle, or waits
// again for the rest of it.
func (t *tunnel) checkIdle() {
	select {
	case <-t.done:
		return
	default:
	}
	idle := time.Since(t.start) - time.Duration(t.last.Load())
	if idle >= t.idle {
		t.Close()
		return
	}
	t.timer.Store(time.AfterFunc(t.idle-idle, t.checkIdle))
}

// errUpgraded tells ReverseProxy's error handler that the exchange became
// a tunnel, which answered the client itself.
var errUpgraded = errors.New("upgraded to a tunnel")

// upgrade completes a WebSocket handshake the node accepted: it takes the
// client's connection over, sends it the node's 101 and copies both ways
// until either side ends. The handler then returns, so an open WebSocket
// costs two copying goroutines and no request state; the exchange is
// logged and released when the tunnel ends.
func (p *Proxy) upgrade(ex *exchange, res *http.Response) error {
	t := res.Body.(*tunnel)
	res.Body = nil
	conn, brw, err := http.NewResponseController(&ex.rec).Hijack()
	if err != nil {
		t.Close()
		return err
	}
	ex.rec.status = res.StatusCode
	// The writer holds the served connection's state, which the tunnel
	// would keep for as long as it lasts.
	ex.rec.ResponseWriter = nil
	ex.upgraded = true
	err = res.Write(brw)
	if err == nil {
		err = brw.Flush()
	}
	if n := brw.Reader.Buffered(); err == nil && n > 0 {
		// What the client sent after its handshake, already read.
		early, _ := brw.Reader.Peek(n)
		_, err = t.Write(early)
	}
	var left atomic.Int32
	left.Store(2)
	end := func() {
		conn.Close()
		t.Close()
		if left.Add(-1) == 0 {
			ex.finish()
		}
	}
	if err != nil {
		ex.err = err
		left.Store(1)
		end()
		return errUpgraded
	}
	go func() {
		defer end()
		pump(t, conn, rawSocket(conn))
	}()
	go func() {
		defer end()
		pump(conn, t, rawSocket(t.ReadWriteCloser))
	}()
	return errUpgraded
}
