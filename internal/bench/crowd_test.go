package bench

import (
	"strings"
	"testing"
	"time"

	"github.com/lbgen/lbgen/internal/crowd"
)

func TestCrowdMarkdown(t *testing.T) {
	r := &crowdReport{
		ladder: []int{8000},
		hold:   8 * time.Second,
		rows: []*crowdRow{
			{
				name: "nginx",
				rungs: []crowdRung{{size: 8000, peakRSS: 200 << 20, idlePSS: 10 << 20, peakPSS: 10<<20 + 8000*20<<10,
					res: crowd.Result{WebSockets: 4000, Echoed: 4000, Polls: 4000, Held: 8000, SlowestPoll: 8100 * time.Millisecond}}},
				limit: crowdRung{size: 1500, res: crowd.Result{WebSockets: 1000, Echoed: 1000,
					Failures: map[string]crowd.Failure{"poll: HTTP 503": {Count: 500, Slowest: 20 * time.Millisecond}}}},
			},
			{name: "apache", err: errNotHere},
		},
	}
	md := r.markdown()
	for _, want := range []string{
		"| nginx | 8,000 | 8,000 | 4,000 | 4,000 | 0 | 8.10 s | 200 MiB | 166 MiB | 20 KiB |",
		"| apache | not measured: not here |",
		"| nginx | 1,000 | 0 | – | 500 × poll: HTTP 503 (after at most 20.0 ms) | 1,000 |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}
