package proxy

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawConn is a client on a bare socket, to send what no HTTP client
// would and see the server's framing.
type rawConn struct {
	net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	return &rawConn{Conn: conn, br: bufio.NewReader(conn)}
}

// answer reads one answer to a request of method.
func (c *rawConn) answer(t *testing.T, method string) (*http.Response, string) {
	t.Helper()
	res, err := http.ReadResponse(c.br, &http.Request{Method: method})
	if err != nil {
		t.Fatalf("reading answer: %v", err)
	}
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return res, string(body)
}

// closed reports whether the server ended the connection.
func (c *rawConn) closed() bool {
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err := c.br.ReadByte()
	return err == io.EOF
}

// framingNode answers /app/chunked with a body flushed in two parts,
// /app/trailer with a trailer and everything else with a fixed body.
func framingNode(t *testing.T) *Proxy {
	node := serveFunc(t, "A", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Node", "A")
		switch r.URL.Path {
		case "/app/chunked":
			io.WriteString(w, "one,")
			w.(http.Flusher).Flush()
			io.WriteString(w, "two")
		case "/app/trailer":
			w.Header().Set("Trailer", "X-Sum")
			io.WriteString(w, "body")
			w.Header().Set("X-Sum", "42")
		default:
			io.WriteString(w, "fixed")
		}
	})
	p, _ := startProxy(t, testCluster(node))
	return p
}

func TestServerKeepsConnectionsAndPipelines(t *testing.T) {
	p := framingNode(t)
	c := dialRaw(t, p.Addrs()[0])
	io.WriteString(c, "GET /app/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /app/chunked HTTP/1.1\r\nHost: x\r\n\r\n")
	res, body := c.answer(t, "GET")
	if res.StatusCode != 200 || body != "fixed" || res.ContentLength != 5 || res.Header.Get("Date") == "" {
		t.Errorf("first pipelined answer: %d %q, length %d, Date %q", res.StatusCode, body, res.ContentLength, res.Header.Get("Date"))
	}
	res, body = c.answer(t, "GET")
	if body != "one,two" || len(res.TransferEncoding) != 1 || res.TransferEncoding[0] != "chunked" || res.Close {
		t.Errorf("streamed answer: %q, transfer encoding %v, close %v; want chunked on a kept connection", body, res.TransferEncoding, res.Close)
	}
	time.Sleep(50 * time.Millisecond) // idle between requests
	io.WriteString(c, "HEAD /app/3 HTTP/1.1\r\nHost: x\r\n\r\n")
	res, body = c.answer(t, "HEAD")
	if res.StatusCode != 200 || body != "" || res.ContentLength != 5 {
		t.Errorf("HEAD after idling: %d %q, length %d", res.StatusCode, body, res.ContentLength)
	}
	io.WriteString(c, "GET /app/trailer HTTP/1.1\r\nHost: x\r\n\r\n")
	res, body = c.answer(t, "GET")
	if body != "body" || res.Trailer.Get("X-Sum") != "42" {
		t.Errorf("answer with a trailer: %q, trailer %v", body, res.Trailer)
	}
	io.WriteString(c, "GET /app/5 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if res, _ = c.answer(t, "GET"); !res.Close || !c.closed() {
		t.Errorf("Connection: close: answer says close %v, want the connection closed", res.Close)
	}
}

func TestServerHTTP10(t *testing.T) {
	p := framingNode(t)
	addr := p.Addrs()[0]

	c := dialRaw(t, addr)
	io.WriteString(c, "GET /app/1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
	res, body := c.answer(t, "GET")
	if body != "fixed" || res.Header.Get("Connection") != "keep-alive" {
		t.Errorf("HTTP/1.0 keep-alive: %q, Connection %q", body, res.Header.Get("Connection"))
	}
	io.WriteString(c, "GET /app/chunked HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
	res, body = c.answer(t, "GET")
	if body != "one,two" || len(res.TransferEncoding) != 0 || !c.closed() {
		t.Errorf("HTTP/1.0 streamed answer: %q, transfer encoding %v; want it ended by closing", body, res.TransferEncoding)
	}

	c = dialRaw(t, addr)
	io.WriteString(c, "GET /app/1 HTTP/1.0\r\n\r\n")
	if _, body := c.answer(t, "GET"); body != "fixed" || !c.closed() {
		t.Errorf("HTTP/1.0 without keep-alive: %q, want the connection closed after it", body)
	}
}

func TestServerRefusesWhatNetHTTPRefuses(t *testing.T) {
	p := framingNode(t)
	long := strings.Repeat("a", maxHeaderBytes)
	for _, tt := range []struct {
		name, request string
		status        int
	}{
		{"head over 1 MiB", "GET /app/x HTTP/1.1\r\nHost: x\r\nX-Long: " + long + "\r\n\r\n", 431},
		{"HTTP/2 on HTTP/1 framing", "GET /app/x HTTP/2.0\r\nHost: x\r\n\r\n", 505},
		{"HTTP/1.1 without Host", "GET /app/x HTTP/1.1\r\n\r\n", 400},
		{"two Hosts", "GET /app/x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
		{"malformed Host", "GET /app/x HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
		{"malformed header line", "GET /app/x HTTP/1.1\r\nHost: x\r\nNo colon\r\n\r\n", 400},
		{"unknown expectation", "GET /app/x HTTP/1.1\r\nHost: x\r\nExpect: magic\r\n\r\n", 417},
		{"unknown transfer coding", "POST /app/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
		{"garbage", "HELLO\r\n\r\n", 400},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := dialRaw(t, p.Addrs()[0])
			io.WriteString(c, tt.request)
			res, _ := c.answer(t, "GET")
			if res.StatusCode != tt.status || !c.closed() {
				t.Errorf("status %d, want %d and the connection closed", res.StatusCode, tt.status)
			}
		})
	}
}

func TestServerClosesAfterUnreadBody(t *testing.T) {
	p := framingNode(t)
	c := dialRaw(t, p.Addrs()[0])
	// Refused before its body is read: the body's bytes would be taken for
	// the next request.
	io.WriteString(c, "POST /outside HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n")
	res, _ := c.answer(t, "POST")
	if res.StatusCode != http.StatusNotFound || !res.Close || !c.closed() {
		t.Errorf("refused POST: %d, close %v; want 404 and the connection closed", res.StatusCode, res.Close)
	}
}

func TestShutdownClosesIdleConnections(t *testing.T) {
	p := framingNode(t)
	c := dialRaw(t, p.Addrs()[0])
	io.WriteString(c, "GET /app/1 HTTP/1.1\r\nHost: x\r\n\r\n")
	c.answer(t, "GET")
	done := make(chan error, 1)
	go func() { done <- p.Shutdown(t.Context()) }()
	if !c.closed() {
		t.Error("an idle keep-alive connection stayed open during Shutdown")
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("Shutdown waits for an idle connection")
	}
}
