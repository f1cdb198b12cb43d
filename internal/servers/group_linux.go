package servers

import "syscall"

// ownGroup starts a process in a group of its own. Pdeathsig stops it when
// whoever started it dies without calling Stop (a crash or SIGKILL), so no
// server outlives a test run. It follows the starting thread, which Go
// keeps alive: lbgen never locks goroutines to threads.
func ownGroup() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
