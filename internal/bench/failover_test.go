package bench

import (
	"strings"
	"testing"
	"time"
)

func TestAnalyze(t *testing.T) {
	s := func(start, end float64, status int, node string) sample {
		return sample{start: time.Duration(start * float64(time.Second)), end: time.Duration(end * float64(time.Second)), status: status, node: node}
	}
	tests := []struct {
		name    string
		samples []sample
		want    failoverResult
	}{{
		name: "seed pattern: every request waits the connect timeout, then falls back",
		samples: []sample{
			s(0, 5.01, 200, "n2"), s(5.01, 10.02, 200, "n3"), s(10.02, 15.02, 200, "n2"),
		},
		want: failoverResult{recovered: 5010 * time.Millisecond, slow: 3, requests: 3},
	}, {
		name: "errors before recovery, one wait, a cut request",
		samples: []sample{
			s(0, 0.001, 502, ""), s(0.001, 0.002, 0, ""), s(0.002, 5.1, 504, ""), s(5.1, 5.2, 200, "n2"),
			s(5.2, 5.3, 503, ""), {start: 5.3e9, end: 10.5e9, cut: true},
		},
		want: failoverResult{recovered: 5200 * time.Millisecond, failedBefore: 3, slow: 2, requests: 5, failed: 4},
	}, {
		name:    "answers from the failed node do not count as recovery",
		samples: []sample{s(0, 0.1, 200, "n1"), s(0.1, 0.2, 200, "n2")},
		want:    failoverResult{recovered: 200 * time.Millisecond, requests: 2},
	}, {
		name:    "never back",
		samples: []sample{s(0, 60, 504, ""), {start: 60e9, end: 75e9, cut: true}},
		want:    failoverResult{recovered: -1, failedBefore: 1, slow: 2, requests: 1, failed: 1},
	}, {
		name:    "just under the timer slack is not a wait",
		samples: []sample{s(0, 4.7, 200, "n2"), s(4.7, 9.46, 200, "n2")},
		want:    failoverResult{recovered: 4700 * time.Millisecond, slow: 1, requests: 2},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := analyze(tt.samples, "n1", 5*time.Second); got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestFailoverMarkdown(t *testing.T) {
	r := &failoverReport{connect: 5 * time.Second, cells: []*failoverCell{
		{contender: "baseline", fault: "hung", window: 75 * time.Second, result: failoverResult{recovered: -1, slow: 1}},
		{contender: "nginx", fault: "killed", window: 10 * time.Second, result: failoverResult{recovered: 1500 * time.Microsecond, requests: 900, failed: 2, failedBefore: 2}},
		{contender: "proxy", fault: "unreachable", window: 75 * time.Second, result: failoverResult{recovered: 5004 * time.Millisecond, slow: 1, requests: 10}},
		{contender: "apache", fault: "killed", err: errNotHere},
	}}
	md := r.markdown()
	for _, want := range []string{
		"| baseline | hung | not within 1m15s | 0 | 1 | 0 (0) in 1m15s |",
		"| nginx | killed | 1.5 ms | 2 | 0 | 900 (2) in 10s |",
		"| proxy | unreachable | 5.00 s | 0 | 1 | 10 (0) in 1m15s |",
		"| apache | killed | not measured: not here |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}
