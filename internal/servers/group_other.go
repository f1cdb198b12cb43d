//go:build !linux

package servers

import "syscall"

// ownGroup starts a process in a group of its own. Outside Linux there is
// no Pdeathsig: a crashed caller leaves the server running.
func ownGroup() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
