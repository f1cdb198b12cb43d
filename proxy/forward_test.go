package proxy

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lbgen/lbgen/model"
)

func TestStickyThroughProxy(t *testing.T) {
	a, b := newBackend(t, "A"), newBackend(t, "B")
	c := testCluster(a.node(), b.node())
	c.Sticky.Param = "sid"
	p, _ := startProxy(t, c)
	client := newClient(t)
	base := "http://" + p.Addrs()[0]
	tests := []struct {
		path   string
		header []string
		want   string // node, "" for round robin
	}{
		{"/app/x", []string{"Cookie: SID=.B"}, "B"},
		{"/app/x", []string{"Cookie: x=1; SID=abc.B"}, "B"},
		{"/app/x?sid=.A", []string{"Cookie: SID=.B"}, "A"},
		{"/app/x?sid=", []string{"Cookie: SID=.B"}, ""},
		{"/app/x", []string{"Cookie: SID=.b"}, ""},
		{"/app/x", []string{"Cookie: sid=.B"}, ""},
		{"/app/x", []string{"Cookie: SID=B"}, ""},
		{"/app/x", []string{"Cookie: SID=.NOPE"}, ""},
		{"/app/x", []string{"Cookie: SID=\".B\""}, ""},
		{"/app/x", []string{"Cookie: SID=.%42"}, ""},
	}
	for _, tt := range tests {
		// Round robin alternates, so two requests reach both nodes.
		var got []string
		for range 2 {
			r := get(t, client, base+tt.path, tt.header...)
			if r.status != http.StatusOK {
				t.Fatalf("%s %v: status %d; a cookie must never cause an error", tt.path, tt.header, r.status)
			}
			got = append(got, r.node)
		}
		switch {
		case tt.want != "" && (got[0] != tt.want || got[1] != tt.want):
			t.Errorf("%s %v went to %v, want %s", tt.path, tt.header, got, tt.want)
		case tt.want == "" && got[0] == got[1]:
			t.Errorf("%s %v went to %v, want round robin", tt.path, tt.header, got)
		}
	}
}

func TestWeightedRoundRobinThroughProxy(t *testing.T) {
	a, b := newBackend(t, "A"), newBackend(t, "B")
	nb := b.node()
	nb.Weight = 3
	p, _ := startProxy(t, testCluster(a.node(), nb))
	client := newClient(t)
	var order []string
	for range 8 {
		order = append(order, get(t, client, "http://"+p.Addrs()[0]+"/app/").node)
	}
	if got, want := strings.Join(order, " "), "B A B B B A B B"; got != want {
		t.Errorf("order = %s, want %s (2 A, 6 B)", got, want)
	}
}

func TestConnectFailureMarksDownAndRetriesBody(t *testing.T) {
	a, b := newBackend(t, "A"), newBackend(t, "B")
	p, logs := startProxy(t, testCluster(a.node(), b.node()))
	a.kill()
	client := newClient(t)
	body := strings.Repeat("payload-", 1000)
	r := send(t, client, http.MethodPost, "http://"+p.Addrs()[0]+"/app/post", strings.NewReader(body), "Cookie: SID=.A")
	sum := sha256.Sum256([]byte(body))
	if r.status != http.StatusOK || r.node != "B" || r.seen.Len != len(body) || r.seen.Sum != hex.EncodeToString(sum[:]) {
		t.Fatalf("POST to a refusing node: %d from %q with %d bytes; want 200 from B with the whole body", r.status, r.node, r.seen.Len)
	}
	if p.NodeUp("A") {
		t.Error("A is still up after a refused connection")
	}
	for _, want := range []string{
		`node=A health=down check=request reason="connect refused"`,
		"method=POST uri=/app/post status=200 node=B reason=retry route=A",
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	// A is out of rotation now: no more attempts on it.
	r = get(t, client, "http://"+p.Addrs()[0]+"/app/x", "Cookie: SID=.A")
	if r.node != "B" || !strings.Contains(logs.String(), "node=B reason=route-down route=A") {
		t.Errorf("next sticky request: node %q; log:\n%s", r.node, logs)
	}
}

func TestRetryOnlyOnce(t *testing.T) {
	a, b, c := newBackend(t, "A"), newBackend(t, "B"), newBackend(t, "C")
	p, _ := startProxy(t, testCluster(a.node(), b.node(), c.node()))
	a.kill()
	b.kill()
	start := time.Now()
	// Round robin picks B for the retry (the first node by name), which
	// refuses too: the request fails rather than trying C.
	r := get(t, newClient(t), "http://"+p.Addrs()[0]+"/app/x", "Cookie: SID=.A")
	if r.status != http.StatusBadGateway || c.hits.Load() != 0 {
		t.Errorf("status %d, C hit %d times; want 502 after one retry", r.status, c.hits.Load())
	}
	if p.NodeUp("A") || p.NodeUp("B") || !p.NodeUp("C") {
		t.Error("both refusing nodes must be marked down, and only them")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("refusals took %s to answer", d)
	}
}

func TestNoRetryAfterNodeWasReached(t *testing.T) {
	closer := serveFunc(t, "CLOSER", func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close() // read the request, then hang up without an answer
		}
	})
	b := newBackend(t, "B")
	p, logs := startProxy(t, testCluster(closer, b.node()))
	r := send(t, newClient(t), http.MethodPost, "http://"+p.Addrs()[0]+"/app/x", strings.NewReader("once"), "Cookie: SID=.CLOSER")
	if r.status != http.StatusBadGateway || b.hits.Load() != 0 {
		t.Errorf("status %d, B hit %d times; want 502 without retry", r.status, b.hits.Load())
	}
	if !p.NodeUp("CLOSER") {
		t.Error("a node that accepted the connection was marked down")
	}
	if !strings.Contains(logs.String(), "status=502 node=CLOSER reason=sticky") {
		t.Errorf("log:\n%s", logs)
	}
}

func TestHungNodeTimesOut(t *testing.T) {
	hung := hungBackend(t, "HUNG")
	b := newBackend(t, "B")
	c := testCluster(hung, b.node())
	c.Timeouts.Read = dur(300 * time.Millisecond)
	p, logs := startProxy(t, c)
	start := time.Now()
	r := get(t, newClient(t), "http://"+p.Addrs()[0]+"/app/x", "Cookie: SID=.HUNG")
	d := time.Since(start)
	if r.status != http.StatusGatewayTimeout || b.hits.Load() != 0 {
		t.Errorf("status %d, B hit %d times; want 504 without retry", r.status, b.hits.Load())
	}
	if d < 300*time.Millisecond || d > 2*time.Second {
		t.Errorf("answered after %s, want about the 300ms read timeout", d)
	}
	if !strings.Contains(logs.String(), "status=504 node=HUNG") {
		t.Errorf("log:\n%s", logs)
	}
}

func TestStalledResponseIsCut(t *testing.T) {
	release := make(chan struct{})
	staller := serveFunc(t, "S", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("partial"))
		http.NewResponseController(w).Flush()
		<-release
	})
	t.Cleanup(func() { close(release) })
	c := testCluster(staller)
	c.Timeouts.Read = dur(300 * time.Millisecond)
	p, _ := startProxy(t, c)
	start := time.Now()
	res, err := newClient(t).Get("http://" + p.Addrs()[0] + "/app/x")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	buf := make([]byte, 64)
	n, _ := res.Body.Read(buf)
	_, err = res.Body.Read(buf[n:])
	if err == nil || time.Since(start) > 2*time.Second {
		t.Errorf("read after a stall: %v after %s; want the response cut after the read timeout", err, time.Since(start))
	}
}

func TestSlowSteadyResponseIsNotCut(t *testing.T) {
	streamer := serveFunc(t, "S", func(w http.ResponseWriter, r *http.Request) {
		for range 6 {
			w.Write([]byte("chunk"))
			http.NewResponseController(w).Flush()
			time.Sleep(100 * time.Millisecond)
		}
	})
	c := testCluster(streamer)
	c.Timeouts.Read = dur(300 * time.Millisecond)
	p, _ := startProxy(t, c)
	// The read timeout is between two reads, not for the whole response.
	if r := get(t, newClient(t), "http://"+p.Addrs()[0]+"/app/x"); r.body != strings.Repeat("chunk", 6) {
		t.Errorf("streamed body %q, want 6 chunks", r.body)
	}
}

func TestDrainAndStandbyThroughProxy(t *testing.T) {
	a, d, s := newBackend(t, "A"), newBackend(t, "D"), newBackend(t, "S")
	nd, ns := d.node(), s.node()
	nd.State, ns.State = model.StateDrain, model.StateStandby
	p, logs := startProxy(t, testCluster(a.node(), nd, ns))
	client := newClient(t)
	url := "http://" + p.Addrs()[0] + "/app/x"
	for range 3 {
		if r := get(t, client, url); r.node != "A" {
			t.Fatalf("new session went to %q, want A", r.node)
		}
	}
	if r := get(t, client, url, "Cookie: SID=.D"); r.node != "D" {
		t.Errorf("drain node's session went to %q", r.node)
	}
	if r := get(t, client, url, "Cookie: SID=.S"); r.node != "A" {
		t.Errorf("standby session while A is up went to %q, want A", r.node)
	}

	a.kill()
	// The request that finds A refusing retries on the standby tier.
	if r := get(t, client, url); r.node != "S" {
		t.Errorf("after A died, new session went to %q, want S", r.node)
	}
	if r := get(t, client, url); r.node != "S" {
		t.Errorf("new session while standby serves went to %q, want S", r.node)
	}
	if r := get(t, client, url, "Cookie: SID=.S"); r.node != "S" {
		t.Errorf("standby session while standby serves went to %q", r.node)
	}
	if r := get(t, client, url, "Cookie: SID=.D"); r.node != "D" {
		t.Errorf("drain session went to %q", r.node)
	}
	for _, want := range []string{"node=S reason=retry", "node=S reason=standby route=\"\"", "node=S reason=sticky route=S"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

func TestDrainGetsNoNewSessionEvenAlone(t *testing.T) {
	a, d := newBackend(t, "A"), newBackend(t, "D")
	nd := d.node()
	nd.State = model.StateDrain
	p, _ := startProxy(t, testCluster(a.node(), nd))
	a.kill()
	client := newClient(t)
	url := "http://" + p.Addrs()[0] + "/app/x"
	for range 2 {
		if r := get(t, client, url); r.status != http.StatusBadGateway {
			t.Errorf("new session with only a drain node up: %d from %q, want 502", r.status, r.node)
		}
	}
	if r := get(t, client, url, "Cookie: SID=.D"); r.node != "D" {
		t.Errorf("drain session went to %q", r.node)
	}
	if d.hits.Load() != 1 {
		t.Errorf("drain node served %d requests, want only its session's", d.hits.Load())
	}
}

func TestFallback(t *testing.T) {
	a := newBackend(t, "A")
	dc1, dc2 := newBackend(t, "DC1"), newBackend(t, "DC2")
	c := testCluster(a.node())
	c.Fallback = []model.Fallback{
		{Name: "dead", URL: fmt.Sprintf("http://127.0.0.1:%d", refusedPort(t))},
		{Name: "dc1", URL: dc1.srv.URL},
		{Name: "dc2", URL: dc2.srv.URL},
	}
	p, logs := startProxy(t, c)
	a.kill()
	client := newClient(t)
	url := "http://" + p.Addrs()[0] + "/app/a%20b?x=%26y"
	for i := range 2 {
		r := get(t, client, url, "Cookie: SID=.A")
		if r.status != http.StatusOK || r.node != "DC1" {
			t.Fatalf("request %d: %d from %q, want 200 from the first fallback that connects", i, r.status, r.node)
		}
		if r.seen.URI != "/app/a%20b?x=%26y" || r.seen.Host != p.Addrs()[0] {
			t.Errorf("fallback saw %s with Host %s, want the original URI and Host", r.seen.URI, r.seen.Host)
		}
	}
	if dc2.hits.Load() != 0 {
		t.Error("a later fallback was used while an earlier one works")
	}
	if !strings.Contains(logs.String(), "node=dc1 reason=retry") || !strings.Contains(logs.String(), "node=dc1 reason=fallback") {
		t.Errorf("log:\n%s", logs)
	}
}

func TestNoNodeNoFallback(t *testing.T) {
	a := newBackend(t, "A")
	p, logs := startProxy(t, testCluster(a.node()))
	a.kill()
	client := newClient(t)
	for i := range 2 {
		start := time.Now()
		r := get(t, client, "http://"+p.Addrs()[0]+"/app/x")
		if r.status != http.StatusBadGateway || time.Since(start) > time.Second {
			t.Errorf("request %d: %d after %s, want 502 at once", i, r.status, time.Since(start))
		}
	}
	if !strings.Contains(logs.String(), "status=502 node=\"\" reason=no-node") {
		t.Errorf("log:\n%s", logs)
	}
}

func TestForwardedHeadersAndRawURI(t *testing.T) {
	rb := newRawBackend(t, "RAW")
	p, _ := startProxy(t, testCluster(rb.node()))
	addr := p.Addrs()[0]
	for _, uri := range []string{
		"/app/a%20b/c%2Fd?x=%26y",
		"/app/p;x=1",
		"/app/plain",
		"/app/q?",
		"/app/%7Etilde/%41?a=b;c&d=%zz&e=+",
		"/app/x?q=%2e&q=.",
	} {
		res := rawExchange(t, addr, "GET "+uri+" HTTP/1.1\r\nHost: Example.COM:8080\r\nX-Forwarded-For: 10.1.1.1\r\nConnection: close\r\n\r\n")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", uri, res.StatusCode)
		}
		head := <-rb.heads
		if line, _, _ := strings.Cut(head, "\r\n"); line != "GET "+uri+" HTTP/1.1" {
			t.Errorf("node got request line %q, want the URI %q byte for byte", line, uri)
		}
		for _, want := range []string{
			"\r\nHost: Example.COM:8080\r\n",
			"\r\nX-Forwarded-For: 10.1.1.1, 127.0.0.1\r\n",
			"\r\nX-Forwarded-Proto: http\r\n",
			"\r\nX-Forwarded-Host: Example.COM:8080\r\n",
		} {
			if !strings.Contains(head, want) {
				t.Errorf("%s: node's request lacks %q:\n%s", uri, strings.TrimSpace(want), head)
			}
		}
		if strings.Contains(head, "User-Agent") {
			t.Errorf("%s: the client sent no User-Agent, the node got one:\n%s", uri, head)
		}
	}
}

func TestForwardedForWithoutPriorValue(t *testing.T) {
	a := newBackend(t, "A")
	p, _ := startProxy(t, testCluster(a.node()))
	r := get(t, newClient(t), "http://"+p.Addrs()[0]+"/app/x", "X-Forwarded-Proto: https", "X-Forwarded-Host: evil")
	h := r.seen.Header
	if h.Get("X-Forwarded-For") != "127.0.0.1" || h.Get("X-Forwarded-Proto") != "http" || h.Get("X-Forwarded-Host") != p.Addrs()[0] {
		t.Errorf("forwarded headers %v; client values must be replaced", h)
	}
}

func TestUpstreamKeepAlive(t *testing.T) {
	a := newBackend(t, "A")
	p, _ := startProxy(t, testCluster(a.node()))
	client := newClient(t)
	peers := map[string]bool{}
	for range 5 {
		peers[get(t, client, "http://"+p.Addrs()[0]+"/app/x").seen.Remote] = true
	}
	if len(peers) != 1 {
		t.Errorf("5 sequential requests came from %d proxy connections, want 1", len(peers))
	}
}
