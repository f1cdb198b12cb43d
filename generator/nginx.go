package generator

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"time"

	"github.com/lbgen/lbgen/model"
)

// nginxView is what nginx.conf.tmpl reads. See the template for why the
// configuration has the shape it has.
type nginxView struct {
	*view
	// Var starts every generated variable name, e.g. $lbgen_cobrowse.
	Var string
	// FailTimeout is how long a node that failed stays out. It outlasts
	// one attempt at the node (connect and read timeouts), or every new
	// request would find an unreachable or hung node eligible again and
	// pay the timeout again; and it is at least what an active check
	// would need to bring the node back.
	FailTimeout time.Duration
	// RetryWithin bounds the second attempt at another node: the time a
	// connection can take, and a second more, so a hung node's read
	// timeout is never retried.
	RetryWithin time.Duration
	CookieRegex string
	ParamRegex  string
	// RouteRegex captures the route from the sticky value.
	RouteRegex string
	// Served maps the address that answered, the last of $upstream_addr,
	// to its node, and InsertValue is the cookie set from it: the insert
	// style only.
	Served      []nginxCandidate
	InsertValue string
	// HashKey is the variable the round-robin group hashes in the hash
	// style, which has no routes.
	HashKey string
	// Except says every active node has a group of the other active nodes,
	// which its sessions retry in when it cannot be reached: the
	// round-robin group does not know the node failed in its own group
	// and could pick it again, costing the connect timeout twice.
	Except bool
	// Candidates map a route, case-insensitively, to "Name First Retry":
	// the exact name, so the exact match can be checked, then the group
	// tried first and the group tried next.
	Candidates []nginxCandidate
	BucketSize int
	MaxSize    int
	Upstreams  []nginxUpstream
	Servers    []nginxServer
	// WorkerConnections and OpenFiles size every worker for the whole
	// crowd; see nginxCapacity.
	WorkerConnections int
	OpenFiles         int
	// LimitConn answers 503 beyond max_connections; limit_conn counts
	// up to nginxMaxLimitConn only.
	LimitConn bool
}

// nginxMaxExcept is the most active nodes that get a group of the others
// each: the groups hold n*(n-1) server lines.
const nginxMaxExcept = 32

// nginxMaxLimitConn is the largest limit limit_conn accepts.
const nginxMaxLimitConn = 65535

// nginxCandidate is a map line: the route as a key, and the node's exact
// name with the group tried first and the one tried next. Both are quoted
// here, once, because clusters can have thousands of nodes.
type nginxCandidate struct {
	Key   string
	Value string
}

type nginxUpstream struct {
	Name    string
	Comment string
	// Zone names the shared zone; the first group also sizes it.
	Zone      string
	Servers   []nginxPeer
	Keepalive int
	// Twin says the second server is the disabled twin of the first.
	Twin bool
	// Hash is the key of a consistent-hash group.
	Hash string
}

// nginxPeer is a server line; Addr is already an nginx token.
// nginxPeer is a server line of an upstream; the template writes a node's
// failure policy (max_fails, fail_timeout).
type nginxPeer struct {
	Addr   string
	Weight int
	Backup bool
	// Node names the node in a comment where nothing else in the config
	// does: in a hash group, whose servers no route names.
	Node string
	// Down is the disabled twin of a node's own group.
	Down bool
	// Fallback is another data center's balancer: no failure policy.
	Fallback bool
}

// nginxServer serves every listener with the same access rules and the
// same scheme toward the nodes.
type nginxServer struct {
	Listens  []nginxListen
	TLS      bool
	Internal bool
	Allow    []string
	// Scheme and UpstreamPrefix say how requests continue to the nodes.
	Scheme         string
	UpstreamPrefix string
	// Pass is the first attempt's proxy_pass: the route's group, or the
	// round-robin group when there are no routes.
	Pass    string
	Proxied []string
	Denied  []string
	Named   []nginxNamed
}

type nginxListen struct {
	Addr string
	TLS  bool
}

// nginxNamed is a named location a failed attempt continues in.
type nginxNamed struct {
	Name string
	// Guard stops requests that reached a node from being sent again.
	Guard bool
	// Tunnel uses the WebSocket idle timeout instead of the read timeout.
	Tunnel  bool
	SSLName string
	Next    string
	Pass    string
}

// Keep-alive connections each worker caches per upstream group.
const (
	nginxKeepaliveRR   = 64
	nginxKeepaliveNode = 16
)

func newNginxView(v *view) (*nginxView, error) {
	t, h := v.C.Timeouts, v.C.Health
	nv := &nginxView{
		view:        v,
		Var:         "$" + v.Prefix,
		FailTimeout: max(t.Connect.D()+t.Read.D(), h.Interval.D()*time.Duration(h.Passes)),
		RetryWithin: t.Connect.D() + time.Second,
		CookieRegex: `(?:^|;)[ \t]*` + regexp.QuoteMeta(v.C.Sticky.Cookie) + `=([^;]*?)[ \t]*(?:;|$)`,
	}
	if p := v.C.Sticky.Param; p != "" {
		nv.ParamRegex = `(?:^|&)` + regexp.QuoteMeta(p) + `=([^&]*)`
	}
	if v.C.Sticky.Style == model.StyleHash {
		nv.HashKey = nv.Var + "_cookie"
		if nv.ParamRegex != "" {
			nv.HashKey = nv.Var + "_sticky"
		}
		// The ring holds active nodes only.
		nv.NotRendered = slices.Concat(nv.NotRendered, nv.Drain)
	}
	nv.RouteRegex = `^(.*)$`
	if v.C.Sticky.RouteAfterDot() {
		nv.RouteRegex = `^[^.]*\.(.*)$`
	}
	if v.C.Sticky.Style == model.StyleInsert {
		if err := nv.insert(); err != nil {
			return nil, err
		}
	}
	nv.Except = len(nv.routed()) > 0 && len(v.Active) >= 2 && len(v.Active) <= nginxMaxExcept
	longest := 0
	for _, n := range nv.routed() {
		first, retry := "node_"+n.Ident, "rr"
		if nv.Except && n.State == model.StateActive {
			retry = "except_" + n.Ident
		}
		if n.State == model.StateStandby {
			// Active nodes first; the standby node only once they are all down.
			first, retry = "active", "node_"+n.Ident
		}
		key, err := nginxMapKey(n.Name)
		if err != nil {
			return nil, err
		}
		value, err := nginxQuote(n.Name + " " + first + " " + retry)
		if err != nil {
			return nil, err
		}
		nv.Candidates = append(nv.Candidates, nginxCandidate{Key: key, Value: value})
		longest = max(longest, len(n.Name))
	}
	nv.BucketSize = nginxBucketSize(longest)
	if n := len(nv.Candidates); n > 1024 {
		nv.MaxSize = 4 * n
	}
	peers := 0
	for _, scheme := range v.UpstreamSchemes() {
		ups, err := nv.upstreams(scheme)
		if err != nil {
			return nil, err
		}
		for _, u := range ups {
			peers += len(u.Servers)
		}
		nv.Upstreams = append(nv.Upstreams, ups...)
	}
	for _, f := range v.Fallbacks {
		addr, err := nginxToken(model.HostPort(f.Host, f.Port))
		if err != nil {
			return nil, err
		}
		nv.Upstreams = append(nv.Upstreams, nginxUpstream{
			Name:      v.Prefix + "_fallback_" + f.Ident,
			Comment:   fmt.Sprintf("Fallback data center %s, used when no local node is up.", f.Name),
			Servers:   []nginxPeer{{Addr: addr, Fallback: true}},
			Keepalive: nginxKeepaliveNode,
		})
	}
	for i := range nv.Upstreams {
		nv.Upstreams[i].Zone = v.Prefix
	}
	if len(nv.Upstreams) > 0 {
		nv.Upstreams[0].Zone += " " + nginxZoneSize(peers)
	}
	for _, g := range v.listenerGroups(false) {
		nv.addServer(g)
	}
	nv.LimitConn = v.C.MaxConnections <= nginxMaxLimitConn
	nv.WorkerConnections, nv.OpenFiles = nginxCapacity(v.C.MaxConnections, nv.keepalive(), len(v.Listeners))
	return nv, nil
}

// insert builds the maps that set the insert style's cookie. nginx names
// the node that answered only by its address, so every node needs an IP
// address (validate refuses host names for this style).
func (nv *nginxView) insert() error {
	for _, n := range nv.Routed {
		if _, err := netip.ParseAddr(n.Host); err != nil {
			return fmt.Errorf("nginx: node %s has a host name, which the insert style cannot map back to it; see lbgen explain L-nginx-insert-host", n.Name)
		}
		for _, addr := range []string{n.Addr, n.TLSAddr} {
			if addr == "" {
				continue
			}
			key, err := nginxRegexQuote(`~(?:^|\s)` + regexp.QuoteMeta(addr) + `$`)
			if err != nil {
				return err
			}
			name, err := nginxQuote(n.Name)
			if err != nil {
				return err
			}
			nv.Served = append(nv.Served, nginxCandidate{Key: key, Value: name})
		}
	}
	s := nv.C.Sticky
	attrs := s.InsertedAttributes(false)
	if err := checkInert(s.Cookie+attrs, ""); err != nil {
		return err
	}
	nv.InsertValue = `"` + s.Cookie + "=.$1" + attrs + nv.Var + `_secure"`
	return nil
}

// nginxCapacity sizes one worker for max clients. Any worker may end up
// with all of them: nginx does not spread connections evenly over its
// workers. A client takes two connections (its own and one to its node),
// and an eighth more are kept for clients refused at the limit, which
// stay connected for keep-alive; the idle node connections the
// keep-alive pools cache and the listeners take connections too. Open
// files add one per client for a request or response body buffered in a
// temp file.
func nginxCapacity(max, keepalive, listeners int) (connections, files int) {
	connections = 2*max + max/8 + keepalive + listeners
	return connections, connections + max
}

// keepalive is how many idle node connections one worker may cache.
func (nv *nginxView) keepalive() int {
	n := 0
	for _, u := range nv.Upstreams {
		n += u.Keepalive
	}
	return n
}

// nginxBucketSize returns map_hash_bucket_size for the longest map key, or
// 0 when the default (64 on x86-64) holds it: a key of n bytes needs
// 2 pointers plus n+2 bytes aligned to a pointer, rounded to a cache line.
func nginxBucketSize(longest int) int {
	need := 16 + (longest+2+7)/8*8
	if need <= 64 {
		return 0
	}
	return (need + 63) / 64 * 64
}

// nginxZoneSize sizes the shared zone holding peer state for all groups.
func nginxZoneSize(peers int) string {
	kib := 256 + peers
	return fmt.Sprintf("%dk", (kib+63)/64*64)
}

func (nv *nginxView) peer(n nodeView, scheme string) (nginxPeer, error) {
	addr := n.Addr
	if scheme == "https" {
		addr = n.TLSAddr
	}
	tok, err := nginxToken(addr)
	if err != nil {
		return nginxPeer{}, err
	}
	return nginxPeer{Addr: tok, Weight: n.Weight}, nil
}

func (nv *nginxView) upstreams(scheme string) ([]nginxUpstream, error) {
	prefix := nv.upstreamPrefix(scheme)
	rr := nginxUpstream{Name: prefix + "rr", Keepalive: nginxKeepaliveRR,
		Comment: "New sessions: weighted round robin over active nodes; standby nodes only when none is up."}
	if nv.HashKey != "" {
		rr.Comment, rr.Hash = "Every request: the sticky value's consistent hash over active nodes.", nv.HashKey
	}
	peers := map[string]nginxPeer{}
	for _, n := range nv.Routed {
		p, err := nv.peer(n, scheme)
		if err != nil {
			return nil, err
		}
		peers[n.Name] = p
	}
	for _, n := range nv.Active {
		p := peers[n.Name]
		if rr.Hash != "" {
			p.Node = n.Name
		}
		rr.Servers = append(rr.Servers, p)
	}
	for _, n := range nv.Standby {
		p := peers[n.Name]
		p.Backup = true
		rr.Servers = append(rr.Servers, p)
	}
	ups := []nginxUpstream{rr}
	if len(nv.Standby) > 0 {
		ups = append(ups, nginxUpstream{Name: prefix + "active", Keepalive: nginxKeepaliveRR,
			Comment: "Routes to standby nodes: active nodes while any is up.", Servers: rr.Servers[:len(nv.Active)]})
	}
	if nv.Except {
		for _, n := range nv.Active {
			except := nginxUpstream{Name: prefix + "except_" + n.Ident, Keepalive: nginxKeepaliveNode,
				Comment: fmt.Sprintf("Sessions of %s when it cannot be reached: the other active nodes.", n.Name)}
			for _, m := range nv.Active {
				if m.Name != n.Name {
					except.Servers = append(except.Servers, peers[m.Name])
				}
			}
			ups = append(ups, except)
		}
	}
	for _, n := range nv.routed() {
		p := peers[n.Name]
		comment := fmt.Sprintf("Route %s (%s).", n.Name, n.State)
		if n.State == model.StateStandby {
			comment = fmt.Sprintf("Route %s (standby), once no active node is up.", n.Name)
		}
		ups = append(ups, nginxUpstream{Name: prefix + "node_" + n.Ident, Keepalive: nginxKeepaliveNode,
			Comment: comment, Servers: []nginxPeer{p, {Addr: p.Addr, Down: true}}, Twin: true})
	}
	return ups, nil
}

// RetryMap says whether a route names the group its retry goes to: its
// active node's except group, or a standby node's own group.
func (nv *nginxView) RetryMap() bool { return nv.Except || len(nv.Standby) > 0 }

// routed lists the nodes a route can name: none in the hash style.
func (nv *nginxView) routed() []nodeView {
	if nv.HashKey != "" {
		return nil
	}
	return nv.Routed
}

func (nv *nginxView) upstreamPrefix(scheme string) string {
	if scheme == "https" {
		return nv.Prefix + "_tls_"
	}
	return nv.Prefix + "_"
}

func (nv *nginxView) addServer(g listenerGroup) {
	scheme := upstreamScheme(g.UpstreamTLS)
	s := nginxServer{TLS: g.TLS, Internal: g.Internal, Allow: g.Allow, Scheme: scheme,
		UpstreamPrefix: nv.upstreamPrefix(scheme), Proxied: g.Served}
	for _, l := range g.Listeners {
		s.Listens = append(s.Listens, nginxListen{Addr: nginxListenAddr(l), TLS: l.TLS})
	}
	s.Pass = scheme + "://" + s.UpstreamPrefix + nv.Var + "_upstream"
	if nv.HashKey != "" {
		s.Pass = scheme + "://" + s.UpstreamPrefix + "rr"
	}
	s.Named = nv.named(s)
	if !g.Internal {
		s.Denied = nv.InternalPaths
	}
	nv.Servers = append(nv.Servers, s)
}

func nginxListenAddr(l listenerView) string {
	if l.Host == "" {
		return fmt.Sprint(l.Port)
	}
	return model.HostPort(l.Host, l.Port)
}

func nginxDirs(v *view) []string {
	if v.Opts.Snippet {
		return nil
	}
	return runtimeDirs(v.Opts, nginxTempDirs...)
}

// nginxTempDirs replace the compiled-in temp paths, which an unprivileged
// user cannot write.
var nginxTempDirs = []string{"tmp/client_body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi"}

// ProxiedRegex is the location regex for a path: the path itself and
// everything below it, segment-wise.
func (nginxView) ProxiedRegex(p string) string {
	if p == "/" {
		return ""
	}
	return "^" + regexp.QuoteMeta(p) + "(?:/|$)"
}

// DeniedRegex is the location regex of an internal path on public
// listeners: $uri is decoded and cleaned but keeps path parameters.
func (nginxView) DeniedRegex(p string) string {
	return internalPathRegex(p, "/", "[^/]")
}

// AmbiguousRegex finds, in $request_uri, a segment with path parameters
// that they leave empty, "." or "..", with more after it; $uri has
// resolved dot segments and merged slashes by then.
func (nginxView) AmbiguousRegex() string {
	return "^" + ambiguousSegmentRegex("[^?]")
}

// TempDirs lists the temp directives and their paths.
// PidFile is where nginx writes its master's pid, relative to the prefix.
func (nv *nginxView) PidFile() string { return nv.Opts.RunDir + "/nginx.pid" }

// ErrorLog is nginx's error log, relative to the prefix.
func (nv *nginxView) ErrorLog() string { return nv.Opts.LogDir + "/nginx-error.log" }

func (nginxView) TempDirs() [][2]string {
	names := []string{"client_body_temp_path", "proxy_temp_path", "fastcgi_temp_path", "uwsgi_temp_path", "scgi_temp_path"}
	out := make([][2]string, len(names))
	for i, n := range names {
		out[i] = [2]string{n, nginxTempDirs[i]}
	}
	return out
}

// named builds the failover chain of a server: the round-robin retry,
// then each fallback data center in order; WebSocket requests get the
// same chain with the tunnel timeout.
func (nv *nginxView) named(s nginxServer) []nginxNamed {
	type tier struct{ suffix, pass, sslName string }
	tiers := []tier{{suffix: "retry", pass: s.Scheme + "://" + s.UpstreamPrefix + "rr"}}
	if nv.RetryMap() {
		// A route retries in its own retry group, then round robin.
		tiers = []tier{
			{suffix: "retry", pass: s.Scheme + "://" + s.UpstreamPrefix + nv.Var + "_retry"},
			{suffix: "rr", pass: tiers[0].pass},
		}
	}
	for _, f := range nv.Fallbacks {
		t := tier{suffix: "fallback_" + f.Ident, pass: f.Scheme + "://" + nv.Prefix + "_fallback_" + f.Ident}
		if f.Scheme == "https" {
			t.sslName = f.Host
		}
		tiers = append(tiers, t)
	}
	variants := []string{""}
	if nv.C.WebSocketEnabled() {
		variants = append(variants, "websocket_")
	}
	var out []nginxNamed
	for _, variant := range variants {
		name := nv.Prefix + "_" + variant
		if variant != "" {
			out = append(out, nginxNamed{Name: nv.Prefix + "_websocket", Tunnel: true, Next: name + tiers[0].suffix,
				Pass: s.Pass})
		}
		for i, t := range tiers {
			n := nginxNamed{Name: name + t.suffix, Guard: true, Tunnel: variant != "", SSLName: t.sslName, Pass: t.pass}
			if i+1 < len(tiers) {
				n.Next = name + tiers[i+1].suffix
			}
			out = append(out, n)
		}
	}
	return out
}
