//go:build linux

package proxy

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lbgen/lbgen/model"
)

// blackhole returns a node whose connects time out, like a powered-off
// host: a socket listening with backlog 0, never accepted from, whose
// accept queue is full, so Linux drops further SYNs.
func blackhole(t *testing.T, name string) model.Node {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	port := sa.(*syscall.SockaddrInet4).Port
	addr := model.HostPort("127.0.0.1", port)
	for range 8 {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		var ne net.Error
		switch {
		case err == nil:
			t.Cleanup(func() { c.Close() })
		case errors.As(err, &ne) && ne.Timeout():
			return loopbackNode(name, port)
		default:
			t.Fatal(err)
		}
	}
	t.Skip("accept queue did not fill up; cannot simulate a connect timeout")
	return model.Node{}
}

func TestConnectTimeout(t *testing.T) {
	a := newBackend(t, "A")
	c := testCluster(a.node(), blackhole(t, "B"))
	c.Timeouts.Connect = dur(200 * time.Millisecond)
	p, logs := startProxy(t, c)
	client := newClient(t)
	url := "http://" + p.Addrs()[0] + "/app/x"

	start := time.Now()
	r := get(t, client, url, "Cookie: SID=.B")
	if d := time.Since(start); r.node != "A" || d < 200*time.Millisecond || d > time.Second {
		t.Errorf("sticky to a black-holed node: %q after %s, want A after the 200ms connect timeout", r.node, d)
	}
	if p.NodeUp("B") || !strings.Contains(logs.String(), `node=B health=down check=request reason="connect timeout"`) {
		t.Errorf("B up %v; log:\n%s", p.NodeUp("B"), logs)
	}
	// B is out now: the delay is paid once, not on every request.
	start = time.Now()
	if r := get(t, client, url, "Cookie: SID=.B"); r.node != "A" || time.Since(start) > 100*time.Millisecond {
		t.Errorf("next request: %q after %s", r.node, time.Since(start))
	}
}

func TestConnectTimeoutWithoutAlternative(t *testing.T) {
	c := testCluster(blackhole(t, "B"))
	c.Timeouts.Connect = dur(200 * time.Millisecond)
	p, _ := startProxy(t, c)
	start := time.Now()
	r := get(t, newClient(t), "http://"+p.Addrs()[0]+"/app/x")
	if d := time.Since(start); r.status != http.StatusBadGateway || d > time.Second {
		t.Errorf("only node black-holed: %d after %s, want 502 within the connect timeout", r.status, d)
	}
}
