package validate

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lbgen/lbgen/model"
)

// Load decodes and checks a cluster file. When the findings hold no error
// the returned cluster is normalised (defaults applied); otherwise it is nil.
func Load(file string, data []byte) (*model.Cluster, []Diagnostic) {
	c, diags := model.Decode(file, data)
	if c == nil {
		return nil, diags
	}
	diags = model.SortDiagnostics(append(diags, withoutDecoded(Cluster(c), diags)...))
	if model.HasErrors(diags) {
		return nil, diags
	}
	c.Normalize()
	return c, diags
}

// withoutDecoded drops findings about values decoding already refused, and
// about anything inside them: their zero value says nothing about what was
// written (a node that is a list is not also missing its name). A field an
// unknown key was meant to be (nodse: for nodes:) is not reported missing
// either: the did-you-mean says it already.
func withoutDecoded(checks, decoded []Diagnostic) []Diagnostic {
	bad := map[string]bool{}
	misspelled := map[string]bool{}
	for _, d := range decoded {
		if d.Path != "" {
			bad[d.Path] = true
		}
		if d.Meant != "" {
			misspelled[d.Meant] = true
		}
	}
	return slices.DeleteFunc(checks, func(d Diagnostic) bool {
		if d.Code == "L-missing" && misspelled[d.Path] {
			return true
		}
		for p := d.Path; p != ""; p = parent(p) {
			if bad[p] {
				return true
			}
		}
		return false
	})
}

// parent strips the last key or index from a field path.
func parent(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// Cluster checks a decoded cluster as written. It does not modify c.
func Cluster(c *model.Cluster) []Diagnostic {
	ch := &checker{raw: c, c: c.Clone()}
	if ch.c.Pos == nil {
		ch.c.Pos = model.Positions{}
	}
	ch.c.Normalize()
	ch.identity()
	ch.sticky()
	ch.paths()
	ch.listeners()
	ch.tls()
	ch.timeouts()
	ch.health()
	ch.maxConnections()
	ch.nodes()
	ch.fallbacks()
	ch.admin()
	return model.SortDiagnostics(ch.diags)
}

type checker struct {
	raw   *model.Cluster // as written, for "was it set" questions
	c     *model.Cluster // with defaults, for value checks
	diags []Diagnostic
}

// presetKnown reports whether the preset exists; fields a preset fills are
// not reported missing when it does not, since the typo is reported.
func (ch *checker) presetKnown() bool {
	_, ok := model.LookupPreset(ch.c.Preset)
	return ok
}

func (ch *checker) add(sev model.Severity, path, code, hint, format string, args ...any) {
	p := ch.c.Pos.Of(path)
	ch.diags = append(ch.diags, Diagnostic{
		File: ch.c.File, Line: p.Line, Col: p.Col, Severity: sev, Code: code, Path: path,
		Message: fmt.Sprintf(format, args...), Hint: hint,
	})
}

// at names another field a finding refers to, with the line it is on.
func (ch *checker) at(path string) string {
	return fmt.Sprintf("%s (line %d)", path, ch.c.Pos.Of(path).Line)
}

func (ch *checker) errorf(path, code, hint, format string, args ...any) {
	ch.add(model.SevError, path, code, hint, format, args...)
}

func (ch *checker) warnf(path, code, hint, format string, args ...any) {
	ch.add(model.SevWarning, path, code, hint, format, args...)
}

// unsafeChars end a statement, quoted string or comment, or start a
// variable or expression (nginx $var, Apache %{...}, HAProxy %[...]) in
// some target.
const unsafeChars = "\"'`;{}$#%\\"

// maxStringLen bounds every string: nginx refuses tokens of 4 KB and more,
// and a URL path may double in length when escaped for a regex.
const maxStringLen = 1024

// field checks every string field, reporting one finding, the most
// specific: a value too long for any target; a line break YAML kept at the
// end of a block scalar; then the field's own syntax (syntax reports its
// finding and returns false; nil for fields without one); then characters
// that could end a config statement early, which only a field whose syntax
// allows them reaches (a node name may hold $, a certificate path anything).
func (ch *checker) field(path, v string, syntax func() bool) bool {
	if len(v) > maxStringLen {
		ch.errorf(path, "L-too-long", "shorten it; no field needs more than 1024 bytes",
			"%s is %d bytes long, more than the %d every target can carry", path, len(v), maxStringLen)
		return false
	}
	if strings.HasSuffix(v, "\n") {
		ch.unsafe(path, v, len(v)-1)
		return false
	}
	if syntax != nil && !syntax() {
		return false
	}
	for i := 0; i < len(v); i++ {
		if b := v[i]; b <= 0x20 || b >= 0x7f || strings.IndexByte(unsafeChars, b) >= 0 {
			ch.unsafe(path, v, i)
			return false
		}
	}
	return true
}

func (ch *checker) unsafe(path, v string, i int) {
	ch.errorf(path, "L-unsafe-string", "remove it; use printable ASCII without spaces, quotes or ; { } $ # % \\ `",
		"%s contains %s, which could break out of a config statement", path, describeByte(v, i))
}

func describeByte(v string, i int) string {
	b := v[i]
	switch {
	case b >= 0x80:
		r, _ := utf8.DecodeRuneInString(v[i:])
		return fmt.Sprintf("the non-ASCII character %q (U+%04X)", r, r)
	case b == '\n' && i == len(v)-1:
		return "a line break at its end (YAML keeps one after | or >; write |- or the value on the key's line)"
	case b == ' ':
		return "a space"
	case b < 0x20 || b == 0x7f:
		return fmt.Sprintf("the control character %q", rune(b))
	}
	return fmt.Sprintf("%q", rune(b))
}

func (ch *checker) required(path string, present bool) bool {
	if !present {
		ch.errorf(path, "L-missing", "add `"+path+"`; `lbgen init` prints a complete example", "%s is required", path)
	}
	return present
}

var clusterName = regexp.MustCompile(ClusterNamePattern)

func (ch *checker) identity() {
	c := ch.c
	if ch.required("name", ch.raw.Name != "") {
		ch.field("name", c.Name, func() bool {
			if !clusterName.MatchString(c.Name) || len(c.Name) > MaxClusterName {
				ch.errorf("name", "L-cluster-name", "use lower-case letters, digits, - and _, starting with a letter, e.g. `cobrowse`",
					"name %s must match [a-z][a-z0-9_-]* and be at most 32 characters", model.Quote(c.Name))
				return false
			}
			return true
		})
	}
	if ch.raw.Preset != "" {
		ch.field("preset", c.Preset, func() bool {
			if _, ok := model.LookupPreset(c.Preset); !ok {
				ch.errorf("preset", "L-value", "use one of: "+strings.Join(model.PresetNames(), ", "), "unknown preset %s", model.Quote(c.Preset))
				return false
			}
			return true
		})
	}
	ch.required("listen", len(c.Listen) > 0)
	ch.required("nodes", len(c.Nodes) > 0)
}

func (ch *checker) preset() model.Preset {
	p, _ := model.LookupPreset(ch.c.Preset)
	return p
}

// cookieToken is an RFC 6265 token without the characters some target
// cannot carry: `|` separates cookie and parameter in Apache's
// stickysession, and $ # ' ` are refused as unsafe before this check.
var cookieToken = regexp.MustCompile(`^[A-Za-z0-9!%&*+\-.^_~]+$`)

var paramName = regexp.MustCompile(`^[A-Za-z0-9._~-]+$`)

// maxStickyName is Apache's limit on stickysession names and routes.
const maxStickyName = 63

func (ch *checker) sticky() {
	c := ch.c
	name := c.Sticky.Cookie
	if ch.required("sticky.cookie", name != "" || !ch.presetKnown()) && name != "" && ch.field("sticky.cookie", name, func() bool {
		switch {
		case !cookieToken.MatchString(name):
			ch.errorf("sticky.cookie", "L-cookie-name", "use letters, digits and ! % & * + - . ^ _ ~ only",
				"cookie name %s is not a token every target can read", model.Quote(name))
		case len(name) > maxStickyName:
			ch.errorf("sticky.cookie", "L-cookie-name", "use the application's cookie name; Apache accepts at most 63 characters",
				"cookie name is %d characters long", len(name))
		default:
			return true
		}
		return false
	}) {
		ch.cookieNearMiss(name)
	}
	ch.stickyStyle()
	if p := c.Sticky.Param; p != "" {
		ch.field("sticky.param", p, func() bool {
			if !paramName.MatchString(p) || len(p) > maxStickyName {
				ch.errorf("sticky.param", "L-sticky-param", "use letters, digits, - . _ ~, at most 63 characters",
					"URL parameter name %s is not usable", model.Quote(p))
				return false
			}
			return true
		})
	}
}

func (ch *checker) stickyStyle() {
	s := ch.c.Sticky
	if !ch.field("sticky.style", s.Style, func() bool {
		switch s.Style {
		case model.StyleRoute, model.StyleInsert, model.StyleExact, model.StyleHash:
			return true
		}
		ch.errorf("sticky.style", "L-value", "use route (the application sets \".\" + node), insert (the load balancer sets it), exact (the application sets the node name) or hash",
			"unknown sticky.style %s", model.Quote(s.Style))
		return false
	}) {
		return
	}
	if s.Style == model.StyleHash {
		ch.hashStates()
	}
	if s.Style != model.StyleInsert {
		if ch.raw.Sticky.Insert != nil {
			ch.errorf("sticky.insert", "L-sticky-insert", "remove sticky.insert, or set sticky.style: insert",
				"sticky.insert sets the attributes of a cookie the load balancer sets, which only sticky.style insert does")
		}
		return
	}
	ins := s.Insert
	if ch.raw.Pos.Has("sticky.insert.path") {
		ch.path("sticky.insert.path", ins.Path)
	}
	if m := ins.MaxAge.D(); m < 0 || m%time.Second != 0 {
		ch.errorf("sticky.insert.max_age", "L-cookie-max-age", "use whole seconds, e.g. 8h; leave it out for a session cookie",
			"sticky.insert.max_age %s is not a whole number of seconds", ins.MaxAge)
	}
	ch.field("sticky.insert.same_site", ins.SameSite, func() bool {
		switch ins.SameSite {
		case model.SameSiteLax, model.SameSiteStrict:
			return true
		case model.SameSiteNone:
			if i := slices.IndexFunc(ch.c.Listen, func(l model.Listener) bool { return !l.TLS }); i >= 0 {
				ch.warnf("sticky.insert.same_site", "L-cookie-same-site", "serve clients on TLS listeners only, or use same_site: lax",
					"browsers drop a SameSite=None cookie without Secure, which plain listener %s cannot set", model.Quote(ch.c.Listen[i].Addr))
			}
			return true
		}
		ch.errorf("sticky.insert.same_site", "L-value", "use lax, strict or none", "unknown sticky.insert.same_site %s", model.Quote(ins.SameSite))
		return false
	})
}

// hashStates checks the node states the hash style can keep: it cannot
// tell a node's own sessions from new ones.
func (ch *checker) hashStates() {
	for i, n := range ch.c.Nodes {
		path := fmt.Sprintf("nodes[%d].state", i)
		switch n.State {
		case model.StateStandby:
			ch.errorf(path, "L-sticky-hash", "use state active or down, or another sticky.style",
				"node %s is standby, which sticky.style hash does not have: nginx's hash balancing has no backup servers", model.Quote(n.Name))
		case model.StateDrain:
			ch.warnf(path, "L-sticky-hash", "use drain only when moving the node's sessions at once is acceptable",
				"node %s drains, but with sticky.style hash it takes no requests at all: no value says which sessions are its own, so they move to other nodes at once", model.Quote(n.Name))
		}
	}
}

func (ch *checker) cookieNearMiss(name string) {
	for _, p := range model.Presets {
		if p.Cookie == "" || p.Cookie == name {
			continue
		}
		near := strings.EqualFold(p.Cookie, name) || slices.Contains(p.CookieMisspellings, name) ||
			model.Levenshtein(strings.ToLower(name), strings.ToLower(p.Cookie)) <= 1
		if near {
			ch.warnf("sticky.cookie", "L-cookie-name", fmt.Sprintf("the %s application sets %q; targets match cookie names exactly, so a wrong spelling sends every request to round robin", p.Name, p.Cookie),
				"cookie name %s looks like a misspelling of %s", model.Quote(name), model.Quote(p.Cookie))
			return
		}
	}
}

var pathSyntax = regexp.MustCompile(`^/[A-Za-z0-9\-._~/!*+,=:@]*$`)

func (ch *checker) path(path, v string) bool {
	return ch.field(path, v, func() bool {
		bad := !pathSyntax.MatchString(v) || strings.Contains(v, "//")
		for seg := range strings.SplitSeq(v, "/") {
			bad = bad || seg == "." || seg == ".."
		}
		if bad {
			ch.errorf(path, "L-path", "start with / and use letters, digits and - . _ ~ / ! * + , = : @ only (no ?, #, %, // or .. segments)",
				"%s %s is not an absolute URL path", path, model.Quote(v))
		}
		return !bad
	})
}

func (ch *checker) paths() {
	c := ch.c
	if ch.required("path", c.Path != "" || !ch.presetKnown()) && c.Path != "" {
		ch.path("path", c.Path)
	}
	if ch.required("health.path", c.Health.Path != "" || !ch.presetKnown()) && c.Health.Path != "" {
		ch.path("health.path", c.Health.Path)
	}
	internalListener := slices.ContainsFunc(c.Listen, func(l model.Listener) bool { return l.Internal })
	for i, ip := range c.InternalPaths {
		path := fmt.Sprintf("internal_paths[%d]", i)
		if !ch.path(path, ip) {
			continue
		}
		if ip == "/" || c.Path == ip || strings.HasPrefix(c.Path, ip+"/") {
			ch.errorf(path, "L-internal-path", "list only the sub-paths meant for internal applications, e.g. "+c.Path+"/rest",
				"internal path %s covers the whole application at %s", model.Quote(ip), model.Quote(c.Path))
		}
	}
	if len(c.InternalPaths) > 0 && !internalListener {
		ch.warnf("internal_paths", "L-internal-path", "add a listener with `internal: true` and an allow list",
			"internal paths are refused on every listener because no listener is internal")
	}
}

func (ch *checker) allowList(path string, allow []string) {
	for i, a := range allow {
		p := fmt.Sprintf("%s[%d]", path, i)
		prefix, err := netip.ParsePrefix(a)
		if err != nil {
			if addr, aerr := netip.ParseAddr(a); aerr == nil {
				prefix, err = netip.PrefixFrom(addr, addr.BitLen()), nil
			}
		}
		if !ch.field(p, a, func() bool {
			if err != nil {
				ch.errorf(p, "L-cidr", "write an IP address or a CIDR network such as 10.0.0.0/8", "%s is not an IP address or CIDR network", model.Quote(a))
			}
			return err == nil
		}) {
			continue
		}
		switch {
		case prefix.Bits() == 0:
			ch.errorf(p, "L-allow-all", "list only the networks that need access, e.g. 10.0.0.0/8", "%s admits every address", model.Quote(a))
		case prefix != prefix.Masked():
			// nginx warns that the low bits are meaningless, which fails
			// lbgen check; the intent is either the network or the host.
			ch.errorf(p, "L-cidr", fmt.Sprintf("write %s for the network, or %s for that one address", prefix.Masked(), prefix.Addr()),
				"%s has host bits set; the network is %s", model.Quote(a), prefix.Masked())
		}
	}
}

type bound struct {
	host string
	port int
	path string
}

// conflicts reports whether two binds cannot coexist: same port and the
// same host, or one of them binds every address.
func (b bound) conflicts(o bound) bool {
	return b.port == o.port && (b.host == o.host || b.host == "" || o.host == "")
}

func (ch *checker) listeners() {
	var seen []bound
	bind := func(path, addr string) {
		host, port, err := model.ParseListen(addr)
		if !ch.field(path, addr, func() bool {
			if err != nil {
				code := "L-listen"
				if strings.Contains(err.Error(), "port") {
					code = "L-port"
				}
				ch.errorf(path, code, `write "PORT", "IP:PORT" or "[IPv6]:PORT"`, "listen address %s", err)
			}
			return err == nil
		}) {
			return
		}
		b := bound{host, port, path}
		for _, o := range seen {
			if b.conflicts(o) {
				ch.errorf(path, "L-duplicate-addr", "give each listener its own port, or bind specific addresses on both",
					"%s %s overlaps %s", path, model.Quote(addr), ch.at(o.path))
				return
			}
		}
		seen = append(seen, b)
	}
	for i, l := range ch.c.Listen {
		path := fmt.Sprintf("listen[%d]", i)
		if !ch.required(path+".addr", l.Addr != "") {
			continue
		}
		bind(path+".addr", l.Addr)
		if l.Internal && len(l.Allow) == 0 {
			ch.errorf(path, "L-internal-allow", "add `allow: [10.0.0.0/8]` with your internal networks",
				"internal listener %s has no allow list", model.Quote(l.Addr))
		}
		ch.allowList(path+".allow", l.Allow)
	}
	if a := ch.c.Admin; a != nil && a.Addr != "" {
		bind("admin.addr", a.Addr)
	}
}

func (ch *checker) tls() {
	c := ch.c
	tlsListener := slices.IndexFunc(c.Listen, func(l model.Listener) bool { return l.TLS })
	if c.TLS == nil {
		for i, l := range c.Listen {
			if l.TLS {
				ch.errorf(fmt.Sprintf("listen[%d].tls", i), "L-tls-missing", "add a tls: block with certificate and key (PEM files)",
					"TLS listener %s has no certificate and key", model.Quote(l.Addr))
			}
		}
		return
	}
	if tlsListener >= 0 {
		// Reported where the tls: block is, which is what needs the field.
		for _, f := range []struct{ path, v, what string }{
			{"tls.certificate", c.TLS.Certificate, "the certificate (PEM)"},
			{"tls.key", c.TLS.Key, "the certificate's private key (PEM)"},
		} {
			if f.v == "" {
				ch.errorf(f.path, "L-tls-missing", "set "+f.path+" to the file of "+f.what,
					"%s is missing; TLS listener %s needs it", f.path, model.Quote(c.Listen[tlsListener].Addr))
			}
		}
	}
	for _, f := range []struct{ path, v string }{{"tls.certificate", c.TLS.Certificate}, {"tls.key", c.TLS.Key}} {
		if f.v != "" {
			ch.field(f.path, f.v, nil)
		}
	}
	if !ch.field("tls.upstream", c.TLS.Upstream, func() bool {
		switch c.TLS.Upstream {
		case model.UpstreamPlain, model.UpstreamTLS, model.UpstreamMatch:
			return true
		}
		ch.errorf("tls.upstream", "L-value", "use plain (offload), tls (re-encrypt) or match", "unknown tls.upstream %s", model.Quote(c.TLS.Upstream))
		return false
	}) {
		return
	}
	if c.TLS.Upstream == model.UpstreamPlain {
		return
	}
	for i, n := range c.Nodes {
		if n.TLSPort == 0 {
			ch.errorf(fmt.Sprintf("nodes[%d]", i), "L-tls-port", "add `tls_port:` with the node's HTTPS port, or use tls.upstream: plain",
				"node %s has no tls_port, which tls.upstream: %s needs", model.Quote(n.Name), c.TLS.Upstream)
		}
	}
}

// cometdHold is the longest a CometD long poll waits: 30 s hold + 10 s delay.
const cometdHold = 40 * time.Second

func (ch *checker) timeouts() {
	t := ch.c.Timeouts
	if t.Read.D() < t.Connect.D()+time.Second {
		ch.errorf("timeouts.read", "L-timeout", "make the read timeout at least 1s longer than the connect timeout, e.g. connect 2s, read 60s",
			"timeouts.read (%s) must be at least 1s longer than timeouts.connect (%s)", t.Read, t.Connect)
	}
	if ch.c.WebSocketEnabled() && t.Tunnel < t.Read {
		ch.warnf("timeouts.tunnel", "L-timeout", "raise timeouts.tunnel, e.g. 1h",
			"timeouts.tunnel (%s) is shorter than timeouts.read (%s): idle WebSockets close before long polls time out", t.Tunnel, t.Read)
	}
	if ch.raw.Timeouts.Drain != 0 && t.Drain < t.Read {
		ch.warnf("timeouts.drain", "L-timeout", "raise timeouts.drain to timeouts.read or more, e.g. "+t.Read.String(),
			"timeouts.drain (%s) is shorter than timeouts.read (%s): a reload closes requests still waiting for their node, long polls included", t.Drain, t.Read)
	}
	if p := ch.preset(); p.CometD && t.Read.D() <= cometdHold {
		ch.errorf("timeouts.read", "L-read-timeout", "set timeouts.read above 40s, e.g. 60s",
			"timeouts.read (%s) is not longer than the %s CometD long-poll hold (30s + 10s network delay)", t.Read, p.Name)
	}
}

func (ch *checker) health() {
	// Zero counts are defaults unless written, so check what was written.
	h := ch.raw.Health
	if h.Interval != 0 && h.Interval.D() < MinHealthInterval {
		ch.errorf("health.interval", "L-health", "use at least 100ms, e.g. 2s", "health.interval %s is shorter than 100ms", h.Interval)
	}
	for _, f := range []struct {
		path string
		v    int
	}{{"health.fails", h.Fails}, {"health.passes", h.Passes}} {
		if ch.raw.Pos.Has(f.path) && (f.v < MinHealthCount || f.v > MaxHealthCount) {
			ch.errorf(f.path, "L-health", fmt.Sprintf("use a count from %d to %d", MinHealthCount, MaxHealthCount), "%s is %d", f.path, f.v)
		}
	}
	if ch.raw.Pos.Has("health.expect_status") && (h.ExpectStatus < MinExpectStatus || h.ExpectStatus > MaxExpectStatus) {
		ch.errorf("health.expect_status", "L-health", "use an HTTP status such as 200", "health.expect_status %d is not an HTTP status", h.ExpectStatus)
	}
}

// maxOpenFiles is the most open files Linux ever allows one process: the
// largest fs.nr_open it accepts on 64-bit systems.
const maxOpenFiles = 2147483584

// maxConnections checks max_connections as written: zero would otherwise
// read as "use the default". Every target but Apache holds a client with
// two open files in one process (its connection and its node's).
func (ch *checker) maxConnections() {
	if !ch.raw.Pos.Has("max_connections") {
		return
	}
	switch n := ch.raw.MaxConnections; {
	case n < MinMaxConnections:
		ch.errorf("max_connections", "L-max-connections", "use the number of browser tabs and agents connected at the peak, e.g. 10000",
			"max_connections is %d; it must be at least 1", n)
	case n > MaxMaxConnections:
		ch.errorf("max_connections", "L-max-connections", fmt.Sprintf("use at most %d and spread a larger crowd over several load balancers", MaxMaxConnections),
			"max_connections %d needs %d open files in one process; Linux allows at most %d", n, 2*n, maxOpenFiles)
	}
}

// hostLabel is an RFC 1123 label, with underscores, which internal DNS
// names often carry and every target's resolver accepts.
var hostLabel = regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$`)

func validHost(h string) bool {
	if _, err := netip.ParseAddr(h); err == nil {
		return !strings.Contains(h, "%")
	}
	if len(h) > 253 {
		return false
	}
	labels := strings.Split(strings.TrimSuffix(h, "."), ".")
	for _, l := range labels {
		if !hostLabel.MatchString(l) {
			return false
		}
	}
	_, numeric := strconv.Atoi(labels[len(labels)-1])
	return numeric != nil
}

// hostHint suggests the split a user most likely meant.
func hostHint(h string) string {
	if u, err := url.Parse(h); err == nil && u.Scheme != "" && u.Host != "" {
		h = u.Host
	}
	if host, port, err := net.SplitHostPort(h); err == nil && validHost(host) {
		return fmt.Sprintf("write `host: %s` and `port: %s`", host, port)
	}
	return "write only the IP address or host name, without scheme, port or path"
}

// isCookieOctet is RFC 6265's cookie-octet.
func isCookieOctet(b byte) bool {
	return b == 0x21 || (b >= 0x23 && b <= 0x2b) || (b >= 0x2d && b <= 0x3a) || (b >= 0x3c && b <= 0x5b) || (b >= 0x5d && b <= 0x7e)
}

func (ch *checker) nodes() {
	names := map[string]string{} // lower-case name -> path of first
	addrs := map[string]string{} // host:port -> path of first
	active := false
	for i, n := range ch.c.Nodes {
		path := fmt.Sprintf("nodes[%d]", i)
		ch.nodeName(path, n, names)
		hostOK := false
		if ch.required(path+".host", n.Host != "") {
			hostOK = ch.field(path+".host", n.Host, func() bool {
				if !validHost(n.Host) {
					ch.errorf(path+".host", "L-host", hostHint(n.Host), "host %s is not an IP address or host name", model.Quote(n.Host))
					return false
				}
				return true
			})
		}
		if ch.required(path+".port", ch.raw.Pos.Has(path+".port")) {
			ch.port(path+".port", n.Port)
		}
		if ch.raw.Pos.Has(path + ".tls_port") {
			ch.port(path+".tls_port", n.TLSPort)
		}
		if w := ch.raw.Nodes[i].Weight; ch.raw.Pos.Has(path+".weight") && (w < MinWeight || w > MaxWeight) {
			ch.errorf(path+".weight", "L-weight", fmt.Sprintf("use %d-%d; to stop new sessions use state: drain", MinWeight, MaxWeight),
				"weight %d is outside %d-%d", w, MinWeight, MaxWeight)
		}
		active = active || n.State == model.StateActive
		ch.field(path+".state", n.State, func() bool {
			switch n.State {
			case model.StateActive, model.StateDrain, model.StateDown, model.StateStandby:
				return true
			}
			ch.errorf(path+".state", "L-value", "use active, drain, standby or down", "unknown state %s", model.Quote(n.State))
			return false
		})
		if hostOK && n.Port > 0 {
			key := strings.ToLower(model.HostPort(n.Host, n.Port))
			if first, dup := addrs[key]; dup {
				ch.errorf(path, "L-duplicate-addr", "each node is one server: remove the duplicate or correct its port",
					"node %s has the same address %s as %s", model.Quote(n.Name), key, ch.at(first))
			} else {
				addrs[key] = path
			}
		}
	}
	if len(ch.c.Nodes) > 0 && !active {
		ch.errorf("nodes", "L-no-active", "set `state: active` on at least one node", "no node is active, so new sessions have nowhere to go")
	}
}

func (ch *checker) nodeName(path string, n model.Node, names map[string]string) {
	if !ch.required(path+".name", ch.raw.Pos.Has(path+".name")) {
		return
	}
	path += ".name"
	hint := "use the node's application name, e.g. CB_Server_1 (cookie-octets: no spaces, quotes, commas, semicolons or backslashes)"
	if !ch.field(path, n.Name, func() bool {
		if n.Name == "" {
			ch.errorf(path, "L-node-name", hint, "node name is empty, so no cookie can route to it")
			return false
		}
		for i := 0; i < len(n.Name); i++ {
			if !isCookieOctet(n.Name[i]) {
				ch.errorf(path, "L-node-name", hint, "node name %s contains %s, which cannot appear in a cookie value", model.Quote(n.Name), describeByte(n.Name, i))
				return false
			}
		}
		if len(n.Name) > maxStickyName {
			ch.errorf(path, "L-node-name", "shorten the name; Apache route names are limited to 63 characters", "node name is %d characters long", len(n.Name))
			return false
		}
		return true
	}) {
		return
	}
	key := strings.ToLower(n.Name)
	if first, dup := names[key]; dup {
		ch.errorf(path, "L-node-duplicate", "give every node its own application name; names are compared ignoring case because nginx does",
			"node name %s is already used by %s", model.Quote(n.Name), ch.at(first))
		return
	}
	names[key] = path
}

func (ch *checker) port(path string, p int) {
	if p < MinPort || p > MaxPort {
		ch.errorf(path, "L-port", fmt.Sprintf("use a port from %d to %d", MinPort, MaxPort), "%s %d is outside %d-%d", path, p, MinPort, MaxPort)
	}
}

var fallbackName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

func (ch *checker) fallbacks() {
	if len(ch.c.Fallback) > MaxFallbacks {
		ch.errorf("fallback", "L-fallback", fmt.Sprintf("keep the nearest data centers, at most %d", MaxFallbacks), "%d fallbacks given, at most %d are accepted", len(ch.c.Fallback), MaxFallbacks)
	}
	seen := map[string]string{}
	for i, f := range ch.c.Fallback {
		path := fmt.Sprintf("fallback[%d]", i)
		if ch.required(path+".name", f.Name != "") && ch.field(path+".name", f.Name, func() bool {
			if !fallbackName.MatchString(f.Name) || len(f.Name) > maxStickyName {
				ch.errorf(path+".name", "L-fallback", "use letters, digits, - . _, at most 63 characters", "fallback name %s is not usable", model.Quote(f.Name))
				return false
			}
			return true
		}) {
			if first, dup := seen[f.Name]; dup {
				ch.errorf(path+".name", "L-fallback", "give each fallback its own name", "fallback name %s is already used by %s", model.Quote(f.Name), ch.at(first))
			} else {
				seen[f.Name] = path
			}
		}
		if ch.required(path+".url", f.URL != "") {
			ch.field(path+".url", f.URL, func() bool {
				msg := checkFallbackURL(f.URL)
				if msg != "" {
					ch.errorf(path+".url", "L-fallback", `write http://HOST[:PORT] or https://HOST[:PORT], e.g. "https://lb.dc2.example.com"`, "fallback url %s %s", model.Quote(f.URL), msg)
				}
				return msg == ""
			})
		}
	}
}

func checkFallbackURL(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "is not a URL"
	case u.Scheme != "http" && u.Scheme != "https":
		return "must use http or https"
	case u.User != nil:
		return "must not carry credentials"
	case u.Path != "" && u.Path != "/", u.RawQuery != "", u.Fragment != "", u.Opaque != "":
		return "must not have a path, query or fragment: the original URI is appended"
	case !validHost(u.Hostname()):
		return "has no valid host"
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < MinPort || n > MaxPort {
			return "has a port outside 1-65535"
		}
	}
	return ""
}

func (ch *checker) admin() {
	a := ch.c.Admin
	if a == nil {
		return
	}
	ch.required("admin.addr", a.Addr != "")
	if len(a.Allow) == 0 {
		ch.errorf("admin", "L-admin-allow", "add `allow: [127.0.0.1/32]` or your admin network", "admin page has no allow list")
	}
	ch.allowList("admin.allow", a.Allow)
}
