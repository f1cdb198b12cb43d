package testbackend

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"
)

func dialWS(t *testing.T, rawURL string, header http.Header) (*WSConn, *http.Response) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, resp, err := DialWebSocket(ctx, rawURL, header)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	ws.SetDeadline(time.Now().Add(10 * time.Second))
	return ws, resp
}

// checkEcho sends each message and expects "<node>:<message>" back.
func checkEcho(t *testing.T, ws *WSConn, node string, msgs ...string) {
	t.Helper()
	for _, m := range msgs {
		if err := ws.Send(m); err != nil {
			t.Fatal(err)
		}
		got, err := ws.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if want := node + ":" + m; got != want {
			t.Fatalf("echo of %d bytes: got %d bytes %.40q, want %.40q", len(m), len(got), got, want)
		}
	}
}

func TestWebSocketEcho(t *testing.T) {
	b := startBackend(t, Options{Name: "ws1", CookieName: "SID"})
	ws, resp := dialWS(t, "ws://"+b.Addr()+"/chat/socket?token=1", nil)
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if got := resp.Header.Get("X-Node"); got != "ws1" {
		t.Errorf("X-Node = %q", got)
	}
	if got := resp.Header.Get("Set-Cookie"); got != "SID=.ws1; Path=/" {
		t.Errorf("Set-Cookie = %q", got)
	}
	checkEcho(t, ws, "ws1", "hello", "", "ünïcode", strings.Repeat("x", 200<<10), "after big", strings.Repeat("0123456789abcdef", 1<<16))
	if err := ws.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if got := b.Requests(); got != 1 {
		t.Errorf("Requests() = %d, want 1 (the handshake)", got)
	}
}

// TestWebSocketFraming drives the server with hand-made frames: fragments
// with a ping in between, then the close handshake.
func TestWebSocketFraming(t *testing.T) {
	b := startBackend(t, Options{Name: "ws2"})
	ws, _ := dialWS(t, "ws://"+b.Addr()+"/", nil)
	first := maskedFrame(opBinary, []byte("frag-"))
	first[0] &^= 0x80 // not final
	middle := maskedFrame(opContinuation, []byte("ment"))
	middle[0] &^= 0x80
	last := maskedFrame(opContinuation, []byte("ed"))
	ping := maskedFrame(opPing, []byte("are you there"))
	for _, f := range [][]byte{first, ping, middle, last} {
		if _, err := ws.conn.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	want := []frame{
		{fin: true, op: opPong, payload: []byte("are you there")},
		{fin: true, op: opText, payload: []byte("ws2:frag-mented")},
	}
	for _, w := range want {
		f, err := readFrame(ws.br, false, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if f.fin != w.fin || f.op != w.op || !bytes.Equal(f.payload, w.payload) {
			t.Errorf("got frame %+v %q, want %+v %q", f, f.payload, w, w.payload)
		}
	}

	ws.conn.Write(maskedFrame(opClose, closePayload(4001)))
	f, err := readFrame(ws.br, false, 125)
	if err != nil || f.op != opClose || binary.BigEndian.Uint16(f.payload) != 4001 {
		t.Fatalf("close reply: %+v, %v", f, err)
	}
	if _, err := ws.br.ReadByte(); err != io.EOF {
		t.Errorf("after close handshake: %v, want EOF", err)
	}
}

func TestWebSocketRejectsUnmaskedFrames(t *testing.T) {
	b := startBackend(t, Options{})
	ws, _ := dialWS(t, "ws://"+b.Addr()+"/", nil)
	unmasked := appendHeader(nil, opText, 2, false)
	ws.conn.Write(append(unmasked, "hi"...))
	_, err := ws.Recv()
	var ce *CloseError
	if !errors.As(err, &ce) || ce.Code != closeProtocolError {
		t.Errorf("Recv after unmasked frame: %v, want close 1002", err)
	}
}

// TestWebSocketClientAnswersPings plays the server on a pipe, since the
// echo server never pings.
func TestWebSocketClientAnswersPings(t *testing.T) {
	client, server := net.Pipe()
	ws := &WSConn{conn: client, br: bufio.NewReader(client)}
	defer ws.Close()
	defer server.Close() // first, so that Close need not wait for a reader
	ws.SetDeadline(time.Now().Add(5 * time.Second))
	server.SetDeadline(time.Now().Add(5 * time.Second))
	pong := make(chan frame, 1)
	go func() {
		bw := bufio.NewWriter(server)
		writeFrame(bw, opPing, []byte("ping?"))
		f, err := readFrame(bufio.NewReader(server), true, 125)
		if err != nil {
			t.Error(err)
		}
		pong <- f
		writeFrame(bw, opText, []byte("done"))
	}()
	if got, err := ws.Recv(); err != nil || got != "done" {
		t.Fatalf("Recv: %q, %v", got, err)
	}
	if f := <-pong; f.op != opPong || string(f.payload) != "ping?" {
		t.Errorf("answer to ping: op %#x %q, want pong \"ping?\"", f.op, f.payload)
	}
}

func TestWebSocketThroughTLSProxy(t *testing.T) {
	b := startBackend(t, Options{Name: "ws3"})
	target, _ := url.Parse(b.URL())
	proxy := httptest.NewTLSServer(httputil.NewSingleHostReverseProxy(target))
	defer proxy.Close()
	wsURL := "wss://" + strings.TrimPrefix(proxy.URL, "https://") + "/socket"
	ws, resp := dialWS(t, wsURL, http.Header{"Cookie": {"a=b"}})
	if resp.Header.Get("X-Node") != "ws3" {
		t.Errorf("X-Node = %q", resp.Header.Get("X-Node"))
	}
	checkEcho(t, ws, "ws3", "one", strings.Repeat("y", 200<<10), "three")
}

func TestDialWebSocketNon101(t *testing.T) {
	b := startBackend(t, Options{Name: "ws4"})
	ws, resp, err := DialWebSocket(context.Background(), "ws://"+b.Addr()+"/health", nil)
	if err == nil {
		ws.Close()
		t.Fatal("handshake with a health endpoint succeeded")
	}
	if resp == nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("response %v, want the 200 health answer", resp)
	}
	if body, _ := io.ReadAll(resp.Body); string(body) != "OK ws4\n" {
		t.Errorf("body %q", body)
	}
	if _, _, err := DialWebSocket(context.Background(), "http://"+b.Addr()+"/", nil); err == nil {
		t.Error("http:// URL accepted")
	}
}

func TestDialWebSocketHonoursContext(t *testing.T) {
	b := startBackend(t, Options{})
	b.Hang()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := DialWebSocket(ctx, "ws://"+b.Addr()+"/", nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("dial to hung backend: %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("dial returned after %v", d)
	}
}

func TestWebSocketFollowsState(t *testing.T) {
	b := startBackend(t, Options{Name: "ws5"})
	ws, _ := dialWS(t, "ws://"+b.Addr()+"/", nil)
	checkEcho(t, ws, "ws5", "before")

	b.Hang()
	ws.Send("while hung")
	ws.SetDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := ws.Recv(); !isTimeout(err) {
		t.Fatalf("Recv while hung: %v, want timeout", err)
	}
	ws.SetDeadline(time.Now().Add(5 * time.Second))
	b.Recover()
	if got, err := ws.Recv(); err != nil || got != "ws5:while hung" {
		t.Fatalf("after Recover: %q, %v", got, err)
	}

	b.Kill()
	if _, err := ws.Recv(); err == nil || !isClosed(err) {
		t.Errorf("Recv after Kill: %v, want the tunnel closed", err)
	}
}

func TestWebSocketOverTLS(t *testing.T) {
	b := startBackend(t, Options{Name: "ws4", TLS: true})
	ws, resp := dialWS(t, "wss://"+b.Addr()+"/socket", nil)
	if resp.Header.Get("X-Node") != "ws4" {
		t.Errorf("X-Node = %q", resp.Header.Get("X-Node"))
	}
	checkEcho(t, ws, "ws4", "one", strings.Repeat("z", 100<<10))
}
