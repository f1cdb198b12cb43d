package proxy

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestWebSocketTunnel(t *testing.T) {
	a, b := newBackend(t, "A"), newBackend(t, "B")
	p, logs := startProxy(t, testCluster(a.node(), b.node()))
	for range 2 {
		ws := wsDial(t, p.Addrs()[0], "/app/ws", "Cookie: SID=.B")
		if ws.res.StatusCode != http.StatusSwitchingProtocols || ws.res.Header.Get("X-Node") != "B" {
			t.Fatalf("handshake: %d from %q, want 101 from B", ws.res.StatusCode, ws.res.Header.Get("X-Node"))
		}
		for i := range 3 {
			msg := fmt.Sprintf("frame %d", i)
			if got := ws.echo(t, msg); got != msg {
				t.Errorf("echo %q, want %q", got, msg)
			}
		}
		ws.Close()
	}
	eventually(t, 2*time.Second, "tunnel logged when closed", func() bool {
		return strings.Count(logs.String(), "uri=/app/ws status=101 node=B reason=sticky route=B") == 2
	})
}

func TestWebSocketRetriesOnConnectFailure(t *testing.T) {
	a, b := newBackend(t, "A"), newBackend(t, "B")
	p, _ := startProxy(t, testCluster(a.node(), b.node()))
	a.kill()
	ws := wsDial(t, p.Addrs()[0], "/app/ws", "Cookie: SID=.A")
	if ws.res.StatusCode != http.StatusSwitchingProtocols || ws.res.Header.Get("X-Node") != "B" {
		t.Fatalf("handshake: %d from %q, want 101 from B", ws.res.StatusCode, ws.res.Header.Get("X-Node"))
	}
	if got := ws.echo(t, "hi"); got != "hi" {
		t.Errorf("echo %q", got)
	}
}

func TestWebSocketIdleTimeout(t *testing.T) {
	a := newBackend(t, "A")
	c := testCluster(a.node())
	// Frames go every 100ms: the 800ms timeout leaves room for a loaded
	// machine while six frames still outlast it.
	c.Timeouts.Tunnel = dur(800 * time.Millisecond)
	p, _ := startProxy(t, c)

	// Traffic in either direction alone keeps the tunnel open past the
	// timeout: first from the client only, then from the node only.
	ws := wsDial(t, p.Addrs()[0], "/app/ws")
	for range 12 {
		time.Sleep(100 * time.Millisecond)
		ws.send(t, "sink")
	}
	ws.send(t, "push 12")
	for i := range 12 {
		if got, want := ws.receive(t), fmt.Sprintf("push %d", i); got != want {
			t.Fatalf("pushed frame %q, want %q", got, want)
		}
	}

	// Then silence closes it.
	idleSince := time.Now()
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := io.ReadAll(ws.br)
	d := time.Since(idleSince)
	if err != nil || d < 700*time.Millisecond || d > 4*time.Second {
		t.Errorf("idle tunnel ended after %s (err %v), want a close after about 800ms", d, err)
	}
}

func TestWebSocketDisabled(t *testing.T) {
	a := newBackend(t, "A")
	c := testCluster(a.node())
	off := false
	c.WebSocket = &off
	p, _ := startProxy(t, c)
	ws := wsDial(t, p.Addrs()[0], "/app/ws")
	if ws.res.StatusCode != http.StatusOK {
		t.Fatalf("upgrade with websocket: false answered %d, want the plain 200", ws.res.StatusCode)
	}
	body, _ := io.ReadAll(io.LimitReader(ws.res.Body, 1<<20))
	if !strings.Contains(string(body), `"Node":"A"`) || strings.Contains(string(body), "Upgrade") {
		t.Errorf("node saw %s; want a plain request without Upgrade", body)
	}
}

func TestOtherUpgradesAreNotPassed(t *testing.T) {
	a := newBackend(t, "A")
	p, _ := startProxy(t, testCluster(a.node()))
	r := get(t, newClient(t), "http://"+p.Addrs()[0]+"/app/x", "Upgrade: h2c", "Connection: Upgrade")
	if r.status != http.StatusOK || r.seen.Header.Get("Upgrade") != "" || r.seen.Header.Get("Connection") != "" {
		t.Errorf("h2c upgrade: %d, node saw %v; want a plain request", r.status, r.seen.Header)
	}
}

// TestPumpPassesDataAsItArrives: a few bytes pass at once, without
// waiting for a buffer to fill, and a burst larger than every buffer
// passes whole and in order, from a pipe (waiting with a small buffer)
// and from a socket (waiting without one).
func TestPumpPassesDataAsItArrives(t *testing.T) {
	t.Run("pipe", func(t *testing.T) {
		srcR, srcW := io.Pipe()
		checkPump(t, srcR, srcW, nil)
	})
	t.Run("socket", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		srcW, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer srcW.Close()
		srcR, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer srcR.Close()
		raw := rawSocket(srcR)
		if raw == nil {
			t.Fatal("no raw socket for a TCP connection")
		}
		checkPump(t, srcR, srcW, raw)
	})
}

func checkPump(t *testing.T, src io.Reader, srcW io.WriteCloser, raw syscall.RawConn) {
	dstR, dstW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := pump(dstW, src, raw)
		dstW.CloseWithError(err)
		done <- err
	}()
	go srcW.Write([]byte("hello"))
	got := make([]byte, 5)
	if _, err := io.ReadFull(dstR, got); err != nil || string(got) != "hello" {
		t.Fatalf("read %q, %v; want hello at once", got, err)
	}
	burst := make([]byte, 200<<10)
	for i := range burst {
		burst[i] = byte(i * 7)
	}
	go func() {
		srcW.Write(burst)
		srcW.Write([]byte("tail"))
		srcW.Close()
	}()
	rest, err := io.ReadAll(dstR)
	if err != nil {
		t.Fatal(err)
	}
	if want := append(burst, "tail"...); !bytes.Equal(rest, want) {
		t.Errorf("the burst arrived as %d bytes, want %d in order", len(rest), len(want))
	}
	if err := <-done; err != nil {
		t.Errorf("pump ended with %v, want nil at the end of the source", err)
	}
}
