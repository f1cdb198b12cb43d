package validate

import "time"

// Limits of the values a cluster file may hold. The lints enforce them and
// the JSON Schema (package schema) states them, so editors flag the same
// values validate does.
const (
	MinPort, MaxPort                 = 1, 65535
	MinWeight, MaxWeight             = 1, 100 // Apache's lbfactor range
	MinHealthCount, MaxHealthCount   = 1, 100 // health.fails and health.passes
	MinExpectStatus, MaxExpectStatus = 100, 599
	MinHealthInterval                = 100 * time.Millisecond
	MinMaxConnections                = 1
	// ClusterNamePattern and MaxClusterName bound name, which prefixes
	// every generated identifier.
	ClusterNamePattern = `^[a-z][a-z0-9_-]*$`
	MaxClusterName     = 32
	// MaxFallbacks bounds the chain nginx walks through internal redirects.
	MaxFallbacks = 4
	// MaxMaxConnections needs two open files per client in one process,
	// within the most Linux ever allows (maxOpenFiles).
	MaxMaxConnections = maxOpenFiles / 2
)
