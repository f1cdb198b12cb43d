package testbackend

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// BenchmarkAnswerParallel measures keep-alive requests from many clients.
func BenchmarkAnswerParallel(b *testing.B) {
	be := startBackend(b, Options{CookieName: "SID"})
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	url := be.URL() + "/app/page?x=1"
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}

// BenchmarkAnswerOneConn measures the server side of one keep-alive
// connection with a minimal client.
func BenchmarkAnswerOneConn(b *testing.B) {
	be := startBackend(b, Options{})
	c := dialRaw(b, be.Addr())
	b.ReportAllocs()
	for b.Loop() {
		c.get("/app/page?x=1")
	}
}

// BenchmarkWebSocketEcho measures echo round trips on one tunnel.
func BenchmarkWebSocketEcho(b *testing.B) {
	be := startBackend(b, Options{})
	ws, _, err := DialWebSocket(b.Context(), "ws://"+be.Addr()+"/", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ws.Close()
	msg := strings.Repeat("m", 128)
	b.ReportAllocs()
	for b.Loop() {
		if err := ws.Send(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := ws.Recv(); err != nil {
			b.Fatal(err)
		}
	}
}
