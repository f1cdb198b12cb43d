package proxy

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lbgen/lbgen/model"
)

func TestHealthThresholds(t *testing.T) {
	c := testCluster(spec("A", 1, model.StateActive))
	c.Health.Fails, c.Health.Passes = 3, 2
	logs := &syncBuffer{}
	p, err := New(c, Options{Log: logs})
	if err != nil {
		t.Fatal(err)
	}
	n := p.pool.byName["A"]
	fail := errors.New("status 500")
	steps := []struct {
		err    error
		wantUp bool
	}{
		{fail, true}, {fail, true}, {nil, true}, // a pass resets the failure count
		{fail, true}, {fail, true}, {fail, false}, // the third consecutive failure
		{nil, false}, {fail, false}, // a failure resets the pass count
		{nil, false}, {nil, true}, // the second consecutive pass
	}
	for i, s := range steps {
		p.record(n, s.err)
		if got := p.NodeUp("A"); got != s.wantUp {
			t.Fatalf("after step %d (err %v): up = %v, want %v", i, s.err, got, s.wantUp)
		}
	}
	want := "node=A health=down check=active reason=\"status 500\"\nnode=A health=up check=active\n"
	if got := logs.String(); got != want {
		t.Errorf("log:\n%s\nwant:\n%s", got, want)
	}
}

func TestActiveHealthChecks(t *testing.T) {
	a, b := newBackend(t, "A"), newBackend(t, "B")
	off := newBackend(t, "OFF")
	offNode := off.node()
	offNode.State = model.StateDown
	c := testCluster(a.node(), b.node(), offNode)
	c.Health.Interval = dur(30 * time.Millisecond)
	c.Health.Fails, c.Health.Passes = 2, 2
	p, logs := startProxy(t, c)
	client := newClient(t)
	url := "http://" + p.Addrs()[0] + "/app/x"

	a.status.Store(http.StatusServiceUnavailable)
	eventually(t, 2*time.Second, "A down after failed checks", func() bool { return !p.NodeUp("A") })
	if !strings.Contains(logs.String(), `node=A health=down check=active reason="status 503"`) {
		t.Errorf("no health transition in the log:\n%s", logs)
	}
	for range 4 {
		if r := get(t, client, url, "Cookie: SID=.A"); r.node != "B" {
			t.Fatalf("sticky request to a down node went to %q, want B", r.node)
		}
	}

	a.status.Store(http.StatusOK)
	eventually(t, 2*time.Second, "A up after passed checks", func() bool { return p.NodeUp("A") })
	if r := get(t, client, url, "Cookie: SID=.A"); r.node != "A" {
		t.Errorf("sticky request after recovery went to %q, want A", r.node)
	}
	if hosts := a.healthHosts(); len(hosts) == 0 || hosts[0] != model.HostPort("127.0.0.1", a.port) {
		t.Errorf("health check Host = %q, want the node's host:port", hosts)
	}
	if off.health.Load() != 0 || p.NodeUp("OFF") {
		t.Errorf("node in state down: %d checks, up %v; want none, false", off.health.Load(), p.NodeUp("OFF"))
	}
}

func TestHealthCheckFailures(t *testing.T) {
	refused := loopbackNode("REFUSED", refusedPort(t))
	hung := hungBackend(t, "HUNG")
	ok := newBackend(t, "OK")
	c := testCluster(refused, hung, ok.node())
	c.Health.Interval = dur(50 * time.Millisecond)
	c.Health.Fails = 1
	p, logs := startProxy(t, c)
	eventually(t, 2*time.Second, "refused and hung nodes down", func() bool {
		return !p.NodeUp("REFUSED") && !p.NodeUp("HUNG")
	})
	// A hung node fails by the interval, not the (much longer) read timeout.
	for _, want := range []string{
		`node=REFUSED health=down check=active reason="connect refused"`,
		`node=HUNG health=down check=active reason=timeout`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, logs)
		}
	}
	time.Sleep(150 * time.Millisecond)
	if !p.NodeUp("OK") {
		t.Error("healthy node marked down")
	}
}

func TestNodeUpUnknown(t *testing.T) {
	p, err := New(testCluster(spec("A", 1, model.StateActive)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !p.NodeUp("A") || p.NodeUp("a") || p.NodeUp("Z") {
		t.Error("nodes start up; names are exact")
	}
}

func TestHealthPathIsProxied(t *testing.T) {
	a := newBackend(t, "A")
	p, _ := startProxy(t, testCluster(a.node()))
	r := get(t, newClient(t), "http://"+p.Addrs()[0]+healthPath)
	if r.status != http.StatusOK || r.body != "A" || a.health.Load() != 1 {
		t.Errorf("GET %s = %d %q (node saw %d), want 200 from the node", healthPath, r.status, r.body, a.health.Load())
	}
	if !slices.Equal(a.healthHosts(), []string{p.Addrs()[0]}) {
		t.Errorf("node saw Host %q, want the client's", a.healthHosts())
	}
}
