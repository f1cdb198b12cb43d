//go:build unix

package proxy

import (
	"math"
	"syscall"
)

// reservedFiles are the open files the proxy needs besides its clients'
// and their nodes': listeners, health checks, logs, the runtime.
const reservedFiles = 64

// fitOpenFiles lowers a connection limit to what the process's open-file
// limit holds, two files per client (its connection and its node's), so
// that accepting never fails with "too many open files" at the limit. It
// returns the limit that fits and the open-file limit. Go raises the soft
// limit to the hard one at start.
func fitOpenFiles(limit int64) (fit, files int64) {
	var rl syscall.Rlimit
	// An unlimited limit reads as a huge number.
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur > math.MaxInt32 {
		return limit, 0
	}
	files = int64(rl.Cur)
	return max(1, min(limit, (files-reservedFiles)/2)), files
}
