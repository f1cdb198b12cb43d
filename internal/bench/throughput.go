package bench

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/lbgen/lbgen/internal/sandbox"
	"github.com/lbgen/lbgen/internal/servers"
)

// RequestPath is what every session requests: under the Co-browse path,
// with a query string, as the application's polling does.
const RequestPath = "/cobrowse/api/v1/poll?client=bench"

// throughputRow is one contender's measurements.
type throughputRow struct {
	name   string
	err    error // why it was not measured
	rounds []LoadResult
	// cpu is the load balancer's CPU time over every round, warm-ups
	// included, and sent the requests of those rounds.
	cpu     time.Duration
	sent    int64
	peakRSS int64
}

// throughputReport is the throughput part of a run.
type throughputReport struct {
	cfg   Config
	nodes int
	// direct is the load generator against one node without a load
	// balancer, keeping connections and opening one per request, once per
	// round: the most the client and node side can deliver.
	direct, directClose []LoadResult
	rows                []*throughputRow
	// loadAfter is the machine's load average when the part ended.
	loadAfter string
}

// throughput measures every contender with the same sticky traffic, on
// the same nodes, interleaving the rounds so that a disturbance on the
// machine touches every contender alike.
func (h *harness) throughput(ctx context.Context) (*throughputReport, error) {
	ports, err := sandbox.FreePorts(h.cfg.Nodes)
	if err != nil {
		return nil, err
	}
	nodes := make([]node, len(ports))
	for i, p := range ports {
		nodes[i] = node{Name: fmt.Sprintf("CB_Server_%d", i+1), Port: p}
	}
	h.logf("throughput: starting %d nodes", len(nodes))
	backends, err := h.startBackends(ctx, h.dir("throughput", "nodes"), nodes, h.loadCPUs)
	if err != nil {
		return nil, err
	}
	defer backends.Stop()
	rep := &throughputReport{cfg: h.cfg, nodes: len(nodes)}
	traffic := Load{Path: RequestPath, Cookie: StickyCookie, Sessions: h.cfg.Sessions, Warmup: h.cfg.Warmup, Duration: h.cfg.Duration}

	direct := traffic
	direct.Addr, direct.Nodes = nodes[0].Addr(), []string{nodes[0].Name}
	directClose := direct
	directClose.Close = true

	type live struct {
		row  *throughputRow
		proc *servers.Process
		addr string
	}
	var lives []live
	defer func() {
		for _, l := range lives {
			l.proc.Stop()
		}
	}()
	for _, c := range h.contenders() {
		if c.failoverOnly {
			continue
		}
		row := &throughputRow{name: c.name}
		rep.rows = append(rep.rows, row)
		listen, err := sandbox.FreePorts(1)
		if err != nil {
			return nil, err
		}
		st := stage{dir: h.dir("throughput", c.id), listen: fmt.Sprintf("127.0.0.1:%d", listen[0]), nodes: nodes, cpus: h.lbCPUs, connect: h.cfg.Connect}
		h.logf("throughput: starting %s", c.name)
		p, err := c.start(ctx, h, st)
		if err != nil {
			row.err = err
			continue
		}
		if err := probe(ctx, st.listen, nodes); err != nil {
			row.err = fmt.Errorf("does not route sticky sessions: %w", err)
			p.Stop()
			continue
		}
		lives = append(lives, live{row, p, st.listen})
	}
	for _, n := range nodes {
		traffic.Nodes = append(traffic.Nodes, n.Name)
	}
	for round := range h.cfg.Rounds {
		h.logf("throughput: round %d/%d: client and nodes alone", round+1, h.cfg.Rounds)
		kept, err := h.load(ctx, direct)
		if err != nil {
			return nil, err
		}
		opened, err := h.load(ctx, directClose)
		if err != nil {
			return nil, err
		}
		rep.direct, rep.directClose = append(rep.direct, kept), append(rep.directClose, opened)
		for _, l := range lives {
			h.logf("throughput: round %d/%d: %s", round+1, h.cfg.Rounds, l.row.name)
			before, err := usageOf(l.proc.Pid())
			if err != nil {
				return nil, err
			}
			run := traffic
			run.Addr = l.addr
			res, err := h.load(ctx, run)
			if err != nil {
				return nil, err
			}
			after, err := usageOf(l.proc.Pid())
			if err != nil {
				return nil, err
			}
			l.row.rounds = append(l.row.rounds, res)
			l.row.cpu += after.CPU - before.CPU
			l.row.sent += res.AllRequests
		}
	}
	for _, l := range lives {
		u, err := usageOf(l.proc.Pid())
		if err != nil {
			return nil, err
		}
		l.row.peakRSS = u.PeakRSS
	}
	rep.loadAfter = loadAverage()
	return rep, nil
}

// probe checks that addr routes each node's cookie to that node.
func probe(ctx context.Context, addr string, nodes []node) error {
	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	for _, n := range nodes {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+RequestPath, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Cookie", StickyCookie+"=."+n.Name)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if got := resp.Header.Get("X-Node"); resp.StatusCode != http.StatusOK || got != n.Name {
			return fmt.Errorf("cookie .%s: HTTP %d from %q", n.Name, resp.StatusCode, got)
		}
	}
	return nil
}

// summary is one contender's figures: medians over rounds, except CPU per
// request (over every request sent) and peak memory (over the whole run).
type summary struct {
	rps           float64
	p50, p90, p99 time.Duration
	cpuPerRequest time.Duration
	peakRSS       int64
	failed        int64
	misrouted     int64
	firstError    string
}

func (r *throughputRow) summary() summary {
	var s summary
	var rps []float64
	var p50, p90, p99 []time.Duration
	for _, x := range r.rounds {
		rps = append(rps, x.RPS())
		p50, p90, p99 = append(p50, x.P50), append(p90, x.P90), append(p99, x.P99)
		s.failed += x.Failed
		s.misrouted += x.Misrouted
		if s.firstError == "" {
			s.firstError = x.FirstError
		}
	}
	s.rps, s.p50, s.p90, s.p99 = median(rps), median(p50), median(p90), median(p99)
	if r.sent > 0 {
		s.cpuPerRequest = r.cpu / time.Duration(r.sent)
	}
	s.peakRSS = r.peakRSS
	return s
}

func medianRPS(rs []LoadResult) float64 {
	var rps []float64
	for _, r := range rs {
		rps = append(rps, r.RPS())
	}
	return median(rps)
}

// median of xs; the mean of the middle two for an even count.
func median[T int64 | float64 | time.Duration](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// ratio formats a/b as a factor.
func ratio(a, b float64) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func (r *throughputReport) markdown() string {
	var b strings.Builder
	b.WriteString("## Sticky keep-alive throughput\n\n")
	fmt.Fprintf(&b, "%d sessions, each one keep-alive connection whose cookie pins it to one of %d nodes; "+
		"%d interleaved rounds of %s warm-up + %s per load balancer, median of the rounds. "+
		"In brackets: the figure ÷ the baseline's (req/s: higher is better; the rest: lower is better). "+
		"CPU/request is the load balancer's whole process tree (user + system), peak RSS the sum of its processes' VmHWM.\n\n",
		r.cfg.Sessions, r.nodes, r.cfg.Rounds, r.cfg.Warmup, r.cfg.Duration)
	fmt.Fprintf(&b, "Client and nodes without a load balancer (median of the rounds): %s req/s keep-alive, %s req/s with a new connection per request. "+
		"Load average when the part ended: %s.\n\n",
		thousands(medianRPS(r.direct)), thousands(medianRPS(r.directClose)), r.loadAfter)
	b.WriteString("| load balancer | req/s | p50 | p90 | p99 | peak RSS | CPU/request | failed |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|\n")
	var base summary
	if len(r.rows) > 0 && r.rows[0].err == nil {
		base = r.rows[0].summary()
	}
	var notes []string
	best := 0.0
	for _, row := range r.rows {
		if row.err != nil {
			fmt.Fprintf(&b, "| %s | not measured: %s |||||||\n", row.name, firstLine(row.err.Error()))
			continue
		}
		s := row.summary()
		best = max(best, s.rps)
		fmt.Fprintf(&b, "| %s | %s (%s) | %s (%s) | %s (%s) | %s (%s) | %.1f MiB (%s) | %s (%s) | %d |\n", row.name,
			thousands(s.rps), ratio(s.rps, base.rps),
			ms(s.p50), ratio(float64(s.p50), float64(base.p50)),
			ms(s.p90), ratio(float64(s.p90), float64(base.p90)),
			ms(s.p99), ratio(float64(s.p99), float64(base.p99)),
			float64(s.peakRSS)/(1<<20), ratio(float64(s.peakRSS), float64(base.peakRSS)),
			us(s.cpuPerRequest), ratio(float64(s.cpuPerRequest), float64(base.cpuPerRequest)),
			s.failed)
		if s.failed > 0 {
			notes = append(notes, fmt.Sprintf("%s: %d failed requests (%d answered by another node than the session's), first: %s", row.name, s.failed, s.misrouted, s.firstError))
		}
	}
	b.WriteString("\n")
	if capacity := medianRPS(r.direct); best > 0.7*capacity {
		notes = append(notes, fmt.Sprintf("the fastest load balancer reached %.0f%% of what the client and nodes deliver alone: they may have limited it", 100*best/capacity))
	}
	for _, n := range notes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	if len(notes) > 0 {
		b.WriteString("\n")
	}
	return b.String()
}

// thousands formats a rate as a whole number with thousands separators.
func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

func us(d time.Duration) string {
	return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
}
