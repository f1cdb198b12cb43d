// Package model holds the typed v1 cluster file: decoding with positions,
// presets and defaults. It imports nothing from the rest of the project.
package model

import (
	"strconv"
	"strings"
	"time"
)

// Version is the only cluster file version this package decodes.
const Version = 1

// Cluster is one sticky-session web cluster as written in a cluster file.
// Fields keep the user's values; Normalize fills defaults in place.
type Cluster struct {
	Version       int        `yaml:"version" doc:"the file format version; 1"`
	Name          string     `yaml:"name" doc:"the cluster name: [a-z][a-z0-9_-]*, at most 32 characters; prefixes every generated name"`
	Preset        string     `yaml:"preset" doc:"cobrowse, gwe or generic (the default): fills path, sticky.cookie and health.path"`
	Path          string     `yaml:"path" doc:"the URL prefix routed to the cluster"`
	Sticky        Sticky     `yaml:"sticky" doc:"which cookie carries the stickiness value, and how it names a node"`
	Listen        []Listener `yaml:"listen" doc:"the addresses clients connect to; at least one"`
	InternalPaths []string   `yaml:"internal_paths" doc:"paths that answer 403 on public listeners and are served on internal ones"`
	TLS           *TLS       `yaml:"tls" doc:"the listener certificate, and how traffic continues to the nodes"`
	WebSocket     *bool      `yaml:"websocket" doc:"pass WebSocket upgrades to the nodes; default true"`
	Timeouts      Timeouts   `yaml:"timeouts" doc:"timeouts between the load balancer and the nodes"`
	Health        Health     `yaml:"health" doc:"the active health check of every node"`
	MaxBody       Size       `yaml:"max_body" doc:"the largest request body, in bytes or with k, m or g; larger ones get 413; default 10m"`
	// MaxConnections is how many concurrent client connections the load
	// balancer must hold: every long poll and WebSocket keeps one open.
	MaxConnections int        `yaml:"max_connections" doc:"client connections held at once, one per long poll or WebSocket; every target sizes itself from it; default 10000"`
	Nodes          []Node     `yaml:"nodes" doc:"the application servers; at least one, at least one active"`
	Fallback       []Fallback `yaml:"fallback" doc:"load balancers of other data centres, used in order when no local node is up; at most 4"`
	Admin          *Admin     `yaml:"admin" doc:"an admin page (Apache balancer-manager, HAProxy stats) on its own listener, behind an allow list"`

	// File is the name the cluster was read from, for diagnostics and headers.
	File string `yaml:"-"`
	// Pos maps field paths such as "nodes[1].name" to where they were written.
	Pos Positions `yaml:"-"`
}

// Sticky says where the stickiness value is carried and how it names a node.
type Sticky struct {
	Style  string        `yaml:"style" doc:"route (default): the application sets the cookie to a value ending in \".\" + node name; insert: the load balancer sets it to \".\" + node name; exact: the application sets it to the node name; hash: the value names no node, its consistent hash picks one"`
	Cookie string        `yaml:"cookie" doc:"the cookie that carries the stickiness value"`
	Param  string        `yaml:"param" doc:"a query parameter carrying the same value; read before the cookie"`
	Insert *StickyInsert `yaml:"insert" doc:"the attributes of the cookie the load balancer sets; style insert only"`
}

// Sticky styles: how the stickiness value names a node.
const (
	StyleRoute  = "route"  // the text after the first "." (Tomcat jvmRoute, mod_proxy_balancer)
	StyleInsert = "insert" // as route, and the load balancer sets the cookie
	StyleExact  = "exact"  // the whole value
	StyleHash   = "hash"   // no route: a consistent hash of the value picks the node
)

// StickyInsert holds the attributes of the cookie the load balancer sets.
// Secure is added on TLS listeners.
type StickyInsert struct {
	Path     string   `yaml:"path" doc:"the cookie's Path; default the cluster path"`
	MaxAge   Duration `yaml:"max_age" doc:"the cookie's Max-Age in whole seconds; default none: a session cookie, gone when the browser closes"`
	SameSite string   `yaml:"same_site" doc:"lax (default), strict or none (sent cross-site, needs TLS listeners: browsers require Secure)"`
	HTTPOnly *bool    `yaml:"http_only" doc:"hide the cookie from scripts; default true"`
}

// SameSite values of an inserted cookie.
const (
	SameSiteLax    = "lax"
	SameSiteStrict = "strict"
	SameSiteNone   = "none"
)

// Listener is one address the load balancer accepts clients on.
type Listener struct {
	Addr     string   `yaml:"addr" doc:"\"PORT\", \"IP:PORT\" or \"[IPv6]:PORT\""`
	TLS      bool     `yaml:"tls" doc:"terminate TLS here; needs tls.certificate and tls.key"`
	Internal bool     `yaml:"internal" doc:"serves internal_paths too; needs an allow list"`
	Allow    []string `yaml:"allow" doc:"IP addresses and CIDR networks allowed to connect; others get 403"`
}

// TLS holds the listener certificate and how traffic continues to the nodes.
type TLS struct {
	Certificate string `yaml:"certificate" doc:"PEM certificate file; relative to the output directory"`
	Key         string `yaml:"key" doc:"PEM private key file; relative to the output directory"`
	Upstream    string `yaml:"upstream" doc:"plain (offload), tls (re-encrypt to tls_port) or match (TLS listeners to tls_port); default plain"`
}

// Upstream TLS modes.
const (
	UpstreamPlain = "plain" // offload: HTTP to the nodes
	UpstreamTLS   = "tls"   // re-encrypt to tls_port
	UpstreamMatch = "match" // HTTP listeners to port, TLS listeners to tls_port
)

// Timeouts between the load balancer and the nodes.
type Timeouts struct {
	Connect Duration `yaml:"connect" doc:"how long an unreachable node can delay a request; default 2s"`
	Read    Duration `yaml:"read" doc:"how long a node may take to answer; above 40s for cobrowse and gwe (CometD long polls); default 60s"`
	Tunnel  Duration `yaml:"tunnel" doc:"how long a WebSocket may stay idle; default 1h"`
	// Drain bounds how long the processes of an old generation keep
	// serving their open connections (long polls, WebSockets) after a
	// reload before they are closed.
	Drain Duration `yaml:"drain" doc:"how long old processes serve open connections after a reload; default 1m, or read if longer"`
}

// Health describes the active health check of every node.
type Health struct {
	Path         string   `yaml:"path" doc:"the path every node answers health checks on"`
	Interval     Duration `yaml:"interval" doc:"time between checks; at least 100ms; default 2s"`
	Fails        int      `yaml:"fails" doc:"consecutive failed checks before a node is down; default 2"`
	Passes       int      `yaml:"passes" doc:"consecutive good checks before it is up again; default 2"`
	ExpectStatus int      `yaml:"expect_status" doc:"the status of a healthy answer; default 200"`
}

// Node is one application server. Its name is the sticky route.
type Node struct {
	Name    string `yaml:"name" doc:"the route: the cookie value is \".\" + name; unique ignoring case"`
	Host    string `yaml:"host" doc:"IP address or host name"`
	Port    int    `yaml:"port" doc:"the HTTP port"`
	TLSPort int    `yaml:"tls_port" doc:"the HTTPS port; required when tls.upstream is tls or match"`
	Weight  int    `yaml:"weight" doc:"share of new sessions; default 1"`
	State   string `yaml:"state" doc:"active (default), drain (only its own sessions), standby (only when no active node is up) or down"`
}

// Node states.
const (
	StateActive  = "active"  // takes new sessions and its own sessions
	StateDrain   = "drain"   // only requests whose route names it
	StateDown    = "down"    // no traffic at all
	StateStandby = "standby" // only when no active node is up
)

// Fallback is a remote data center used when no local node is up.
type Fallback struct {
	Name string `yaml:"name" doc:"a name for logs and generated names"`
	URL  string `yaml:"url" doc:"http(s)://HOST[:PORT] without a path: the original URI is kept"`
}

// Admin enables a target's admin page (Apache balancer-manager, HAProxy
// stats) on its own listener, reachable only from the allow list.
type Admin struct {
	Addr  string   `yaml:"addr" doc:"the admin listener, \"IP:PORT\""`
	Allow []string `yaml:"allow" doc:"IP addresses and CIDR networks allowed to the admin page; required"`
}

// RouteAfterDot reports whether the route is the text after the first "."
// of the stickiness value, as for the route and insert styles.
func (s Sticky) RouteAfterDot() bool { return s.Style == StyleRoute || s.Style == StyleInsert }

// InsertedCookie is the Set-Cookie value a load balancer sends in the
// insert style when node answers a request that was not routed to it; tls
// says the client came over a TLS listener.
func (s Sticky) InsertedCookie(node string, tls bool) string {
	return s.Cookie + "=." + node + s.InsertedAttributes(tls)
}

// InsertedAttributes are the attributes of the inserted cookie, in the
// order every target writes them.
func (s Sticky) InsertedAttributes(tls bool) string {
	ins := s.Insert
	var b strings.Builder
	b.WriteString("; Path=" + ins.Path)
	if ins.MaxAge > 0 {
		b.WriteString("; Max-Age=" + strconv.FormatInt(int64(ins.MaxAge.D()/time.Second), 10))
	}
	if ins.HTTPOnly == nil || *ins.HTTPOnly {
		b.WriteString("; HttpOnly")
	}
	b.WriteString("; SameSite=" + strings.ToUpper(ins.SameSite[:1]) + ins.SameSite[1:])
	if tls {
		b.WriteString("; Secure")
	}
	return b.String()
}

// WebSocketEnabled reports whether WebSocket upgrades are passed to nodes.
func (c *Cluster) WebSocketEnabled() bool { return c.WebSocket == nil || *c.WebSocket }

// UpstreamMode returns the normalised tls.upstream value.
func (c *Cluster) UpstreamMode() string {
	if c.TLS == nil || c.TLS.Upstream == "" {
		return UpstreamPlain
	}
	return c.TLS.Upstream
}

// Duration is a time span written as "500ms", "5s", "2m" or "1h".
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }
