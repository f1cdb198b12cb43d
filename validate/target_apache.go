package validate

import (
	"fmt"
	"strings"
	"time"

	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/model"
)

// uriComponentSafe are the characters JavaScript's encodeURIComponent
// leaves as they are; clients percent-encode everything else in a URL
// parameter value.
const uriComponentSafe = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()"

func (ch *checker) apache() {
	c := ch.c
	switch c.Sticky.Style {
	case model.StyleExact:
		ch.errorf("sticky.style", "L-apache-sticky-style", "use the nginx or haproxy target, or have the application write \".\" + node name (style route)",
			"Apache's mod_proxy_balancer reads a route only after a \".\" in the cookie value, so it cannot route by the whole value (sticky.style exact)")
	case model.StyleHash:
		ch.errorf("sticky.style", "L-apache-sticky-style", "use the nginx or haproxy target, or let the load balancer set the cookie (style insert)",
			"Apache's mod_proxy_balancer has no hash balancing, so it cannot pick a node from a hash of the value (sticky.style hash)")
	}
	// Apache copies "COOKIE|PARAM" whole into one field before splitting
	// it. Cut short, the parameter half can end up empty, and an empty name
	// matches every "=" in the URL: any parameter value becomes a route.
	// Without sticky.param lbgen writes a one-character parameter half.
	if sticky := generator.ApacheStickySession(c); len(sticky) > generator.ApacheMaxField {
		path, hint := "sticky.cookie", fmt.Sprintf("use a cookie name of at most %d characters", generator.ApacheMaxField-2)
		if c.Sticky.Param != "" {
			path, hint = "sticky.param", fmt.Sprintf("keep the cookie and parameter names at most %d characters together", generator.ApacheMaxField-1)
		}
		ch.errorf(path, "L-apache-sticky-length", hint,
			"Apache would cut stickysession %q to %d characters and then route by any URL parameter", sticky, generator.ApacheMaxField)
	}
	if p := c.Health.Path; len(p) > generator.ApacheMaxField {
		ch.errorf("health.path", "L-apache-health-path", fmt.Sprintf("use a health path of at most %d characters", generator.ApacheMaxField),
			"health.path is %d characters long; Apache's hcuri holds at most %d", len(p), generator.ApacheMaxField)
	}
	for _, t := range []struct {
		path string
		d    time.Duration
	}{{"timeouts.read", c.Timeouts.Read.D()}, {"timeouts.tunnel", c.Timeouts.Tunnel.D()}} {
		if t.d%time.Second != 0 {
			ch.warnf(t.path, "L-apache-seconds", "use whole seconds",
				"Apache takes %s in whole seconds and waits %s", t.path, t.d.Truncate(time.Second)+time.Second)
		}
	}
	if c.MaxConnections > generator.ApacheMaxConnections {
		ch.errorf("max_connections", "L-apache-max-connections",
			fmt.Sprintf("use at most %d per Apache server, or the nginx or haproxy target", generator.ApacheMaxConnections),
			"max_connections %d needs more than Apache's compile-time maximum of %d child processes (ServerLimit)", c.MaxConnections, generator.ApacheMaxServerLimit)
	}
	if t := c.Timeouts; c.WebSocketEnabled() && t.Tunnel < t.Read {
		ch.warnf("timeouts.tunnel", "L-apache-tunnel", "raise timeouts.tunnel to at least timeouts.read",
			"Apache keeps idle WebSockets open for the longer of timeouts.tunnel and timeouts.read, so for %s, not %s", t.Read, t.Tunnel)
	}
	if c.Sticky.Param == "" {
		return
	}
	for i, n := range c.Nodes {
		if j := strings.IndexFunc(n.Name, func(r rune) bool { return !strings.ContainsRune(uriComponentSafe, r) }); j >= 0 {
			ch.warnf(fmt.Sprintf("nodes[%d].name", i), "L-apache-param-route", "use letters, digits and - _ . ! ~ * ( ) in node names, or rely on the cookie",
				"node name %q contains %q, which clients percent-encode in the %s URL parameter; Apache compares the encoded text, so that parameter cannot route to it",
				n.Name, rune(n.Name[j]), c.Sticky.Param)
		}
	}
}
