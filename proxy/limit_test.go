package proxy

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lbgen/lbgen/internal/testbackend"
)

// TestMaxConnections holds max_connections requests in progress on a node
// that does not answer yet: the next request gets 503 at once, logged
// with reason=max-connections, and once the held ones end, requests pass
// again.
func TestMaxConnections(t *testing.T) {
	const limit = 5
	b, err := testbackend.Start(testbackend.Options{Name: "A"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	c := testCluster(loopbackNode("A", b.Port()))
	c.MaxConnections = limit
	c.Timeouts.Read = dur(30 * time.Second)
	p, logs := startProxy(t, c)
	url := "http://" + p.Addrs()[0] + "/app/poll"

	b.Hang()
	var held sync.WaitGroup
	statuses := make(chan int, limit)
	for range limit {
		held.Go(func() {
			res, err := http.Get(url)
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
			statuses <- res.StatusCode
		})
	}
	eventually(t, 5*time.Second, "the held requests in progress", func() bool { return p.busy.Load() == limit })

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("a request beyond max_connections: %v, want 503 at once", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("a request beyond max_connections got %d, want 503", res.StatusCode)
	}
	// Its line waits in the batch while the held requests are served.
	eventually(t, 2*logFlushDelay, "reason=max-connections in the log", func() bool {
		return strings.Contains(logs.String(), "reason=max-connections")
	})

	b.Recover()
	held.Wait()
	close(statuses)
	for s := range statuses {
		if s != http.StatusOK {
			t.Errorf("a held request ended with %d, want 200", s)
		}
	}
	res, err = http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("after the held requests ended, a request got %d, want 200", res.StatusCode)
	}
}

func TestFitOpenFiles(t *testing.T) {
	fit, files := fitOpenFiles(1 << 40)
	if files == 0 {
		t.Skip("the open-file limit is unlimited or unreadable here")
	}
	if want := (files - reservedFiles) / 2; fit != want {
		t.Errorf("fit %d for %d open files, want %d", fit, files, want)
	}
	if fit, _ := fitOpenFiles(10); fit != 10 {
		t.Errorf("a limit that fits was changed to %d", fit)
	}
}
