package testbackend

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAnswerFields(t *testing.T) {
	b := startBackend(t, Options{Name: "app-1"})
	body := "hello, backend"
	req, err := http.NewRequest(http.MethodPost, b.URL()+"/app/x?y=1&z=%41", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "example.test:8080"
	req.Header["X-Forwarded-For"] = []string{"10.0.0.1", "10.0.0.2"}
	req.Header.Set("X-Forwarded-Proto", "https")
	req.Header.Set("X-Forwarded-Host", "front.example")
	req.Header["Cookie"] = []string{"a=1", "b=2"}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Header.Get("X-Node"); got != "app-1" {
		t.Errorf("X-Node = %q", got)
	}
	if got := resp.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
	if !strings.HasSuffix(string(raw), "}\n") || strings.Count(string(raw), "\n") != 1 {
		t.Errorf("body is not one JSON object and a newline: %q", raw)
	}
	a, err := ParseAnswer(raw)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(body))
	want := Answer{
		Node:            "app-1",
		Method:          "POST",
		URI:             "/app/x?y=1&z=%41",
		Host:            "example.test:8080",
		XForwardedFor:   "10.0.0.1, 10.0.0.2",
		XForwardedProto: "https",
		XForwardedHost:  "front.example",
		Cookie:          "a=1; b=2",
		BodyLen:         int64(len(body)),
		BodySHA256:      hex.EncodeToString(sum[:]),
		Conn:            a.Conn,
		ConnRequests:    1,
	}
	if a != want {
		t.Errorf("answer\n got %+v\nwant %+v", a, want)
	}
	if a.Conn <= 0 {
		t.Errorf("conn id %d, want > 0", a.Conn)
	}
	if got := b.Requests(); got != 1 {
		t.Errorf("Requests() = %d, want 1", got)
	}
}

func TestParseAnswerRejectsOtherBodies(t *testing.T) {
	for _, body := range []string{
		"",
		"<html>502 Bad Gateway</html>",
		"{}",
		`{"node":"n","extra":1}`,
		`{"node":"n"}{"node":"m"}`,
	} {
		if _, err := ParseAnswer([]byte(body)); err == nil {
			t.Errorf("ParseAnswer(%q) succeeded", body)
		}
	}
}

func TestRawURIIsByteExact(t *testing.T) {
	b := startBackend(t, Options{})
	c := dialRaw(t, b.Addr())
	for _, uri := range []string{
		"/a%20b/c%2Fd?x=%26y",
		"/plain",
		"/empty-query?",
		"//double//slash/../dot/./x",
		"/%7Euser/%e2%82%ac?q=a+b&r=%2B",
		"/pipe|brace{x}^`/caf\xc3\xa9?k=v|w",
	} {
		if a := c.answer(uri); a.URI != uri {
			t.Errorf("uri = %q, want %q", a.URI, uri)
		}
	}
}

func TestKeepAlive(t *testing.T) {
	b := startBackend(t, Options{})
	c := dialRaw(t, b.Addr())
	first, second := c.answer("/one"), c.answer("/two")
	if first.Conn != second.Conn {
		t.Errorf("two requests on one connection report conns %d and %d", first.Conn, second.Conn)
	}
	if first.ConnRequests != 1 || second.ConnRequests != 2 {
		t.Errorf("conn_requests = %d, %d; want 1, 2", first.ConnRequests, second.ConnRequests)
	}
	other := dialRaw(t, b.Addr()).answer("/three")
	if other.Conn == first.Conn || other.ConnRequests != 1 {
		t.Errorf("new connection: conn %d (first was %d), conn_requests %d", other.Conn, first.Conn, other.ConnRequests)
	}
}

// TestBehindKeepAliveProxy checks that a proxy reusing its upstream
// connections gets answers on the same backend connection.
func TestBehindKeepAliveProxy(t *testing.T) {
	b := startBackend(t, Options{})
	target, _ := url.Parse(b.URL())
	proxy := httptest.NewServer(httputil.NewSingleHostReverseProxy(target))
	defer proxy.Close()
	client := proxy.Client()
	var answers []Answer
	for range 3 {
		resp, err := client.Get(proxy.URL + "/via/proxy?x=1")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		a, err := ParseAnswer(body)
		if err != nil {
			t.Fatal(err)
		}
		answers = append(answers, a)
	}
	for i, a := range answers {
		if a.Conn != answers[0].Conn || a.ConnRequests != int64(i+1) {
			t.Errorf("answer %d: conn %d, conn_requests %d; want conn %d, %d", i, a.Conn, a.ConnRequests, answers[0].Conn, i+1)
		}
		if a.XForwardedFor != "127.0.0.1" || a.URI != "/via/proxy?x=1" {
			t.Errorf("answer %d: x_forwarded_for %q, uri %q", i, a.XForwardedFor, a.URI)
		}
	}
}

func TestLargeBodyIsStreamed(t *testing.T) {
	const size = 64 << 20
	b := startBackend(t, Options{})
	h := sha256.New()
	body := io.TeeReader(io.LimitReader(pattern{}, size), h)
	// No ContentLength: the body goes out chunked.
	req, err := http.NewRequest(http.MethodPut, b.URL()+"/upload", io.NopCloser(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a, err := ParseAnswer(raw)
	if err != nil {
		t.Fatal(err)
	}
	if want := hex.EncodeToString(h.Sum(nil)); a.BodyLen != size || a.BodySHA256 != want {
		t.Errorf("body_len %d, sha %s; want %d, %s", a.BodyLen, a.BodySHA256, size, want)
	}
}

// pattern is an endless reader of non-constant bytes.
type pattern struct{}

func (pattern) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(i*7 + i>>8)
	}
	return len(p), nil
}

func TestHealth(t *testing.T) {
	b := startBackend(t, Options{Name: "n2"})
	c := dialRaw(t, b.Addr())
	paths := []string{"/health", "/cobrowse/health", "/server/about", "/app/isAlive?probe=1"}
	check := func(wantStatus int, wantBody string) {
		t.Helper()
		for _, p := range paths {
			resp, body := c.get(p)
			if resp.StatusCode != wantStatus || body != wantBody {
				t.Errorf("GET %s: %d %q, want %d %q", p, resp.StatusCode, body, wantStatus, wantBody)
			}
		}
	}
	check(http.StatusOK, "OK n2\n")
	b.SetHealthy(false)
	check(http.StatusServiceUnavailable, "DOWN n2\n")
	// An unhealthy node still serves other paths, including look-alikes.
	for _, p := range []string{"/healthz", "/health/", "/about/x"} {
		if a := c.answer(p); a.URI != p {
			t.Errorf("GET %s: uri %q", p, a.URI)
		}
	}
	b.SetHealthy(true)
	check(http.StatusOK, "OK n2\n")
	if got, want := b.HealthChecks(), int64(3*len(paths)); got != want {
		t.Errorf("HealthChecks() = %d, want %d", got, want)
	}
	if got, want := b.Requests(), int64(3*len(paths)+3); got != want {
		t.Errorf("Requests() = %d, want %d", got, want)
	}
}

func TestSetCookie(t *testing.T) {
	b := startBackend(t, Options{Name: "n3", CookieName: "JSESSIONID"})
	c := dialRaw(t, b.Addr())
	for _, tc := range []struct {
		cookie string
		want   string
	}{
		{"", "JSESSIONID=.n3; Path=/"},
		{"Cookie: other=1", "JSESSIONID=.n3; Path=/"},
		{"Cookie: other=1; JSESSIONID=abc.n1", ""},
	} {
		var headers []string
		if tc.cookie != "" {
			headers = append(headers, tc.cookie)
		}
		for _, p := range []string{"/page", "/health"} {
			resp, _ := c.get(p, headers...)
			if got := strings.Join(resp.Header.Values("Set-Cookie"), " | "); got != tc.want {
				t.Errorf("GET %s with %q: Set-Cookie %q, want %q", p, tc.cookie, got, tc.want)
			}
		}
	}
	plain := startBackend(t, Options{Name: "n4"})
	if resp, _ := dialRaw(t, plain.Addr()).get("/page"); resp.Header.Get("Set-Cookie") != "" {
		t.Errorf("backend without CookieName set %q", resp.Header.Get("Set-Cookie"))
	}
}

func TestKillAndRecover(t *testing.T) {
	b := startBackend(t, Options{})
	addr := b.Addr()
	c := dialRaw(t, addr)
	before := c.answer("/before")

	b.Kill()
	if b.State() != StateKilled {
		t.Errorf("State() = %v", b.State())
	}
	if _, _, err := c.read(2 * time.Second); err == nil || !isClosed(err) {
		t.Errorf("open connection after Kill: got %v, want it closed", err)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); !isRefused(err) {
		t.Errorf("dial after Kill: %v, want connection refused", err)
	}

	b.Recover()
	if b.Addr() != addr {
		t.Errorf("Addr changed from %s to %s", addr, b.Addr())
	}
	if a := mustAnswer(t, b); a.Conn == before.Conn {
		t.Errorf("connection id %d reused after Kill", a.Conn)
	}
}

func TestBlackholeAndRecover(t *testing.T) {
	if runtime.GOOS != "linux" {
		if err := startBackend(t, Options{}).SetState(StateBlackhole); err == nil {
			t.Fatal("SetState(StateBlackhole) succeeded outside Linux")
		}
		t.Skip("blackhole needs Linux")
	}
	b := startBackend(t, Options{})
	c := dialRaw(t, b.Addr())
	c.answer("/before")

	b.Blackhole()
	if _, _, err := c.read(2 * time.Second); err == nil || !isClosed(err) {
		t.Errorf("open connection after Blackhole: got %v, want it closed", err)
	}
	start := time.Now()
	_, err := net.DialTimeout("tcp", b.Addr(), 300*time.Millisecond)
	if !isTimeout(err) || isRefused(err) {
		t.Errorf("dial after Blackhole: %v, want a timeout", err)
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("dial gave up after %v, want about 300ms", d)
	}

	// Killing a blackholed node turns timeouts into refusals.
	b.Kill()
	if _, err := net.DialTimeout("tcp", b.Addr(), time.Second); !isRefused(err) {
		t.Errorf("dial after Blackhole+Kill: %v, want connection refused", err)
	}
	b.Blackhole()
	b.Recover()
	mustAnswer(t, b)
}

func TestHangAndRecover(t *testing.T) {
	b := startBackend(t, Options{})
	idle := dialRaw(t, b.Addr())
	idle.answer("/before")

	b.Hang()
	fresh := dialRaw(t, b.Addr()) // still accepted
	for _, c := range []*rawConn{idle, fresh} {
		c.send("/hung")
		if _, _, err := c.read(300 * time.Millisecond); !isTimeout(err) {
			t.Errorf("request while hung: %v, want no answer", err)
		}
	}
	health := dialRaw(t, b.Addr())
	health.send("/health")
	if _, _, err := health.read(100 * time.Millisecond); !isTimeout(err) {
		t.Errorf("health while hung: %v, want no answer", err)
	}
	requests := b.Requests()

	b.Recover()
	// Hung requests are answered once the node recovers.
	for _, c := range []*rawConn{idle, fresh} {
		resp, body, err := c.read(2 * time.Second)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("hung request after Recover: %v", err)
		}
		if a, err := ParseAnswer([]byte(body)); err != nil || a.URI != "/hung" {
			t.Errorf("hung request after Recover: %+v, %v", a, err)
		}
	}
	if requests != 1 {
		t.Errorf("Requests() while hung = %d, want 1", requests)
	}
	mustAnswer(t, b)
}

func TestKillWhileHungDropsRequests(t *testing.T) {
	b := startBackend(t, Options{})
	c := dialRaw(t, b.Addr())
	b.Hang()
	c.send("/hung")
	time.Sleep(50 * time.Millisecond) // let the request arrive
	b.Kill()
	if _, _, err := c.read(2 * time.Second); err == nil || !isClosed(err) {
		t.Errorf("hung request after Kill: %v, want the connection closed unanswered", err)
	}
	b.Recover()
	mustAnswer(t, b)
}

func TestDelayAndSleep(t *testing.T) {
	b := startBackend(t, Options{})
	c := dialRaw(t, b.Addr())
	timed := func(target string) time.Duration {
		start := time.Now()
		c.get(target)
		return time.Since(start)
	}
	b.SetDelay(200 * time.Millisecond)
	if d := timed("/slow"); d < 200*time.Millisecond {
		t.Errorf("delayed answer took %v", d)
	}
	if d := timed("/health"); d >= 150*time.Millisecond {
		t.Errorf("health answer took %v, want no delay", d)
	}
	b.SetDelay(0)
	if d := timed("/lp?sleep=150"); d < 150*time.Millisecond {
		t.Errorf("sleep=150 answer took %v", d)
	}
	if d := timed("/fast?sleep=oops"); d >= 150*time.Millisecond {
		t.Errorf("bad sleep= answer took %v", d)
	}
}

func TestNonWebSocketUpgradeIsNormalRequest(t *testing.T) {
	b := startBackend(t, Options{})
	c := dialRaw(t, b.Addr())
	a := c.answer("/up", "Connection: Upgrade", "Upgrade: h2c")
	if a.URI != "/up" {
		t.Errorf("uri = %q", a.URI)
	}
	if again := c.answer("/again"); again.Conn != a.Conn {
		t.Errorf("connection not kept after a non-websocket upgrade")
	}
	resp, _ := c.get("/ws", "Connection: Upgrade", "Upgrade: websocket")
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("websocket upgrade without key: status %d, want 400", resp.StatusCode)
	}
}

func TestStartValidation(t *testing.T) {
	for _, opts := range []Options{
		{Name: "n", Addr: "0.0.0.0:0"},
		{Name: "n", Addr: "[::1]:0"},
		{Name: "n", Addr: "example.com:80"},
		{Name: "n", Addr: "127.0.0.1"},
		{Name: ""},
		{Name: "a b"},
		{Name: "n", CookieName: "a=b"},
	} {
		if b, err := Start(opts); err == nil {
			b.Close()
			t.Errorf("Start(%+v) succeeded", opts)
		}
	}
	b := startBackend(t, Options{Name: "n", Addr: "localhost:0"})
	if host, _, _ := net.SplitHostPort(b.Addr()); host != "127.0.0.1" || b.Port() == 0 {
		t.Errorf("Addr() = %q, Port() = %d", b.Addr(), b.Port())
	}
}

func TestCloseReleasesPort(t *testing.T) {
	states := []State{StateUp, StateHang, StateKilled}
	if runtime.GOOS == "linux" {
		states = append(states, StateBlackhole)
	}
	for _, s := range states {
		t.Run(s.String(), func(t *testing.T) {
			b, err := Start(Options{Name: "n"})
			if err != nil {
				t.Fatal(err)
			}
			c := dialRaw(t, b.Addr())
			c.answer("/x")
			if err := b.SetState(s); err != nil {
				t.Fatal(err)
			}
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			ln, err := net.Listen("tcp", b.Addr())
			if err != nil {
				t.Fatalf("port not released: %v", err)
			}
			ln.Close()
			if err := b.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
			if err := b.SetState(StateUp); !errors.Is(err, ErrClosed) {
				t.Errorf("SetState after Close: %v", err)
			}
			b.Kill() // must not panic
		})
	}
}

func TestCloseEndsGoroutines(t *testing.T) {
	baseline := runtime.NumGoroutine()
	b, err := Start(Options{Name: "n"})
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	client := &http.Client{Transport: tr}
	for range 5 {
		resp, err := client.Get(b.URL() + "/x")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	ws, _, err := DialWebSocket(t.Context(), "ws://"+b.Addr()+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	b.Hang()
	hung := make(chan error, 1)
	go func() {
		_, err := client.Get(b.URL() + "/hung")
		hung <- err
	}()
	time.Sleep(50 * time.Millisecond)

	done := make(chan struct{})
	go func() { b.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	if err := <-hung; err == nil {
		t.Error("hung request was answered after Close")
	}
	ws.Close()
	tr.CloseIdleConnections()

	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines after Close, baseline %d:\n%s", runtime.NumGoroutine(), baseline, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestConcurrentStateChanges exercises state changes under load for the
// race detector, then checks the node still serves.
func TestConcurrentStateChanges(t *testing.T) {
	b := startBackend(t, Options{CookieName: "SID"})
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	defer client.CloseIdleConnections()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				path := []string{"/x", "/health", "/x?sleep=5"}[i%3]
				if resp, err := client.Get(b.URL() + path); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				if i == 0 {
					if ws, _, err := DialWebSocket(t.Context(), "ws://"+b.Addr()+"/ws", nil); err == nil {
						ws.Send("x")
						ws.Close()
					}
				}
			}
		}()
	}
	cycle := []State{StateHang, StateUp, StateKilled, StateUp, StateHang, StateKilled, StateUp}
	for i := range 20 {
		for _, s := range cycle {
			if err := b.SetState(s); err != nil {
				t.Fatal(err)
			}
			b.SetDelay(time.Duration(i%2) * time.Millisecond)
			b.SetHealthy(i%2 == 0)
			time.Sleep(2 * time.Millisecond)
		}
	}
	if runtime.GOOS == "linux" {
		b.Blackhole()
		b.Recover()
	}
	close(stop)
	wg.Wait()
	b.SetDelay(0)
	mustAnswer(t, b)
}

func TestTLS(t *testing.T) {
	b := startBackend(t, Options{Name: "secure", TLS: true})
	if !strings.HasPrefix(b.URL(), "https://") {
		t.Fatalf("URL() = %q, want https://", b.URL())
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	defer client.CloseIdleConnections()
	get := func() Answer {
		t.Helper()
		resp, err := client.Get(b.URL() + "/app/x")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		a, err := ParseAnswer(raw)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	if a := get(); !a.TLS || a.Node != "secure" {
		t.Errorf("answer over TLS: %+v, want TLS from secure", a)
	}
	// Plain HTTP is not served on a TLS backend.
	c := dialRaw(t, b.Addr())
	c.send("/app/x")
	if resp, _, err := c.read(2 * time.Second); err == nil && resp.StatusCode == http.StatusOK {
		t.Errorf("plain HTTP to a TLS backend answered %d", resp.StatusCode)
	}
	b.Kill()
	if _, err := client.Get(b.URL() + "/app/x"); err == nil {
		t.Error("killed TLS backend answered")
	}
	b.Recover()
	client.CloseIdleConnections()
	if a := get(); !a.TLS {
		t.Errorf("recovered TLS backend answered without TLS: %+v", a)
	}
	if a := mustAnswer(t, startBackend(t, Options{Name: "plain"})); a.TLS {
		t.Errorf("plain backend reports TLS: %+v", a)
	}
}

func TestHealthStatus(t *testing.T) {
	b := startBackend(t, Options{Name: "n3", HealthStatus: http.StatusNoContent})
	c := dialRaw(t, b.Addr())
	if resp, body := c.get("/health"); resp.StatusCode != http.StatusNoContent || body != "" {
		t.Errorf("healthy: %d %q, want 204 without a body", resp.StatusCode, body)
	}
	b.SetHealthy(false)
	if resp, body := c.get("/health"); resp.StatusCode != http.StatusServiceUnavailable || body != "DOWN n3\n" {
		t.Errorf("unhealthy: %d %q, want 503", resp.StatusCode, body)
	}
	// A node whose healthy answer is 503 answers something else when not.
	u := startBackend(t, Options{Name: "n4", HealthStatus: http.StatusServiceUnavailable})
	u.SetHealthy(false)
	if resp, _ := dialRaw(t, u.Addr()).get("/health"); resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("unhealthy with healthy status 503: %d, want 500", resp.StatusCode)
	}
}
