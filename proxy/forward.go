package proxy

import (
	"bytes"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/lbgen/lbgen/model"
)

// errReadTimeout ends an attempt whose node stayed silent for timeouts.read.
var errReadTimeout = errors.New("node did not answer within the read timeout")

// statusClientClosed is nginx's status for a client that went away; it
// only appears in the log.
const statusClientClosed = 499

// exchange is the state of one proxied request, from the handler to the
// attempts that send it and the log line.
type exchange struct {
	h         *handler
	route     string
	key       string // the value hashed in the hash style
	reason    string
	websocket bool      // a WebSocket upgrade the cluster passes on
	node      *node     // the node of the current attempt
	fallback  *fallback // the fallback of the current attempt, when node is nil
	retried   bool
	body      []byte // buffered so it can be sent again
	err       error

	rec      recorder // the client's side, taken over for a tunnel
	upgraded bool     // the tunnel runs on its own and calls finish
	// What the log line needs of the request, so that a tunnel keeps
	// none of it.
	method, uri string
	start       time.Time
}

// finish logs the exchange and releases its counts.
func (ex *exchange) finish() {
	p := ex.h.p
	p.busy.Add(-1)
	p.logRequest(ex, time.Since(ex.start))
	p.inflight.Done()
}

// target names where the request went, for the log.
func (ex *exchange) target() string {
	switch {
	case ex.node != nil:
		return ex.node.Name
	case ex.fallback != nil:
		return ex.fallback.name
	}
	return ""
}

// address returns the scheme and host:port of the current attempt.
func (ex *exchange) address() (scheme, host string) {
	switch {
	case ex.node == nil:
		return ex.fallback.scheme, ex.fallback.host
	case ex.h.tlsUpstream:
		return "https", ex.node.tlsAddr
	}
	return "http", ex.node.plainAddr
}

// fallback is a remote data center, tried in file order.
type fallback struct {
	name   string
	scheme string
	host   string
	index  int
}

// choose points an exchange at the node for route (the routed node or one
// chosen by round robin), else at the first fallback. It reports false
// when there is neither.
func (p *Proxy) choose(ex *exchange, route string) bool {
	var n *node
	var reason string
	if p.c.Sticky.Style == model.StyleHash {
		n, reason = p.pool.pickHash(ex.key, ex.h.tlsUpstream)
	} else {
		n, reason = p.pool.pick(route)
	}
	switch {
	case n != nil:
		ex.node, ex.fallback = n, nil
	case len(p.fallbacks) > 0:
		ex.node, ex.fallback, reason = nil, p.fallbacks[0], reasonFallback
	default:
		reason = reasonNoNode
	}
	if !ex.retried {
		ex.reason = reason
	}
	return n != nil || len(p.fallbacks) > 0
}

// next moves an exchange on after a connect failure. A node is marked down
// and the request retried once, by round robin even when it was sticky; a
// fallback gives way to the next one.
func (p *Proxy) next(ex *exchange, err error) bool {
	if ex.node == nil {
		i := ex.fallback.index + 1
		if i == len(p.fallbacks) {
			return false
		}
		ex.fallback = p.fallbacks[i]
		return true
	}
	p.markDown(ex.node, err)
	if ex.retried {
		return false
	}
	ex.retried, ex.reason = true, reasonRetry
	return p.choose(ex, "")
}

// roundTrip sends each attempt of an exchange and moves on while attempts
// fail to connect.
func (p *Proxy) roundTrip(req *http.Request, ex *exchange) (*http.Response, error) {
	for {
		res, err := p.attempt(req, ex)
		var ce *connectError
		if err == nil {
			p.insertCookie(ex, res)
			if res.StatusCode == http.StatusSwitchingProtocols {
				return nil, p.upgrade(ex, res)
			}
			return res, nil
		}
		if !errors.As(err, &ce) || !p.next(ex, err) {
			return res, err
		}
	}
}

func (p *Proxy) attempt(req *http.Request, ex *exchange) (*http.Response, error) {
	req.URL.Scheme, req.URL.Host = ex.address()
	req.Body, req.GetBody = http.NoBody, nil
	if ex.body != nil {
		req.Body = io.NopCloser(bytes.NewReader(ex.body))
		// Lets the client resend on a stale keep-alive connection.
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(ex.body)), nil }
	}
	res, err := p.client.RoundTrip(req)
	if err != nil || res.StatusCode != http.StatusSwitchingProtocols {
		return res, err
	}
	rwc, ok := res.Body.(io.ReadWriteCloser)
	if !ex.websocket || !isWebSocket(res.Header) || !ok {
		res.Body.Close()
		return nil, errors.New("node switched to a protocol the client did not ask for")
	}
	res.Body = p.openTunnel(rwc)
	return res, nil
}

// insertCookie pins a session to the node that answered it, in the insert
// style, when the request's route did not already name that node.
func (p *Proxy) insertCookie(ex *exchange, res *http.Response) {
	s := p.c.Sticky
	if s.Style != model.StyleInsert || ex.node == nil || ex.route == ex.node.Name {
		return
	}
	res.Header.Add("Set-Cookie", s.InsertedCookie(ex.node.Name, ex.h.l.TLS))
}

// hopHeaders apply to one connection only: they are not passed on, in
// either direction (RFC 9110 7.6.1). A WebSocket handshake gets its
// Upgrade and Connection back.
var hopHeaders = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

func removeHopHeaders(h http.Header) {
	for _, v := range h["Connection"] {
		for name := range strings.SplitSeq(v, ",") {
			if name = textproto.TrimString(name); name != "" {
				h.Del(name)
			}
		}
	}
	for _, name := range hopHeaders {
		delete(h, name) // the names are canonical, as parsed keys are
	}
}

// hasToken reports whether a comma-separated header holds token.
func hasToken(values []string, token string) bool {
	for _, v := range values {
		for t := range strings.SplitSeq(v, ",") {
			if t, _, _ = strings.Cut(t, ";"); strings.EqualFold(textproto.TrimString(t), token) {
				return true
			}
		}
	}
	return false
}

// outbound is the request sent to the node: the client's, with its target
// as written, hop-by-hop headers removed, X-Forwarded-* set and the
// buffered body. Each attempt fills in the node.
func (p *Proxy) outbound(in *http.Request, ex *exchange) *http.Request {
	out := new(http.Request)
	*out = *in
	out.RequestURI, out.Close = "", false
	out.Body, out.ContentLength, out.TransferEncoding = http.NoBody, int64(len(ex.body)), nil
	out.URL = &url.URL{RawQuery: in.URL.RawQuery, ForceQuery: in.URL.ForceQuery}
	path, _, _ := strings.Cut(in.RequestURI, "?")
	// The target goes out as the client wrote it: url.URL would re-encode
	// the path. An opaque "//x" would be written as "http://x"; such paths
	// keep the form net/url gives them.
	if strings.HasPrefix(path, "/") && !strings.HasPrefix(path, "//") {
		out.URL.Opaque = path
	} else {
		out.URL.Path, out.URL.RawPath = in.URL.Path, in.URL.RawPath
	}
	// The client's request is not changed after this: the header values
	// can be shared.
	h := make(http.Header, len(in.Header)+4)
	maps.Copy(h, in.Header)
	removeHopHeaders(h)
	if hasToken(in.Header["Te"], "trailers") {
		h.Set("Te", "trailers")
	}
	if ex.websocket {
		h.Set("Connection", "Upgrade")
		h.Set("Upgrade", in.Header.Get("Upgrade"))
	}
	h.Del("Forwarded")
	if ip, _, err := net.SplitHostPort(in.RemoteAddr); err == nil {
		if prior := in.Header["X-Forwarded-For"]; len(prior) > 0 {
			ip = strings.Join(prior, ", ") + ", " + ip
		}
		h.Set("X-Forwarded-For", ip)
	} else {
		// No client address to add: as ReverseProxy did, none is passed on.
		h.Del("X-Forwarded-For")
	}
	h.Set("X-Forwarded-Host", in.Host)
	h.Set("X-Forwarded-Proto", ex.h.scheme)
	// The whole body is already here; the node need not approve it.
	h.Del("Expect")
	out.Header = h
	return out
}

// pass sends an admitted request to its node and copies the answer back,
// streaming: a chunked or event-stream body reaches the client as it
// arrives. A body that breaks off breaks the client's answer off too.
func (p *Proxy) pass(w *recorder, in *http.Request, ex *exchange) {
	res, err := p.roundTrip(p.outbound(in, ex), ex)
	if err != nil {
		p.proxyError(w, in, ex, err)
		return
	}
	removeHopHeaders(res.Header)
	h := w.adopt(res.Header)
	announced := len(res.Trailer)
	if announced > 0 {
		h.Add("Trailer", strings.Join(slices.Sorted(maps.Keys(res.Trailer)), ", "))
	}
	w.WriteHeader(res.StatusCode)
	ct, _, _ := strings.Cut(res.Header.Get("Content-Type"), ";")
	flush := res.ContentLength == -1 || strings.TrimSpace(ct) == "text/event-stream"
	err = copyBody(w, res.Body, flush)
	res.Body.Close()
	if err != nil {
		// The client must not take a cut answer for a whole one.
		panic(http.ErrAbortHandler)
	}
	if len(res.Trailer) == announced {
		maps.Copy(h, res.Trailer)
		return
	}
	for k, vv := range res.Trailer {
		h[http.TrailerPrefix+k] = vv
	}
}

// copyBody copies an answer's body with a pooled buffer, flushing after
// every write when flush is set.
func copyBody(w *recorder, body io.Reader, flush bool) error {
	bp := burstBuffers.Get().(*[]byte)
	defer burstBuffers.Put(bp)
	buf := *bp
	var flusher *http.ResponseController // only streamed answers need one
	if flush {
		flusher = http.NewResponseController(w)
	}
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			if _, err := w.Write(buf[:n]); err != nil {
				return err
			}
			if flusher != nil {
				if err := flusher.Flush(); err != nil {
					return err
				}
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

// proxyError answers a request no node answered: 504 after the read
// timeout, 502 otherwise (refused everywhere, or the node failed).
func (p *Proxy) proxyError(w http.ResponseWriter, r *http.Request, ex *exchange, err error) {
	if errors.Is(err, errUpgraded) {
		return
	}
	ex.err = err
	status := http.StatusBadGateway
	switch {
	case r.Context().Err() != nil:
		status = statusClientClosed
	case errors.Is(err, errReadTimeout):
		status = http.StatusGatewayTimeout
	}
	http.Error(w, http.StatusText(status), status)
}

// isWebSocket reports a WebSocket upgrade, as nginx's ~*^websocket$ does.
func isWebSocket(h http.Header) bool {
	return strings.EqualFold(strings.TrimSpace(h.Get("Upgrade")), "websocket")
}
