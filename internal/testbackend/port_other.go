//go:build !linux

package testbackend

import (
	"errors"
	"io"
	"net"
)

// reservePort is a no-op outside Linux: the port is merely left free while
// the backend is killed.
func reservePort(int) (io.Closer, error) { return nil, errors.ErrUnsupported }

func openBlackhole(int) (io.Closer, error) {
	return nil, errors.New("blackhole is only supported on Linux")
}

func listenLoopback(addr string) (net.Listener, error) { return net.Listen("tcp", addr) }
