package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lbgen/lbgen/model"
	"github.com/lbgen/lbgen/validate"
)

func TestClusterFileWithListenOverride(t *testing.T) {
	n1, n2 := newBackend(t, "CB_Server_1"), newBackend(t, "CB_Server_2")
	file := fmt.Sprintf(`version: 1
name: cobrowse
preset: cobrowse
listen:
  - addr: "10.255.255.1:9080"
    internal: true
    allow: [10.0.0.0/8]
internal_paths: [/cobrowse/rest]
health:
  interval: 1h
nodes:
  - name: CB_Server_1
    host: 127.0.0.1
    port: %d
  - name: CB_Server_2
    host: 127.0.0.1
    port: %d
`, n1.port, n2.port)
	c, diags := validate.Load("cluster.yaml", []byte(file))
	if c == nil {
		t.Fatalf("invalid test cluster: %v", diags)
	}
	logs := &syncBuffer{}
	p, err := New(c, Options{Log: logs, Listen: []string{"127.0.0.1:0"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown(context.Background())
	if len(p.Addrs()) != 1 {
		t.Fatalf("Addrs = %v, want the one --listen address", p.Addrs())
	}
	client := newClient(t)
	base := "http://" + p.Addrs()[0]
	if r := get(t, client, base+"/cobrowse/x", "Cookie: gcbSessionServer=.CB_Server_2"); r.node != "CB_Server_2" {
		t.Errorf("sticky request went to %q", r.node)
	}
	// --listen listeners are public, whatever the file's listeners were.
	if r := get(t, client, base+"/cobrowse/rest/x"); r.status != http.StatusForbidden {
		t.Errorf("internal path on a --listen listener: %d, want 403", r.status)
	}
	line := regexp.MustCompile(`(?m)^listener=127\.0\.0\.1:\d+ method=GET uri=/cobrowse/x status=200 node=CB_Server_2 reason=sticky route=CB_Server_2 ms=\d+$`)
	if !line.MatchString(logs.String()) {
		t.Errorf("log line format changed:\n%s", logs)
	}
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	_, _, roots := selfSigned(t, dir)
	t.Chdir(dir) // certificate paths are relative to the working directory
	plain, secure := newBackend(t, "A"), newTLSBackend(t, "A")
	node := plain.node()
	node.TLSPort = secure.port
	for _, tt := range []struct {
		mode             string
		plainTLS, tlsTLS bool // whether the node sees TLS via each listener
	}{
		{model.UpstreamPlain, false, false},
		{model.UpstreamTLS, true, true},
		{model.UpstreamMatch, false, true},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			c := testCluster(node)
			c.Listen = []model.Listener{{Addr: "127.0.0.1:0"}, {Addr: "127.0.0.1:0", TLS: true}}
			c.TLS = &model.TLS{Certificate: "cert.pem", Key: "key.pem", Upstream: tt.mode}
			p, _ := startProxy(t, c)
			r := get(t, newClient(t), "http://"+p.Addrs()[0]+"/app/x")
			if r.status != 200 || r.seen.TLS != tt.plainTLS || r.seen.Header.Get("X-Forwarded-Proto") != "http" {
				t.Errorf("via HTTP listener: %d, node TLS %v, proto %q", r.status, r.seen.TLS, r.seen.Header.Get("X-Forwarded-Proto"))
			}
			r = get(t, tlsClient(t, roots), "https://"+p.Addrs()[1]+"/app/x")
			if r.status != 200 || r.seen.TLS != tt.tlsTLS || r.seen.Header.Get("X-Forwarded-Proto") != "https" {
				t.Errorf("via TLS listener: %d, node TLS %v, proto %q", r.status, r.seen.TLS, r.seen.Header.Get("X-Forwarded-Proto"))
			}
			old := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}
			if conn, err := tls.Dial("tcp", p.Addrs()[1], old); err == nil {
				conn.Close()
				t.Error("TLS 1.1 handshake accepted, want TLS 1.2+ only")
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	c := testCluster(spec("A", 1, model.StateActive))
	c.Listen = []model.Listener{{Addr: "127.0.0.1:0", TLS: true}}
	c.TLS = &model.TLS{Certificate: "/nonexistent/cert.pem", Key: "/nonexistent/key.pem"}
	if _, err := New(c, Options{}); err == nil {
		t.Error("missing certificate accepted")
	}
	// --listen replaces the TLS listener, so no certificate is needed.
	if _, err := New(c, Options{Listen: []string{"127.0.0.1:0"}}); err != nil {
		t.Errorf("with --listen: %v", err)
	}
	c.Listen = []model.Listener{{Addr: "127.0.0.1:0", Allow: []string{"nope"}}}
	if _, err := New(c, Options{}); err == nil {
		t.Error("bad allow list accepted")
	}
}

func TestStartErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	c := testCluster(spec("A", 1, model.StateActive))
	c.Listen = []model.Listener{{Addr: "127.0.0.1:0"}, {Addr: busy.Addr().String()}}
	p, err := New(c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(t.Context()); err == nil {
		t.Error("Start on a busy port succeeded")
	}
	p, _ = startProxy(t, testCluster(spec("A", 1, model.StateActive)))
	if err := p.Start(t.Context()); err == nil {
		t.Error("second Start succeeded")
	}
}

func TestGracefulShutdown(t *testing.T) {
	a := newBackend(t, "A")
	c := testCluster(a.node())
	c.Health.Interval = dur(20 * time.Millisecond)
	c.Timeouts.Tunnel = dur(time.Minute)
	p, err := New(c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	addr := p.Addrs()[0]
	ws := wsDial(t, addr, "/app/ws")
	ws.echo(t, "before")
	slow := make(chan error, 1)
	client := newClient(t)
	go func() {
		res, err := client.Get("http://" + addr + "/app/slow?ms=300")
		if err == nil {
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				err = fmt.Errorf("status %d", res.StatusCode)
			}
		}
		slow <- err
	}()
	eventually(t, 2*time.Second, "slow request at the node", func() bool { return a.hits.Load() == 2 })

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := p.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	// The slow request takes 300ms; an open tunnel must not hold Shutdown.
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Shutdown took %s", d)
	}
	if err := <-slow; err != nil {
		t.Errorf("in-flight request: %v, want it finished", err)
	}
	ws.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := io.ReadAll(ws.br); err != nil {
		t.Errorf("tunnel after Shutdown: %v, want it closed", err)
	}
	if conn, err := net.Dial("tcp", addr); err == nil {
		conn.Close()
		t.Error("listener still accepts after Shutdown")
	}
	// A check already on the wire when Shutdown stopped the loop may still
	// reach the node; after that, none may follow (they ran every 20ms).
	time.Sleep(50 * time.Millisecond)
	checks := a.health.Load()
	time.Sleep(200 * time.Millisecond)
	if a.health.Load() != checks {
		t.Error("health checks continue after Shutdown")
	}
}

func TestShutdownDeadline(t *testing.T) {
	c := testCluster(hungBackend(t, "HUNG"))
	c.Timeouts.Read = dur(time.Minute)
	p, err := New(c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	client := newClient(t)
	go func() {
		res, err := client.Get("http://" + p.Addrs()[0] + "/app/x")
		if err == nil {
			res.Body.Close()
		}
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := p.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want the context's deadline", err)
	}
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Error("request still open after a forced Shutdown")
	}
}

func TestLogHasNoRequestLineBreaks(t *testing.T) {
	if got := field("a b\n\"c\""); strings.ContainsAny(got, "\n") || got != `"a b\n\"c\""` {
		t.Errorf("field = %s", got)
	}
	if field("") != `""` || field("CB_Server_1") != "CB_Server_1" {
		t.Error("empty values are quoted, tokens are bare")
	}
}

func TestRequestLinesWaitWhileOthersAreServed(t *testing.T) {
	logs := &syncBuffer{}
	p := &Proxy{log: logs}
	p.serving.Add(1)
	p.batchLine([]byte("a\n"))
	if got := logs.String(); got != "" {
		t.Errorf("a line was written while another request was served: %q", got)
	}
	p.serving.Add(-1)
	p.batchLine([]byte("b\n"))
	if got := logs.String(); got != "a\nb\n" {
		t.Errorf("once no request is served, the log holds %q, want both lines", got)
	}
	p.serving.Add(1)
	p.batchLine([]byte("c\n"))
	eventually(t, 2*logFlushDelay, "a waiting line written after the flush delay", func() bool { return logs.String() == "a\nb\nc\n" })
	p.batchLine([]byte("d\n"))
	p.logf("other")
	if got := logs.String(); got != "a\nb\nc\nd\nother\n" {
		t.Errorf("a line other than a request's writes the batch before it: %q", got)
	}
}
