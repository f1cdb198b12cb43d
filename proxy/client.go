package proxy

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Limits of the idle connections kept to each node or fallback.
const (
	nodeMaxIdlePerHost = 32
	nodeIdleTimeout    = 60 * time.Second
)

// client sends requests to nodes and fallbacks, one at a time per
// connection, and reads the answer on the goroutine that sent it.
// http.Transport runs two more goroutines for every connection, with their
// buffers, for as long as a long poll is held; here a held request costs
// only its connection and a 1 KiB buffer.
type client struct {
	d dialer
	// read bounds the wait for each read of an answer, as nginx's
	// proxy_read_timeout does; past it the request fails with
	// errReadTimeout.
	read time.Duration

	mu     sync.Mutex
	idle   map[connKey][]*clientConn // newest last
	closed bool
}

func newNodeClient(d dialer, read time.Duration) *client {
	return &client{d: d, read: read, idle: map[connKey][]*clientConn{}}
}

// connKey names where a connection goes.
type connKey struct {
	tls  bool
	addr string // host:port
}

// clientConn is a connection to one node with its read buffer; a write
// buffer is lent to it only while a request is written.
type clientConn struct {
	key       connKey
	conn      net.Conn
	br        *bufio.Reader
	idleSince time.Time
}

var requestWriters = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 1<<10) }}

// write sends req's head and body on the connection.
func (cc *clientConn) write(req *http.Request) error {
	bw := requestWriters.Get().(*bufio.Writer)
	bw.Reset(cc.conn)
	err := writeRequest(bw, req)
	if err == nil {
		err = bw.Flush()
	}
	bw.Reset(nil)
	requestWriters.Put(bw)
	return err
}

// writeRequest writes what http.Request.Write writes for the requests the
// proxy sends, whose bodies are in memory, without its allocations and
// sorting: the header lines go in the map's order, on which nothing
// depends. A request without a User-Agent goes without one (Go would add
// its own).
func writeRequest(bw *bufio.Writer, req *http.Request) error {
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	if !validHost(host) {
		host = ""
	}
	target := req.URL.RequestURI()
	if strings.ContainsFunc(target, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return errors.New("a control character in the request target")
	}
	bw.WriteString(req.Method)
	bw.WriteByte(' ')
	bw.WriteString(target)
	bw.WriteString(" HTTP/1.1\r\nHost: ")
	bw.WriteString(host)
	bw.WriteString("\r\n")
	if ua := headerValue(req.Header.Get("User-Agent")); ua != "" {
		writeField(bw, "User-Agent", ua)
	}
	// Request.Write's rule: a length for every body, and for an empty one
	// where servers expect one. The body goes with its length, without the
	// trailers a chunked one had.
	if req.ContentLength > 0 || req.Method == http.MethodPost || req.Method == http.MethodPut || req.Method == http.MethodPatch {
		bw.WriteString("Content-Length: ")
		var n [20]byte
		bw.Write(strconv.AppendInt(n[:0], req.ContentLength, 10))
		bw.WriteString("\r\n")
	}
	for k, vv := range req.Header {
		if _, own := requestOwnFields[k]; own {
			continue
		}
		for _, v := range vv {
			writeField(bw, k, headerValue(v))
		}
	}
	bw.WriteString("\r\n")
	if req.Body == nil || req.Body == http.NoBody {
		return nil
	}
	_, err := io.Copy(bw, req.Body)
	return err
}

// requestOwnFields are written by writeRequest from the request's fields.
var requestOwnFields = map[string]struct{}{"Host": {}, "User-Agent": {}, "Content-Length": {}, "Transfer-Encoding": {}, "Trailer": {}}

func writeField(bw *bufio.Writer, name, value string) {
	bw.WriteString(name)
	bw.WriteString(": ")
	bw.WriteString(value)
	bw.WriteString("\r\n")
}

// RoundTrip sends req to req.URL's host and returns the answer. A request
// sent on an idle connection that the node had closed meanwhile is sent
// again once, on a new connection, when http.Transport would send it
// again: an idempotent one whose body can be sent again.
func (c *client) RoundTrip(req *http.Request) (*http.Response, error) {
	key := connKey{tls: req.URL.Scheme == "https", addr: req.URL.Host}
	if cc := c.take(key); cc != nil {
		res, stale, err := c.send(cc, req)
		if !stale || !replayable(req) {
			return res, err
		}
		if req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			req.Body = body
		}
	}
	cc, err := c.dial(req.Context(), key)
	if err != nil {
		return nil, err
	}
	res, _, err := c.send(cc, req)
	return res, err
}

func replayable(req *http.Request) bool {
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return false
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	_, key := req.Header["Idempotency-Key"]
	_, xkey := req.Header["X-Idempotency-Key"]
	return key || xkey
}

func (c *client) dial(ctx context.Context, key connKey) (*clientConn, error) {
	var conn net.Conn
	var err error
	if key.tls {
		conn, err = c.d.dialTLS(ctx, "tcp", key.addr)
	} else {
		conn, err = c.d.dial(ctx, "tcp", key.addr)
	}
	if err != nil {
		return nil, err
	}
	return &clientConn{key: key, conn: conn, br: bufio.NewReaderSize(conn, 1<<10)}, nil
}

// send writes req on cc and reads the answer's head. The body is read
// from cc until the caller closes it; the connection then goes back to
// the idle ones if the node keeps it open. The flag reports a failure before
// a single byte of answer: the node closed the connection first.
func (c *client) send(cc *clientConn, req *http.Request) (*http.Response, bool, error) {
	// A canceled request (client gone, read timeout) stops whatever
	// read or write is pending on the connection.
	stop := keepWatching
	if req.Context().Done() != nil {
		stop = context.AfterFunc(req.Context(), func() { cc.conn.SetDeadline(time.Unix(1, 0)) })
	}
	err := cc.write(req)
	if err == nil {
		// Waits for the first byte of the answer: a connection the node
		// closed while it was idle ends here, before any.
		c.armRead(cc)
		_, err = cc.br.Peek(1)
	}
	if err != nil {
		stop()
		cc.conn.Close()
		if (errors.Is(err, io.EOF) || isReset(err)) && req.Context().Err() == nil {
			return nil, true, err
		}
		return nil, false, c.readError(req, err)
	}
	res, err := readFinal(cc.br, req)
	if err != nil {
		stop()
		cc.conn.Close()
		return nil, false, c.readError(req, err)
	}
	if res.StatusCode == http.StatusSwitchingProtocols {
		stop()
		// The tunnel keeps its own idle timeout.
		cc.conn.SetDeadline(time.Time{})
		res.Body = cc.conn
		if cc.br.Buffered() > 0 {
			res.Body = &upgradedConn{Conn: cc.conn, br: cc.br}
		}
		return res, false, nil
	}
	keep := !res.Close && !req.Close
	if res.Body == http.NoBody {
		c.release(cc, stop, keep)
		return res, false, nil
	}
	res.Body = &clientBody{ReadCloser: res.Body, c: c, cc: cc, req: req, stop: stop, keep: keep}
	return res, false, nil
}

// keepWatching is the stop of a request that cannot be canceled: the
// proxy's own server gives requests no context to cancel.
func keepWatching() bool { return true }

// armRead gives the next read of cc the read timeout.
func (c *client) armRead(cc *clientConn) { cc.conn.SetReadDeadline(time.Now().Add(c.read)) }

// readError names a read that ran into the read timeout, unless the
// request was canceled, which also cuts reads short.
func (c *client) readError(req *http.Request, err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) && req.Context().Err() == nil {
		return errReadTimeout
	}
	return err
}

// readFinal reads the answer's head, past informational ones (100
// Continue, 103 Early Hints) as http.Transport does; 101 Switching
// Protocols is final.
func readFinal(br *bufio.Reader, req *http.Request) (*http.Response, error) {
	for {
		res, err := http.ReadResponse(br, req)
		if err != nil || res.StatusCode < 100 || res.StatusCode > 199 || res.StatusCode == http.StatusSwitchingProtocols {
			return res, err
		}
	}
}

// isReset reports a connection the node reset or closed under a write.
func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// release ends a request on cc: the connection is kept for the next one
// when keep holds and the cancel watch could still be removed.
func (c *client) release(cc *clientConn, stop func() bool, keep bool) {
	if !stop() || !keep || cc.br.Buffered() > 0 {
		cc.conn.Close()
		return
	}
	cc.idleSince = time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	list := c.idle[cc.key]
	if c.closed || len(list) >= nodeMaxIdlePerHost {
		cc.conn.Close()
		return
	}
	c.idle[cc.key] = append(list, cc)
}

// take returns the newest idle connection to key that has not been idle
// too long, closing those that have.
func (c *client) take(key connKey) *clientConn {
	c.mu.Lock()
	defer c.mu.Unlock()
	list := c.idle[key]
	for len(list) > 0 {
		cc := list[len(list)-1]
		list = list[:len(list)-1]
		c.idle[key] = list
		if time.Since(cc.idleSince) < nodeIdleTimeout {
			return cc
		}
		cc.conn.Close()
	}
	return nil
}

// CloseIdleConnections closes every idle connection; with done, later
// released connections are closed too.
func (c *client) CloseIdleConnections(done bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for key, list := range c.idle {
		for _, cc := range list {
			cc.conn.Close()
		}
		delete(c.idle, key)
	}
	c.closed = c.closed || done
}

// clientBody is an answer's body; reading it to the end or closing it
// ends the request on its connection.
type clientBody struct {
	io.ReadCloser
	c    *client
	cc   *clientConn
	req  *http.Request
	stop func() bool
	keep bool
	done bool
}

func (b *clientBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	// A node that stalls mid-answer is cut off like one that never answers.
	b.c.armRead(b.cc)
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.done = true
		b.c.release(b.cc, b.stop, b.keep)
	}
	if err != nil && err != io.EOF {
		err = b.c.readError(b.req, err)
	}
	return n, err
}

func (b *clientBody) Close() error {
	if b.done {
		return nil
	}
	b.done = true
	// The rest of the body was not read: the connection cannot carry
	// another request.
	b.stop()
	return b.cc.conn.Close()
}

// upgradedConn is the node's side of a tunnel after 101 Switching
// Protocols: what the node sent after its answer's head comes first.
type upgradedConn struct {
	net.Conn
	br *bufio.Reader
}

func (u *upgradedConn) Read(p []byte) (int, error) {
	if u.br.Buffered() > 0 {
		return u.br.Read(p)
	}
	return u.Conn.Read(p)
}
