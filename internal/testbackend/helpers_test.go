package testbackend

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

func startBackend(t testing.TB, opts Options) *Backend {
	t.Helper()
	if opts.Name == "" {
		opts.Name = "node1"
	}
	b, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// rawConn sends hand-written requests on one TCP connection, so that tests
// control every byte and know which connection carries what.
type rawConn struct {
	t  testing.TB
	nc net.Conn
	br *bufio.Reader
}

func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawConn{t: t, nc: nc, br: bufio.NewReader(nc)}
}

// send writes a GET for target with extra header lines.
func (c *rawConn) send(target string, headers ...string) {
	c.t.Helper()
	req := "GET " + target + " HTTP/1.1\r\nHost: test.local\r\n"
	for _, h := range headers {
		req += h + "\r\n"
	}
	if _, err := io.WriteString(c.nc, req+"\r\n"); err != nil {
		c.t.Fatal(err)
	}
}

// read reads one response within timeout.
func (c *rawConn) read(timeout time.Duration) (*http.Response, string, error) {
	c.nc.SetReadDeadline(time.Now().Add(timeout))
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, string(body), err
}

// get sends a GET and returns the response, failing the test on errors.
func (c *rawConn) get(target string, headers ...string) (*http.Response, string) {
	c.t.Helper()
	c.send(target, headers...)
	resp, body, err := c.read(5 * time.Second)
	if err != nil {
		c.t.Fatalf("GET %s: %v", target, err)
	}
	return resp, body
}

// answer sends a GET that must be answered with a backend Answer.
func (c *rawConn) answer(target string, headers ...string) Answer {
	c.t.Helper()
	resp, body := c.get(target, headers...)
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("GET %s: status %d, body %q", target, resp.StatusCode, body)
	}
	a, err := ParseAnswer([]byte(body))
	if err != nil {
		c.t.Fatalf("GET %s: %v", target, err)
	}
	return a
}

// mustAnswer checks that a fresh connection gets a normal answer.
func mustAnswer(t testing.TB, b *Backend) Answer {
	t.Helper()
	a := dialRaw(t, b.Addr()).answer("/check")
	if a.Node != b.Name() {
		t.Fatalf("answer from %q, want %q", a.Node, b.Name())
	}
	return a
}

func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// isClosed reports whether err shows that the peer closed the connection.
func isClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || strings.Contains(err.Error(), "closed")
}
