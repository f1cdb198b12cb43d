package bench

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	if got := median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("odd: %v", got)
	}
	if got := median([]time.Duration{4, 1, 3, 2}); got != 2 {
		t.Errorf("even: %v, want the mean of 2 and 3 rounded down", got)
	}
	xs := []float64{9, 1, 5}
	median(xs)
	if xs[0] != 9 {
		t.Error("median sorted its argument")
	}
	if got := median[float64](nil); got != 0 {
		t.Errorf("empty: %v", got)
	}
}

func TestSummary(t *testing.T) {
	row := &throughputRow{
		rounds: []LoadResult{
			{Requests: 1000, Elapsed: time.Second, P50: 3, P90: 30, P99: 300, Failed: 1, FirstError: "first"},
			{Requests: 3000, Elapsed: time.Second, P50: 1, P90: 10, P99: 100},
			{Requests: 2000, Elapsed: time.Second, P50: 2, P90: 20, P99: 200, Failed: 2, Misrouted: 1, FirstError: "later"},
		},
		cpu: 600 * time.Millisecond, sent: 6000, peakRSS: 42,
	}
	want := summary{rps: 2000, p50: 2, p90: 20, p99: 200, cpuPerRequest: 100 * time.Microsecond, peakRSS: 42, failed: 3, misrouted: 1, firstError: "first"}
	if got := row.summary(); got != want {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestThroughputMarkdown(t *testing.T) {
	r := &throughputReport{
		cfg:         Config{Sessions: 64, Rounds: 1, Warmup: time.Second, Duration: time.Second},
		nodes:       3,
		direct:      []LoadResult{{Requests: 90000, Elapsed: time.Second}, {Requests: 50000, Elapsed: time.Second}, {Requests: 10, Elapsed: time.Second}},
		directClose: []LoadResult{{Requests: 10000, Elapsed: time.Second}},
		rows: []*throughputRow{
			{name: "baseline", rounds: []LoadResult{{Requests: 4000, Elapsed: time.Second, P50: 10 * time.Millisecond, P90: 20 * time.Millisecond, P99: 40 * time.Millisecond}}, cpu: time.Second, sent: 4000, peakRSS: 10 << 20},
			{name: "nginx", rounds: []LoadResult{{Requests: 40000, Elapsed: time.Second, P50: time.Millisecond, P90: 2 * time.Millisecond, P99: 4 * time.Millisecond}}, cpu: time.Second, sent: 40000, peakRSS: 20 << 20},
			{name: "apache", err: errNotHere},
		},
	}
	md := r.markdown()
	for _, want := range []string{
		"| baseline | 4,000 (1.00×) | 10.00 ms (1.00×) | 20.00 ms (1.00×) | 40.00 ms (1.00×) | 10.0 MiB (1.00×) | 250 µs (1.00×) | 0 |",
		"| nginx | 40,000 (10.00×) | 1.00 ms (0.10×) | 2.00 ms (0.10×) | 4.00 ms (0.10×) | 20.0 MiB (2.00×) | 25 µs (0.10×) | 0 |",
		"| apache | not measured: not here |",
		"(median of the rounds): 50,000 req/s keep-alive, 10,000 req/s with a new connection",
		"the fastest load balancer reached 80% of what the client and nodes deliver alone",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}

var errNotHere = errors.New("not here")

func TestThousands(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 1234567.4: "1,234,567"} {
		if got := thousands(v); got != want {
			t.Errorf("%v: got %q, want %q", v, got, want)
		}
	}
}
