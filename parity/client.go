package parity

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/lbgen/lbgen/internal/testbackend"
)

// reply is what a load balancer answered to one request.
type reply struct {
	Status int
	Node   string // node name (or "fallback:NAME") that answered, if any
	Answer testbackend.Answer
	Body   string
	// SetCookie holds the answer's Set-Cookie lines.
	SetCookie []string
	Elapsed   time.Duration
}

func (r reply) String() string {
	if r.Node != "" {
		return fmt.Sprintf("%d from %s", r.Status, r.Node)
	}
	return fmt.Sprintf("%d", r.Status)
}

type request struct {
	method string
	target string // origin-form request target, sent byte for byte
	host   string
	cookie string
	header map[string]string
	body   []byte
	// chunked sends the body with chunked transfer encoding.
	chunked bool
	// from binds the client to this loopback source address.
	from string
	// keepAlive leaves the connection open for the next request.
	keepAlive bool
	tls       bool
}

// client sends requests to one load-balancer listener over raw sockets, so
// the request line and headers are exactly what the scenario says.
type client struct {
	addr     string
	tls      bool
	internal bool
	sandbox  *Sandbox
	timeout  time.Duration
}

// kind names the listener in errors.
func (c *client) kind() string {
	switch {
	case c.internal:
		return "internal"
	case c.tls:
		return "public TLS"
	}
	return "public"
}

func (c *client) dial(ctx context.Context, r request) (net.Conn, error) {
	d := net.Dialer{Timeout: 2 * time.Second}
	if r.from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(r.from)}
	}
	conn, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil || !(r.tls || c.tls) {
		return conn, err
	}
	tc := tls.Client(conn, &tls.Config{InsecureSkipVerify: true, ServerName: "localhost"})
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return tc, nil
}

// do sends one request on a fresh connection and reads the answer while
// the body is still being written, so a server that answers early (413)
// is heard before it resets the connection.
func (c *client) do(ctx context.Context, r request) (reply, error) {
	start := time.Now()
	timeout := c.timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := c.dial(ctx, r)
	if err != nil {
		return reply{}, err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	writeErr := make(chan error, 1)
	go func() { writeErr <- writeRequest(conn, r) }()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		if werr := <-writeErr; werr != nil {
			return reply{}, fmt.Errorf("%v (while sending: %v)", err, werr)
		}
		return reply{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	return c.reply(resp, body, start), nil
}

// reply reads what a node's answer says about who answered.
func (c *client) reply(resp *http.Response, body []byte, start time.Time) reply {
	rep := reply{Status: resp.StatusCode, Body: string(body), SetCookie: resp.Header.Values("Set-Cookie"), Elapsed: time.Since(start)}
	if a, err := testbackend.ParseAnswer(body); err == nil && a.Node != "" {
		rep.Answer, rep.Node = a, c.sandbox.NodeOf(a.Node)
	} else if name := resp.Header.Get("X-Node"); name != "" {
		rep.Node = c.sandbox.NodeOf(name)
	}
	return rep
}

// doKeepAlive sends r n times, one after another on one keep-alive
// connection, as a browser does, and returns the replies.
func (c *client) doKeepAlive(ctx context.Context, r request, n int) ([]reply, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := c.dial(ctx, r)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	br := bufio.NewReader(conn)
	r.keepAlive = true
	var out []reply
	for range n {
		start := time.Now()
		if err := writeRequest(conn, r); err != nil {
			return out, err
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return out, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return out, err
		}
		out = append(out, c.reply(resp, body, start))
	}
	return out, nil
}

func writeRequest(w io.Writer, r request) error {
	method, host := r.method, r.host
	if method == "" {
		method = "GET"
	}
	if host == "" {
		host = "lbgen.test"
	}
	var b strings.Builder
	conn := "close"
	if r.keepAlive {
		conn = "keep-alive"
	}
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: %s\r\n", method, r.target, host, conn)
	if r.cookie != "" {
		fmt.Fprintf(&b, "Cookie: %s\r\n", r.cookie)
	}
	for k, v := range r.header {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	switch {
	case r.chunked:
		b.WriteString("Transfer-Encoding: chunked\r\n")
	case r.body != nil:
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(r.body))
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if !r.chunked {
		_, err := w.Write(r.body)
		return err
	}
	const chunk = 64 << 10
	for body := r.body; len(body) > 0; {
		n := min(chunk, len(body))
		if _, err := fmt.Fprintf(w, "%x\r\n%s\r\n", n, body[:n]); err != nil {
			return err
		}
		body = body[n:]
	}
	_, err := io.WriteString(w, "0\r\n\r\n")
	return err
}
