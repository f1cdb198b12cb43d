package bench

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestReadAnswer(t *testing.T) {
	tests := []struct {
		name, raw  string
		status     int
		node       string
		close      bool
		afterwards string // what the next read must find
	}{
		{"length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nx-node: CB_Server_1\r\n\r\nhelloNEXT", 200, "CB_Server_1", false, "NEXT"},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Node: n2\r\n\r\n5;ext=1\r\nhello\r\n3\r\nabc\r\n0\r\nTrailer: x\r\n\r\nNEXT", 200, "n2", false, "NEXT"},
		{"close", "HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 502, "", true, ""},
		{"http/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nokNEXT", 200, "", true, "NEXT"},
		{"http/1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nokNEXT", 200, "", false, "NEXT"},
		{"to end of connection", "HTTP/1.1 200 OK\r\n\r\nall of it", 200, "", true, ""},
		{"no body", "HTTP/1.1 304 Not Modified\r\n\r\nNEXT", 304, "", false, "NEXT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			br := bufio.NewReader(strings.NewReader(tt.raw))
			a, err := readAnswer(br)
			if err != nil {
				t.Fatal(err)
			}
			if a.status != tt.status || string(a.node) != tt.node || a.close != tt.close {
				t.Errorf("got status %d node %q close %v, want %d %q %v", a.status, a.node, a.close, tt.status, tt.node, tt.close)
			}
			rest := make([]byte, 16)
			n, _ := br.Read(rest)
			if got := string(rest[:n]); got != tt.afterwards {
				t.Errorf("left %q unread, want %q", got, tt.afterwards)
			}
		})
	}
}

func TestReadAnswerRejects(t *testing.T) {
	for _, raw := range []string{
		"garbage\r\n\r\n",
		"HTTP/1.1 2x0 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
	} {
		if _, err := readAnswer(bufio.NewReader(strings.NewReader(raw))); err == nil {
			t.Errorf("%q: no error", raw)
		}
	}
}

func TestPercentile(t *testing.T) {
	var xs []time.Duration
	for i := 1; i <= 100; i++ {
		xs = append(xs, time.Duration(i))
	}
	for _, tt := range []struct {
		p    float64
		want time.Duration
	}{{50, 50}, {90, 90}, {99, 99}, {100, 100}, {0, 1}, {99.5, 100}} {
		if got := Percentile(xs, tt.p); got != tt.want {
			t.Errorf("p%v = %v, want %v", tt.p, got, tt.want)
		}
	}
	if got := Percentile([]time.Duration{7}, 99); got != 7 {
		t.Errorf("one value: %v", got)
	}
	if got := Percentile(nil, 50); got != 0 {
		t.Errorf("no values: %v", got)
	}
}

// TestRunLoad drives a node stand-in that answers sessions of node b from
// another node: every such answer must count as misrouted, the rest as
// requests.
func TestRunLoad(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie("SID")
		if err != nil {
			http.Error(w, "no cookie", http.StatusBadRequest)
			return
		}
		node := strings.TrimPrefix(c.Value, ".")
		if node == "b" {
			node = "c"
		}
		w.Header().Set("X-Node", node)
		fmt.Fprintln(w, "ok")
	}))
	defer srv.Close()
	l := Load{Addr: srv.Listener.Addr().String(), Path: "/x?y=1", Cookie: "SID", Nodes: []string{"a", "b"},
		Sessions: 4, Warmup: 50 * time.Millisecond, Duration: 200 * time.Millisecond}
	r, err := RunLoad(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests == 0 || r.Misrouted == 0 || r.Failed != r.Misrouted {
		t.Errorf("requests %d, misrouted %d, failed %d: want requests, and every failure misrouted", r.Requests, r.Misrouted, r.Failed)
	}
	if r.AllRequests < r.Requests+r.Failed {
		t.Errorf("all requests %d < requests %d + failed %d", r.AllRequests, r.Requests, r.Failed)
	}
	if r.Elapsed != l.Duration || r.P50 <= 0 || r.P50 > r.P99 || r.P99 > r.Max {
		t.Errorf("elapsed %v, p50 %v, p99 %v, max %v", r.Elapsed, r.P50, r.P99, r.Max)
	}
}
