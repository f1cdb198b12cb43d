package proxy

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/lbgen/lbgen/internal/testbackend"
)

// BenchmarkStickyKeepAlive measures sticky keep-alive requests through
// the proxy to a test backend, from parallel clients: the hot path that
// BENCHMARKS.md compares with nginx (make bench has the full run).
func BenchmarkStickyKeepAlive(b *testing.B) {
	be, err := testbackend.Start(testbackend.Options{Name: "A"})
	if err != nil {
		b.Fatal(err)
	}
	defer be.Close()
	c := testCluster(loopbackNode("A", be.Port()))
	p, err := New(c, Options{Log: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	if err := p.Start(b.Context()); err != nil {
		b.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		p.Shutdown(ctx)
	}()
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	url := "http://" + p.Addrs()[0] + "/app/page?x=1"
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			req.Header.Set("Cookie", "SID=.A")
			resp, err := tr.RoundTrip(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}
