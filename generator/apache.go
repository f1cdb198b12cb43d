package generator

import (
	"cmp"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/lbgen/lbgen/model"
)

// apacheView is what httpd.conf.tmpl reads. See the template for why the
// configuration has the shape it has.
type apacheView struct {
	*view
	Modules []apacheModule
	// Sticky is the stickysession value, "COOKIE|PARAM".
	Sticky     string
	HCExpr     string
	HCTemplate string
	HCParams   []string
	Balancers  []apacheBalancer
	VHosts     []apacheVHost
	// Timeout is the client-side Timeout of proxying virtual hosts: the
	// WebSocket idle limit, since Apache keeps a tunnel open for the larger
	// of it and the member timeout.
	Timeout int64
	// Denied matches each internal path in REQUEST_URI, which is decoded
	// and cleaned but keeps %2F and path parameters; Ambiguous finds in
	// THE_REQUEST a segment with parameters that they leave empty, "." or
	// "..", refused in every virtual host that proxies.
	Denied    []string
	Ambiguous string
	// PathsRegex matches path and the internal paths outside it: anything
	// else is 404 (internal paths answer 403 on public listeners).
	PathsRegex string
	MPM        apacheMPM
}

// apacheMPM sizes the event MPM for the crowd (max_connections).
type apacheMPM struct {
	ServerLimit       int
	ThreadsPerChild   int
	MaxRequestWorkers int
	// OpenFiles is what one child may have open: see apacheCapacity.
	OpenFiles int
}

// apacheThreadsPerChild keeps a child's open files (about three per
// thread) within the 1024 many hosts allow by default: Apache does not
// raise its own limit.
const apacheThreadsPerChild = 128

// apacheCapacity sizes the event MPM for max clients. mod_proxy keeps a
// worker thread for every long poll and every WebSocket (httpd 2.4 has no
// asynchronous tunnels), so every client needs a thread; one more child
// keeps spare threads at the peak. ServerLimit leaves as many slots again
// for children that finish their WebSockets after a graceful restart. A
// child's busy threads each hold a client and a node connection, and it
// may keep about one idle keep-alive connection more per thread
// (AsyncRequestWorkerFactor 2 counts against idle threads only); 64 files
// more cover listeners, logs and shared memory.
func apacheCapacity(max int) apacheMPM {
	children := (max+apacheThreadsPerChild-1)/apacheThreadsPerChild + 1
	return apacheMPM{
		ServerLimit:       2 * children,
		ThreadsPerChild:   apacheThreadsPerChild,
		MaxRequestWorkers: children * apacheThreadsPerChild,
		OpenFiles:         3*apacheThreadsPerChild + 64,
	}
}

type apacheModule struct {
	Name string
	File string
	// Builtin modules are compiled into some builds (Debian: watchdog,
	// log_config, unixd), where LoadModule is an error.
	Builtin bool
}

type apacheBalancer struct {
	Name    string
	Comment string
	Members []apacheMember
}

type apacheMember struct {
	// Comment names a member that has no route.
	Comment string
	URL     string
	Params  []string
}

// apacheVHost serves every listener with the same access rules and the
// same scheme toward the nodes. TLS and plain listeners never share one:
// SSLEngine, X-Forwarded-Proto and the inserted cookie's Secure are per
// virtual host.
type apacheVHost struct {
	Addrs    []apacheListen
	TLS      bool
	Internal bool
	Allow    []string
	Balancer string
	// WSBalancer is the ws:// balancer of the mod_proxy_wstunnel form.
	WSBalancer string
	Proxied    []string
}

// InsertCookie is the Set-Cookie value that pins a session to the member
// that answered, in the insert style.
func (av *apacheView) InsertCookie(tls bool) (string, error) {
	s := av.C.Sticky
	return apacheQuote(s.Cookie + "=.%{BALANCER_WORKER_ROUTE}e" + s.InsertedAttributes(tls))
}

type apacheListen struct {
	Listen string // argument of Listen
	VHost  string // address of <VirtualHost>
	TLS    bool
}

func newApacheView(v *view) (*apacheView, error) {
	for _, d := range []string{v.Opts.LogDir, v.Opts.RunDir} {
		if strings.HasPrefix(d, "|") {
			return nil, fmt.Errorf("apache: log or run directory %q would be a piped command", d)
		}
	}
	av := &apacheView{
		view:   v,
		Sticky: ApacheStickySession(v.C),
		// Apache limits expression names to 15 characters; equal names in
		// two included clusters mean equal expressions.
		HCExpr:     fmt.Sprintf("lbgen_%d", v.C.Health.ExpectStatus),
		HCTemplate: v.Prefix,
		Timeout:    ceilSeconds(v.C.Timeouts.Tunnel.D()),
		MPM:        apacheCapacity(v.C.MaxConnections),
	}
	if av.MPM.ServerLimit > ApacheMaxServerLimit {
		return nil, fmt.Errorf("apache: max_connections %d needs ServerLimit %d, above Apache's %d; see lbgen explain L-apache-max-connections",
			v.C.MaxConnections, av.MPM.ServerLimit, ApacheMaxServerLimit)
	}
	if s := v.C.Sticky.Style; s == model.StyleExact || s == model.StyleHash {
		return nil, fmt.Errorf("apache: mod_proxy_balancer routes only by the text after a \".\" in the cookie value, not by sticky.style %s; see lbgen explain L-apache-sticky-style", s)
	}
	if len(av.Sticky) > ApacheMaxField {
		return nil, fmt.Errorf("apache: stickysession %q is longer than %d characters", av.Sticky, ApacheMaxField)
	}
	h := v.C.Health
	av.HCParams = []string{"hcmethod=GET", "hcuri=" + h.Path, "hcinterval=" + unitDuration(h.Interval.D()),
		fmt.Sprintf("hcfails=%d", h.Fails), fmt.Sprintf("hcpasses=%d", h.Passes), "hcexpr=" + av.HCExpr}
	// %2F counts as a slash: it ends a segment and its parameters.
	for _, p := range v.InternalPaths {
		av.Denied = append(av.Denied, internalPathRegex(p, "(?:/|%2[Ff])", "(?:[^/%]|%(?!2[Ff]))"))
	}
	av.Ambiguous = `^\S+ ` + ambiguousSegmentRegex(`[^?\s]`)
	av.PathsRegex = apachePathsRegex(append([]string{v.C.Path}, v.InternalOutside...))
	for _, tls := range []bool{false, true} {
		if slices.Contains(v.UpstreamSchemes(), upstreamScheme(tls)) {
			av.Balancers = append(av.Balancers, av.balancer(tls, false))
			if v.C.WebSocketEnabled() && v.Opts.ApacheWSTunnel {
				av.Balancers = append(av.Balancers, av.balancer(tls, true))
			}
		}
	}
	for _, g := range v.listenerGroups(true) {
		av.addVHost(g)
	}
	av.Modules = av.modules()
	return av, nil
}

// apachePathsRegex matches the given paths and everything below them,
// segment-wise; "" when "/" is among them.
func apachePathsRegex(paths []string) string {
	var alts []string
	for _, p := range paths {
		if p == "/" {
			return ""
		}
		alts = append(alts, regexp.QuoteMeta(p))
	}
	if len(alts) == 1 {
		return "^" + alts[0] + "(?:/|$)"
	}
	return "^(?:" + strings.Join(alts, "|") + ")(?:/|$)"
}

func (av *apacheView) balancerName(tls, ws bool) string {
	name := av.Prefix
	if tls {
		name += "_tls"
	}
	if ws {
		name += "_ws"
	}
	return name
}

// apacheRetry is how long, in seconds, a member that failed a request
// stays out before a request may try it again. mod_proxy_hcheck puts a
// member back as soon as it passes its checks, so this does not delay
// recovery; but it ignores failed checks while the member is in this error
// state, so every retry a request pays the connect timeout again to learn
// that a black-holed node is still down. Long is cheap.
const apacheRetry = 60

func (av *apacheView) balancer(tls, ws bool) apacheBalancer {
	scheme := "http"
	switch {
	case ws && tls:
		scheme = "wss"
	case ws:
		scheme = "ws"
	case tls:
		scheme = "https"
	}
	b := apacheBalancer{Name: av.balancerName(tls, ws)}
	b.Comment = "Nodes over " + strings.ToUpper(scheme)
	if ws {
		b.Comment = "WebSocket upgrades through mod_proxy_wstunnel, nodes over " + scheme + "://"
	}
	t := av.C.Timeouts
	common := []string{"connectiontimeout=" + unitDuration(t.Connect.D()),
		fmt.Sprintf("timeout=%d", ceilSeconds(t.Read.D())), fmt.Sprintf("retry=%d", apacheRetry)}
	if av.C.WebSocketEnabled() && !av.Opts.ApacheWSTunnel {
		common = append(common, "upgrade=websocket")
	}
	for _, n := range slices.Concat(av.Active, av.Drain, av.Standby) {
		addr := n.Addr
		if tls {
			addr = n.TLSAddr
		}
		m := apacheMember{URL: scheme + "://" + addr}
		// A standby node carries no route: Apache would send its sessions
		// to it even while active nodes are up.
		if n.State == model.StateStandby {
			m.Comment = fmt.Sprintf("Standby node %s.", n.Name)
		} else {
			m.Params = append(m.Params, "route="+n.Name)
		}
		if n.Weight != 1 {
			m.Params = append(m.Params, fmt.Sprintf("loadfactor=%d", n.Weight))
		}
		switch n.State {
		case model.StateDrain:
			m.Params = append(m.Params, "status=+N")
		case model.StateStandby:
			m.Params = append(m.Params, "status=+H")
		}
		m.Params = append(m.Params, common...)
		m.Params = append(m.Params, "hctemplate="+av.HCTemplate)
		b.Members = append(b.Members, m)
	}
	for i, f := range av.Fallbacks {
		fs := f.Scheme
		if ws {
			fs = map[string]string{"http": "ws", "https": "wss"}[fs]
		}
		b.Members = append(b.Members, apacheMember{
			Comment: fmt.Sprintf("Fallback %s.", f.Name),
			URL:     fs + "://" + model.HostPort(f.Host, f.Port),
			Params:  append([]string{fmt.Sprintf("lbset=%d", i+1)}, common...),
		})
	}
	return b
}

func (av *apacheView) addVHost(g listenerGroup) {
	s := apacheVHost{TLS: g.TLS, Internal: g.Internal, Allow: g.Allow,
		Balancer: av.balancerName(g.UpstreamTLS, false), Proxied: g.Served}
	for _, l := range g.Listeners {
		s.Addrs = append(s.Addrs, apacheListen{Listen: apacheListenAddr(l), VHost: apacheVHostAddr(l), TLS: l.TLS})
	}
	if av.C.WebSocketEnabled() && av.Opts.ApacheWSTunnel {
		s.WSBalancer = av.balancerName(g.UpstreamTLS, true)
	}
	av.VHosts = append(av.VHosts, s)
}

func apacheListenAddr(l listenerView) string {
	if l.Host == "" {
		return fmt.Sprint(l.Port)
	}
	return model.HostPort(l.Host, l.Port)
}

func apacheVHostAddr(l listenerView) string {
	return model.HostPort(cmp.Or(l.Host, "*"), l.Port)
}

// AdminListen is the address of the balancer-manager.
func (av *apacheView) AdminListen() string {
	return model.HostPort(av.Admin.Host, av.Admin.Port)
}

// BalancerURL is what ProxyPass maps p to: members have no path, so the
// path is kept as it is.
func (av *apacheView) BalancerURL(balancer, p string) string {
	return "balancer://" + balancer + p
}

// FilePath joins a log or run directory and a file name; Apache reads
// relative ones from ServerRoot.
func (av *apacheView) FilePath(dir, file string) string {
	return path.Join(dir, file)
}

// PidFile is where the parent process writes its pid, relative to the
// ServerRoot.
func (av *apacheView) PidFile() string { return av.FilePath(av.Opts.RunDir, "httpd.pid") }

// ErrorLog is Apache's error log, relative to the ServerRoot.
func (av *apacheView) ErrorLog() string { return av.FilePath(av.Opts.LogDir, "httpd-error.log") }

// SSLProxy reports whether some node or fallback is reached over TLS.
func (av *apacheView) SSLProxy() bool {
	return slices.Contains(av.UpstreamSchemes(), "https") ||
		slices.ContainsFunc(av.Fallbacks, func(f fallbackView) bool { return f.Scheme == "https" })
}

func (av *apacheView) modules() []apacheModule {
	needTLS := av.SSLProxy() || slices.ContainsFunc(av.Listeners, func(l listenerView) bool { return l.TLS })
	allow := av.Admin != nil || slices.ContainsFunc(av.Listeners, func(l listenerView) bool { return len(l.Allow) > 0 })
	mods := []struct {
		name          string
		need, builtin bool
	}{
		{"mpm_event", true, false},
		{"unixd", true, true},
		{"log_config", true, true},
		{"watchdog", true, true},
		{"authz_core", true, false},
		{"authz_host", allow, false},
		{"headers", true, false},
		{"rewrite", true, false},
		{"reqtimeout", true, false},
		{"socache_shmcb", needTLS, false},
		{"ssl", needTLS, false},
		{"slotmem_shm", true, false},
		{"proxy", true, false},
		{"proxy_http", true, false},
		{"proxy_wstunnel", av.C.WebSocketEnabled() && av.Opts.ApacheWSTunnel, false},
		{"proxy_balancer", true, false},
		{"lbmethod_byrequests", true, false},
		{"proxy_hcheck", true, false},
	}
	var out []apacheModule
	for _, m := range mods {
		if m.need {
			out = append(out, apacheModule{Name: m.name + "_module", File: path.Join(av.Opts.ApacheModules, "mod_"+m.name+".so"), Builtin: m.builtin})
		}
	}
	return out
}

// NeedsSSLCache reports whether mod_ssl is loaded, which then wants a
// session cache.
func (av *apacheView) NeedsSSLCache() bool {
	return slices.ContainsFunc(av.Modules, func(m apacheModule) bool { return m.Name == "ssl_module" })
}

// SnippetModules lists the modules a snippet needs, wrapped for comment
// lines. The MPM and the modules for User and CustomLog are the includer's.
func (av *apacheView) SnippetModules() []string {
	var lines []string
	line := ""
	for _, m := range av.Modules {
		switch m.Name {
		case "mpm_event_module", "unixd_module", "log_config_module":
			continue
		}
		if line != "" && len(line)+1+len(m.Name) > 76 {
			lines = append(lines, line)
			line = ""
		}
		line = strings.TrimPrefix(line+" "+m.Name, " ")
	}
	return append(lines, line)
}

func apacheDirs(v *view) []string {
	if v.Opts.Snippet {
		return nil
	}
	return runtimeDirs(v.Opts)
}

// What Apache accepts, defined once for rendering and for validate's
// target lints, which report the same limits with a position and a fix.

// ApacheMaxField is the longest string Apache keeps in its 64-byte shared
// fields (stickysession, hcuri, route).
const ApacheMaxField = 63

// ApacheMaxServerLimit is the event MPM's compile-time maximum of
// ServerLimit; ApacheMaxConnections is the largest max_connections whose
// MPM sizing (apacheCapacity) stays within it.
const (
	ApacheMaxServerLimit = 20000
	ApacheMaxConnections = (ApacheMaxServerLimit/2 - 1) * apacheThreadsPerChild
)

// apacheNoParam is the URL half of stickysession when the cluster has no
// sticky.param. Apache looks for "NAME=" anywhere in the URL, so the
// cookie name alone would also route by a query parameter of that name;
// a space cannot occur in a request-target, so this never matches.
const apacheNoParam = " "

// ApacheStickySession is the stickysession value rendered for c,
// "COOKIE|PARAM", which Apache copies whole into one field before it
// splits it.
func ApacheStickySession(c *model.Cluster) string {
	return c.Sticky.Cookie + "|" + cmp.Or(c.Sticky.Param, apacheNoParam)
}
