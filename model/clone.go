package model

import "slices"

// Clone returns a deep copy, so defaults can be applied without touching
// the cluster as written.
func (c *Cluster) Clone() *Cluster {
	out := *c
	out.Listen = slices.Clone(c.Listen)
	for i := range out.Listen {
		out.Listen[i].Allow = slices.Clone(c.Listen[i].Allow)
	}
	out.InternalPaths = slices.Clone(c.InternalPaths)
	out.Nodes = slices.Clone(c.Nodes)
	out.Fallback = slices.Clone(c.Fallback)
	if c.TLS != nil {
		t := *c.TLS
		out.TLS = &t
	}
	if c.WebSocket != nil {
		w := *c.WebSocket
		out.WebSocket = &w
	}
	if c.Sticky.Insert != nil {
		ins := *c.Sticky.Insert
		if ins.HTTPOnly != nil {
			h := *ins.HTTPOnly
			ins.HTTPOnly = &h
		}
		out.Sticky.Insert = &ins
	}
	if c.Admin != nil {
		a := *c.Admin
		a.Allow = slices.Clone(c.Admin.Allow)
		out.Admin = &a
	}
	return &out
}
