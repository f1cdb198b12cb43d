//go:build linux

package testbackend

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	// probeTimeout is how long a connect to the blackhole may take before
	// its SYN counts as dropped; on loopback a handshake takes microseconds.
	probeTimeout = 100 * time.Millisecond
	// maxFill bounds the connections used to fill the accept queue.
	maxFill = 8
)

// reservePort binds a socket to the port without listening: connects are
// refused, yet the kernel will not hand the port out as an ephemeral port to
// someone else while the backend is killed.
func reservePort(port int) (io.Closer, error) {
	fd, err := bindLoopback(port)
	if err != nil {
		return nil, err
	}
	return fdCloser(fd), nil
}

type fdCloser int

func (fd fdCloser) Close() error { return syscall.Close(int(fd)) }

// blackhole is a listening socket that is never accepted from, plus the
// connections that fill its accept queue.
type blackhole struct {
	fd   int
	fill []net.Conn
}

// openBlackhole listens on the port with backlog 0 and fills the accept
// queue. Linux then drops further SYNs, so connects time out.
func openBlackhole(port int) (io.Closer, error) {
	fd, err := bindLoopback(port)
	if err != nil {
		return nil, err
	}
	if err := syscall.Listen(fd, 0); err != nil {
		syscall.Close(fd)
		return nil, os.NewSyscallError("listen", err)
	}
	h := &blackhole{fd: fd}
	if err := h.fillQueue(net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err != nil {
		h.Close()
		return nil, err
	}
	return h, nil
}

// fillQueue connects until a connect times out. With backlog 0 the queue
// holds one connection (more may squeeze in while the kernel catches up).
func (h *blackhole) fillQueue(addr string) error {
	for range maxFill {
		c, err := net.DialTimeout("tcp", addr, probeTimeout)
		var ne net.Error
		switch {
		case err == nil:
			h.fill = append(h.fill, c)
		case errors.As(err, &ne) && ne.Timeout():
			return nil
		default:
			return err
		}
	}
	return errors.New("blackhole: accept queue did not fill up")
}

func (h *blackhole) Close() error {
	err := syscall.Close(h.fd)
	for _, c := range h.fill {
		c.Close()
	}
	return err
}

// bindLoopback returns a close-on-exec TCP socket bound to 127.0.0.1:port.
func bindLoopback(port int) (int, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	// As Go's own listeners do, so TIME_WAIT leftovers of the connections
	// just closed do not block the bind.
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		syscall.Close(fd)
		return -1, os.NewSyscallError("setsockopt", err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		syscall.Close(fd)
		return -1, os.NewSyscallError("bind", err)
	}
	return fd, nil
}

// listenLoopback listens on addr; for port 0 it picks a free port below the
// kernel's ephemeral range, so that no outgoing connection of a balancer
// under test can take the port as its source port while the backend is
// killed or changing state.
func listenLoopback(addr string) (net.Listener, error) {
	if addr != "127.0.0.1:0" {
		return net.Listen("tcp", addr)
	}
	low := ephemeralLow()
	for range 64 {
		port := lowestPrivatePort + rand.IntN(low-lowestPrivatePort)
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil || !errors.Is(err, syscall.EADDRINUSE) {
			return ln, err
		}
	}
	return net.Listen("tcp", addr)
}

// lowestPrivatePort is the bottom of the range listenLoopback picks from,
// clear of well-known and registered low ports.
const lowestPrivatePort = 10000

// ephemeralLow is the first port of net.ipv4.ip_local_port_range.
func ephemeralLow() int {
	const fallback = 32768
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return fallback
	}
	fields := strings.Fields(string(b))
	if len(fields) == 0 {
		return fallback
	}
	low, err := strconv.Atoi(fields[0])
	if err != nil || low <= lowestPrivatePort+1000 {
		return fallback
	}
	return low
}
