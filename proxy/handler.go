package proxy

import (
	"io"
	"maps"
	"net/http"
	"net/netip"
	"slices"
	"time"

	"github.com/lbgen/lbgen/model"
)

// handler routes the requests of one listener.
type handler struct {
	p           *Proxy
	l           model.Listener
	label       string // the listener in the log
	scheme      string // http or https, for X-Forwarded-Proto
	tlsUpstream bool   // nodes are reached over https at tls_port
	allow       []netip.Prefix
}

// Handler returns the routing handler of one listener.
func (p *Proxy) Handler(l model.Listener) http.Handler { return p.newHandler(l, l.Addr) }

func (p *Proxy) newHandler(l model.Listener, label string) *handler {
	h := &handler{p: p, l: l, label: label, scheme: "http"}
	if l.TLS {
		h.scheme = "https"
	}
	mode := p.c.UpstreamMode()
	h.tlsUpstream = mode == model.UpstreamTLS || (mode == model.UpstreamMatch && l.TLS)
	allow, err := parseAllow(l.Allow)
	if err != nil {
		// New refuses such listeners; a hand-built one admits nobody.
		allow = []netip.Prefix{{}}
	}
	h.allow = allow
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.p.inflight.Add(1)
	h.p.serving.Add(1)
	ex := &exchange{h: h, method: r.Method, uri: r.RequestURI, start: time.Now()}
	ex.rec.ResponseWriter = w
	rec := &ex.rec
	defer func() {
		h.p.serving.Add(-1)
		// A WebSocket outlives its handler: the tunnel finishes it.
		if !ex.upgraded {
			ex.finish()
		}
	}()

	if h.p.busy.Add(1) > h.p.limit {
		ex.reason = reasonMaxConns
		http.Error(rec, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
		return
	}

	if status, reason := h.admit(r); status != 0 {
		ex.reason = reason
		http.Error(rec, http.StatusText(status), status)
		return
	}
	body, status := h.readBody(rec, r)
	switch status {
	case http.StatusRequestEntityTooLarge:
		ex.reason = reasonTooLarge
		// The rest of the body stays unread; say so instead of reading it.
		rec.Header().Set("Connection", "close")
		http.Error(rec, http.StatusText(status), status)
		return
	case http.StatusBadRequest:
		ex.reason = reasonBadRequest
		http.Error(rec, http.StatusText(status), status)
		return
	}

	c := h.p.c
	value, _ := stickyValue(r.URL.RawQuery, r.Header["Cookie"], c.Sticky.Param, c.Sticky.Cookie)
	switch {
	case c.Sticky.Style == model.StyleHash:
		ex.key = value
	case c.Sticky.RouteAfterDot():
		ex.route = routeOf(value)
	default:
		ex.route = value
	}
	ex.websocket = c.WebSocketEnabled() && isWebSocket(r.Header)
	if !h.p.choose(ex, ex.route) {
		http.Error(rec, http.StatusText(http.StatusBadGateway), http.StatusBadGateway)
		return
	}
	if len(body) > 0 {
		ex.body = body
	}
	h.p.pass(rec, r, ex)
}

// admit applies the path rules and the listener's allow list. It returns
// a status of 0 when the request may be proxied. An ambiguous segment is
// refused first, on every listener and for every client, as the rendered
// configs do.
func (h *handler) admit(r *http.Request) (status int, reason string) {
	if ambiguousSegment(r.URL.Path) {
		return http.StatusBadRequest, reasonAmbiguous
	}
	if !allowed(h.allow, r.RemoteAddr) {
		return http.StatusForbidden, reasonNotAllowed
	}
	p := cleanPath(r.URL.Path)
	c := h.p.c
	switch {
	case h.l.Internal && slices.ContainsFunc(c.InternalPaths, func(ip string) bool { return under(p, ip) }):
		return 0, ""
	case !h.l.Internal && reachesInternal(r.URL.Path, c.InternalPaths):
		return http.StatusForbidden, reasonInternalPath
	case under(p, c.Path):
		return 0, ""
	}
	return http.StatusNotFound, reasonNotFound
}

// readBody buffers the request body up to max_body, so a body over the
// limit is refused before any node is contacted and a buffered body can be
// sent again when the first node cannot be reached. It returns 413 or 400
// when the body cannot be proxied.
func (h *handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, int) {
	limit := int64(h.p.c.MaxBody)
	if r.ContentLength > limit {
		return nil, http.StatusRequestEntityTooLarge
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil, 0
	}
	rc := http.NewResponseController(w)
	defer rc.SetReadDeadline(time.Time{})
	src := &idleReader{r: r.Body, rc: rc, idle: h.p.c.Timeouts.Read.D()}
	body, err := io.ReadAll(io.LimitReader(src, limit+1))
	switch {
	case err != nil:
		return nil, http.StatusBadRequest
	case int64(len(body)) > limit:
		return nil, http.StatusRequestEntityTooLarge
	}
	return body, 0
}

// idleReader gives a client the read timeout between two reads of its
// body, as nginx's client_body_timeout does, rather than for the whole.
type idleReader struct {
	r    io.Reader
	rc   *http.ResponseController
	idle time.Duration
}

func (ir *idleReader) Read(p []byte) (int, error) {
	// Handlers outside an http.Server cannot set deadlines; they need none.
	_ = ir.rc.SetReadDeadline(time.Now().Add(ir.idle))
	return ir.r.Read(p)
}

// recorder remembers the status for the log. Unwrap lets ReverseProxy
// reach the connection underneath to hijack and flush it.
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 && code >= 200 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// adopt makes h the answer's header: taken as it is by the proxy's own
// server, copied into the header of any other writer.
func (r *recorder) adopt(h http.Header) http.Header {
	if w, ok := r.ResponseWriter.(*response); ok && w.adopt(h) {
		return h
	}
	dst := r.Header()
	maps.Copy(dst, h)
	return dst
}
