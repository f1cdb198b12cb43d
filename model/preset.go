package model

import (
	"slices"
	"time"
)

// Preset is what a product's deployment guide fixes for its cluster.
type Preset struct {
	Name       string
	Cookie     string
	Path       string
	HealthPath string
	// CometD presets long-poll: the server holds a request 30 s, plus up to
	// 10 s of network delay, so the read timeout must exceed 40 s.
	CometD bool
	// CookieMisspellings are spellings of Cookie seen in the vendor guides.
	CookieMisspellings []string
}

// Presets in the order `lbgen init` lists them.
var Presets = []Preset{
	{Name: "cobrowse", Cookie: "gcbSessionServer", Path: "/cobrowse", HealthPath: "/cobrowse/health", CometD: true},
	{Name: "gwe", Cookie: "GWROUTEID", Path: "/server", HealthPath: "/server/about", CometD: true,
		CookieMisspellings: []string{"GWROUTID", "GWEROUTEID"}},
	{Name: "generic"},
}

// DefaultPreset applies when a file names none.
const DefaultPreset = "generic"

// LookupPreset returns the preset called name.
func LookupPreset(name string) (Preset, bool) {
	i := slices.IndexFunc(Presets, func(p Preset) bool { return p.Name == name })
	if i < 0 {
		return Preset{}, false
	}
	return Presets[i], true
}

// PresetNames lists the preset names.
func PresetNames() []string {
	names := make([]string, len(Presets))
	for i, p := range Presets {
		names[i] = p.Name
	}
	return names
}

// Defaults for fields no preset fills.
const (
	DefaultConnect = Duration(2 * time.Second)
	DefaultRead    = Duration(60 * time.Second)
	DefaultTunnel  = Duration(time.Hour)
	// DefaultDrain outlasts a CometD long poll (30 s hold + 10 s delay);
	// a longer timeouts.read raises it, so a reload cuts no poll in
	// progress.
	DefaultDrain        = Duration(time.Minute)
	DefaultInterval     = Duration(2 * time.Second)
	DefaultFails        = 2
	DefaultPasses       = 2
	DefaultExpectStatus = 200
	DefaultMaxBody      = Size(10 << 20)
	// DefaultMaxConnections holds a Co-browse cluster of a few thousand
	// sessions: one long poll or WebSocket per browser tab and agent.
	DefaultMaxConnections = 10000
	DefaultWeight         = 1
)

// Normalize fills every default in one place: preset fields first, then
// the global defaults. Explicit values always win. Run it after validation
// has seen the file as written.
func (c *Cluster) Normalize() {
	if c.Preset == "" {
		c.Preset = DefaultPreset
	}
	p, _ := LookupPreset(c.Preset)
	setDefault(&c.Path, p.Path)
	setDefault(&c.Sticky.Cookie, p.Cookie)
	setDefault(&c.Health.Path, p.HealthPath)
	if c.Path != "/" {
		c.Path = trimSlash(c.Path)
	}
	setDefault(&c.Sticky.Style, StyleRoute)
	if c.Sticky.Style == StyleInsert {
		if c.Sticky.Insert == nil {
			c.Sticky.Insert = &StickyInsert{}
		}
		ins := c.Sticky.Insert
		setDefault(&ins.Path, c.Path)
		setDefault(&ins.SameSite, SameSiteLax)
		if ins.HTTPOnly == nil {
			on := true
			ins.HTTPOnly = &on
		}
	}
	for i := range c.InternalPaths {
		if c.InternalPaths[i] != "/" {
			c.InternalPaths[i] = trimSlash(c.InternalPaths[i])
		}
	}
	if c.WebSocket == nil {
		on := true
		c.WebSocket = &on
	}
	if c.TLS != nil {
		setDefault(&c.TLS.Upstream, UpstreamPlain)
	}
	setDefault(&c.Timeouts.Connect, DefaultConnect)
	setDefault(&c.Timeouts.Read, DefaultRead)
	setDefault(&c.Timeouts.Tunnel, DefaultTunnel)
	setDefault(&c.Timeouts.Drain, max(DefaultDrain, c.Timeouts.Read))
	setDefault(&c.Health.Interval, DefaultInterval)
	setDefault(&c.Health.Fails, DefaultFails)
	setDefault(&c.Health.Passes, DefaultPasses)
	setDefault(&c.Health.ExpectStatus, DefaultExpectStatus)
	setDefault(&c.MaxBody, DefaultMaxBody)
	setDefault(&c.MaxConnections, DefaultMaxConnections)
	for i := range c.Nodes {
		setDefault(&c.Nodes[i].Weight, DefaultWeight)
		setDefault(&c.Nodes[i].State, StateActive)
	}
}

func setDefault[T comparable](field *T, def T) {
	var zero T
	if *field == zero {
		*field = def
	}
}

func trimSlash(s string) string {
	for len(s) > 1 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}
