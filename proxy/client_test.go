package proxy

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// rawNode answers every request on a connection with answer, then closes
// the connection when closeAfter is set; it counts the connections.
type rawNode struct {
	ln    net.Listener
	conns atomic.Int32
}

func startRawNode(t *testing.T, answer string, closeAfter bool) *rawNode {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n := &rawNode{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			n.conns.Add(1)
			go func() {
				defer conn.Close()
				br := bufio.NewReader(conn)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					io.Copy(io.Discard, req.Body)
					io.WriteString(conn, answer)
					if closeAfter {
						return
					}
				}
			}()
		}
	}()
	return n
}

func (n *rawNode) url() string { return "http://" + n.ln.Addr().String() + "/x" }

func roundTrip(t *testing.T, c *client, method, url string, body string) (*http.Response, error) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	return c.RoundTrip(req)
}

func testClient() *client { return newNodeClient(dialer{timeout: time.Second}, 5*time.Second) }

func TestClientKeepsConnectionsAlive(t *testing.T) {
	n := startRawNode(t, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false)
	c := testClient()
	defer c.CloseIdleConnections(true)
	for range 3 {
		res, err := roundTrip(t, c, http.MethodGet, n.url(), "")
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := io.ReadAll(res.Body); string(b) != "ok" {
			t.Fatalf("body %q", b)
		}
		res.Body.Close()
	}
	if got := n.conns.Load(); got != 1 {
		t.Errorf("3 requests read to the end took %d connections, want 1", got)
	}
}

// A node that closes a connection after answering, without saying so,
// leaves an idle connection that fails the next request: a GET is sent
// again on a new connection, a POST is not (the node may have acted).
func TestClientResendsIdempotentRequestsOnStaleConnection(t *testing.T) {
	n := startRawNode(t, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true)
	c := testClient()
	defer c.CloseIdleConnections(true)
	res, err := roundTrip(t, c, http.MethodGet, n.url(), "")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	time.Sleep(50 * time.Millisecond) // the node's close arrives
	res, err = roundTrip(t, c, http.MethodGet, n.url(), "")
	if err != nil {
		t.Fatalf("GET on a stale connection: %v", err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if got := n.conns.Load(); got != 2 {
		t.Errorf("connections: %d, want 2", got)
	}
	time.Sleep(50 * time.Millisecond)
	if _, err := roundTrip(t, c, http.MethodPost, n.url(), "a=1"); err == nil {
		t.Error("a POST on a stale connection was sent again")
	}
}

// Informational answers before the final one are skipped.
func TestClientSkipsInformationalAnswers(t *testing.T) {
	n := startRawNode(t, "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false)
	c := testClient()
	defer c.CloseIdleConnections(true)
	res, err := roundTrip(t, c, http.MethodGet, n.url(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if b, _ := io.ReadAll(res.Body); res.StatusCode != http.StatusOK || string(b) != "ok" {
		t.Errorf("got %d %q, want 200 \"ok\"", res.StatusCode, b)
	}
}

// A body closed before its end leaves the connection in the middle of an
// answer: it is closed, not reused.
func TestClientClosesConnectionOfUnreadBody(t *testing.T) {
	n := startRawNode(t, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", false)
	c := testClient()
	defer c.CloseIdleConnections(true)
	res, err := roundTrip(t, c, http.MethodGet, n.url(), "")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Read(make([]byte, 3))
	res.Body.Close()
	res, err = roundTrip(t, c, http.MethodGet, n.url(), "")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(res.Body); string(b) != "0123456789" {
		t.Fatalf("second answer %q", b)
	}
	res.Body.Close()
	if got := n.conns.Load(); got != 2 {
		t.Errorf("connections: %d, want 2 (the half-read one closed)", got)
	}
}

// A canceled request stops waiting for its answer at once.
func TestClientCancelStopsTheWait(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err == nil {
			defer conn.Close()
			io.Copy(io.Discard, conn) // reads, never answers
		}
	}()
	c := testClient()
	defer c.CloseIdleConnections(true)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+ln.Addr().String()+"/poll", nil)
	done := make(chan error, 1)
	go func() {
		_, err := c.RoundTrip(req)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Error("a canceled request got an answer")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a canceled request still waits for its answer")
	}
}

// TestWriteRequestAsNetHTTP: the proxy's request writer sends what
// http.Request.Write sends, header lines in any order.
func TestWriteRequestAsNetHTTP(t *testing.T) {
	request := func(method, target, body string, header ...string) *http.Request {
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(
			method + " " + target + " HTTP/1.1\r\nHost: client.example\r\n" + strings.Join(header, "\r\n") + "\r\n\r\n")))
		if err != nil {
			t.Fatal(err)
		}
		out := &http.Request{Method: req.Method, Host: req.Host, Header: req.Header, Trailer: req.Trailer,
			URL:  &url.URL{Scheme: "http", Host: "127.0.0.1:1", Opaque: req.URL.Path, RawQuery: req.URL.RawQuery},
			Body: http.NoBody, ContentLength: int64(len(body))}
		if body != "" {
			out.Body = io.NopCloser(strings.NewReader(body))
		}
		return out
	}
	split := func(b []byte) (string, []string, string) {
		head, body, _ := strings.Cut(string(b), "\r\n\r\n")
		lines := strings.Split(head, "\r\n")
		slices.Sort(lines[1:])
		return lines[0], lines[1:], body
	}
	for _, tc := range [][]string{
		{"GET", "/app/a%20b?x=1", "", "User-Agent: curl/8", "Cookie: a=1; b=2", "Cookie: c=3", "X-Sp: \t v \t"},
		{"GET", "/app/", "", "User-Agent: "},
		{"POST", "/app/form", "a=1&b=2", "Content-Type: application/x-www-form-urlencoded", "User-Agent: x"},
		{"DELETE", "/app/x", "", "User-Agent: x"},
		{"HEAD", "/app/x", "", "User-Agent: x"},
		{"POST", "/app/up", "data", "User-Agent: x", "Trailer: X-Sum", "Transfer-Encoding: chunked"},
	} {
		var mine, theirs bytes.Buffer
		bw := bufio.NewWriter(&mine)
		if err := writeRequest(bw, request(tc[0], tc[1], tc[2], tc[3:]...)); err != nil {
			t.Fatal(err)
		}
		bw.Flush()
		if err := request(tc[0], tc[1], tc[2], tc[3:]...).Write(&theirs); err != nil {
			t.Fatal(err)
		}
		ml, mh, mb := split(mine.Bytes())
		tl, th, tb := split(theirs.Bytes())
		if ml != tl || !slices.Equal(mh, th) || mb != tb {
			t.Errorf("%s %s:\nwrote %q %q %q\nwant  %q %q %q", tc[0], tc[1], ml, mh, mb, tl, th, tb)
		}
	}
}
