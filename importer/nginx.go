package importer

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lbgen/lbgen/model"
)

// nginx holds an nginx config indexed by what the importer reads.
type nginx struct {
	d         *draft
	read      read
	upstreams map[string]*directive
	maps      []*directive
	servers   []*directive // server {} blocks of http {}
	all       []*directive
	// location is the location block each directive stands in.
	location map[*directive]*directive
	// commentBefore is the comment on the line just above a directive.
	commentBefore func(x *directive) string
}

func readNginx(d *draft, p *parsed, lb *lbgenHeader) {
	n := &nginx{d: d, read: read{}, upstreams: map[string]*directive{},
		location: map[*directive]*directive{}, commentBefore: p.commentAbove()}
	walk(p.Top, func(x *directive) {
		n.all = append(n.all, x)
		switch {
		case x.Name == "upstream" && x.Block != nil:
			n.upstreams[x.arg(0)] = x
		case x.Name == "map" && x.Block != nil:
			n.maps = append(n.maps, x)
		case x.Name == "server" && x.Block != nil: // in upstream {}, server has no block
			n.servers = append(n.servers, x)
			n.use(x)
		case x.Name == "http" || x.Name == "events":
			n.use(x)
		}
	})
	for _, s := range n.servers {
		for _, loc := range named(s.Block, "location") {
			walk(loc.Block, func(x *directive) { n.location[x] = loc })
		}
	}
	n.sticky()
	if lb != nil && lb.health != nil {
		d.c.Health = *lb.health
		for _, f := range []string{"path", "interval", "fails", "passes", "expect_status"} {
			d.source("health."+f, lb.healthAt)
		}
	}
	n.nodes(lb)
	n.listeners()
	n.settings()
	n.faults(lb != nil)
	n.notImported(lb != nil)
}

// use marks directives as read into the cluster; a map or an upstream
// group is read whole.
func (n *nginx) use(ds ...*directive) {
	for _, x := range ds {
		n.read.use(x)
		if x.Name == "map" || x.Name == "upstream" {
			walk(x.Block, func(y *directive) { n.read.use(y) })
		}
	}
}

// named returns the directives called name inside a block.
func named(block []*directive, name string) []*directive {
	var out []*directive
	for _, x := range block {
		if x.Name == name {
			out = append(out, x)
		}
	}
	return out
}

func first(block []*directive, name string) *directive {
	if ds := named(block, name); len(ds) > 0 {
		return ds[0]
	}
	return nil
}

var (
	cookieRegex = regexp.MustCompile(`^~\(\?:\^\|;\)\[ \\t\]\*((?:[^=\\]|\\.)+)=`)
	paramRegex  = regexp.MustCompile(`^~\(\?:\^\|&\)((?:[^=\\]|\\.)+)=`)
)

// unescapeRegex turns an escaped literal back into text: \. is ".".
func unescapeRegex(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// stickyMaps are the maps that read the cookie, as the guides write them
// (map $cookie_NAME) or as lbgen does (a regex over $http_cookie).
func (n *nginx) sticky() {
	for _, m := range n.maps {
		src := m.arg(0)
		switch {
		case strings.HasPrefix(src, "$cookie_"):
			n.setCookie(strings.TrimPrefix(src, "$cookie_"), m)
		case src == "$http_cookie":
			for _, e := range m.Block {
				if sub := cookieRegex.FindStringSubmatch(e.Name); sub != nil {
					n.setCookie(unescapeRegex(sub[1]), m)
					n.use(m)
				}
			}
		case src == "$args":
			for _, e := range m.Block {
				if sub := paramRegex.FindStringSubmatch(e.Name); sub != nil {
					n.d.c.Sticky.Param = unescapeRegex(sub[1])
					n.d.source("sticky.param", e.At)
					n.use(m)
				}
			}
		case strings.HasPrefix(src, "$arg_"):
			n.d.c.Sticky.Param = strings.TrimPrefix(src, "$arg_")
			n.d.source("sticky.param", m.At)
		}
	}
	// A hand-written hash group names its cookie itself.
	for _, u := range n.upstreams {
		if h := first(u.Block, "hash"); h != nil && strings.HasPrefix(h.arg(0), "$cookie_") && n.d.c.Sticky.Cookie == "" {
			n.setCookie(strings.TrimPrefix(h.arg(0), "$cookie_"), h)
		}
	}
}

func (n *nginx) setCookie(name string, m *directive) {
	c := &n.d.c.Sticky
	if c.Cookie != "" && c.Cookie != name {
		n.d.warn(m.At, "I-cookie-spelling", "this map reads cookie "+model.Quote(name)+", another one "+model.Quote(c.Cookie)+": only "+model.Quote(c.Cookie)+" is imported",
			"use the one name the application sets in every map")
		return
	}
	c.Cookie = name
	n.d.source("sticky.cookie", m.At)
}

func (n *nginx) nodes(lb *lbgenHeader) {
	// A node's state is known once the round-robin group is read.
	nodes := &nodeSet{}
	prefix := ""
	if lb != nil {
		prefix = lb.prefix
	}
	// Routes: lbgen's candidate map names each node's own group; the
	// guides map ".name" to an address.
	tlsVars := n.tlsVariables()
	for _, m := range n.maps {
		dst := m.arg(1)
		switch {
		case prefix != "" && dst == "$"+prefix+"candidate":
			n.use(m)
			for _, e := range m.Block {
				fields := strings.Fields(e.arg(0))
				if e.Name == "default" || len(fields) < 2 {
					continue
				}
				nd := nodes.node(fields[0], e.At)
				for _, g := range fields[1:] {
					if strings.HasPrefix(g, "node_") {
						nd.plain = n.groupAddr(prefix + g)
						nd.secure = n.groupAddr(prefix + "tls_" + g)
					}
				}
			}
			if n.d.c.Sticky.Style == "" {
				n.d.c.Sticky.Style = model.StyleExact
			}
		case strings.HasPrefix(m.arg(0), "$cookie_"):
			n.use(m)
			for _, e := range m.Block {
				if e.Name == "default" || e.Name == "hostnames" || e.Name == "volatile" {
					continue
				}
				if strings.HasPrefix(e.Name, "~") {
					n.d.warn(e.At, "I-route-regex", "the route is taken from the cookie by the pattern "+e.Name+"; lbgen takes the text after the first \".\"",
						"check that the application's values put one \".\" before the node name (Tomcat jvmRoute does)")
					continue
				}
				name, dot := strings.CutPrefix(e.Name, ".")
				if !dot {
					n.d.c.Sticky.Style = model.StyleExact
				}
				nd := nodes.node(name, e.At)
				aa := &addrAt{addr: nginxAddr(e.arg(0)), at: e.At, x: e}
				if tlsVars[dst] {
					nd.secure = aa
				} else {
					nd.plain = aa
				}
			}
		case prefix != "" && dst == "$"+prefix+"route":
			n.use(m)
			for _, e := range m.Block {
				switch e.Name {
				case `~^[^.]*\.(.*)$`:
					n.d.c.Sticky.Style = model.StyleRoute
				case "~^(.*)$":
					n.d.c.Sticky.Style = model.StyleExact
				}
			}
		}
	}
	if n.d.c.Sticky.Style == "" {
		n.d.c.Sticky.Style = model.StyleRoute
	}
	// New sessions go to the group a plain proxy_pass names.
	rr := n.roundRobin(prefix)
	if rr != nil && prefix == "" {
		n.d.nameHint = rr.arg(0)
	}
	if rr != nil && first(rr.Block, "hash") != nil {
		n.d.c.Sticky.Style = model.StyleHash
		n.use(first(rr.Block, "hash"))
	}
	if rr != nil && prefix == "" {
		n.d.unreadParams(named(rr.Block, "server"), 1, []string{"weight", "backup", "down", "route"}, "server")
	}
	if rr != nil {
		for _, s := range named(rr.Block, "server") {
			if strings.HasPrefix(s.arg(0), "unix:") {
				n.d.warn(s.At, "I-address", "server "+s.arg(0)+" is a UNIX socket: not imported", "lbgen reaches nodes over TCP: give the node a host and port")
				continue
			}
			aa := &addrAt{addr: nginxAddr(s.arg(0)), at: s.At, x: s}
			var nd *nodeDraft
			for _, cand := range nodes.list {
				if cand.plain != nil && cand.plain.addr == aa.addr || cand.secure != nil && cand.secure.addr == aa.addr {
					nd = cand
				}
			}
			if nd == nil {
				nd = nodes.node(n.serverName(s, len(nodes.list)), s.At)
				if n.isTLSGroup(rr.arg(0)) {
					nd.secure = aa
				} else {
					nd.plain = aa
				}
			}
			nd.state = model.StateActive
			nd.stateAt = s.At
			if _, ok := s.param("backup"); slices.Contains(s.Args, "backup") || ok {
				nd.state = model.StateStandby
			}
			if slices.Contains(s.Args, "down") {
				nd.state = model.StateDown
			}
			if w, ok := s.param("weight"); ok {
				nd.weight, _ = strconv.Atoi(w)
			}
		}
	}
	for _, nd := range nodes.list {
		if nd.state == "" {
			nd.state = model.StateDrain
			if rr == nil {
				nd.state = model.StateActive
			}
			nd.stateAt = nd.at
		}
		if nd.weight == 0 {
			for _, a := range []*addrAt{nd.plain, nd.secure} {
				if a != nil && a.x != nil {
					if w, ok := a.x.param("weight"); ok {
						nd.weight, _ = strconv.Atoi(w)
					}
				}
			}
		}
	}
	n.d.addNodes(nodes, lb)
	// Other groups of the same nodes (the guides' HTTPS twin) are read too.
	known := map[string]bool{}
	for _, nd := range nodes.list {
		for _, a := range []*addrAt{nd.plain, nd.secure} {
			if a != nil {
				known[a.addr] = true
			}
		}
	}
	for _, u := range n.upstreams {
		servers := named(u.Block, "server")
		if len(servers) > 0 && !slices.ContainsFunc(servers, func(s *directive) bool { return !known[s.arg(0)] }) {
			n.use(u)
		}
	}
}

// serverName names a node the config lists only by address: by route=
// (NGINX Plus), else by a comment that names it on its line (as the GWE
// guide writes) or just above it (as lbgen does in a hash group), else by
// its position.
func (n *nginx) serverName(s *directive, i int) string {
	if route, ok := s.param("route"); ok {
		return route
	}
	for _, c := range []string{s.Comment, n.commentBefore(s)} {
		if f := strings.Fields(c); len(f) > 0 && nodeNameRe.MatchString(f[0]) {
			return f[0]
		}
	}
	name := "node" + strconv.Itoa(i+1)
	if n.d.c.Sticky.Style == model.StyleHash {
		// No route names a node of a hash ring: any name does.
		return name
	}
	n.d.warn(s.At, "I-node-name", "server "+s.arg(0)+" has no route: imported as node "+name,
		"set the node's name to the route its application puts in the sticky cookie")
	return name
}

var nodeNameRe = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.~+@-]*$`)

// nginxAddr adds the port nginx assumes when a server line has none.
func nginxAddr(addr string) string {
	if strings.HasSuffix(addr, "]") || !strings.Contains(addr, ":") {
		return addr + ":80"
	}
	return addr
}

// groupAddr is the first server of an upstream group.
func (n *nginx) groupAddr(name string) *addrAt {
	u := n.upstreams[name]
	if u == nil {
		return nil
	}
	n.use(u)
	s := first(u.Block, "server")
	if s == nil {
		return nil
	}
	return &addrAt{addr: nginxAddr(s.arg(0)), at: s.At, x: s}
}

// tlsVariables are the variables proxy_pass sends over https.
func (n *nginx) tlsVariables() map[string]bool {
	out := map[string]bool{}
	for _, x := range n.all {
		if x.Name != "proxy_pass" {
			continue
		}
		rest, ok := strings.CutPrefix(x.arg(0), "https://")
		if ok && strings.HasPrefix(rest, "$") {
			v := rest
			if i := strings.IndexAny(v[1:], "$/?"); i >= 0 {
				v = v[:i+1]
			}
			out[v] = true
		}
	}
	return out
}

func (n *nginx) isTLSGroup(name string) bool {
	for _, x := range n.all {
		if x.Name == "proxy_pass" && x.arg(0) == "https://"+name {
			return true
		}
	}
	return false
}

// roundRobin is the group new sessions go to: lbgen's rr group, or the
// one a proxy_pass names directly.
func (n *nginx) roundRobin(prefix string) *directive {
	if prefix != "" {
		for _, name := range []string{prefix + "rr", prefix + "tls_rr"} {
			if u := n.upstreams[name]; u != nil {
				n.use(u)
				return u
			}
		}
	}
	for _, x := range n.all {
		if x.Name != "proxy_pass" {
			continue
		}
		_, rest, _ := strings.Cut(x.arg(0), "://")
		if u := n.upstreams[rest]; u != nil {
			n.use(u)
			return u
		}
	}
	// A snippet may hold the group without the location that uses it.
	if len(n.upstreams) == 1 {
		for _, u := range n.upstreams {
			n.use(u)
			return u
		}
	}
	return nil
}

var (
	locationRe = regexp.MustCompile(`^\^(.*)\(\?:/\|\$\)$`)
	segmentRe  = regexp.MustCompile(`\(\?:;\[\^/\]\*\)\?`)
)

// locationPath reads the path a location matches: a prefix, or lbgen's
// anchored regex; ok is false for named and other regex locations.
func locationPath(loc *directive) (path string, internalGuard bool, ok bool) {
	switch {
	case loc.arg(0) == "~" && len(loc.Args) == 2:
		m := locationRe.FindStringSubmatch(loc.arg(1))
		if m == nil {
			return "", false, false
		}
		guard := segmentRe.MatchString(m[1])
		p := unescapeRegex(segmentRe.ReplaceAllString(m[1], ""))
		if p == "" {
			p = "/"
		}
		return p, guard, true
	case len(loc.Args) == 1 && strings.HasPrefix(loc.arg(0), "/"):
		p := loc.arg(0)
		if len(p) > 1 {
			p = strings.TrimSuffix(p, "/")
		}
		return p, false, true
	case len(loc.Args) == 2 && loc.arg(0) == "=" || loc.arg(0) == "^~":
		return loc.arg(1), false, true
	}
	return "", false, false
}

// proxies reports whether a location passes requests on, and returns 403
// when it only refuses them.
func proxies(loc *directive) (pass, forbidden bool) {
	var found bool
	walk(loc.Block, func(x *directive) {
		if x.Name == "proxy_pass" {
			found = true
		}
	})
	r := first(loc.Block, "return")
	return found, !found && r != nil && r.arg(0) == "403"
}

func (n *nginx) listeners() {
	d := n.d
	upstreamTLS := map[bool]bool{} // listener TLS -> nodes reached over TLS
	seenPath := false
	var internal []string
	internalAt := at{}
	for _, s := range n.servers {
		var allow []string
		var allowAt at
		for _, a := range named(s.Block, "allow") {
			n.use(a)
			if a.arg(0) != "all" {
				allow = append(allow, a.arg(0))
				allowAt = a.At
			}
		}
		for _, a := range named(s.Block, "deny") {
			if a.arg(0) == "all" {
				n.use(a)
			}
		}
		guarded := false
		var extra []string
		for _, loc := range named(s.Block, "location") {
			p, _, ok := locationPath(loc)
			if !ok {
				continue
			}
			pass, forbidden := proxies(loc)
			switch {
			case forbidden:
				guarded = true
				n.use(loc)
				walk(loc.Block, func(x *directive) { n.use(x) })
				if !slices.Contains(internal, p) {
					internal = append(internal, p)
					internalAt = loc.At
				}
			case pass && !seenPath:
				seenPath = true
				d.c.Path = p
				d.source("path", loc.At)
				n.use(loc)
			case pass && p != d.c.Path:
				n.use(loc)
				extra = append(extra, p)
			case pass:
				n.use(loc)
			}
		}
		tlsListener := false
		for _, l := range named(s.Block, "listen") {
			n.use(l)
			if l.arg(0) == "" {
				continue
			}
			i := len(d.c.Listen)
			addr := strings.TrimPrefix(l.arg(0), "*:")
			lst := model.Listener{Addr: addr, TLS: slices.Contains(l.Args, "ssl")}
			tlsListener = tlsListener || lst.TLS
			d.source("listen["+strconv.Itoa(i)+"].addr", l.At)
			if lst.TLS {
				d.source("listen["+strconv.Itoa(i)+"].tls", l.At)
			}
			if len(allow) > 0 {
				lst.Allow = allow
				d.source("listen["+strconv.Itoa(i)+"].allow", allowAt)
				if !guarded {
					lst.Internal = true
					d.source("listen["+strconv.Itoa(i)+"].internal", allowAt)
				}
			}
			d.c.Listen = append(d.c.Listen, lst)
		}
		for _, p := range extra {
			if !slices.Contains(internal, p) {
				internal = append(internal, p)
				internalAt = s.At
			}
		}
		if c := first(s.Block, "ssl_certificate"); c != nil {
			n.use(c)
			n.d.tls().Certificate = c.arg(0)
			d.source("tls.certificate", c.At)
		}
		if k := first(s.Block, "ssl_certificate_key"); k != nil {
			n.use(k)
			n.d.tls().Key = k.arg(0)
			d.source("tls.key", k.At)
		}
		walk(s.Block, func(x *directive) {
			if x.Name == "proxy_pass" && !strings.Contains(x.arg(0), "fallback") {
				if _, ok := upstreamTLS[tlsListener]; !ok || strings.HasPrefix(x.arg(0), "https://") {
					upstreamTLS[tlsListener] = strings.HasPrefix(x.arg(0), "https://")
				}
			}
		})
	}
	if len(internal) > 0 {
		d.c.InternalPaths = internal
		d.source("internal_paths", internalAt)
	}
	d.setUpstream(upstreamTLS[false], upstreamTLS[true])
}

// renderedHeaders are the request headers lbgen sets toward the nodes.
var renderedHeaders = []string{"host", "upgrade", "connection", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"}

// parseNginxDuration reads nginx's time syntax: 500ms, 5s, 1m, 2h, or
// bare seconds.
func parseNginxDuration(s string) (model.Duration, bool) {
	units := []struct {
		suffix string
		unit   time.Duration
	}{{"ms", time.Millisecond}, {"s", time.Second}, {"m", time.Minute}, {"h", time.Hour}, {"d", 24 * time.Hour}}
	for _, u := range units {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			if i, err := strconv.Atoi(v); err == nil && i >= 0 {
				return model.Duration(time.Duration(i) * u.unit), true
			}
			return 0, false
		}
	}
	i, err := strconv.Atoi(s)
	return model.Duration(time.Duration(i) * time.Second), err == nil && i >= 0
}

// settings reads timeouts, limits and the rest that lives in directives
// of their own.
func (n *nginx) settings() {
	d := n.d
	c := &d.c
	websocket := false
	for _, x := range n.all {
		// lbgen's WebSocket locations hold the tunnel timeout.
		loc := n.location[x]
		inWebSocket := loc != nil && strings.HasSuffix(loc.arg(0), "_websocket")
		switch x.Name {
		case "proxy_connect_timeout":
			if v, ok := parseNginxDuration(x.arg(0)); ok && c.Timeouts.Connect == 0 {
				c.Timeouts.Connect = v
				d.source("timeouts.connect", x.At)
			}
			n.use(x)
		case "proxy_read_timeout", "proxy_send_timeout":
			v, ok := parseNginxDuration(x.arg(0))
			switch {
			case !ok:
			case inWebSocket:
				if c.Timeouts.Tunnel == 0 {
					c.Timeouts.Tunnel = v
					d.source("timeouts.tunnel", x.At)
				}
				n.use(x)
			case x.Name == "proxy_read_timeout" && c.Timeouts.Read == 0:
				c.Timeouts.Read = v
				d.source("timeouts.read", x.At)
				n.use(x)
			default:
				n.use(x)
			}
		case "worker_shutdown_timeout":
			if v, ok := parseNginxDuration(x.arg(0)); ok {
				c.Timeouts.Drain = v
				d.source("timeouts.drain", x.At)
				n.use(x)
			}
		case "client_max_body_size":
			var s model.Size
			if err := s.UnmarshalText([]byte(x.arg(0))); err == nil {
				c.MaxBody = s
				d.source("max_body", x.At)
				n.use(x)
			}
		case "limit_conn":
			if v, err := strconv.Atoi(x.arg(1)); err == nil && c.MaxConnections == 0 {
				c.MaxConnections = v
				d.source("max_connections", x.At)
			}
			n.use(x)
		case "proxy_set_header":
			if strings.EqualFold(x.arg(0), "Upgrade") && x.arg(1) != "" {
				websocket = true
			}
			if slices.Contains(renderedHeaders, strings.ToLower(x.arg(0))) {
				n.use(x)
			}
		case "proxy_http_version":
			n.use(x)
		}
	}
	c.WebSocket = &websocket
	for _, m := range n.maps {
		if m.arg(0) == "$http_upgrade" || m.arg(1) == "$connection_upgrade" {
			n.use(m)
		}
	}
	n.fallbacks()
	n.insertCookie()
}

// fallbacks reads lbgen's fallback groups, in the order the error pages
// chain them.
func (n *nginx) fallbacks() {
	d := n.d
	var names []string
	for name := range n.upstreams {
		if i := strings.Index(name, "_fallback_"); i > 0 && strings.HasPrefix(name, "lbgen_") {
			names = append(names, name)
		}
	}
	slices.SortFunc(names, func(a, b string) int { return n.upstreams[a].At.Line - n.upstreams[b].At.Line })
	for _, name := range names {
		u := n.upstreams[name]
		n.use(u)
		s := first(u.Block, "server")
		if s == nil {
			continue
		}
		scheme := "http"
		if n.isTLSGroup(name) {
			scheme = "https"
		}
		addr := s.arg(0)
		addr = strings.TrimSuffix(addr, map[string]string{"http": ":80", "https": ":443"}[scheme])
		i := len(d.c.Fallback)
		d.c.Fallback = append(d.c.Fallback, model.Fallback{Name: name[strings.Index(name, "_fallback_")+len("_fallback_"):], URL: scheme + "://" + addr})
		d.source("fallback["+strconv.Itoa(i)+"].name", u.At)
		d.source("fallback["+strconv.Itoa(i)+"].url", s.At)
	}
}

var setCookieRe = regexp.MustCompile(`^[^=]+=\.\$1(.*)\$\S+$`)

// insertCookie reads the Set-Cookie value lbgen's insert style adds.
func (n *nginx) insertCookie() {
	for _, m := range n.maps {
		if !strings.HasSuffix(m.arg(1), "_set_cookie") {
			continue
		}
		for _, e := range m.Block {
			if sub := setCookieRe.FindStringSubmatch(e.arg(0)); sub != nil {
				n.use(m)
				n.d.readInsert(sub[1], e.At)
			}
		}
	}
}

// faults reports what the guides' nginx samples get wrong.
func (n *nginx) faults(ownOutput bool) {
	d := n.d
	if ws := d.c.WebSocket; !ownOutput && ws != nil && !*ws {
		if i := slices.IndexFunc(n.all, func(x *directive) bool { return x.Name == "proxy_pass" }); i >= 0 {
			d.warn(n.all[i].At, "I-no-websocket", "no Upgrade header is passed to the nodes: WebSocket handshakes fail and clients fall back to slower transports",
				"remove websocket: false from the imported file to render WebSocket support")
		}
	}
	reported := map[string]bool{}
	for _, x := range n.all {
		switch x.Name {
		case "error_page":
			target := x.arg(len(x.Args) - 1)
			if strings.HasPrefix(target, "@lbgen_") {
				n.use(x)
				continue
			}
			if !strings.HasPrefix(target, "@") || !slices.ContainsFunc(x.Args, func(a string) bool { return a == "502" || a == "504" }) {
				continue
			}
			n.use(x)
			if reported[target] {
				continue
			}
			reported[target] = true
			if n.sessionsByAddress() {
				d.warn(x.At, "I-failover-timeout", "a session whose node is down is sent to that node's address on every request and reaches "+target+" only after proxy_connect_timeout: nothing remembers the node is down",
					"lbgen routes sessions through one upstream group per node, so a failed node is skipped for fail_timeout")
			}
			loc := n.namedLocation(target)
			if loc != nil {
				// The fallback is what lbgen's failover replaces.
				n.use(loc)
			}
			if loc != nil && n.lacksTimeouts(loc) {
				d.warn(loc.At, "I-fallback-timeouts", "location "+target+" does not inherit the timeouts and WebSocket headers of the location that falls back to it",
					"lbgen repeats them in every location it renders")
			}
		case "upstream":
			if x.Block != nil && first(x.Block, "keepalive") == nil && !strings.HasPrefix(x.arg(0), "lbgen_") {
				d.warn(x.At, "I-no-keepalive", "upstream "+x.arg(0)+" keeps no idle connections: every request opens a new connection to a node",
					"lbgen renders keepalive and an empty Connection header for plain requests")
			}
		case "proxy_pass":
			if strings.Contains(x.arg(0), "$uri") {
				d.warn(x.At, "I-decoded-uri", "proxy_pass rebuilds the URI from $uri, which nginx has percent-decoded and normalised: %2F and ; reach the node changed",
					"lbgen passes the request URI unchanged")
			}
			if n.read[x] {
				continue
			}
			n.use(x)
		case "sticky":
			n.use(x)
			d.warn(x.At, "I-nginx-plus", "sticky is an NGINX Plus directive: open-source nginx refuses this config",
				"lbgen renders sticky routing with map and upstream groups, which open-source nginx has")
		case "worker_connections":
			n.use(x)
			if v, err := strconv.Atoi(x.arg(0)); err == nil && v < 2*model.DefaultMaxConnections {
				d.warn(x.At, "I-capacity", "worker_connections "+x.arg(0)+" holds about "+strconv.Itoa(v/2)+" clients per worker: each long poll or WebSocket takes two connections",
					"lbgen sizes worker_connections from max_connections (default 10000)")
			}
		}
	}
}

// sessionsByAddress reports whether a proxy_pass sends sessions to an
// address held in a variable, not to an upstream group.
func (n *nginx) sessionsByAddress() bool {
	for _, x := range n.all {
		if x.Name == "proxy_pass" {
			_, rest, _ := strings.Cut(x.arg(0), "://")
			if strings.HasPrefix(rest, "$") && !strings.HasPrefix(rest, "$lbgen_") {
				return true
			}
		}
	}
	return false
}

func (n *nginx) namedLocation(name string) *directive {
	for _, x := range n.all {
		if x.Name == "location" && x.arg(0) == name {
			return x
		}
	}
	return nil
}

// lacksTimeouts reports whether a named location misses proxy settings
// that another location sets for the same traffic.
func (n *nginx) lacksTimeouts(loc *directive) bool {
	for _, name := range []string{"proxy_connect_timeout", "proxy_http_version", "proxy_set_header"} {
		inLoc := first(loc.Block, name) != nil
		elsewhere := false
		for _, x := range n.all {
			if x.Name == name && n.location[x] != nil && n.location[x] != loc {
				elsewhere = true
			}
		}
		if elsewhere && !inLoc {
			return true
		}
	}
	return false
}

// renderedByLbgen are the directives lbgen writes into every nginx config
// it renders: in its own output they are regenerated, not lost.
var renderedByLbgen = []string{
	"worker_processes", "worker_shutdown_timeout", "worker_rlimit_nofile", "pid", "error_log", "events", "worker_connections",
	"http", "server_tokens", "client_body_temp_path", "proxy_temp_path", "fastcgi_temp_path", "uwsgi_temp_path", "scgi_temp_path",
	"map_hash_bucket_size", "limit_conn_zone", "log_format", "access_log", "map", "upstream", "zone", "server", "keepalive",
	"ssl_protocols", "ssl_ciphers", "ssl_prefer_server_ciphers", "ssl_session_cache", "ssl_session_timeout", "ssl_session_tickets",
	"limit_conn_status", "limit_conn_log_level", "proxy_http_version", "proxy_set_header", "proxy_next_upstream",
	"proxy_next_upstream_tries", "proxy_next_upstream_timeout", "recursive_error_pages", "proxy_ssl_protocols",
	"proxy_ssl_session_reuse", "if", "return", "location", "proxy_ssl_server_name", "proxy_ssl_name", "add_header",
	"proxy_send_timeout", "hash",
}

// notImported reports every directive the cluster file has no place for.
func (n *nginx) notImported(ownOutput bool) {
	skip := map[*directive]bool{}
	for _, x := range n.all {
		if n.read[x] || x.Name == "http" || x.Name == "events" {
			continue
		}
		if skip[x] {
			continue
		}
		if x.Name == "map" || x.Name == "upstream" || x.Name == "types" {
			// Their blocks hold entries, not directives.
			walk(x.Block, func(y *directive) { skip[y] = true })
		}
		if ownOutput && slices.Contains(renderedByLbgen, x.Name) {
			continue
		}
		// A block that was not read is reported once, not line by line.
		walk(x.Block, func(y *directive) { skip[y] = true })
		n.d.warn(x.At, "I-not-imported", x.Name+" has no place in the cluster file and is not imported", notImportedHint(x.Name))
	}
}

func notImportedHint(name string) string {
	switch name {
	case "include", "default_type", "log_format", "access_log", "error_log":
		return "lbgen renders its own logging and MIME settings"
	case "proxy_buffers", "proxy_buffer_size", "proxy_busy_buffers_size":
		return "lbgen keeps nginx's buffer defaults: large buffers cost memory on every held connection"
	case "if", "set", "return":
		return "lbgen renders routing itself from the nodes and the sticky cookie"
	}
	return "if the setting matters, add it around the rendered config (render --snippet) and check it with lbgen check"
}
