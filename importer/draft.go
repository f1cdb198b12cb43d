package importer

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/lbgen/lbgen/model"
)

// draft is the cluster being read from a config, with where each value
// came from and what was found on the way.
type draft struct {
	c    model.Cluster
	from map[string]at
	// nameHint is what the config calls the cluster (a backend, an
	// upstream group, a balancer), for a cluster without a preset.
	nameHint string
	findings []model.Diagnostic
}

func newDraft() *draft {
	return &draft{c: model.Cluster{Version: model.Version}, from: map[string]at{}}
}

// source records where the value at a field path was read.
func (d *draft) source(path string, a at) {
	if a.File != "" {
		d.from[path] = a
	}
}

func (d *draft) report(sev model.Severity, a at, code, msg, hint string) {
	d.findings = append(d.findings, model.Diagnostic{
		File: a.File, Line: max(a.Line, 1), Col: max(a.Col, 1),
		Severity: sev, Code: code, Message: msg, Hint: hint,
	})
}

func (d *draft) warn(a at, code, msg, hint string) { d.report(model.SevWarning, a, code, msg, hint) }
func (d *draft) fail(a at, code, msg, hint string) { d.report(model.SevError, a, code, msg, hint) }

// yamlOut writes the cluster as a v1 cluster file, every value that was
// read from the config followed by a comment naming where.
func (d *draft) yamlOut(header []string) ([]byte, error) {
	c := &d.c
	w := &yamlWriter{from: d.from}
	root := w.mapping()
	root.HeadComment = strings.Join(header, "\n")
	w.scalar(root, "version", strconv.Itoa(c.Version), "")
	w.scalar(root, "name", c.Name, "name")
	w.scalar(root, "preset", c.Preset, "preset")
	w.scalar(root, "path", c.Path, "path")
	st := w.mapping()
	w.scalar(st, "style", c.Sticky.Style, "sticky.style")
	w.scalar(st, "cookie", c.Sticky.Cookie, "sticky.cookie")
	w.scalar(st, "param", c.Sticky.Param, "sticky.param")
	if ins := c.Sticky.Insert; ins != nil {
		im := w.mapping()
		w.scalar(im, "path", ins.Path, "sticky.insert.path")
		w.scalar(im, "max_age", duration(ins.MaxAge), "sticky.insert.max_age")
		w.scalar(im, "same_site", ins.SameSite, "sticky.insert.same_site")
		if ins.HTTPOnly != nil {
			w.scalar(im, "http_only", strconv.FormatBool(*ins.HTTPOnly), "sticky.insert.http_only")
		}
		w.child(st, "insert", im)
	}
	w.child(root, "sticky", st)
	var listen []*yaml.Node
	for i, l := range c.Listen {
		p := "listen[" + strconv.Itoa(i) + "]"
		lm := w.mapping()
		w.scalar(lm, "addr", l.Addr, p+".addr")
		if l.TLS {
			w.scalar(lm, "tls", "true", p+".tls")
		}
		if l.Internal {
			w.scalar(lm, "internal", "true", p+".internal")
		}
		w.list(lm, "allow", l.Allow, p+".allow")
		listen = append(listen, lm)
	}
	w.seq(root, "listen", listen)
	w.list(root, "internal_paths", c.InternalPaths, "internal_paths")
	if t := c.TLS; t != nil {
		tm := w.mapping()
		w.scalar(tm, "certificate", t.Certificate, "tls.certificate")
		w.scalar(tm, "key", t.Key, "tls.key")
		w.scalar(tm, "upstream", t.Upstream, "tls.upstream")
		w.child(root, "tls", tm)
	}
	if c.WebSocket != nil {
		w.scalar(root, "websocket", strconv.FormatBool(*c.WebSocket), "websocket")
	}
	tm := w.mapping()
	w.scalar(tm, "connect", duration(c.Timeouts.Connect), "timeouts.connect")
	w.scalar(tm, "read", duration(c.Timeouts.Read), "timeouts.read")
	w.scalar(tm, "tunnel", duration(c.Timeouts.Tunnel), "timeouts.tunnel")
	w.scalar(tm, "drain", duration(c.Timeouts.Drain), "timeouts.drain")
	w.child(root, "timeouts", tm)
	hm := w.mapping()
	w.scalar(hm, "path", c.Health.Path, "health.path")
	w.scalar(hm, "interval", duration(c.Health.Interval), "health.interval")
	w.scalar(hm, "fails", count(c.Health.Fails), "health.fails")
	w.scalar(hm, "passes", count(c.Health.Passes), "health.passes")
	w.scalar(hm, "expect_status", count(c.Health.ExpectStatus), "health.expect_status")
	w.child(root, "health", hm)
	if c.MaxBody > 0 {
		w.scalar(root, "max_body", c.MaxBody.String(), "max_body")
	}
	w.scalar(root, "max_connections", count(c.MaxConnections), "max_connections")
	var nodes []*yaml.Node
	for i, n := range c.Nodes {
		p := "nodes[" + strconv.Itoa(i) + "]"
		nm := w.mapping()
		w.scalar(nm, "name", n.Name, p+".name")
		w.scalar(nm, "host", n.Host, p+".host")
		w.scalar(nm, "port", count(n.Port), p+".port")
		w.scalar(nm, "tls_port", count(n.TLSPort), p+".tls_port")
		w.scalar(nm, "weight", count(n.Weight), p+".weight")
		w.scalar(nm, "state", n.State, p+".state")
		nodes = append(nodes, nm)
	}
	w.seq(root, "nodes", nodes)
	var fallbacks []*yaml.Node
	for i, f := range c.Fallback {
		p := "fallback[" + strconv.Itoa(i) + "]"
		fm := w.mapping()
		w.scalar(fm, "name", f.Name, p+".name")
		w.scalar(fm, "url", f.URL, p+".url")
		fallbacks = append(fallbacks, fm)
	}
	w.seq(root, "fallback", fallbacks)
	if a := c.Admin; a != nil {
		am := w.mapping()
		w.scalar(am, "addr", a.Addr, "admin.addr")
		w.list(am, "allow", a.Allow, "admin.allow")
		w.child(root, "admin", am)
	}
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}

// yamlWriter builds the output document; empty values are left out.
type yamlWriter struct {
	from map[string]at
}

func (w *yamlWriter) mapping() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode} }

// tags of the fields that are not strings; every other value is written
// as a string, quoted when it would read as something else ("8080").
var tags = map[string]string{
	"version": "!!int", "port": "!!int", "tls_port": "!!int", "weight": "!!int", "fails": "!!int", "passes": "!!int",
	"expect_status": "!!int", "max_connections": "!!int",
	"tls": "!!bool", "internal": "!!bool", "websocket": "!!bool", "http_only": "!!bool",
}

func (w *yamlWriter) scalar(m *yaml.Node, key, value, path string) {
	if value == "" {
		return
	}
	tag := tags[key]
	if tag == "" {
		tag = "!!str"
	}
	v := &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
	if a, ok := w.from[path]; ok {
		v.LineComment = "from " + a.String()
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, v)
}

func (w *yamlWriter) child(m *yaml.Node, key string, v *yaml.Node) {
	if len(v.Content) == 0 {
		return
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, v)
}

func (w *yamlWriter) list(m *yaml.Node, key string, values []string, path string) {
	if len(values) == 0 {
		return
	}
	s := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, v := range values {
		s.Content = append(s.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v})
	}
	if a, ok := w.from[path]; ok {
		s.LineComment = "from " + a.String()
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, s)
}

func (w *yamlWriter) seq(m *yaml.Node, key string, items []*yaml.Node) {
	if len(items) == 0 {
		return
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, &yaml.Node{Kind: yaml.SequenceNode, Content: items})
}

func count(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// duration writes a span in the largest unit that divides it: 90s, 2h, 1500ms.
func duration(d model.Duration) string {
	t := d.D()
	if t <= 0 {
		return ""
	}
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{{"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}, {"ms", time.Millisecond}} {
		if t%u.unit == 0 {
			return strconv.FormatInt(int64(t/u.unit), 10) + u.suffix
		}
	}
	return t.String()
}

// addrAt is an address read from the config, with the statement it is in.
type addrAt struct {
	addr string
	at   at
	x    *directive
}

// nodeDraft is a node as the readers collect it: addresses for plain and
// TLS traffic may come from different statements.
type nodeDraft struct {
	name          string
	at            at
	plain, secure *addrAt
	weight        int
	state         string
	stateAt       at
}

// tls returns the cluster's TLS settings, creating them.
func (d *draft) tls() *model.TLS {
	if d.c.TLS == nil {
		d.c.TLS = &model.TLS{}
	}
	return d.c.TLS
}

// setUpstream sets tls.upstream from whether requests from plain and from
// TLS listeners reach the nodes over TLS.
func (d *draft) setUpstream(fromPlain, fromTLS bool) {
	switch {
	case fromPlain && (fromTLS || !slices.ContainsFunc(d.c.Listen, func(l model.Listener) bool { return l.TLS })):
		d.tls().Upstream = model.UpstreamTLS
	case fromTLS:
		d.tls().Upstream = model.UpstreamMatch
	case d.c.TLS != nil:
		d.c.TLS.Upstream = model.UpstreamPlain
	}
}

// nodeSet collects nodes in the order the config first names them; a new
// node starts in state initial.
type nodeSet struct {
	initial string
	list    []*nodeDraft
	byName  map[string]*nodeDraft
}

// node returns the node called name, first seen at a.
func (s *nodeSet) node(name string, a at) *nodeDraft {
	if nd, ok := s.byName[name]; ok {
		return nd
	}
	if s.byName == nil {
		s.byName = map[string]*nodeDraft{}
	}
	nd := &nodeDraft{name: name, at: a, state: s.initial, stateAt: a}
	s.byName[name] = nd
	s.list = append(s.list, nd)
	return nd
}

// addNode adds a node read from the config. A node reached only over TLS
// gets its TLS port as port too: the config says nothing of its HTTP port.
func (d *draft) addNode(nd *nodeDraft) {
	i := len(d.c.Nodes)
	p := "nodes[" + strconv.Itoa(i) + "]"
	n := model.Node{Name: nd.name, State: nd.state}
	if nd.weight > 1 {
		n.Weight = nd.weight
		d.source(p+".weight", nd.stateAt)
	}
	if nd.plain != nil {
		host, port, ok := splitHostPort(nd.plain.addr)
		if !ok {
			d.fail(nd.plain.at, "I-address", model.Quote(nd.plain.addr)+" is not HOST:PORT", "write the node's address with its port")
			return
		}
		n.Host, n.Port = host, port
		d.source(p+".host", nd.plain.at)
		d.source(p+".port", nd.plain.at)
	}
	if nd.secure != nil {
		host, port, ok := splitHostPort(nd.secure.addr)
		if !ok {
			d.fail(nd.secure.at, "I-address", model.Quote(nd.secure.addr)+" is not HOST:PORT", "write the node's address with its port")
			return
		}
		if n.Host == "" {
			n.Host, n.Port = host, port
			d.source(p+".host", nd.secure.at)
			d.source(p+".port", nd.secure.at)
		}
		n.TLSPort = port
		d.source(p+".tls_port", nd.secure.at)
	}
	if n.Host == "" {
		d.fail(nd.at, "I-address", "node "+model.Quote(nd.name)+" has no address in the config", "give the node a server line")
		return
	}
	d.source(p+".name", nd.at)
	if nd.state != model.StateActive {
		d.source(p+".state", nd.stateAt)
	} else {
		n.State = ""
	}
	d.c.Nodes = append(d.c.Nodes, n)
}

// addNodes adds the nodes a reader collected, then those lbgen's header
// comments name because the config leaves them out.
func (d *draft) addNodes(nodes *nodeSet, lb *lbgenHeader) {
	for _, nd := range nodes.list {
		d.addNode(nd)
	}
	if lb == nil {
		return
	}
	for _, u := range lb.notRendered {
		p := "nodes[" + strconv.Itoa(len(d.c.Nodes)) + "]"
		for _, f := range []string{".name", ".host", ".port", ".tls_port", ".state"} {
			d.source(p+f, u.at)
		}
		d.c.Nodes = append(d.c.Nodes, u.Node)
	}
}

// unreadParams reports, once per group of server lines, the parameters
// (key=value words, or flags) from word skip on that the cluster file has
// no place for.
func (d *draft) unreadParams(lines []*directive, skip int, known []string, what string) {
	var names []string
	var first at
	for _, x := range lines {
		for i := skip; i < len(x.Args); i++ {
			key, _, _ := strings.Cut(x.Args[i], "=")
			if slices.Contains(known, strings.ToLower(key)) || slices.Contains(names, key) {
				continue
			}
			if len(names) == 0 {
				first = x.At
			}
			names = append(names, key)
		}
	}
	if len(names) > 0 {
		d.warn(first, "I-not-imported", what+" parameters "+strings.Join(names, ", ")+" have no place in the cluster file and are not imported",
			"lbgen sets its own failure and connection limits per node; see docs/targets.md")
	}
}

// splitHostPort reads HOST:PORT or [IPv6]:PORT.
func splitHostPort(addr string) (string, int, bool) {
	i := strings.LastIndexByte(addr, ':')
	if i <= 0 {
		return "", 0, false
	}
	host, port := addr[:i], addr[i+1:]
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	p, err := strconv.Atoi(port)
	if err != nil || p <= 0 || p > 65535 || host == "" {
		return "", 0, false
	}
	return host, p, true
}

// readInsert reads the attributes of a cookie the balancer sets
// ("; Path=/; Max-Age=60; HttpOnly; SameSite=Lax") as the insert style.
func (d *draft) readInsert(attrs string, a at) {
	ins := &model.StickyInsert{}
	httpOnly := false
	for _, part := range strings.Split(attrs, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch strings.ToLower(k) {
		case "path":
			ins.Path = v
		case "max-age":
			if s, err := strconv.Atoi(v); err == nil && s > 0 {
				ins.MaxAge = model.Duration(time.Duration(s) * time.Second)
			}
		case "httponly":
			httpOnly = true
		case "samesite":
			ins.SameSite = strings.ToLower(v)
		}
	}
	if !httpOnly {
		ins.HTTPOnly = &httpOnly
	}
	d.c.Sticky.Style = model.StyleInsert
	d.c.Sticky.Insert = ins
	d.source("sticky.style", a)
	for _, f := range []string{"path", "max_age", "same_site", "http_only"} {
		d.source("sticky.insert."+f, a)
	}
}
