//go:build !unix

package proxy

import (
	"errors"
	"syscall"
)

// rawSocket gives no socket where sockets are not read directly:
// connections wait in their reads, with a buffer.
func rawSocket(any) syscall.RawConn { return nil }

var errNoRawSockets = errors.New("sockets are not read directly here")

// awaitReadable and readSocket are not called: rawSocket gives no socket.
func awaitReadable(syscall.RawConn) error     { return errNoRawSockets }
func readSocket(uintptr, []byte) (int, error) { return 0, errNoRawSockets }
