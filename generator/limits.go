package generator

import (
	"cmp"
	"strings"
	"time"

	"github.com/lbgen/lbgen/model"
)

// What the servers accept, defined once for rendering and for validate's
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

// HAProxyMaxTimer is the longest time HAProxy accepts in a timeout or a
// check interval: 2^31-1 ms, about 24.8 days ("timer overflow").
const HAProxyMaxTimer = (1<<31 - 1) * time.Millisecond

// Timer is a time of the cluster file that HAProxy renders as a timer.
type Timer struct {
	Path string
	D    model.Duration
}

// HAProxyTimers lists the cluster's times HAProxy renders as timers.
func HAProxyTimers(c *model.Cluster) []Timer {
	t := c.Timeouts
	return []Timer{{"timeouts.connect", t.Connect}, {"timeouts.read", t.Read}, {"timeouts.tunnel", t.Tunnel},
		{"timeouts.drain", t.Drain}, {"health.interval", c.Health.Interval}}
}

// HAProxyFindsKey reports whether HAProxy 2.6 can find tls.key from the
// certificate a bind line names: in the same file, or at a derived name.
func HAProxyFindsKey(cert, key string) bool { return haproxyKeyFile(cert, key) != keyNone }

// haproxyKeyFile says how HAProxy finds the key, or keyNone when it cannot.
func haproxyKeyFile(cert, key string) haproxyKey {
	switch {
	case key == cert:
		return keyInPEM
	case key == cert+".key":
		return keyAppend
	case strings.HasSuffix(cert, ".crt") && key == HAProxyDerivedKey(cert):
		return keyDelExt
	}
	return keyNone
}

// HAProxyDerivedKey is the key file HAProxy looks for beside cert.
func HAProxyDerivedKey(cert string) string {
	if base, ok := strings.CutSuffix(cert, ".crt"); ok {
		return base + ".key"
	}
	return cert + ".key"
}
