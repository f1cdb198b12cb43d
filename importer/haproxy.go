package importer

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lbgen/lbgen/model"
)

// haproxySections are the keywords that start a section.
var haproxySections = []string{"global", "defaults", "frontend", "backend", "listen", "peers", "resolvers", "userlist",
	"mailers", "program", "http-errors", "ring", "cache", "crt-store", "traces"}

// parseHAProxy reads haproxy.cfg syntax: sections that start with a
// keyword, one statement per line, "#" comments, quotes and backslashes.
func parseHAProxy(file string, data []byte) (*parsed, *syntaxError) {
	out := &parsed{}
	var section *directive
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		trimmed := strings.TrimLeft(line, " \t")
		a := at{File: file, Line: i + 1, Col: len(line) - len(trimmed) + 1}
		if strings.HasPrefix(trimmed, "#") {
			out.Comments = append(out.Comments, comment{Text: strings.TrimSpace(trimmed[1:]), At: a})
			continue
		}
		words, cmt, err := haproxyWords(trimmed)
		if err != nil {
			return nil, syntaxErrorf(a, "%v", err)
		}
		if len(words) == 0 {
			continue
		}
		d := &directive{Name: words[0], Args: words[1:], At: a, Comment: cmt}
		if slices.Contains(haproxySections, strings.ToLower(words[0])) {
			d.Block = []*directive{}
			out.Top = append(out.Top, d)
			section = d
			continue
		}
		if section == nil {
			out.Top = append(out.Top, d)
			continue
		}
		section.Block = append(section.Block, d)
	}
	return out, nil
}

// haproxyWords splits a line into words and a trailing comment.
func haproxyWords(s string) (words []string, comment string, err error) {
	var b strings.Builder
	inWord := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote == '\'':
			b.WriteByte(c)
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
			inWord = true
		case quote == '"':
			b.WriteByte(c)
		case c == '"' || c == '\'':
			quote, inWord = c, true
		case c == '#':
			if inWord {
				words = append(words, b.String())
			}
			return words, strings.TrimSpace(s[i+1:]), nil
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, b.String())
				b.Reset()
				inWord = false
			}
		default:
			b.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, "", fmt.Errorf("unterminated quote")
	}
	if inWord {
		words = append(words, b.String())
	}
	return words, "", nil
}

// haproxy holds a HAProxy config indexed by what the importer reads.
type haproxy struct {
	d *draft
	read
	sections []*directive
	prefix   string
	comments []comment
	// backends serve the cluster; see chooseBackends.
	backends []*directive
}

func readHAProxy(d *draft, p *parsed, lb *lbgenHeader) {
	h := &haproxy{d: d, read: read{}, comments: p.Comments}
	for _, x := range p.Top {
		if x.Block != nil {
			h.sections = append(h.sections, x)
			h.use(x)
		}
	}
	if lb != nil {
		h.prefix = lb.prefix
	}
	h.chooseBackends()
	h.sticky()
	h.nodes(lb)
	h.frontends()
	h.settings(lb)
	h.faults(lb != nil)
	h.notImported(lb != nil)
}

// chooseBackends picks the backends that serve the cluster: those with a
// cookie, else lbgen's, else those the frontends send to by default.
// Other backends are reported and left out.
func (h *haproxy) chooseBackends() {
	var withServers []*directive
	for _, s := range h.sections {
		kind := strings.ToLower(s.Name)
		if (kind == "backend" || kind == "listen") && len(named(s.Block, "server")) > 0 {
			withServers = append(withServers, s)
		}
	}
	pick := func(keep func(s *directive) bool) []*directive {
		var out []*directive
		for _, s := range withServers {
			if keep(s) {
				out = append(out, s)
			}
		}
		return out
	}
	chosen := pick(func(s *directive) bool { return first(s.Block, "cookie") != nil })
	if len(chosen) == 0 && h.prefix != "" {
		chosen = pick(func(s *directive) bool {
			return strings.HasPrefix(s.arg(0), h.prefix+"nodes") || s.arg(0) == h.prefix+"fallback"
		})
	}
	if len(chosen) == 0 {
		defaults := map[string]bool{}
		h.each([]string{"frontend", "listen"}, func(_, x *directive) {
			if x.Name == "default_backend" {
				defaults[x.arg(0)] = true
			}
		})
		chosen = pick(func(s *directive) bool { return defaults[s.arg(0)] || strings.EqualFold(s.Name, "listen") })
	}
	if len(chosen) == 0 {
		chosen = withServers
	}
	h.backends = chosen
	for _, s := range withServers {
		if !slices.Contains(chosen, s) {
			h.d.warn(s.At, "I-other-backend", "backend "+s.arg(0)+" is not the sticky cluster's: not imported", "import it as a cluster of its own if lbgen should render it")
			h.use(s)
			for _, x := range s.Block {
				h.use(x)
			}
		}
	}
	if len(chosen) > 0 && h.prefix == "" {
		h.d.nameHint = chosen[0].arg(0)
	}
}

// each calls fn for every statement of the sections of the given kinds.
func (h *haproxy) each(kinds []string, fn func(section, x *directive)) {
	for _, s := range h.sections {
		if slices.Contains(kinds, strings.ToLower(s.Name)) {
			for _, x := range s.Block {
				fn(s, x)
			}
		}
	}
}

var (
	haCookieRe  = regexp.MustCompile(`regsub\("\^\(\?:\.\*\?;\)\?\?\[ \\\\t\]\*((?:[^=\\]|\\\\.)+)=",\)`)
	haCookRe    = regexp.MustCompile(`req\.cook\("?([^")]+)"?\)`)
	haParamRe   = regexp.MustCompile(`regsub\("\^\(\?:\.\*\?&\)\?\?((?:[^=\\]|\\\\.)+)=",\)`)
	haUseRe     = regexp.MustCompile(`^\{ var\(txn\.\S+_route\) -m str (\S+) \}`)
	haRouteRe   = regexp.MustCompile(`regsub\("\^\[\^\.\]\*\\\\\.",\)`)
	haInsertRe  = regexp.MustCompile(`^[^=]+=\.(\S+?)(; .*?)(?:%\[.*\])?$`)
	haContentRe = regexp.MustCompile(`req\.hdr_val\(content-length\) gt (\d+)`)
)

// sticky reads the cookie and parameter from lbgen's set-var lines, or
// from a backend's cookie directive.
func (h *haproxy) sticky() {
	d := h.d
	h.each([]string{"frontend", "listen", "backend"}, func(s, x *directive) {
		line := strings.Join(append([]string{x.Name}, x.Args...), " ")
		switch {
		case x.Name == "http-request" && x.arg(0) == "set-var(txn."+h.prefix+"sticky)":
			h.use(x)
			if m := haParamRe.FindStringSubmatch(line); m != nil {
				d.c.Sticky.Param = unescapeRegex(unescapeRegex(m[1]))
				d.source("sticky.param", x.At)
			}
			if m := haCookieRe.FindStringSubmatch(line); m != nil && d.c.Sticky.Cookie == "" {
				d.c.Sticky.Cookie = unescapeRegex(unescapeRegex(m[1]))
				d.source("sticky.cookie", x.At)
			}
		case x.Name == "http-request" && x.arg(0) == "set-var(txn."+h.prefix+"route)":
			h.use(x)
			if d.c.Sticky.Style == "" {
				d.c.Sticky.Style = model.StyleExact
				if haRouteRe.MatchString(line) {
					d.c.Sticky.Style = model.StyleRoute
				}
			}
		case x.Name == "cookie" && strings.EqualFold(s.Name, "backend") || x.Name == "cookie" && strings.EqualFold(s.Name, "listen"):
			h.use(x)
			d.c.Sticky.Cookie = x.arg(0)
			d.source("sticky.cookie", x.At)
			d.c.Sticky.Style = model.StyleExact
			switch {
			case slices.Contains(x.Args, "insert"):
				d.warn(x.At, "I-cookie-insert", "HAProxy inserts "+x.arg(0)+"=SERVER-COOKIE; lbgen's insert style writes \".\" + node name, so sessions pinned by the old cookie are placed again once",
					"keep style exact to route by the existing values, or accept one re-pin per session")
			case slices.Contains(x.Args, "prefix"):
				d.warn(x.At, "I-cookie-prefix", "HAProxy prefixes the application's "+x.arg(0)+" with the server's cookie and a \"~\": lbgen routes by the value the application sets",
					"make the application append \".\" + node name to the cookie (Tomcat jvmRoute) and use style route")
				d.c.Sticky.Style = model.StyleRoute
			}
		case strings.HasPrefix(line, "balance hash var(txn."+h.prefix+"key)") || x.Name == "hash-type":
			h.use(x)
			if x.Name == "balance" {
				d.c.Sticky.Style = model.StyleHash
			}
		case x.Name == "http-response" && x.arg(0) == "add-header" && strings.EqualFold(x.arg(1), "Set-Cookie"):
			if m := haInsertRe.FindStringSubmatch(x.arg(2)); m != nil {
				h.use(x)
				d.readInsert(m[2], x.At)
			}
		}
		if d.c.Sticky.Cookie == "" {
			if m := haCookRe.FindStringSubmatch(line); m != nil && x.Name == "http-request" {
				d.c.Sticky.Cookie = m[1]
				d.source("sticky.cookie", x.At)
			}
		}
	})
	if d.c.Sticky.Style == "" {
		d.c.Sticky.Style = model.StyleRoute
	}
}

// nodes reads the servers of the backends that serve the cluster.
func (h *haproxy) nodes(lb *lbgenHeader) {
	d := h.d
	nodes := &nodeSet{initial: model.StateActive}
	for _, s := range h.backends {
		if s.arg(0) == h.prefix+"fallback" && h.prefix != "" {
			h.fallbacks(s)
			continue
		}
		servers := named(s.Block, "server")
		if len(servers) == 0 {
			continue
		}
		routes := map[string]string{} // server id -> route
		tlsAll := false
		for _, x := range s.Block {
			switch x.Name {
			case "use-server":
				if m := haUseRe.FindStringSubmatch(strings.Join(x.Args[min(2, len(x.Args)):], " ")); m != nil && x.arg(1) == "if" {
					routes[x.arg(0)] = m[1]
				}
				h.use(x)
			case "default-server":
				tlsAll = slices.Contains(x.Args, "ssl")
			}
		}
		for _, srv := range servers {
			h.use(srv)
			id := srv.arg(0)
			name := routes[id]
			if v := argAfter(srv.Args, "cookie"); name == "" && v != "" {
				name = v
			}
			if name == "" {
				name = id
			}
			nd := nodes.node(name, srv.At)
			aa := &addrAt{addr: srv.arg(1), at: srv.At, x: srv}
			if tlsAll || slices.Contains(srv.Args, "ssl") {
				nd.secure = aa
			} else {
				nd.plain = aa
			}
			switch {
			case slices.Contains(srv.Args, "backup"):
				nd.state = model.StateStandby
			case slices.Contains(srv.Args, "disabled"):
				nd.state = model.StateDown
			case argAfter(srv.Args, "weight") == "0":
				nd.state = model.StateDrain
			}
			if w, err := strconv.Atoi(argAfter(srv.Args, "weight")); err == nil && w > 0 {
				nd.weight = w
			}
		}
	}
	d.addNodes(nodes, lb)
	if lb != nil {
		return
	}
	for _, s := range h.backends {
		h.unreadServerOptions(named(s.Block, "server"))
	}
}

// serverOptions are the server keywords the import reads, with whether a
// value follows.
var serverOptions = map[string]bool{"check": false, "backup": false, "disabled": false, "ssl": false,
	"inter": true, "fall": true, "rise": true, "cookie": true, "weight": true, "verify": true}

// unreadServerOptions reports, once per backend, the server keywords the
// cluster file has no place for.
func (h *haproxy) unreadServerOptions(servers []*directive) {
	var names []string
	var first at
	for _, x := range servers {
		for i := 2; i < len(x.Args); i++ {
			word := x.Args[i]
			if takesValue, known := serverOptions[word]; known {
				if takesValue {
					i++
				}
				continue
			}
			// The value of an unknown keyword.
			if word == "" || '0' <= word[0] && word[0] <= '9' || slices.Contains(names, word) {
				continue
			}
			if len(names) == 0 {
				first = x.At
			}
			names = append(names, word)
		}
	}
	if len(names) > 0 {
		h.d.warn(first, "I-not-imported", "server options "+strings.Join(names, ", ")+" have no place in the cluster file and are not imported",
			"lbgen sets its own failure and connection limits per node; see docs/targets.md")
	}
}

// argAfter returns the word after key in a server line's options.
func argAfter(args []string, key string) string {
	for i := 2; i+1 < len(args); i++ {
		if args[i] == key {
			return args[i+1]
		}
	}
	return ""
}

// fallbacks reads lbgen's fallback backend: its servers in order.
func (h *haproxy) fallbacks(s *directive) {
	d := h.d
	h.use(s)
	for _, srv := range named(s.Block, "server") {
		h.use(srv)
		scheme := "http"
		if slices.Contains(srv.Args, "ssl") {
			scheme = "https"
		}
		addr := strings.TrimSuffix(srv.arg(1), map[string]string{"http": ":80", "https": ":443"}[scheme])
		i := strconv.Itoa(len(d.c.Fallback))
		d.c.Fallback = append(d.c.Fallback, model.Fallback{Name: srv.arg(0), URL: scheme + "://" + addr})
		d.source("fallback["+i+"].name", srv.At)
		d.source("fallback["+i+"].url", srv.At)
	}
}

var (
	haServedRe   = regexp.MustCompile(`^served var\(txn\.\S+_path\) -m str (.+)$`)
	haInternalRe = regexp.MustCompile(`^internal_path var\(txn\.\S+_bare\) -m str (.+)$`)
	haAllowRe    = regexp.MustCompile(`^deny deny_status 403 unless \{ src -n (.+) \}$`)
)

// frontends reads listeners, allow lists, paths and the stats page.
func (h *haproxy) frontends() {
	d := h.d
	var internal []string
	var internalAt at
	seenPath := false
	upstreamTLS := map[bool]bool{}
	for _, s := range h.sections {
		kind := strings.ToLower(s.Name)
		if kind != "frontend" && kind != "listen" {
			continue
		}
		var allow []string
		var allowAt at
		guarded, stats := false, false
		var served []string
		for _, x := range s.Block {
			rest := strings.Join(x.Args, " ")
			switch {
			case x.Name == "acl" && haServedRe.MatchString(rest):
				h.use(x)
				served = append(served, haServedRe.FindStringSubmatch(rest)[1])
			case x.Name == "acl" && haInternalRe.MatchString(rest):
				h.use(x)
				guarded = true
				if p := haInternalRe.FindStringSubmatch(rest)[1]; !slices.Contains(internal, p) {
					internal, internalAt = append(internal, p), x.At
				}
			case x.Name == "http-request" && haAllowRe.MatchString(rest):
				h.use(x)
				allow, allowAt = strings.Fields(haAllowRe.FindStringSubmatch(rest)[1]), x.At
			case x.Name == "stats":
				h.use(x)
				stats = true
			case x.Name == "default_backend" || x.Name == "use_backend":
				h.use(x)
				upstreamTLS[false] = upstreamTLS[false] || strings.HasSuffix(x.arg(0), "_nodes_tls")
			}
		}
		for i, p := range served {
			switch {
			case i == 0 && !seenPath:
				seenPath = true
				d.c.Path = p
				d.source("path", s.At)
			case p != d.c.Path && !slices.Contains(internal, p):
				internal, internalAt = append(internal, p), s.At
			}
		}
		// A stats page beside the cluster's traffic is not an admin listener.
		stats = stats && len(named(s.Block, "default_backend")) == 0 && len(named(s.Block, "use_backend")) == 0
		for _, b := range named(s.Block, "bind") {
			h.use(b)
			addr := b.arg(0)
			if stats && len(allow) == 0 {
				d.warn(s.At, "I-open-stats", "the statistics page on "+addr+" answers every client: not imported", "lbgen renders it on admin.addr behind admin.allow")
				continue
			}
			if stats {
				d.c.Admin = &model.Admin{Addr: addr, Allow: allow}
				d.source("admin.addr", b.At)
				d.source("admin.allow", allowAt)
				continue
			}
			addr = strings.TrimPrefix(addr, "*:")
			addr = strings.TrimPrefix(addr, ":")
			i := strconv.Itoa(len(d.c.Listen))
			l := model.Listener{Addr: addr, TLS: slices.Contains(b.Args, "ssl")}
			d.source("listen["+i+"].addr", b.At)
			if l.TLS {
				d.source("listen["+i+"].tls", b.At)
				if crt := argAfter(append([]string{"", ""}, b.Args...), "crt"); crt != "" {
					h.d.tls().Certificate = crt
					d.source("tls.certificate", b.At)
				}
			}
			if len(allow) > 0 {
				l.Allow, l.Internal = allow, !guarded
				d.source("listen["+i+"].allow", allowAt)
				d.source("listen["+i+"].internal", allowAt)
			}
			d.c.Listen = append(d.c.Listen, l)
		}
	}
	if !seenPath {
		d.c.Path = "/"
	}
	if len(internal) > 0 {
		slices.Sort(internal)
		d.c.InternalPaths = internal
		d.source("internal_paths", internalAt)
	}
	h.upstreamMode(upstreamTLS[false])
	if t := d.c.TLS; t != nil && t.Key == "" && t.Certificate != "" {
		// One PEM file holds both, as HAProxy reads it.
		t.Key = t.Certificate
		d.from["tls.key"] = d.from["tls.certificate"]
	}
}

var snippetKeyRe = regexp.MustCompile(`^The global section needs "[^"]+" to find the key (\S+)\.$`)

// keyFile derives the key's name from the certificate's as HAProxy does
// with ssl-load-extra-files key: beside it, with .key appended, or in
// place of its extension with ssl-load-extra-del-ext.
func (h *haproxy) keyFile() {
	t := h.d.c.TLS
	if t == nil || t.Certificate == "" {
		return
	}
	var load, delExt *directive
	h.each([]string{"global"}, func(_, x *directive) {
		switch {
		case x.Name == "ssl-load-extra-files" && slices.Contains(x.Args, "key"):
			load = x
		case x.Name == "ssl-load-extra-del-ext":
			delExt = x
		}
	})
	if load == nil {
		// A snippet has no global section; lbgen names the key it expects.
		for _, c := range h.comments {
			if m := snippetKeyRe.FindStringSubmatch(c.Text); m != nil {
				t.Key = m[1]
				h.d.source("tls.key", c.At)
			}
		}
		return
	}
	h.use(load)
	base := t.Certificate
	if delExt != nil {
		h.use(delExt)
		if i := strings.LastIndexByte(base, '.'); i > strings.LastIndexByte(base, '/') {
			base = base[:i]
		}
	}
	t.Key = base + ".key"
	h.d.source("tls.key", load.At)
}

// upstreamMode reads how the nodes are reached: lbgen names the backend
// of TLS nodes *_nodes_tls, and has one for each scheme in match mode.
func (h *haproxy) upstreamMode(tlsBackend bool) {
	d := h.d
	plain, secure := false, false
	for _, s := range h.sections {
		if strings.EqualFold(s.Name, "backend") {
			plain = plain || s.arg(0) == h.prefix+"nodes"
			secure = secure || s.arg(0) == h.prefix+"nodes_tls"
		}
	}
	h.keyFile()
	switch {
	case secure && plain:
		h.d.tls().Upstream = model.UpstreamMatch
	case secure || tlsBackend:
		h.d.tls().Upstream = model.UpstreamTLS
	case d.c.TLS != nil:
		d.c.TLS.Upstream = model.UpstreamPlain
	}
}

var hardStopRe = regexp.MustCompile(`^\d+(ms|s|m|h|d)?$`)

// parseHAProxyDuration reads HAProxy's time syntax: 500ms, 5s, 1m, 2h, 1d,
// or bare milliseconds.
func parseHAProxyDuration(s string) (model.Duration, bool) {
	if !hardStopRe.MatchString(s) {
		return 0, false
	}
	if i, err := strconv.Atoi(s); err == nil {
		return model.Duration(time.Duration(i) * time.Millisecond), true
	}
	return parseNginxDuration(s)
}

// settings reads timeouts, health checks and limits.
func (h *haproxy) settings(lb *lbgenHeader) {
	d := h.d
	c := &d.c
	// HAProxy passes WebSocket upgrades unless told to drop them.
	ws := true
	for _, s := range h.sections {
		kind := strings.ToLower(s.Name)
		nodes := slices.Contains(h.backends, s) && s.arg(0) != h.prefix+"fallback"
		for _, x := range s.Block {
			rest := strings.Join(x.Args, " ")
			switch {
			case x.Name == "timeout" && (nodes || kind == "defaults"):
				h.use(x)
				v, ok := parseHAProxyDuration(x.arg(1))
				if !ok {
					continue
				}
				switch x.arg(0) {
				case "connect":
					c.Timeouts.Connect = v
					d.source("timeouts.connect", x.At)
				case "server":
					c.Timeouts.Read = v
					d.source("timeouts.read", x.At)
				case "tunnel":
					c.Timeouts.Tunnel = v
					d.source("timeouts.tunnel", x.At)
				}
			case x.Name == "timeout":
				h.use(x)
			case x.Name == "hard-stop-after":
				if v, ok := parseHAProxyDuration(x.arg(0)); ok {
					h.use(x)
					c.Timeouts.Drain = v
					d.source("timeouts.drain", x.At)
				}
			case x.Name == "maxconn" && kind == "global":
				if v, err := strconv.Atoi(x.arg(0)); err == nil {
					h.use(x)
					c.MaxConnections = v
					d.source("max_connections", x.At)
				}
			case x.Name == "maxconn":
				h.use(x)
			case x.Name == "http-check" && x.arg(0) == "send" && nodes:
				h.use(x)
				c.Health.Path = argAfter(append([]string{"", ""}, x.Args...), "uri")
				d.source("health.path", x.At)
			case x.Name == "option" && x.arg(0) == "httpchk" && nodes:
				h.use(x)
				if len(x.Args) >= 3 {
					c.Health.Path = x.Args[2]
					d.source("health.path", x.At)
				} else if len(x.Args) == 2 {
					c.Health.Path = x.Args[1]
					d.source("health.path", x.At)
				}
			case x.Name == "http-check" && x.arg(0) == "expect" && x.arg(1) == "status" && nodes:
				h.use(x)
				c.Health.ExpectStatus, _ = strconv.Atoi(x.arg(2))
				d.source("health.expect_status", x.At)
			case x.Name == "default-server" && nodes:
				h.use(x)
				all := append([]string{"", ""}, x.Args...)
				if v, ok := parseHAProxyDuration(argAfter(all, "inter")); ok {
					c.Health.Interval = v
					d.source("health.interval", x.At)
				}
				if v, err := strconv.Atoi(argAfter(all, "fall")); err == nil {
					c.Health.Fails = v
					d.source("health.fails", x.At)
				}
				if v, err := strconv.Atoi(argAfter(all, "rise")); err == nil {
					c.Health.Passes = v
					d.source("health.passes", x.At)
				}
			case x.Name == "http-request" && rest == "del-header Upgrade":
				h.use(x)
				ws = false
			case x.Name == "http-request" && haContentRe.MatchString(rest):
				h.use(x)
				v, _ := strconv.ParseInt(haContentRe.FindStringSubmatch(rest)[1], 10, 64)
				c.MaxBody = model.Size(v)
				d.source("max_body", x.At)
			}
		}
	}
	c.WebSocket = &ws
}

// faults reports what hand-written HAProxy configs commonly get wrong.
func (h *haproxy) faults(ownOutput bool) {
	if ownOutput {
		return
	}
	d := h.d
	globalMaxconn := false
	redispatch := false
	h.each([]string{"defaults"}, func(_, x *directive) {
		redispatch = redispatch || x.Name == "option" && x.arg(0) == "redispatch"
	})
	for _, s := range h.sections {
		kind := strings.ToLower(s.Name)
		for _, x := range s.Block {
			switch {
			case x.Name == "maxconn" && kind == "global":
				globalMaxconn = true
			case x.Name == "option" && (x.arg(0) == "httpclose" || x.arg(0) == "http-server-close" || x.arg(0) == "forceclose"):
				h.use(x)
				d.warn(x.At, "I-no-keepalive", "option "+x.arg(0)+" closes the connection to the node after every request",
					"lbgen keeps idle connections to the nodes (http-reuse safe)")
			case x.Name == "appsession":
				h.use(x)
				d.warn(x.At, "I-appsession", "appsession was removed in HAProxy 1.6: this config does not load in a current HAProxy",
					"lbgen routes by the sticky cookie itself, without a session table")
			}
		}
		if slices.Contains(h.backends, s) && s.arg(0) != h.prefix+"fallback" {
			if !slices.ContainsFunc(named(s.Block, "server"), func(x *directive) bool { return slices.Contains(x.Args, "check") }) &&
				!slices.ContainsFunc(named(s.Block, "default-server"), func(x *directive) bool { return slices.Contains(x.Args, "check") }) {
				d.warn(s.At, "I-no-health", "no server of "+s.arg(0)+" is checked: a dead node is found only by client requests that fail on it",
					"lbgen renders HTTP checks from health")
			} else if len(named(s.Block, "option")) == 0 || !slices.ContainsFunc(named(s.Block, "option"), func(x *directive) bool { return x.arg(0) == "httpchk" }) {
				d.warn(s.At, "I-tcp-check", "servers of "+s.arg(0)+" are checked by connecting only: a node that accepts connections but fails requests stays in",
					"lbgen renders option httpchk with health.path")
			}
			if c := first(s.Block, "cookie"); c != nil && !redispatch &&
				!slices.ContainsFunc(named(s.Block, "option"), func(x *directive) bool { return x.arg(0) == "redispatch" }) {
				d.warn(c.At, "I-no-redispatch", "without option redispatch, a session whose server is down keeps its cookie and gets 503 until the server is back",
					"lbgen sends such sessions to another node (option redispatch)")
			}
			if h.d.c.Timeouts.Tunnel == 0 {
				d.warn(s.At, "I-no-tunnel-timeout", "backend "+s.arg(0)+" sets no timeout tunnel: WebSockets are closed after timeout server, like a slow answer",
					"lbgen renders timeout tunnel from timeouts.tunnel")
			}
		}
	}
	if !globalMaxconn && len(h.sections) > 0 {
		d.warn(h.sections[0].At, "I-capacity", "no global maxconn: the limit follows the open-file limit of the host that starts HAProxy",
			"lbgen renders maxconn from max_connections (default 10000)")
	}
}

// haproxyRendered are the keywords lbgen writes into every HAProxy config
// it renders: in its own output they are regenerated, not lost.
var haproxyRendered = []string{
	"default-path", "master-worker", "pidfile", "stats", "log", "no", "ssl-default-bind-ciphers", "ssl-default-bind-options",
	"ssl-load-extra-files", "ssl-load-extra-del-ext", "mode", "option", "http-request", "http-response", "acl",
	"use_backend", "default_backend", "balance", "retries", "retry-on", "http-reuse", "http-check", "default-server",
	"tune.bufsize", "tune.maxrewrite", "hash-type", "capture", "log-format", "stick-table", "stick", "unique-id-format",
	"timeout", "maxconn", "errorfile", "compression", "http-after-response",
}

// notImported reports every statement the cluster file has no place for.
func (h *haproxy) notImported(ownOutput bool) {
	for _, s := range h.sections {
		for _, x := range s.Block {
			if h.read[x] || ownOutput && slices.Contains(haproxyRendered, x.Name) {
				continue
			}
			h.d.warn(x.At, "I-not-imported", strings.TrimSpace(x.Name+" "+x.arg(0))+" has no place in the cluster file and is not imported",
				"if the setting matters, add it around the rendered config (render --snippet) and check it with lbgen check")
		}
	}
}
