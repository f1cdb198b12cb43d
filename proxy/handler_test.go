package proxy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lbgen/lbgen/model"
)

// serve sends one request straight to a listener's handler.
func serve(h http.Handler, remote, target string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.RemoteAddr = remote
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestPathsAndAccess(t *testing.T) {
	a := newBackend(t, "A")
	c := testCluster(a.node())
	c.InternalPaths = []string{"/app/rest", "/admin"}
	public := model.Listener{Addr: "8080"}
	internal := model.Listener{Addr: "9080", Internal: true, Allow: []string{"10.0.0.0/8", "127.0.0.1"}}
	restricted := model.Listener{Addr: "8081", Allow: []string{"192.168.0.0/16"}}
	p, err := New(c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	const inside, outside = "10.1.2.3:5000", "203.0.113.9:5000"
	tests := []struct {
		l      model.Listener
		remote string
		target string
		want   int
	}{
		{public, outside, "/app", 200},
		{public, outside, "/app/", 200},
		{public, outside, "/app/x/y", 200},
		{public, outside, "/appx", 404},
		{public, outside, "/", 404},
		{public, outside, "/other", 404},
		{public, outside, "/%61pp/x", 200},          // matched decoded
		{public, outside, "/app/../other", 404},     // dot segments resolved
		{public, outside, "/app/%2e%2e/other", 404}, // also when encoded
		{public, outside, "/other/../app/x", 200},
		{public, outside, "//app//x", 200}, // slashes merged
		{public, outside, "/app/rest", 403},
		{public, outside, "/app/rest/x", 403},
		{public, outside, "/app/./rest/x", 403},
		{public, outside, "/app/%72est", 403},
		{public, outside, "/app/restx", 200},
		{public, outside, "/admin/x", 403},
		// Path parameters are dropped for the internal-path check, as
		// servlet containers drop them; %3B counts as ";".
		{public, outside, "/app/rest;x", 403},
		{public, outside, "/app/rest;x/y", 403},
		{public, outside, "/app;a/rest;b/y", 403},
		{public, outside, "/app;a/rest", 403},
		{public, outside, "/app/rest%3Bx/y", 403},
		{public, outside, "/app%3Ba/rest", 403},
		{public, outside, "/admin;jsessionid=1", 403},
		{public, outside, "/app/rest/;x", 403},
		{public, outside, "/app/restx;y", 200},
		{public, outside, "/app/x;jsessionid=1", 200},
		{public, outside, "/app/;jsessionid=1", 200}, // last segment
		{public, outside, "/app;x", 404},             // the path check keeps them
		// A segment with parameters that is empty, "." or ".." without
		// them is resolved by the node after the balancer looked: 400 on
		// every listener, for every client, when more follows.
		{public, outside, "/app/..;/manager/html", 400},
		{public, outside, "/app/x/..;/rest", 400},
		{public, outside, "/app/x/..;y/rest/z", 400},
		{public, outside, "/app/.;/rest", 400},
		{public, outside, "/app/;x/rest", 400},
		{public, outside, "/app/x/%2e%2e%3B/rest", 400},
		{public, outside, "/app/x/..%3b/rest", 400},
		{public, outside, "/app/x/..;/y", 400},
		{public, outside, "/app/x%2F..;%2Fy", 400}, // %2F is a slash
		{public, outside, "/;x/app", 400},
		{public, outside, "/other/..;/x", 400}, // before the 404
		{public, outside, "/app/x/..;", 200},   // last segment
		{public, outside, "/app/x/...;/y", 200},
		{public, outside, "/app/x;a/../y", 200},      // not ambiguous: cleaned as usual
		{public, outside, "/app/x/../y", 200},        // plain dot segments are not ambiguous
		{public, outside, "/app//y", 200},            // nor are empty segments
		{public, outside, "/app/x?p=/..;/rest", 200}, // the query does not count
		{internal, inside, "/app/x/..;/rest", 400},   // internal listeners too
		{internal, outside, "/app/x/..;/rest", 400},  // before the allow list
		{restricted, outside, "/app/.;/x", 400},      // on any listener
		{internal, inside, "/app/rest;x/y", 200},
		{internal, inside, "/admin;x", 404}, // served paths are matched as before
		{internal, inside, "/app/rest/x", 200},
		{internal, inside, "/app/x", 200},
		{internal, inside, "/admin", 200},
		{internal, inside, "/adminx", 404},
		{internal, inside, "/other", 404},
		{internal, "127.0.0.1:5000", "/app/x", 200},
		{internal, "[::ffff:10.0.0.1]:5000", "/app/x", 200},
		{internal, outside, "/app/x", 403},
		{internal, "127.0.0.2:5000", "/app/rest", 403},
		{restricted, outside, "/app/x", 403},
		{restricted, "192.168.3.4:1", "/app/x", 200},
	}
	for _, tt := range tests {
		rec := serve(p.Handler(tt.l), tt.remote, tt.target)
		if rec.Code != tt.want {
			t.Errorf("listener %s, client %s, GET %s: %d, want %d", tt.l.Addr, tt.remote, tt.target, rec.Code, tt.want)
		}
	}
}

func TestRootPathCoversEverything(t *testing.T) {
	a := newBackend(t, "A")
	c := testCluster(a.node())
	c.Path = "/"
	p, err := New(c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"/", "/x", "/app/y", "/;jsessionid=1", "/x/../y", "//y"} {
		if rec := serve(p.Handler(c.Listen[0]), "127.0.0.1:1", target); rec.Code != 200 {
			t.Errorf("GET %s: %d, want 200", target, rec.Code)
		}
	}
	for _, target := range []string{"/..;/manager/html", "/x/..;/y", "/.;/y", "/;x/y"} {
		if rec := serve(p.Handler(c.Listen[0]), "127.0.0.1:1", target); rec.Code != 400 {
			t.Errorf("GET %s: %d, want 400", target, rec.Code)
		}
	}
}

func TestRefusalsAreLogged(t *testing.T) {
	a := newBackend(t, "A")
	c := testCluster(a.node())
	c.InternalPaths = []string{"/app/rest"}
	logs := &syncBuffer{}
	p, err := New(c, Options{Log: logs})
	if err != nil {
		t.Fatal(err)
	}
	serve(p.Handler(model.Listener{Addr: "pub"}), "127.0.0.1:1", "/app/rest")
	serve(p.Handler(model.Listener{Addr: "pub"}), "127.0.0.1:1", "/nope?a=b")
	serve(p.Handler(model.Listener{Addr: "int", Internal: true, Allow: []string{"10.0.0.0/8"}}), "127.0.0.1:1", "/app/rest")
	serve(p.Handler(model.Listener{Addr: "int", Internal: true, Allow: []string{"10.0.0.0/8"}}), "127.0.0.1:1", "/app/..;/manager")
	for _, want := range []string{
		`listener=pub method=GET uri=/app/rest status=403 node="" reason=internal-path route="" ms=`,
		`listener=pub method=GET uri="/nope?a=b" status=404 node="" reason=not-found route="" ms=`,
		`listener=int method=GET uri=/app/rest status=403 node="" reason=not-allowed route="" ms=`,
		`listener=int method=GET uri=/app/..;/manager status=400 node="" reason=ambiguous-path route="" ms=`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, logs)
		}
	}
	if a.hits.Load() != 0 {
		t.Error("a refused request reached the node")
	}
}

func TestBodyLimit(t *testing.T) {
	a := newBackend(t, "A")
	c := testCluster(a.node())
	c.MaxBody = 1024
	p, logs := startProxy(t, c)
	addr := p.Addrs()[0]
	client := newClient(t)

	// Up to the limit, bodies and responses pass intact.
	body := strings.Repeat("b", 1024)
	if r := send(t, client, http.MethodPost, "http://"+addr+"/app/x", strings.NewReader(body)); r.status != 200 || r.seen.Len != 1024 {
		t.Errorf("body at the limit: %d, node saw %d bytes", r.status, r.seen.Len)
	}
	chunked := rawExchange(t, addr, "POST /app/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"+
		"200\r\n"+strings.Repeat("c", 512)+"\r\n200\r\n"+strings.Repeat("c", 512)+"\r\n0\r\n\r\n")
	var got seen
	json.NewDecoder(chunked.Body).Decode(&got)
	// The node gets the buffered body with its length, as from nginx.
	if chunked.StatusCode != 200 || got.Len != 1024 || got.Header.Get("Content-Length") != "1024" {
		t.Errorf("chunked body at the limit: %d, node saw %d bytes with Content-Length %q",
			chunked.StatusCode, got.Len, got.Header.Get("Content-Length"))
	}
	expect := rawExchange(t, addr, "POST /app/x HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\nbody")
	got = seen{}
	json.NewDecoder(expect.Body).Decode(&got)
	// The proxy has taken the body already: the node has nothing to approve.
	if expect.StatusCode != 200 || got.Len != 4 || got.Header.Get("Expect") != "" {
		t.Errorf("Expect: 100-continue: %d, node saw %d bytes and Expect %q", expect.StatusCode, got.Len, got.Header.Get("Expect"))
	}
	if r := get(t, client, "http://"+addr+"/app/big?n=5000"); r.status != 200 || len(r.body) != 5000 {
		t.Errorf("response of 5000 bytes: %d with %d bytes", r.status, len(r.body))
	}
	hits := a.hits.Load()

	// Content-Length over the limit: answered before the body is sent.
	res := rawExchange(t, addr, "POST /app/x HTTP/1.1\r\nHost: x\r\nContent-Length: 1025\r\n\r\n")
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("Content-Length 1025: %d, want 413", res.StatusCode)
	}
	// Chunked over the limit: refused once the limit is crossed.
	res = rawExchange(t, addr, "POST /app/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"+
		fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", 1025, strings.Repeat("c", 1025)))
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked 1025 bytes: %d, want 413", res.StatusCode)
	}
	if a.hits.Load() != hits {
		t.Error("a body over the limit reached the node")
	}
	if n := strings.Count(logs.String(), "status=413 node=\"\" reason=too-large"); n != 2 {
		t.Errorf("%d too-large lines in the log:\n%s", n, logs)
	}
}

func TestForwardedProtoFollowsListener(t *testing.T) {
	a := newBackend(t, "A")
	p, err := New(testCluster(a.node()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := serve(p.Handler(model.Listener{Addr: "8443", TLS: true}), "127.0.0.1:1", "/app/x")
	if !strings.Contains(rec.Body.String(), `"X-Forwarded-Proto":["https"]`) {
		t.Errorf("node saw %s; want X-Forwarded-Proto https on a TLS listener", rec.Body)
	}
}
