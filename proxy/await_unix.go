//go:build unix

package proxy

import "syscall"

// awaitReadable blocks until a connection has bytes to read, has ended or
// reached its read deadline, without a buffer to read into: an idle
// keep-alive connection then costs its goroutine alone.
func awaitReadable(raw syscall.RawConn) error {
	waited := false
	return raw.Read(func(fd uintptr) bool {
		if waited {
			return true
		}
		waited = true
		var b [1]byte
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return err != syscall.EAGAIN
	})
}
