// Package model holds the typed v1 cluster file: decoding with positions,
// presets and defaults. It imports nothing from the rest of the project.
package model

import "time"

// Version is the only cluster file version this package decodes.
const Version = 1

// Cluster is one sticky-session web cluster as written in a cluster file.
// Fields keep the user's values; Normalize fills defaults in place.
type Cluster struct {
	Version       int        `yaml:"version"`
	Name          string     `yaml:"name"`
	Preset        string     `yaml:"preset"`
	Path          string     `yaml:"path"`
	Sticky        Sticky     `yaml:"sticky"`
	Listen        []Listener `yaml:"listen"`
	InternalPaths []string   `yaml:"internal_paths"`
	TLS           *TLS       `yaml:"tls"`
	WebSocket     *bool      `yaml:"websocket"`
	Timeouts      Timeouts   `yaml:"timeouts"`
	Health        Health     `yaml:"health"`
	MaxBody       Size       `yaml:"max_body"`
	// MaxConnections is how many concurrent client connections the load
	// balancer must hold: every long poll and WebSocket keeps one open.
	MaxConnections int        `yaml:"max_connections"`
	Nodes          []Node     `yaml:"nodes"`
	Fallback       []Fallback `yaml:"fallback"`
	Admin          *Admin     `yaml:"admin"`

	// File is the name the cluster was read from, for diagnostics and headers.
	File string `yaml:"-"`
	// Pos maps field paths such as "nodes[1].name" to where they were written.
	Pos Positions `yaml:"-"`
}

// Sticky says where the application's stickiness value is carried.
type Sticky struct {
	Cookie string `yaml:"cookie"`
	Param  string `yaml:"param"`
}

// Listener is one address the load balancer accepts clients on.
type Listener struct {
	Addr     string   `yaml:"addr"`
	TLS      bool     `yaml:"tls"`
	Internal bool     `yaml:"internal"`
	Allow    []string `yaml:"allow"`
}

// TLS holds the listener certificate and how traffic continues to the nodes.
type TLS struct {
	Certificate string `yaml:"certificate"`
	Key         string `yaml:"key"`
	Upstream    string `yaml:"upstream"`
}

// Upstream TLS modes.
const (
	UpstreamPlain = "plain" // offload: HTTP to the nodes
	UpstreamTLS   = "tls"   // re-encrypt to tls_port
	UpstreamMatch = "match" // HTTP listeners to port, TLS listeners to tls_port
)

// Timeouts between the load balancer and the nodes.
type Timeouts struct {
	Connect Duration `yaml:"connect"`
	Read    Duration `yaml:"read"`
	Tunnel  Duration `yaml:"tunnel"`
	// Drain bounds how long the processes of an old generation keep
	// serving their open connections (long polls, WebSockets) after a
	// reload before they are closed.
	Drain Duration `yaml:"drain"`
}

// Health describes the active health check of every node.
type Health struct {
	Path         string   `yaml:"path"`
	Interval     Duration `yaml:"interval"`
	Fails        int      `yaml:"fails"`
	Passes       int      `yaml:"passes"`
	ExpectStatus int      `yaml:"expect_status"`
}

// Node is one application server. Its name is the sticky route.
type Node struct {
	Name    string `yaml:"name"`
	Host    string `yaml:"host"`
	Port    int    `yaml:"port"`
	TLSPort int    `yaml:"tls_port"`
	Weight  int    `yaml:"weight"`
	State   string `yaml:"state"`
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
	Name string `yaml:"name"`
	URL  string `yaml:"url"`
}

// Admin enables a target's admin page (Apache balancer-manager, HAProxy
// stats) on its own listener, reachable only from the allow list.
type Admin struct {
	Addr  string   `yaml:"addr"`
	Allow []string `yaml:"allow"`
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
