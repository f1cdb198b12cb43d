package proxy

import (
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// tunnel is the node side of an upgraded (WebSocket) connection.
// ReverseProxy copies both directions through it, so it sees all traffic
// and can close the tunnel after timeouts.tunnel without data either way.
type tunnel struct {
	io.ReadWriteCloser
	idle    time.Duration
	start   time.Time
	last    atomic.Int64 // time since start of the last data, monotonic
	done    chan struct{}
	once    sync.Once
	release func()
}

// openTunnel registers a tunnel so Shutdown can close it; release runs
// once when it closes.
func (p *Proxy) openTunnel(rwc io.ReadWriteCloser, release func()) *tunnel {
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
		release()
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
	go t.watch()
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

// Close ends the tunnel; ReverseProxy then closes the client side.
func (t *tunnel) Close() error {
	t.once.Do(func() {
		close(t.done)
		t.release()
	})
	return t.ReadWriteCloser.Close()
}

// watch closes the tunnel once it has been idle for t.idle.
func (t *tunnel) watch() {
	timer := time.NewTimer(t.idle)
	defer timer.Stop()
	for {
		select {
		case <-t.done:
			return
		case <-timer.C:
		}
		idle := time.Since(t.start) - time.Duration(t.last.Load())
		if idle >= t.idle {
			t.Close()
			return
		}
		timer.Reset(t.idle - idle)
	}
}
