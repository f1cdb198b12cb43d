package generator

import (
	"bytes"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lbgen/lbgen/model"
)

// haproxyView is what haproxy.cfg.tmpl reads. See the template for why the
// configuration has the shape it has.
type haproxyView struct {
	*view
	// Var starts every transaction variable, e.g. txn.lbgen_cobrowse.
	Var string
	// Sticky extraction: each Expr is a sample expression that Test (an
	// ACL on the same input) guards, so a missing value stays unset.
	ParamExpr, ParamTest   string
	CookieExpr, CookieTest string
	CookieFetch            string
	// PathExpr is the path as the nodes will resolve it; BareExpr is that
	// path without path parameters, for internal paths. AmbiguousRegex
	// finds in the raw path a segment with parameters that they leave
	// empty, "." or "..", which a node resolves after dropping them.
	PathExpr, BareExpr string
	AmbiguousRegex     string
	// Servers are the nodes that get a server line (all but state down).
	Servers  []haproxyNode
	Backends []haproxyBackend
	// Fallback names the backend of the fallback data centers, if any.
	Fallback  string
	Fallbacks []haproxyFallback
	Frontends []haproxyFrontend
	// KeyFile says how HAProxy finds tls.key.
	KeyFile haproxyKey
}

type haproxyNode struct {
	nodeView
	// Server is the server name: the node name when HAProxy accepts it.
	Server string
}

type haproxyFallback struct {
	fallbackView
	// Server is the server name: the fallback name when HAProxy accepts it.
	Server string
	Addr   string
	// SNI is the name sent in TLS to an https fallback; IP addresses are
	// not sent (RFC 6066).
	SNI string
}

type haproxyBackend struct {
	Name string
	TLS  bool
}

// haproxyFrontend serves every listener with the same access rules and
// the same backend.
type haproxyFrontend struct {
	Name     string
	Binds    []haproxyBind
	Internal bool
	Allow    []string
	Backend  string
	// Served are the path prefixes answered; others get 404. Empty: all.
	Served []string
	// Denied are the internal paths refused with 403.
	Denied []string
}

type haproxyBind struct {
	Addr string
	TLS  bool
}

// haproxyKey is where HAProxy 2.6 finds the private key of a certificate:
// bind lines take one file, and only derived names are searched besides.
type haproxyKey int

const (
	keyNone   haproxyKey = iota // no TLS listener
	keyInPEM                    // tls.key is the certificate file itself
	keyAppend                   // CERT.key (ssl-load-extra-files key)
	keyDelExt                   // NAME.key for NAME.crt (plus ssl-load-extra-del-ext)
)

// haproxyServerName matches the characters HAProxy allows in server names.
var haproxyServerName = regexp.MustCompile(`^[A-Za-z0-9_.:-]+$`)

func newHAProxyView(v *view) (*haproxyView, error) {
	hv := &haproxyView{view: v, Var: "txn." + v.Prefix}
	if err := hv.timers(); err != nil {
		return nil, err
	}
	if err := hv.tls(); err != nil {
		return nil, err
	}
	hv.sticky()
	hv.PathExpr = haproxyPathExpr
	hv.BareExpr = "var(" + hv.Var + "_path),regsub(" + haproxyArg(`;[^/]*`) + ",,g)"
	hv.AmbiguousRegex = "^" + ambiguousSegmentRegex("[^?]")
	hv.nodes()
	for _, scheme := range v.UpstreamSchemes() {
		b := haproxyBackend{Name: v.Prefix + "_nodes", TLS: scheme == "https"}
		if b.TLS {
			b.Name += "_tls"
		}
		hv.Backends = append(hv.Backends, b)
	}
	if len(v.Fallbacks) > 0 {
		hv.Fallback = v.Prefix + "_fallback"
	}
	for _, f := range v.Fallbacks {
		hf := haproxyFallback{fallbackView: f, Server: f.Name, Addr: model.HostPort(f.Host, f.Port)}
		if !haproxyServerName.MatchString(f.Name) {
			hf.Server = f.Ident
		}
		if _, err := netip.ParseAddr(f.Host); f.Scheme == "https" && err != nil {
			hf.SNI = f.Host
		}
		hv.Fallbacks = append(hv.Fallbacks, hf)
	}
	for _, g := range v.listenerGroups(false) {
		hv.addFrontend(g)
	}
	hv.nameFrontends()
	return hv, nil
}

// OpenFiles is about the most files HAProxy opens with the crowd
// connected: two per client (its connection and its node's), a socket per
// listener, per health-checked server and fallback, and a few of its own
// (pollers, wake-up pipes, log). With strict-limits off it starts with
// fewer and says so.
// PidFile is where the master writes its pid, relative to the directory
// HAProxy runs from.
func (hv *haproxyView) PidFile() string { return hv.Opts.RunDir + "/haproxy.pid" }

// RuntimeSocket is the runtime API's socket, relative to the directory
// HAProxy runs from.
func (hv *haproxyView) RuntimeSocket() string { return hv.Opts.RunDir + "/haproxy.sock" }

// HAProxyWeights splits a rendered haproxy.cfg into what the runtime API
// can change without a reload, the weight of every server by
// "backend/server" (drain is weight 0), and the rest of the file.
func HAProxyWeights(cfg []byte) (weights map[string]int, rest []byte) {
	weights = map[string]int{}
	var out bytes.Buffer
	backend := ""
	for line := range bytes.Lines(cfg) {
		fields := strings.Fields(string(line))
		switch {
		case len(line) > 0 && line[0] != ' ' && line[0] != '#':
			backend = ""
			if len(fields) == 2 && fields[0] == "backend" {
				backend = fields[1]
			}
		case backend != "" && len(fields) > 2 && fields[0] == "server":
			weight := 1
			if i := slices.Index(fields, "weight"); i > 0 && i+1 < len(fields) {
				if w, err := strconv.Atoi(fields[i+1]); err == nil {
					weight = w
					fields = slices.Delete(fields, i, i+2)
					line = []byte("    " + strings.Join(fields, " ") + "\n")
				}
			}
			weights[backend+"/"+fields[1]] = weight
		}
		out.Write(line)
	}
	return weights, out.Bytes()
}

func (hv *haproxyView) OpenFiles() int {
	admin := 0
	if hv.Admin != nil {
		admin = 1
	}
	return 2*hv.C.MaxConnections + len(hv.Listeners) + admin + len(hv.Servers)*len(hv.Backends) + len(hv.Fallbacks) + 32
}

// timers refuses times HAProxy would reject with "timer overflow"; lint
// L-haproxy-timeout reports them in validation.
func (hv *haproxyView) timers() error {
	for _, f := range HAProxyTimers(hv.C) {
		if f.D.D() > HAProxyMaxTimer {
			return fmt.Errorf("%s %s is longer than HAProxy's timers allow (about 24.8 days); see lbgen explain L-haproxy-timeout", f.Path, f.D)
		}
	}
	return nil
}

// tls picks how the key is found. A layout HAProxy cannot load is an
// error here and lint L-haproxy-tls-key in validation.
func (hv *haproxyView) tls() error {
	if !slices.ContainsFunc(hv.Listeners, func(l listenerView) bool { return l.TLS }) {
		return nil
	}
	if hv.C.TLS == nil {
		return fmt.Errorf("a TLS listener needs tls.certificate and tls.key; see lbgen explain L-tls-missing")
	}
	cert, key := hv.C.TLS.Certificate, hv.C.TLS.Key
	if hv.KeyFile = haproxyKeyFile(cert, key); hv.KeyFile == keyNone {
		return fmt.Errorf("tls.key %q: HAProxy 2.6 reads the key from the certificate file or from a name derived from it "+
			"(%s.key, or NAME.key for NAME.crt); see lbgen explain L-haproxy-tls-key", key, cert)
	}
	return nil
}

// sticky builds the expressions that read the sticky value. The cookie is
// the first occurrence on the first Cookie line, as the reference proxy
// reads it (req.cook alone returns the last one); a cookie that only later
// lines carry falls back to req.cook.
func (hv *haproxyView) sticky() {
	c := hv.C.Sticky
	if c.Param != "" {
		name := regexp.QuoteMeta(c.Param)
		hv.ParamExpr = `query,regsub(` + haproxyArg(`^(?:.*?&)??`+name+`=`) + `,),field(1,&)`
		hv.ParamTest = `(^|&)` + name + `=`
	}
	name := regexp.QuoteMeta(c.Cookie)
	hv.CookieExpr = `req.fhdr(cookie,1),regsub(` + haproxyArg(`^(?:.*?;)??[ \t]*`+name+`=`) + `,),field(1,;),regsub(` +
		haproxyArg(`[ \t]+$`) + `,)`
	hv.CookieTest = `(^|;)[ \t]*` + name + `=`
	hv.CookieFetch = `req.cook(` + haproxyArg(c.Cookie) + `)`
}

// haproxyPathExpr is the request path as a node resolves it (path.Clean
// after percent-decoding): slashes merged, "." segments dropped, each
// "NAME/.." pair removed by one recursive pattern, leading ".." dropped.
// A malformed escape fails the decoding and leaves the variable unset;
// ".." nested deeper than the regex engine's limits is left in place.
var haproxyPathExpr = `path,url_dec,regsub(` + haproxyArg(`/+`) + `,` + haproxyArg(`/`) + `,g)` +
	`,regsub(` + haproxyArg(`/\.(?=/|$)`) + `,,g)` +
	`,regsub(` + haproxyArg(`/(?!\.\.(?:/|$))[^/]+(?:(?R))*/\.\.(?=/|$)`) + `,,g)` +
	`,regsub(` + haproxyArg(`^(?:/\.\.(?=/|$))+`) + `,)`

// nodes names the server of every node that can take traffic. Node names
// that HAProxy refuses as server names use their identifier instead,
// which the names kept as they are cannot collide with.
func (hv *haproxyView) nodes() {
	used := map[string]bool{}
	for _, n := range hv.Routed {
		if haproxyServerName.MatchString(n.Name) {
			used[n.Name] = true
		}
	}
	for _, n := range hv.Routed {
		server := n.Name
		if !haproxyServerName.MatchString(server) {
			server = n.Ident
			for i := 2; used[server]; i++ {
				server = fmt.Sprintf("%s_%d", n.Ident, i)
			}
			used[server] = true
		}
		hv.Servers = append(hv.Servers, haproxyNode{nodeView: n, Server: server})
	}
}

// InsertCookie is the Set-Cookie value that pins a session to node n in
// the insert style, with Secure for clients of TLS listeners.
func (hv *haproxyView) InsertCookie(n haproxyNode) (string, error) {
	s := hv.C.Sticky
	v := s.Cookie + "=." + n.Name + s.InsertedAttributes(false)
	if err := checkUserString(v); err != nil {
		return "", err
	}
	return `"` + v + "%[var(" + hv.Var + `_secure)]"`, nil
}

func (hv *haproxyView) addFrontend(g listenerGroup) {
	backend := hv.Backends[0].Name
	if g.UpstreamTLS {
		backend = hv.Backends[len(hv.Backends)-1].Name
	}
	f := haproxyFrontend{Internal: g.Internal, Allow: g.Allow, Backend: backend}
	for _, l := range g.Listeners {
		f.Binds = append(f.Binds, haproxyBind{Addr: model.HostPort(l.Host, l.Port), TLS: l.TLS})
	}
	// With path / everything is served; there is nothing to answer 404.
	if hv.C.Path != "/" {
		f.Served = g.Served
	}
	if !g.Internal {
		f.Denied = hv.InternalPaths
	}
	hv.Frontends = append(hv.Frontends, f)
}

// nameFrontends names frontends by what they serve: public or internal,
// and _tls when they re-encrypt to the nodes beside a plain one.
func (hv *haproxyView) nameFrontends() {
	seen := map[string]int{}
	for i, f := range hv.Frontends {
		name := hv.Prefix + "_public"
		if f.Internal {
			name = hv.Prefix + "_internal"
		}
		if len(hv.Backends) > 1 && f.Backend == hv.Backends[1].Name {
			name += "_tls"
		}
		if seen[name]++; seen[name] > 1 {
			name = fmt.Sprintf("%s_%d", name, seen[name])
		}
		hv.Frontends[i].Name = name
	}
}

// RoutedIn lists the nodes a route can name in one state, or in every
// state for "": drain nodes keep their routes when new sessions go to a
// fallback data center, and a standby route is honoured only while no
// active node is up. The hash style has no routes.
func (hv *haproxyView) RoutedIn(state string) []haproxyNode {
	var out []haproxyNode
	if hv.C.Sticky.Style == model.StyleHash {
		return nil
	}
	for _, n := range hv.Servers {
		if state == "" || n.State == state {
			out = append(out, n)
		}
	}
	return out
}

// Addr is the address of a node for a backend.
func (b haproxyBackend) Addr(n haproxyNode) string {
	if b.TLS {
		return n.TLSAddr
	}
	return n.Addr
}

// KeyDelExt reports whether the key is found by replacing .crt with .key.
func (hv *haproxyView) KeyDelExt() bool { return hv.KeyFile == keyDelExt }

// KeyInPEM reports whether the certificate file holds the key too.
func (hv *haproxyView) KeyInPEM() bool { return hv.KeyFile == keyInPEM }

// TLSListeners reports whether some listener terminates TLS.
func (hv *haproxyView) TLSListeners() bool { return hv.KeyFile != keyNone }

// AdminAddr is the bind address of the statistics page.
func (hv *haproxyView) AdminAddr() string { return model.HostPort(hv.Admin.Host, hv.Admin.Port) }

// HTTPSFallback reports whether some fallback data center is reached over TLS.
func (hv *haproxyView) HTTPSFallback() bool {
	return slices.ContainsFunc(hv.Fallbacks, func(f haproxyFallback) bool { return f.Scheme == "https" })
}

// What HAProxy accepts, defined once for rendering and for validate's
// target lints, which report the same limits with a position and a fix.

// HAProxyMaxTimer is the longest time HAProxy accepts in a timeout or a
// check interval: 2^31-1 ms, about 24.8 days ("timer overflow").
const HAProxyMaxTimer = (1<<31 - 1) * time.Millisecond

// Timer is a time of the cluster file that HAProxy renders as a timer.
type Timer struct {
	Path string
	D    model.Duration
}

// HAProxyTimers lists the cluster's times HAProxy renders as timers.
func HAProxyTimers(c *model.Cluster) []Timer {
	t := c.Timeouts
	return []Timer{{"timeouts.connect", t.Connect}, {"timeouts.read", t.Read}, {"timeouts.tunnel", t.Tunnel},
		{"timeouts.drain", t.Drain}, {"health.interval", c.Health.Interval}}
}

// HAProxyFindsKey reports whether HAProxy 2.6 can find tls.key from the
// certificate a bind line names: in the same file, or at a derived name.
func HAProxyFindsKey(cert, key string) bool { return haproxyKeyFile(cert, key) != keyNone }

// haproxyKeyFile says how HAProxy finds the key, or keyNone when it cannot.
func haproxyKeyFile(cert, key string) haproxyKey {
	switch {
	case key == cert:
		return keyInPEM
	case key == cert+".key":
		return keyAppend
	case strings.HasSuffix(cert, ".crt") && key == HAProxyDerivedKey(cert):
		return keyDelExt
	}
	return keyNone
}

// HAProxyDerivedKey is the key file HAProxy looks for beside cert.
func HAProxyDerivedKey(cert string) string {
	if base, ok := strings.CutSuffix(cert, ".crt"); ok {
		return base + ".key"
	}
	return cert + ".key"
}
