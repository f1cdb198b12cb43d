package servers

import (
	"syscall"

	"github.com/lbgen/lbgen/generator"
)

// server is what lbgen knows about running one target's binary: its names,
// command lines, reload signal and how a reload shows. Each target's value
// lives in its own file.
type server struct {
	// binaries are the names the binary goes by, in order of preference.
	binaries []string
	// checkArgs is the syntax check of the config file name in dir, as
	// it runs from dir.
	checkArgs func(dir, name string) []string
	// runArgs runs the config file in dir in the foreground, as the
	// rendered file's header documents it.
	runArgs func(dir, file string) []string
	// reload reloads the master process gracefully.
	reload syscall.Signal
	// checksNodes: the server runs active health checks of its own.
	checksNodes bool
	// rootWorkers is who the server started as root runs its workers as,
	// where the rendered config names no user; "" where it does.
	rootWorkers string
	// stillAccepts reports whether an old worker may still take new
	// connections, where that can be seen; nil when it cannot.
	stillAccepts func(pid int) bool
	// reportsFailedLoadOnOutputOnly: the master tells a failed load only
	// on its output, and takes the next signal once back in wait mode.
	reportsFailedLoadOnOutputOnly bool
	// probeListeners, when set, says which listen addresses a live config
	// holds: a graceful restart onto an address that cannot be bound stops
	// the whole server, so new ones are probed first.
	probeListeners func(live []byte) []string
}

// ChecksNodes reports whether the target's server runs active health
// checks of its own; lbgen watch runs them for the others.
func ChecksNodes(t generator.Target) bool { return known[t].checksNodes }

// RootWorkerUser is who the target's server started as root runs its
// workers as when the rendered config names no user, or "".
func RootWorkerUser(t generator.Target) string { return known[t].rootWorkers }

// known holds every target's server.
var known = map[generator.Target]server{
	generator.Nginx:   nginxServer,
	generator.Apache:  apacheServer,
	generator.HAProxy: haproxyServer,
}
