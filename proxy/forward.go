package proxy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/lbgen/lbgen/model"
)

// errReadTimeout ends an attempt whose node stayed silent for timeouts.read.
var errReadTimeout = errors.New("node did not answer within the read timeout")

// statusClientClosed is nginx's status for a client that went away; it
// only appears in the log.
const statusClientClosed = 499

type exchangeKey struct{}

// exchange is the state of one proxied request, shared through its context
// by the handler, Rewrite, the dispatcher and the error handler.
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

	w        *recorder // the client's side, taken over for a tunnel
	upgraded bool      // the tunnel runs on its own; finish ends it
	finish   func()    // logs the exchange and releases its counts
}

func exchangeOf(r *http.Request) *exchange {
	ex, _ := r.Context().Value(exchangeKey{}).(*exchange)
	return ex
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

// dispatcher is the ReverseProxy transport: it sends each attempt of an
// exchange and moves on while attempts fail to connect.
type dispatcher struct{ p *Proxy }

func (d dispatcher) RoundTrip(req *http.Request) (*http.Response, error) {
	ex := exchangeOf(req)
	if ex == nil {
		return nil, errors.New("proxy: request without exchange")
	}
	for {
		res, err := d.attempt(req, ex)
		var ce *connectError
		if err == nil {
			d.p.insertCookie(ex, res)
			if res.StatusCode == http.StatusSwitchingProtocols {
				return nil, d.p.upgrade(ex, res)
			}
			return res, nil
		}
		if !errors.As(err, &ce) || !d.p.next(ex, err) {
			return res, err
		}
	}
}

func (d dispatcher) attempt(req *http.Request, ex *exchange) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	timer := &readTimer{d: d.p.c.Timeouts.Read.D(), cancel: cancel}
	trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { timer.arm() }}
	out := req.WithContext(httptrace.WithClientTrace(ctx, trace))
	u := *req.URL
	out.URL = &u
	out.URL.Scheme, out.URL.Host = ex.address()
	if ex.body != nil {
		out.Body = io.NopCloser(bytes.NewReader(ex.body))
		// Lets the transport resend on a stale keep-alive connection.
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(ex.body)), nil }
	}
	res, err := d.p.client.RoundTrip(out)
	if err != nil {
		timer.stop()
		cause := context.Cause(ctx)
		cancel(nil)
		if errors.Is(cause, errReadTimeout) {
			return nil, errReadTimeout
		}
		return nil, err
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		timer.arm()
		res.Body = &guardedBody{ReadCloser: res.Body, timer: timer, cancel: cancel}
		return res, nil
	}
	timer.stop()
	rwc, ok := res.Body.(io.ReadWriteCloser)
	if !ex.websocket || !isWebSocket(res.Header) || !ok {
		res.Body.Close()
		cancel(nil)
		return nil, errors.New("node switched to a protocol the client did not ask for")
	}
	res.Body = d.p.openTunnel(rwc, func() { cancel(nil) })
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

// readTimer cancels an attempt when its node stays silent for the read
// timeout: armed once connected, re-armed by every read of the response.
type readTimer struct {
	d      time.Duration
	cancel context.CancelCauseFunc

	mu sync.Mutex
	t  *time.Timer
}

func (r *readTimer) arm() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.t == nil {
		r.t = time.AfterFunc(r.d, func() { r.cancel(errReadTimeout) })
		return
	}
	r.t.Reset(r.d)
}

func (r *readTimer) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.t != nil {
		r.t.Stop()
	}
}

// guardedBody keeps the read timer running while a response streams, so a
// node that stalls mid-response is cut off like one that never answers.
type guardedBody struct {
	io.ReadCloser
	timer  *readTimer
	cancel context.CancelCauseFunc
}

func (b *guardedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.timer.arm()
	return n, err
}

func (b *guardedBody) Close() error {
	b.timer.stop()
	err := b.ReadCloser.Close()
	b.cancel(nil)
	return err
}

// rewrite prepares the outbound request. The dispatcher fills in the node.
func (p *Proxy) rewrite(pr *httputil.ProxyRequest) {
	ex := exchangeOf(pr.In)
	rawTarget(pr.Out.URL, pr.In)
	pr.Out.Header["X-Forwarded-For"] = pr.In.Header["X-Forwarded-For"]
	pr.SetXForwarded()
	pr.Out.Header.Set("X-Forwarded-Proto", ex.h.scheme)
	// The whole body is already here; the node need not approve it.
	pr.Out.Header.Del("Expect")
	if !ex.websocket {
		pr.Out.Header.Del("Upgrade")
		pr.Out.Header.Del("Connection")
	}
}

// rawTarget makes u send the request target exactly as the client wrote
// it: url.URL would re-encode the path, and ReverseProxy drops query parts
// it cannot parse.
func rawTarget(u *url.URL, in *http.Request) {
	u.RawQuery = in.URL.RawQuery
	path, _, _ := strings.Cut(in.RequestURI, "?")
	// An opaque "//x" would be written as "http://x"; such paths keep the
	// form net/url gives them.
	if strings.HasPrefix(path, "/") && !strings.HasPrefix(path, "//") {
		u.Opaque = path
	}
}

// proxyError answers a request no node answered: 504 after the read
// timeout, 502 otherwise (refused everywhere, or the node failed).
func (p *Proxy) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errUpgraded) {
		return
	}
	ex := exchangeOf(r)
	if ex != nil {
		ex.err = err
	}
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
