package proxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Limits of a client's request head, net/http's defaults: 1 MiB of
// header lines and the 4 KiB it allows on top.
const maxHeaderBytes = 1<<20 + 4096

// server serves the HTTP/1.1 connections of one listener. net/http's
// server keeps 8 KiB of buffers, a context and, while a request is served,
// a second goroutine reading ahead for every connection; a balancer holds
// thousands of connections that are idle or waiting for a node, so here a
// connection between requests is its goroutine alone, waiting until the
// socket is readable, and a held long poll keeps no client buffer. Each
// connection is served by one goroutine, request after request.
type server struct {
	p       *Proxy
	handler http.Handler
	ln      net.Listener
	label   string // the listener in the log

	mu    sync.Mutex
	conns map[*serverConn]struct{}
	// closing is set under mu, so that track sees it, and read without:
	// every answer asks it.
	closing atomic.Bool
}

// connection states, for Shutdown: only an idle connection may be closed
// under its client.
const (
	stateIdle int32 = iota
	stateActive
	stateClosed
)

type serverConn struct {
	s      *server
	conn   net.Conn
	raw    syscall.RawConn // a plain TCP connection's socket, to wait without a buffer
	tls    *tls.ConnectionState
	remote string
	r      connReader
	br     *bufio.Reader // lent between reading a request and its body's end
	state  atomic.Int32
	post   bool // the last request was a POST
}

// connReader reads a client's connection: first what was read ahead
// while waiting for a request, then the socket. It counts what a request
// head may still read.
type connReader struct {
	conn     net.Conn
	ahead    []byte
	aheadBuf *[]byte
	remain   int64
	hit      bool
}

func (r *connReader) Read(p []byte) (int, error) {
	if r.remain <= 0 {
		r.hit = true
		return 0, io.EOF
	}
	if int64(len(p)) > r.remain {
		p = p[:r.remain]
	}
	if len(r.ahead) > 0 {
		n := copy(p, r.ahead)
		r.ahead = r.ahead[n:]
		if len(r.ahead) == 0 {
			aheadBuffers.Put(r.aheadBuf)
			r.ahead, r.aheadBuf = nil, nil
		}
		r.remain -= int64(n)
		return n, nil
	}
	n, err := r.conn.Read(p)
	r.remain -= int64(n)
	return n, err
}

// aheadBuffers take what a client sends while its connection waits
// without a read buffer.
var aheadBuffers = sync.Pool{New: func() any { b := make([]byte, 4<<10); return &b }}

var (
	connReaders  = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4<<10) }}
	answerWriter = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 4<<10) }}
)

func newServer(p *Proxy, h http.Handler, ln net.Listener, label string) *server {
	return &server{p: p, handler: h, ln: ln, label: label, conns: map[*serverConn]struct{}{}}
}

func (s *server) logf(format string, args ...any) {
	s.p.logf("listener=%s error=%s", field(s.label), field(fmt.Sprintf(format, args...)))
}

// serve accepts connections until shutdown. Running out of file
// descriptors is waited out, as net/http does: the connections held
// close and make room again.
func (s *server) serve() {
	var delay time.Duration
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return
			}
			var temp interface{ Temporary() bool }
			if !errors.As(err, &temp) || !temp.Temporary() {
				s.logf("accept: %v", err)
				return
			}
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.logf("accept: %v; retrying in %v", err, delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		c := &serverConn{s: s, conn: conn, remote: conn.RemoteAddr().String()}
		c.r.conn = conn
		c.raw = rawSocket(conn)
		if !s.track(c) {
			conn.Close()
			continue
		}
		go c.serve()
	}
}

func (s *server) track(c *serverConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *server) forget(c *serverConn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// shutdown stops accepting, closes idle connections and waits for the
// others to finish the request they serve; when ctx ends first, it closes
// them all.
func (s *server) shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing.Store(true)
	s.mu.Unlock()
	s.ln.Close()
	wait := time.Millisecond
	for {
		if s.closeIdle() {
			return nil
		}
		select {
		case <-ctx.Done():
			s.close()
			return ctx.Err()
		case <-time.After(wait):
			wait = min(2*wait, 100*time.Millisecond)
		}
	}
}

// closeIdle closes the idle connections and reports whether none is left.
func (s *server) closeIdle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.state.CompareAndSwap(stateIdle, stateClosed) {
			c.conn.Close()
		}
	}
	return len(s.conns) == 0
}

// close closes every connection at once.
func (s *server) close() {
	s.mu.Lock()
	s.closing.Store(true)
	for c := range s.conns {
		c.state.Store(stateClosed)
		c.conn.Close()
	}
	s.mu.Unlock()
	s.ln.Close()
}

func (c *serverConn) serve() {
	hijacked := false
	defer func() {
		if v := recover(); v != nil && v != http.ErrAbortHandler {
			buf := make([]byte, 64<<10)
			buf = buf[:runtime.Stack(buf, false)]
			c.s.logf("panic serving %s: %v\n%s", c.remote, v, buf)
		}
		c.releaseReader()
		if !hijacked {
			c.conn.Close()
		}
		c.s.forget(c)
	}()
	c.conn.SetReadDeadline(time.Now().Add(clientHeaderTimeout))
	if tc, ok := c.conn.(*tls.Conn); ok {
		if err := tc.Handshake(); err != nil {
			c.s.logf("TLS handshake error from %s: %v", c.remote, err)
			return
		}
		state := tc.ConnectionState()
		c.tls = &state
	}
	for first := true; ; first = false {
		if !c.awaitRequest(first) {
			return
		}
		var keep bool
		keep, hijacked = c.serveRequest()
		if !keep {
			return
		}
		c.state.Store(stateIdle)
	}
}

// awaitRequest waits for the next request to begin, with the idle
// timeout between requests, then gives its head the header timeout. It
// reports false when the connection is to be closed.
func (c *serverConn) awaitRequest(first bool) bool {
	if !first {
		c.conn.SetReadDeadline(time.Now().Add(clientIdleTimeout))
	}
	c.r.remain, c.r.hit = maxHeaderBytes, false
	if c.br == nil || c.br.Buffered() == 0 {
		if c.raw != nil {
			c.releaseReader()
			if err := c.readAhead(); err != nil {
				return false
			}
		} else {
			c.lendReader()
			if _, err := c.br.Peek(1); err != nil {
				return false
			}
		}
	}
	if !c.state.CompareAndSwap(stateIdle, stateActive) {
		return false
	}
	if !first {
		c.conn.SetReadDeadline(time.Now().Add(clientHeaderTimeout))
	}
	return true
}

// readAhead waits until the client sends, and reads what it sent into a
// buffer taken only once there is something to read: most often the next
// request is there already, and one read takes it.
func (c *serverConn) readAhead() error {
	var buf *[]byte
	var n int
	var rerr error
	err := c.raw.Read(func(fd uintptr) bool {
		if buf == nil {
			buf = aheadBuffers.Get().(*[]byte)
		}
		n, rerr = readSocket(fd, *buf)
		if rerr == syscall.EAGAIN {
			aheadBuffers.Put(buf)
			buf = nil
			return false
		}
		return true
	})
	switch {
	case err == nil && rerr == nil && n == 0:
		err = io.EOF
	case err == nil:
		err = rerr
	}
	if err != nil || n <= 0 {
		if buf != nil {
			aheadBuffers.Put(buf)
		}
		return err
	}
	c.r.ahead, c.r.aheadBuf = (*buf)[:n], buf
	return nil
}

func (c *serverConn) lendReader() {
	if c.br == nil {
		c.br = connReaders.Get().(*bufio.Reader)
		c.br.Reset(&c.r)
	}
}

// dropReader returns the read buffer, with what it holds: the handler
// that took the connection over has passed that on.
func (c *serverConn) dropReader() {
	c.br.Reset(nil)
	connReaders.Put(c.br)
	c.br = nil
}

// releaseReader returns the read buffer unless it holds what the client
// sent ahead.
func (c *serverConn) releaseReader() {
	if c.br != nil && c.br.Buffered() == 0 {
		c.dropReader()
	}
}

// serveRequest reads one request and serves it. It reports whether the
// connection may carry another and whether the handler took it over.
func (c *serverConn) serveRequest() (keep, hijacked bool) {
	c.lendReader()
	if c.post {
		// RFC 9112 2.2: a client may send a stray CRLF after a POST body.
		peek, _ := c.br.Peek(4)
		c.br.Discard(leadingCRLF(peek))
	}
	req, err := http.ReadRequest(c.br)
	if err != nil {
		c.refuse(err)
		return false, false
	}
	c.r.remain = 1<<63 - 1
	if code, msg := invalidRequest(req); code != 0 {
		c.answerError(code, msg)
		return false, false
	}
	c.conn.SetReadDeadline(time.Time{})
	c.post = req.Method == http.MethodPost
	req.RemoteAddr, req.TLS = c.remote, c.tls

	w := &response{c: c, req: req, clen: -1}
	if req.Body == http.NoBody {
		// Waiting on a node, the connection keeps no buffer.
		c.releaseReader()
	} else {
		w.body = &requestBody{ReadCloser: req.Body, w: w}
		req.Body = w.body
	}
	switch expect := req.Header.Get("Expect"); {
	case strings.EqualFold(expect, "100-continue"):
		// Without a body there is nothing to wait for.
		if w.body != nil {
			w.body.expect = req.ProtoAtLeast(1, 1)
		}
	case expect != "":
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusExpectationFailed)
		w.finish()
		return false, false
	}
	c.s.handler.ServeHTTP(w, req)
	if w.hijacked {
		w.c.dropReader()
		w.bw.Reset(nil)
		answerWriter.Put(w.bw)
		return false, true
	}
	w.finish()
	if w.body != nil && !w.body.eof {
		c.lingerClose()
	}
	return !w.closeAfter && !c.s.closing.Load(), false
}

// lingerClose ends the sending side and reads what the client still
// sends for a moment: closing with unread bytes would reset the
// connection, and the client could lose the answer.
func (c *serverConn) lingerClose() {
	tc, ok := c.conn.(*net.TCPConn)
	if !ok {
		return
	}
	tc.CloseWrite()
	tc.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	var buf [512]byte
	for {
		if _, err := tc.Read(buf[:]); err != nil {
			return
		}
	}
}

func leadingCRLF(b []byte) int {
	n := 0
	for n < len(b) && (b[n] == '\r' || b[n] == '\n') {
		n++
	}
	return n
}

// invalidRequest applies what net/http's server checks beyond parsing
// (http.ReadRequest has refused a second Host and malformed header
// fields): a version it serves and a valid Host.
func invalidRequest(req *http.Request) (int, string) {
	switch {
	case req.ProtoMajor != 1:
		return http.StatusHTTPVersionNotSupported, "unsupported protocol version"
	case req.ProtoAtLeast(1, 1) && req.Host == "" && req.Method != http.MethodConnect:
		return http.StatusBadRequest, "missing required Host header"
	case !validHost(req.Host):
		return http.StatusBadRequest, "malformed Host header"
	}
	return 0, ""
}

func validHost(host string) bool {
	return !strings.ContainsFunc(host, func(r rune) bool { return r >= 0x80 || !validHostByte[r] })
}

// validHostByte holds the bytes of RFC 3986's host and port, as
// golang.org/x/net/http/httpguts.ValidHostHeader allows them.
var validHostByte = func() (valid [0x80]bool) {
	for _, r := range "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!$%&'()*+,-.:;=[]_~" {
		valid[r] = true
	}
	return valid
}()

const errorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// refuse answers a request that could not be read, as net/http does: 431
// for a head over the limit, 501 for a transfer coding it does not know,
// nothing when the client went away or stayed silent, 400 otherwise.
func (c *serverConn) refuse(err error) {
	var ne net.Error
	switch {
	case c.r.hit:
		const msg = "431 Request Header Fields Too Large"
		io.WriteString(c.conn, "HTTP/1.1 "+msg+errorHeaders+msg)
		c.lingerClose()
	case strings.Contains(err.Error(), "unsupported transfer encoding"):
		io.WriteString(c.conn, "HTTP/1.1 501 Not Implemented"+errorHeaders+"Unsupported transfer encoding")
	case err == io.EOF, err == io.ErrUnexpectedEOF, errors.As(err, &ne):
	default:
		const msg = "400 Bad Request"
		io.WriteString(c.conn, "HTTP/1.1 "+msg+errorHeaders+msg)
	}
}

// answerError answers a request refused after reading it, as net/http's
// server does.
func (c *serverConn) answerError(code int, msg string) {
	status := strconv.Itoa(code) + " " + http.StatusText(code) + ": " + msg
	io.WriteString(c.conn, "HTTP/1.1 "+status+errorHeaders+status)
}

// requestBody is a request's body: it sends 100 Continue when the client
// waits for it, and gives the read buffer back at the body's end.
type requestBody struct {
	io.ReadCloser
	w      *response
	expect bool
	eof    bool
}

func (b *requestBody) Read(p []byte) (int, error) {
	if b.eof {
		return 0, io.EOF
	}
	if b.expect {
		b.expect = false
		if !b.w.committed {
			io.WriteString(b.w.c.conn, "HTTP/1.1 100 Continue\r\n\r\n")
		}
	}
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.eof = true
		b.w.c.releaseReader()
	}
	return n, err
}

// response writes one answer. Its head goes out with the first flush or
// when the handler returns: an answer that ends before then gets a
// Content-Length, one that is flushed earlier is chunked (HTTP/1.1) or
// ends with the connection (HTTP/1.0).
type response struct {
	c      *serverConn
	req    *http.Request
	body   *requestBody // nil without a body
	header http.Header
	status int

	wroteHeader bool
	committed   bool
	hijacked    bool
	noBody      bool // HEAD, 1xx, 204, 304
	chunked     bool
	closeAfter  bool
	clen        int64 // the declared Content-Length, -1 if none
	written     int64
	pending     []byte // the body before the head went out
	trailers    []string
	bw          *bufio.Writer
}

// pendingSize is what an answer may write before its head must go out,
// net/http's figure.
const pendingSize = 2 << 10

func (w *response) Header() http.Header {
	if w.header == nil {
		w.header = make(http.Header)
	}
	return w.header
}

// adopt makes h the answer's header, where nothing was set yet: a proxied
// answer's header need not be copied. It reports whether it did.
func (w *response) adopt(h http.Header) bool {
	if len(w.header) > 0 || w.wroteHeader || w.hijacked {
		return false
	}
	w.header = h
	return true
}

// bodyAllowed reports whether an answer with status code may have a body.
func bodyAllowed(code int) bool {
	return code >= 200 && code != http.StatusNoContent && code != http.StatusNotModified
}

func (w *response) WriteHeader(code int) {
	if w.wroteHeader || w.hijacked {
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if code < 200 && code != http.StatusSwitchingProtocols {
		// Informational answers are not passed on (nginx does not either).
		return
	}
	w.wroteHeader, w.status = true, code
	w.noBody = w.req.Method == http.MethodHead || !bodyAllowed(code)
	if cl := w.header.Get("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(strings.TrimSpace(cl), 10, 64); err == nil && n >= 0 {
			w.clen = n
		} else {
			w.header.Del("Content-Length")
		}
	}
}

func (w *response) Write(p []byte) (int, error) {
	if w.hijacked {
		return 0, http.ErrHijacked
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if w.noBody {
		if w.req.Method == http.MethodHead {
			if !w.committed {
				w.written += int64(len(p))
			}
			return len(p), nil
		}
		return 0, http.ErrBodyNotAllowed
	}
	if w.clen >= 0 && w.written+int64(len(p)) > w.clen {
		return 0, http.ErrContentLength
	}
	w.written += int64(len(p))
	if !w.committed {
		// Only an answer of unknown length waits to see if it ends soon.
		if w.clen < 0 && len(w.pending)+len(p) <= pendingSize {
			w.pending = append(w.pending, p...)
			return len(p), nil
		}
		w.commit(false)
	}
	return len(p), w.writeBody(p)
}

func (w *response) writeBody(p []byte) error {
	if w.chunked {
		var size [20]byte
		w.bw.Write(strconv.AppendInt(size[:0], int64(len(p)), 16))
		w.bw.WriteString("\r\n")
		w.bw.Write(p)
		_, err := w.bw.WriteString("\r\n")
		return err
	}
	_, err := w.bw.Write(p)
	return err
}

// FlushError sends what was written so far.
func (w *response) FlushError() error {
	if w.hijacked {
		return http.ErrHijacked
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.committed {
		w.commit(false)
	}
	return w.bw.Flush()
}

func (w *response) Flush() { w.FlushError() }

// framingHeaders are written by commit itself.
var framingHeaders = map[string]bool{"Content-Length": true, "Transfer-Encoding": true, "Connection": true}

// commit writes the head; final means the handler has returned and
// pending is the whole body.
func (w *response) commit(final bool) {
	w.committed = true
	w.bw = answerWriter.Get().(*bufio.Writer)
	w.bw.Reset(w.c.conn)
	h, req := w.header, w.req
	for _, v := range h["Trailer"] {
		for _, k := range strings.Split(v, ",") {
			if k = strings.TrimSpace(k); k != "" {
				w.trailers = append(w.trailers, http.CanonicalHeaderKey(k))
			}
		}
	}
	length := ""
	switch {
	case w.clen >= 0:
		length = strconv.FormatInt(w.clen, 10)
	case final && len(w.trailers) == 0 && bodyAllowed(w.status) && (req.Method != http.MethodHead || w.written > 0):
		// A HEAD answer gets the length of what the handler wrote, if any.
		w.clen = w.written
		length = strconv.FormatInt(w.clen, 10)
	case w.noBody:
	case req.ProtoAtLeast(1, 1):
		w.chunked = true
	default:
		w.closeAfter = true
	}
	conn := h["Connection"]
	w.closeAfter = w.closeAfter || hasToken(conn, "close") || req.Close || w.c.s.closing.Load() ||
		(w.body != nil && !w.body.eof)
	if req.ProtoMajor == 1 && req.ProtoMinor == 0 && !w.closeAfter && w.status != http.StatusSwitchingProtocols {
		// HTTP/1.0 keeps the connection only when both ends say so.
		if hasToken(req.Header["Connection"], "keep-alive") && length != "" {
			conn = []string{"keep-alive"}
		} else {
			w.closeAfter = true
		}
	}
	if w.closeAfter {
		conn = []string{"close"}
	}

	bw := w.bw
	bw.WriteString("HTTP/1.1 ")
	bw.WriteString(statusLine(w.status))
	bw.WriteString("\r\n")
	if _, ok := h["Date"]; !ok {
		bw.WriteString("Date: ")
		var date [len(http.TimeFormat) + 8]byte
		bw.Write(time.Now().UTC().AppendFormat(date[:0], http.TimeFormat))
		bw.WriteString("\r\n")
	}
	for k, vv := range h {
		// Trailers set ahead (TrailerPrefix) go after the body.
		if framingHeaders[k] || strings.HasPrefix(k, http.TrailerPrefix) {
			continue
		}
		for _, v := range vv {
			writeField(bw, k, headerValue(v))
		}
	}
	for _, v := range conn {
		bw.WriteString("Connection: " + v + "\r\n")
	}
	switch {
	case length != "":
		bw.WriteString("Content-Length: " + length + "\r\n")
	case w.chunked:
		bw.WriteString("Transfer-Encoding: chunked\r\n")
	}
	bw.WriteString("\r\n")
	if len(w.pending) > 0 && !w.noBody {
		w.writeBody(w.pending)
	}
	w.pending = nil
}

func statusLine(code int) string {
	if text := http.StatusText(code); text != "" {
		return strconv.Itoa(code) + " " + text
	}
	return fmt.Sprintf("%d status code %d", code, code)
}

// finish ends the answer once the handler has returned: the head if it
// has not gone out, the last chunk with the trailers, and a flush. An
// answer shorter than its Content-Length closes the connection.
func (w *response) finish() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.committed {
		w.commit(true)
	}
	bw := w.bw
	if w.chunked {
		bw.WriteString("0\r\n")
		for _, k := range w.trailers {
			for _, v := range w.header[k] {
				bw.WriteString(k + ": " + headerValue(v) + "\r\n")
			}
		}
		for k, vv := range w.header {
			if name, ok := strings.CutPrefix(k, http.TrailerPrefix); ok {
				for _, v := range vv {
					bw.WriteString(name + ": " + headerValue(v) + "\r\n")
				}
			}
		}
		bw.WriteString("\r\n")
	}
	if bw.Flush() != nil || (!w.noBody && w.clen >= 0 && w.written < w.clen) {
		w.closeAfter = true
	}
	bw.Reset(nil)
	answerWriter.Put(bw)
	w.bw = nil
}

var headerValueReplacer = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ")

// headerValue is a header value as net/http writes it: line breaks made
// spaces, spaces and tabs at the ends trimmed.
func headerValue(v string) string {
	if strings.ContainsAny(v, "\r\n") {
		v = headerValueReplacer.Replace(v)
	}
	return textproto.TrimString(v)
}

// Hijack hands the connection to the handler with the buffered reader
// and a writer that it must use before it returns: both go back to their
// pools then.
func (w *response) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.hijacked || w.committed {
		return nil, nil, http.ErrHijacked
	}
	w.hijacked = true
	w.c.state.Store(stateClosed)
	w.c.s.forget(w.c)
	w.c.lendReader()
	bw := answerWriter.Get().(*bufio.Writer)
	bw.Reset(w.c.conn)
	w.bw = bw
	return w.c.conn, bufio.NewReadWriter(w.c.br, bw), nil
}

func (w *response) SetReadDeadline(t time.Time) error  { return w.c.conn.SetReadDeadline(t) }
func (w *response) SetWriteDeadline(t time.Time) error { return w.c.conn.SetWriteDeadline(t) }
