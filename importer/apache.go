package importer

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lbgen/lbgen/model"
)

// parseApache reads httpd.conf syntax: one directive per line (a trailing
// backslash continues it), <Section args> ... </Section> blocks, "#"
// comment lines, and arguments in double or single quotes.
func parseApache(file string, data []byte) (*parsed, *syntaxError) {
	out := &parsed{}
	type open struct {
		d    *directive
		body *[]*directive
	}
	top := []*directive{}
	stack := []open{{body: &top}}
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		lineNo := i + 1
		text := strings.TrimRight(lines[i], "\r")
		for strings.HasSuffix(text, `\`) && i+1 < len(lines) {
			i++
			text = strings.TrimSuffix(text, `\`) + " " + strings.TrimRight(lines[i], "\r")
		}
		trimmed := strings.TrimLeft(text, " \t")
		col := len(text) - len(trimmed) + 1
		a := at{File: file, Line: lineNo, Col: col}
		switch {
		case trimmed == "":
			continue
		case strings.HasPrefix(trimmed, "#"):
			out.Comments = append(out.Comments, comment{Text: strings.TrimSpace(trimmed[1:]), At: a})
			continue
		case strings.HasPrefix(trimmed, "</"):
			name := strings.TrimSuffix(strings.TrimSpace(trimmed[2:]), ">")
			if len(stack) == 1 || !strings.EqualFold(stack[len(stack)-1].d.Name, name) {
				return nil, syntaxErrorf(a, "</%s> closes no open section", name)
			}
			stack = stack[:len(stack)-1]
			continue
		}
		section := strings.HasPrefix(trimmed, "<")
		if section {
			end := strings.LastIndexByte(trimmed, '>')
			if end < 0 {
				return nil, syntaxErrorf(a, "section %s is not closed by \">\"", trimmed)
			}
			trimmed = trimmed[1:end]
		}
		words, err := apacheWords(trimmed)
		if err != nil {
			return nil, syntaxErrorf(a, "%v", err)
		}
		d := &directive{Name: words[0], Args: words[1:], At: a}
		body := stack[len(stack)-1].body
		*body = append(*body, d)
		if section {
			if len(stack) > maxDepth {
				return nil, syntaxErrorf(a, "sections nested more than %d deep", maxDepth)
			}
			d.Block = []*directive{}
			stack = append(stack, open{d: d, body: &d.Block})
		}
	}
	if len(stack) > 1 {
		d := stack[len(stack)-1].d
		return nil, syntaxErrorf(d.At, "<%s> is never closed", d.Name)
	}
	out.Top = top
	return out, nil
}

// apacheWords splits a directive line into words as httpd does: quotes
// group words, a backslash before a quote keeps the quote.
func apacheWords(s string) ([]string, error) {
	var words []string
	for s = strings.TrimLeft(s, " \t"); s != ""; s = strings.TrimLeft(s, " \t") {
		q := s[0]
		if q != '"' && q != '\'' {
			end := strings.IndexAny(s, " \t")
			if end < 0 {
				end = len(s)
			}
			words = append(words, s[:end])
			s = s[end:]
			continue
		}
		var b strings.Builder
		i := 1
		for ; i < len(s) && s[i] != q; i++ {
			if s[i] == '\\' && i+1 < len(s) && s[i+1] == q {
				i++
			}
			b.WriteByte(s[i])
		}
		if i >= len(s) {
			return nil, fmt.Errorf("unterminated quote")
		}
		words = append(words, b.String())
		s = s[i+1:]
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("empty section")
	}
	return words, nil
}

// apache holds an httpd config indexed by what the importer reads.
type apache struct {
	d *draft
	read
	all      []*directive
	nested   map[*directive]bool // inside a section
	comments []comment
	// commentBefore is the comment on the line just above a directive.
	commentBefore func(x *directive) string
	// memberPaths are the paths BalancerMember URLs carry.
	memberPaths []memberPath
}

func readApache(d *draft, p *parsed, lb *lbgenHeader) {
	a := &apache{d: d, read: read{}, nested: map[*directive]bool{}, comments: p.Comments, commentBefore: p.commentAbove()}
	walk(p.Top, func(x *directive) {
		a.all = append(a.all, x)
		walk(x.Block, func(y *directive) { a.nested[y] = true })
	})
	// ServerRoot placed the includes, already read; what IfModule holds
	// is read, or reported, for itself.
	a.use(a.named("ServerRoot")...)
	a.use(a.named("IfModule")...)
	a.members(lb)
	a.stickySet()
	a.health()
	a.vhosts()
	a.settings(lb)
	a.faults(lb != nil)
	a.notImported(lb != nil)
}

func (a *apache) named(name string) []*directive {
	var out []*directive
	for _, x := range a.all {
		if strings.EqualFold(x.Name, name) {
			out = append(out, x)
		}
	}
	return out
}

type memberPath struct {
	path string
	at   at
}

var (
	standbyCommentRe  = regexp.MustCompile(`^Standby node (\S+)\.$`)
	fallbackCommentRe = regexp.MustCompile(`^Fallback (\S+)\.$`)
)

// members reads BalancerMember lines: nodes, and lbgen's fallbacks.
func (a *apache) members(lb *lbgenHeader) {
	d := a.d
	nodes := &nodeSet{initial: model.StateActive}
	for _, m := range a.named("BalancerMember") {
		a.use(m)
		raw := m.arg(0)
		if strings.HasPrefix(raw, "balancer://") && len(m.Args) > 1 {
			raw = m.Args[1]
		}
		if strings.Contains(raw, "<") {
			d.fail(m.At, "I-placeholder", "BalancerMember "+raw+" still holds a placeholder of the guide", "write the node's real host and port")
			continue
		}
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			d.fail(m.At, "I-address", model.Quote(raw)+" is not a node URL", "write http://HOST:PORT or https://HOST:PORT")
			continue
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			d.warn(m.At, "I-address", "BalancerMember "+raw+" speaks "+u.Scheme+": not imported", "lbgen reaches nodes over HTTP or HTTPS: give the node's HTTP port")
			continue
		}
		port := u.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
		}
		addr := u.Hostname()
		if strings.Contains(addr, ":") {
			addr = "[" + addr + "]"
		}
		addr += ":" + port
		if u.Path != "" && u.Path != "/" {
			a.memberPaths = append(a.memberPaths, memberPath{path: strings.TrimSuffix(u.Path, "/"), at: m.At})
		}
		if v, ok := m.param("lbset"); ok && v != "0" {
			name := "fallback" + v
			if c := fallbackCommentRe.FindStringSubmatch(a.commentBefore(m)); c != nil {
				name = c[1]
			}
			url := u.Scheme + "://" + u.Host
			i := len(d.c.Fallback)
			if !slices.ContainsFunc(d.c.Fallback, func(f model.Fallback) bool { return f.Name == name }) {
				d.c.Fallback = append(d.c.Fallback, model.Fallback{Name: name, URL: url})
				d.source("fallback["+strconv.Itoa(i)+"].name", m.At)
				d.source("fallback["+strconv.Itoa(i)+"].url", m.At)
			}
			continue
		}
		route, hasRoute := m.param("route")
		status, _ := m.param("status")
		if !hasRoute {
			if c := standbyCommentRe.FindStringSubmatch(a.commentBefore(m)); c != nil {
				route = c[1]
			} else {
				route = "node" + strconv.Itoa(len(nodes.list)+1)
				d.warn(m.At, "I-node-name", "BalancerMember "+raw+" has no route: imported as node "+route,
					"give every member route= with the name its application puts in the sticky cookie")
			}
		}
		nd := nodes.node(route, m.At)
		aa := &addrAt{addr: addr, at: m.At, x: m}
		if u.Scheme == "https" {
			nd.secure = aa
		} else {
			nd.plain = aa
		}
		switch {
		case strings.Contains(status, "+H"):
			nd.state = model.StateStandby
		case strings.Contains(status, "+N"):
			nd.state = model.StateDrain
		case strings.Contains(status, "+D") || strings.Contains(status, "+S"):
			nd.state = model.StateDown
		}
		if w, ok := m.param("loadfactor"); ok {
			f, err := strconv.ParseFloat(w, 64)
			nd.weight = int(f + 0.5)
			if err != nil || float64(nd.weight) != f {
				d.warn(m.At, "I-weight", "loadfactor "+w+" is not a whole number: imported as weight "+strconv.Itoa(max(nd.weight, 1)), "weights are whole numbers from 1 to 100")
			}
		}
		if v, ok := m.param("connectiontimeout"); ok && d.c.Timeouts.Connect == 0 {
			if t, ok := parseApacheDuration(v); ok {
				d.c.Timeouts.Connect = t
				d.source("timeouts.connect", m.At)
			}
		}
		if v, ok := m.param("timeout"); ok && d.c.Timeouts.Read == 0 {
			if t, ok := parseApacheDuration(v); ok {
				d.c.Timeouts.Read = t
				d.source("timeouts.read", m.At)
			}
		}
		if v, ok := m.param("upgrade"); ok && strings.EqualFold(v, "websocket") {
			ws := true
			d.c.WebSocket = &ws
		}
	}
	d.addNodes(nodes, lb)
	if lb != nil {
		return
	}
	for _, p := range a.named("Proxy") {
		var members []*directive
		for _, x := range p.Block {
			if strings.EqualFold(x.Name, "BalancerMember") {
				members = append(members, x)
			}
		}
		d.unreadParams(members, 1, []string{"route", "status", "loadfactor", "lbset", "connectiontimeout", "timeout", "upgrade",
			"hcmethod", "hcuri", "hcinterval", "hcfails", "hcpasses", "hcexpr", "hctemplate"}, "BalancerMember")
	}
}

// parseApacheDuration reads mod_proxy's times: seconds, or with ms.
func parseApacheDuration(s string) (model.Duration, bool) {
	if v, ok := strings.CutSuffix(s, "ms"); ok {
		i, err := strconv.Atoi(v)
		return model.Duration(time.Duration(i) * time.Millisecond), err == nil && i >= 0
	}
	return parseNginxDuration(s)
}

// stickySet reads the sticky cookie and parameter from ProxySet or
// ProxyPass stickysession=COOKIE|param.
func (a *apache) stickySet() {
	d := a.d
	for _, x := range a.all {
		if !strings.EqualFold(x.Name, "ProxySet") && !strings.EqualFold(x.Name, "ProxyPass") {
			continue
		}
		if strings.EqualFold(x.Name, "ProxySet") {
			a.use(x)
		}
		v, ok := x.param("stickysession")
		if !ok {
			continue
		}
		cookie, param, _ := strings.Cut(v, "|")
		param = strings.TrimSpace(param)
		if d.c.Sticky.Cookie != "" && d.c.Sticky.Cookie != cookie {
			d.warn(x.At, "I-cookie-spelling", "stickysession names "+model.Quote(cookie)+" here and "+model.Quote(d.c.Sticky.Cookie)+" elsewhere", "use the one name the application sets")
			continue
		}
		d.c.Sticky.Cookie = cookie
		d.source("sticky.cookie", x.At)
		if param != "" {
			d.c.Sticky.Param = param
			d.source("sticky.param", x.At)
		}
	}
	d.c.Sticky.Style = model.StyleRoute
	for _, x := range a.named("Header") {
		for i, arg := range x.Args {
			if !strings.EqualFold(arg, "Set-Cookie") || i+1 >= len(x.Args) {
				continue
			}
			value := x.Args[i+1]
			if _, attrs, ok := strings.Cut(value, ".%{BALANCER_WORKER_ROUTE}e"); ok {
				a.use(x)
				d.readInsert(strings.TrimSuffix(attrs, "; Secure"), x.At)
			}
		}
	}
}

var hcExprRe = regexp.MustCompile(`^\{%\{REQUEST_STATUS\} == (\d+)\}$`)

// health reads mod_proxy_hcheck's template and expression.
func (a *apache) health() {
	d := a.d
	status := map[string]int{}
	for _, x := range a.named("ProxyHCExpr") {
		if m := hcExprRe.FindStringSubmatch(strings.Join(x.Args[min(1, len(x.Args)):], " ")); m != nil {
			status[x.arg(0)], _ = strconv.Atoi(m[1])
			a.use(x)
		}
	}
	for _, x := range a.named("ProxyHCTemplate") {
		a.use(x)
		h := &d.c.Health
		if v, ok := x.param("hcuri"); ok {
			h.Path = v
		}
		if v, ok := x.param("hcinterval"); ok {
			h.Interval, _ = parseApacheDuration(v)
		}
		if v, ok := x.param("hcfails"); ok {
			h.Fails, _ = strconv.Atoi(v)
		}
		if v, ok := x.param("hcpasses"); ok {
			h.Passes, _ = strconv.Atoi(v)
		}
		if v, ok := x.param("hcexpr"); ok {
			h.ExpectStatus = status[v]
		}
		for _, f := range []string{"path", "interval", "fails", "passes", "expect_status"} {
			d.source("health."+f, x.At)
		}
	}
}

var (
	apacheGuardRe   = regexp.MustCompile(`^\^(.*)\(\?:\(\?:/\|%2\[Ff\]\)\|\$\)$`)
	apacheSegmentRe = regexp.MustCompile(`\(\?:;\(\?:\[\^/%\]\|%\(\?!2\[Ff\]\)\)\*\)\?`)
	mpmCommentRe    = regexp.MustCompile(`^Event MPM for (\d+) clients \(max_connections\)`)
	contentLengthRe = regexp.MustCompile(`^-gt(\d+)$`)
)

// guardPath reads an internal path back from lbgen's RewriteCond pattern.
func guardPath(re string) (string, bool) {
	m := apacheGuardRe.FindStringSubmatch(re)
	if m == nil {
		return "", false
	}
	p := apacheSegmentRe.ReplaceAllString(m[1], "")
	p = strings.ReplaceAll(p, "(?:/|%2[Ff])", "/")
	return unescapeRegex(p), true
}

// vhosts reads listeners from Listen lines and the virtual hosts on them.
func (a *apache) vhosts() {
	d := a.d
	type vhost struct {
		x                 *directive
		tls, guarded, adm bool
		allow             []string
		allowAt           at
	}
	byAddr := map[string]*vhost{} // by the address it is written with
	var internal []string
	var internalAt at
	seenPath := false
	var upstreamTLS = map[bool]bool{}
	for _, v := range a.named("VirtualHost") {
		a.use(v)
		vh := &vhost{x: v}
		byAddr[v.arg(0)] = vh
		proxies := false
		walk(v.Block, func(x *directive) {
			switch strings.ToLower(x.Name) {
			case "sslengine":
				a.use(x)
				vh.tls = strings.EqualFold(x.arg(0), "on")
			case "location":
				a.use(x)
				if strings.Contains(x.arg(0), "balancer-manager") {
					vh.adm = true
				}
			case "proxypass":
				proxies = true
			case "sethandler":
				a.use(x)
			case "require":
				if len(x.Args) > 1 && strings.EqualFold(x.arg(0), "ip") {
					a.use(x)
					vh.allow, vh.allowAt = x.Args[1:], x.At
				}
			case "rewritecond":
				if p, ok := guardPath(x.arg(1)); ok && x.arg(0) == "%{REQUEST_URI}" {
					a.use(x)
					vh.guarded = true
					if !slices.Contains(internal, p) {
						internal = append(internal, p)
						internalAt = x.At
					}
				}
			}
		})
		// balancer-manager has a listener of its own only where nothing is proxied.
		vh.adm = vh.adm && !proxies
	}
	// ProxyPass lines: the first path is the cluster's; more on internal
	// listeners are internal paths.
	for _, x := range a.named("ProxyPass") {
		if !strings.HasPrefix(x.arg(1), "balancer://") {
			continue
		}
		a.use(x)
		p := x.arg(0)
		if len(p) > 1 {
			p = strings.TrimSuffix(p, "/")
		}
		balancer := strings.TrimPrefix(x.arg(1), "balancer://")
		balancer, _, _ = strings.Cut(balancer, "/")
		if d.nameHint == "" {
			d.nameHint = balancer
		}
		tlsVHost := false
		for _, vh := range byAddr {
			if containsDirective(vh.x, x) {
				tlsVHost = vh.tls
			}
		}
		upstreamTLS[tlsVHost] = upstreamTLS[tlsVHost] || strings.HasSuffix(balancer, "_tls") || a.balancerTLS(balancer)
		switch {
		case !seenPath:
			seenPath = true
			d.c.Path = p
			d.source("path", x.At)
		case p != d.c.Path && !slices.Contains(internal, p):
			internal = append(internal, p)
			internalAt = x.At
		}
	}
	for _, mp := range a.memberPaths {
		if mp.path != d.c.Path {
			d.warn(mp.at, "I-member-path", "the member URL carries the path "+mp.path+", and ProxyPass maps "+d.c.Path+" onto the balancer: nodes get requests under "+mp.path+", not under "+d.c.Path,
				"lbgen passes the request path unchanged; write members as scheme://host:port")
		}
	}
	if len(internal) > 0 {
		slices.Sort(internal)
		d.c.InternalPaths = internal
		d.source("internal_paths", internalAt)
	}
	for _, l := range a.named("Listen") {
		a.use(l)
		addr := l.arg(0)
		port := addr
		if i := strings.LastIndexByte(addr, ':'); i >= 0 {
			port = addr[i+1:]
		}
		vh := byAddr[addr]
		for _, wildcard := range []string{"*:", "_default_:"} {
			if vh == nil {
				vh = byAddr[wildcard+port]
			}
		}
		if vh != nil && vh.adm {
			d.c.Admin = &model.Admin{Addr: addr, Allow: vh.allow}
			d.source("admin.addr", l.At)
			d.source("admin.allow", vh.allowAt)
			continue
		}
		i := len(d.c.Listen)
		p := "listen[" + strconv.Itoa(i) + "]"
		lst := model.Listener{Addr: addr, TLS: strings.EqualFold(l.arg(1), "https")}
		d.source(p+".addr", l.At)
		if vh != nil {
			lst.TLS = lst.TLS || vh.tls
			if len(vh.allow) > 0 {
				lst.Allow = vh.allow
				lst.Internal = !vh.guarded
				d.source(p+".allow", vh.allowAt)
				d.source(p+".internal", vh.allowAt)
			}
		}
		if lst.TLS {
			d.source(p+".tls", l.At)
		}
		d.c.Listen = append(d.c.Listen, lst)
	}
	for _, x := range a.all {
		switch strings.ToLower(x.Name) {
		case "sslcertificatefile":
			a.use(x)
			d.tls().Certificate = x.arg(0)
			d.source("tls.certificate", x.At)
		case "sslcertificatekeyfile":
			a.use(x)
			d.tls().Key = x.arg(0)
			d.source("tls.key", x.At)
		}
	}
	d.setUpstream(upstreamTLS[false], upstreamTLS[true])
}

func containsDirective(block *directive, x *directive) bool {
	found := false
	walk(block.Block, func(y *directive) { found = found || y == x })
	return found
}

// balancerTLS reports whether a balancer's node members use https.
func (a *apache) balancerTLS(name string) bool {
	for _, p := range a.named("Proxy") {
		if strings.TrimSuffix(strings.TrimPrefix(p.arg(0), "balancer://"), "/") != name {
			continue
		}
		for _, m := range p.Block {
			if strings.EqualFold(m.Name, "BalancerMember") && strings.HasPrefix(m.arg(0), "https://") {
				if v, ok := m.param("lbset"); !ok || v == "0" {
					return true
				}
			}
		}
	}
	return false
}

// settings reads the limits and the tunnel timeout.
func (a *apache) settings(lb *lbgenHeader) {
	d := a.d
	c := &d.c
	if c.WebSocket == nil {
		ws := false
		c.WebSocket = &ws
	}
	for _, x := range a.all {
		switch strings.ToLower(x.Name) {
		case "timeout":
			if a.nested[x] && *c.WebSocket {
				if t, ok := parseNginxDuration(x.arg(0)); ok && c.Timeouts.Tunnel == 0 {
					c.Timeouts.Tunnel = t
					d.source("timeouts.tunnel", x.At)
				}
				a.use(x)
			}
		case "rewritecond":
			if x.arg(0) == "%{HTTP:Content-Length}" {
				if m := contentLengthRe.FindStringSubmatch(x.arg(1)); m != nil {
					v, _ := strconv.ParseInt(m[1], 10, 64)
					c.MaxBody = model.Size(v)
					d.source("max_body", x.At)
					a.use(x)
				}
			}
		case "proxy":
			if strings.HasPrefix(x.arg(0), "balancer://") {
				a.use(x)
			}
		}
	}
	if lb != nil {
		for _, cm := range a.comments {
			if m := mpmCommentRe.FindStringSubmatch(cm.Text); m != nil {
				c.MaxConnections, _ = strconv.Atoi(m[1])
				d.source("max_connections", cm.At)
			}
		}
	}
}

var moduleFileRe = regexp.MustCompile(`mod_(\w+)\.so$`)

// faults reports what the guides' Apache samples get wrong.
func (a *apache) faults(ownOutput bool) {
	d := a.d
	loaded := map[string]bool{}
	for _, x := range a.named("LoadModule") {
		a.use(x)
		loaded[x.arg(0)] = true
		m := moduleFileRe.FindStringSubmatch(x.arg(1))
		if m != nil && m[1]+"_module" != x.arg(0) {
			d.warn(x.At, "I-loadmodule", "LoadModule names "+x.arg(0)+" but loads "+m[0]+": httpd skips the line as a second "+x.arg(0)+", and "+m[1]+"_module is never loaded",
				"write LoadModule "+m[1]+"_module "+x.arg(1))
		}
	}
	for _, x := range a.all {
		switch strings.ToLower(x.Name) {
		case "location", "locationmatch":
			if !strings.Contains(x.arg(0), "balancer-manager") {
				continue
			}
			if !a.restricted(x) {
				d.warn(x.At, "I-open-balancer-manager", "balancer-manager is open to every client: anyone can disable nodes or change routes",
					"lbgen renders it on an admin listener of its own, behind admin.allow")
			}
		case "proxyset", "proxypass":
			if v, ok := x.param("nofailover"); ok && strings.EqualFold(v, "On") {
				d.warn(x.At, "I-nofailover", "nofailover=On: a session whose member is down or disabled gets 503 instead of another member",
					"lbgen fails sessions over to another node; the application rebuilds the session there")
			}
		case "order", "allow", "deny":
			a.use(x)
			d.warn(x.At, "I-access-compat", x.Name+" is httpd 2.2 syntax: 2.4 reads it only with mod_access_compat, and mixes it badly with Require",
				"use Require (lbgen renders Require ip from the allow lists)")
		}
	}
	hcheck := len(a.named("ProxyHCTemplate")) > 0 || slices.ContainsFunc(a.named("BalancerMember"), func(m *directive) bool {
		_, ok := m.param("hcmethod")
		return ok
	})
	switch {
	case !hcheck && len(a.named("BalancerMember")) > 0:
		p := a.named("BalancerMember")[0]
		d.warn(p.At, "I-no-health", "no member is health-checked: a dead node is found only by client requests that fail on it",
			"lbgen renders mod_proxy_hcheck checks from health (path, interval, fails, passes)")
	case hcheck && len(loaded) > 0 && !loaded["proxy_hcheck_module"]:
		p := a.named("BalancerMember")[0]
		d.warn(p.At, "I-health-never-runs", "members are given health checks, but mod_proxy_hcheck is not loaded: httpd never runs them",
			"load proxy_hcheck_module (lbgen renders the LoadModule line)")
	}
	if ws := a.d.c.WebSocket; !ownOutput && ws != nil && !*ws && len(a.named("BalancerMember")) > 0 {
		d.warn(a.named("BalancerMember")[0].At, "I-no-websocket", "no member passes WebSocket upgrades (upgrade=websocket): clients fall back to slower transports",
			"remove websocket: false from the imported file to render WebSocket support")
	}
}

// restricted reports whether a Location limits who may use it with
// Require (other than "all granted").
func (a *apache) restricted(loc *directive) bool {
	ok := false
	walk(loc.Block, func(x *directive) {
		if strings.EqualFold(x.Name, "Require") && !(strings.EqualFold(x.arg(0), "all") && strings.EqualFold(x.arg(1), "granted")) {
			ok = true
		}
	})
	return ok
}

// apacheRendered are the directives lbgen writes into every httpd config
// it renders: in its own output they are regenerated, not lost.
var apacheRendered = []string{
	"defaultruntimedir", "pidfile", "mutex", "errorlog", "loglevel", "servername", "servertokens", "user", "group",
	"loadmodule", "ifmodule", "serverlimit", "threadlimit", "threadsperchild", "maxrequestworkers", "startservers",
	"asyncrequestworkerfactor", "requestreadtimeout", "sslsessioncache", "sslsessioncachetimeout", "logformat", "customlog",
	"sslproxyengine", "sslproxyprotocol", "sslproxyverify", "sslproxycheckpeername", "sslproxycheckpeercn",
	"sslproxycheckpeerexpire", "serversignature", "traceenable", "proxyrequests", "proxypreservehost",
	"allowencodedslashes", "requestheader", "rewriteengine", "rewritecond", "rewriterule", "sslprotocol",
	"sslciphersuite", "sslhonorcipherorder", "sslcompression", "sslsessiontickets", "header", "setenvif", "proxyset",
	"limitrequestbody", "keepalive", "keepalivetimeout", "maxkeepaliverequests", "proxytimeout",
}

// notImported reports every directive the cluster file has no place for.
func (a *apache) notImported(ownOutput bool) {
	skip := map[*directive]bool{}
	for _, x := range a.all {
		name := strings.ToLower(x.Name)
		if a.read[x] || skip[x] || ownOutput && slices.Contains(apacheRendered, name) {
			continue
		}
		walk(x.Block, func(y *directive) { skip[y] = true })
		a.d.warn(x.At, "I-not-imported", x.Name+" has no place in the cluster file and is not imported", apacheHint(name))
	}
}

func apacheHint(name string) string {
	switch name {
	case "proxypassreverse":
		return "nodes behind lbgen's balancer see the client's Host header (ProxyPreserveHost), so redirects need no rewriting"
	case "namevirtualhost":
		return "httpd 2.4 ignores NameVirtualHost"
	case "sslcacertificatefile":
		return "client certificates are not part of the cluster file"
	}
	return "if the setting matters, add it around the rendered config (render --snippet) and check it with lbgen check"
}
