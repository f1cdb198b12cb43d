//go:build !unix

package proxy

import "syscall"

// awaitReadable returns at once where a socket cannot be peeked at: the
// connection then waits for its next request with a read buffer.
func awaitReadable(syscall.RawConn) error { return nil }
