//go:build unix

package proxy

import (
	"net"
	"syscall"
)

// rawSocket returns the socket of a plain TCP connection, the only kind
// read without a buffer lent while it waits.
func rawSocket(c any) syscall.RawConn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return nil
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	return raw
}

// awaitReadable blocks until a connection has bytes to read, has ended or
// reached its read deadline, without a buffer to read into: an idle
// direction of a tunnel then costs its goroutine alone.
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

// readSocket reads a non-blocking socket once; syscall.EAGAIN says it
// has nothing yet.
func readSocket(fd uintptr, p []byte) (int, error) {
	for {
		n, err := syscall.Read(int(fd), p)
		if err != syscall.EINTR {
			return n, err
		}
	}
}
