package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lbgen/lbgen/internal/sandbox"
	"github.com/lbgen/lbgen/internal/testbackend"
	"github.com/lbgen/lbgen/model"
)

// fault is one way the pinned node fails.
type fault struct {
	name  string
	state testbackend.State
	// window is how long the session is watched after the fault.
	window time.Duration
}

// nginxDefaultTimeout is nginx's proxy_connect_timeout and
// proxy_read_timeout where a config sets none: the seed's @fallback
// location inherits neither of its 5 s settings.
const nginxDefaultTimeout = 60 * time.Second

// faults, each watched long enough to show the load balancer's steady
// state: a refused connect a few health-check and fail_timeout windows;
// an unreachable node one of nginx's default 60 s connect timeouts, which
// the seed's fallback pays, and then some; a hung node two read timeouts
// (one in the node's own group, one in a fallback that tries it again)
// and then some.
var faults = []fault{
	{"killed (refused)", testbackend.StateKilled, 10 * time.Second},
	{"unreachable (connect times out)", testbackend.StateBlackhole, nginxDefaultTimeout + 15*time.Second},
	{"hung (never answers)", testbackend.StateHang, 2*model.DefaultRead.D() + 15*time.Second},
}

// sample is one request of the pinned session, timed from the fault.
type sample struct {
	start, end time.Duration
	status     int    // 0 when there was no HTTP answer
	node       string // X-Node of the answer
	err        string
	cut        bool // still waiting when the window closed
}

func (s sample) ok() bool { return s.status/100 == 2 }

// failoverResult sums up one contender's session through one fault.
type failoverResult struct {
	// recovered is when the session first got a 2xx answer from another
	// node; negative when it never did within the window.
	recovered time.Duration
	// failedBefore counts the failed requests before recovery.
	failedBefore int
	// slow counts requests that waited at least the connect timeout.
	slow             int
	requests, failed int
}

// analyze sums up samples of a session pinned to faulty; waits of at
// least connect count as slow (5% below it, for timer slack).
func analyze(samples []sample, faulty string, connect time.Duration) failoverResult {
	r := failoverResult{recovered: -1}
	for _, s := range samples {
		if s.end-s.start >= connect*95/100 {
			r.slow++
		}
		if s.cut {
			continue
		}
		r.requests++
		if !s.ok() {
			r.failed++
			if r.recovered < 0 {
				r.failedBefore++
			}
		} else if r.recovered < 0 && s.node != faulty {
			r.recovered = s.end
		}
	}
	return r
}

// failoverCell is one contender through one fault.
type failoverCell struct {
	contender, fault string
	window           time.Duration
	result           failoverResult
	err              error
}

type failoverReport struct {
	connect time.Duration // the cluster's
	cells   []*failoverCell
}

// failover runs every contender through every fault, all at once: each
// cell has its own nodes and load balancer, and the timings that matter
// are timeouts of seconds, which sharing the CPUs does not disturb. A
// cell that cannot run says why in its row.
func (h *harness) failover(ctx context.Context) *failoverReport {
	rep := &failoverReport{connect: h.cfg.Connect}
	var wg sync.WaitGroup
	for _, c := range h.contenders() {
		if c.extra {
			continue
		}
		for i, f := range faults {
			cell := &failoverCell{contender: c.name, fault: f.name, window: f.window}
			rep.cells = append(rep.cells, cell)
			wg.Go(func() {
				cell.result, cell.err = h.failoverCell(ctx, c, f, h.dir("failover", fmt.Sprintf("%s-%d", c.id, i)))
			})
		}
	}
	longest := time.Duration(0)
	for _, f := range faults {
		longest = max(longest, f.window)
	}
	h.logf("failover: %d load balancer × fault runs at once, about %s", len(rep.cells), longest)
	wg.Wait()
	return rep
}

func (h *harness) failoverCell(ctx context.Context, c contender, f fault, dir string) (failoverResult, error) {
	var nodes []node
	var backends []*testbackend.Backend
	defer func() {
		for _, b := range backends {
			b.Close()
		}
	}()
	for i := range h.cfg.Nodes {
		name := fmt.Sprintf("CB_Server_%d", i+1)
		b, err := h.ports.startBackend(testbackend.Options{Name: name, CookieName: StickyCookie})
		if err != nil {
			return failoverResult{}, err
		}
		backends = append(backends, b)
		nodes = append(nodes, node{Name: name, Port: b.Port()})
	}
	ports, err := sandbox.FreePorts(1)
	if err != nil {
		return failoverResult{}, err
	}
	st := stage{dir: dir, listen: fmt.Sprintf("127.0.0.1:%d", ports[0]), nodes: nodes, connect: h.cfg.Connect}
	p, err := c.start(ctx, h, st)
	if err != nil {
		return failoverResult{}, err
	}
	defer p.Stop()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	defer client.CloseIdleConnections()
	url, pinned := "http://"+st.listen+RequestPath, nodes[0].Name
	for range 3 {
		if s := send(ctx, client, url, pinned, time.Now()); !s.ok() || s.node != pinned {
			return failoverResult{}, fmt.Errorf("session not pinned before the fault: HTTP %d from %q %s", s.status, s.node, s.err)
		}
	}
	if err := backends[0].SetState(f.state); err != nil {
		return failoverResult{}, err
	}
	t0 := time.Now()
	wctx, cancel := context.WithDeadline(ctx, t0.Add(f.window))
	defer cancel()
	var samples []sample
	for wctx.Err() == nil {
		samples = append(samples, send(wctx, client, url, pinned, t0))
	}
	return analyze(samples, pinned, c.connectTimeout(h.cfg.Connect)), nil
}

// send makes one request of the session pinned to node.
func send(ctx context.Context, client *http.Client, url, node string, t0 time.Time) (s sample) {
	s.start = time.Since(t0)
	defer func() { s.end = time.Since(t0) }()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		s.err = err.Error()
		return s
	}
	req.Header.Set("Cookie", StickyCookie+"=."+node)
	resp, err := client.Do(req)
	if err != nil {
		s.err, s.cut = err.Error(), errors.Is(ctx.Err(), context.DeadlineExceeded)
		return s
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		s.err, s.cut = err.Error(), errors.Is(ctx.Err(), context.DeadlineExceeded)
		return s
	}
	s.status, s.node = resp.StatusCode, resp.Header.Get("X-Node")
	return s
}

func (r *failoverReport) markdown() string {
	var b strings.Builder
	b.WriteString("## Failover of a pinned session\n\n")
	fmt.Fprintf(&b, "One client, its session pinned to CB_Server_1 by the cookie, sends requests back to back; then that node fails. "+
		"lbgen's configs run on a cluster file with connect timeout %s and lbgen's defaults otherwise: read timeout %s, "+
		"health checks every %s, down after %d fails, up after %d passes (where the target checks actively; nginx's fail_timeout is derived from them). "+
		"The baseline keeps the seed's proxy_connect_timeout %s. "+
		"*back after*: from the fault to the first 2xx answer from another node; *failed*: requests that failed before then; "+
		"*waited*: requests in the window that took at least the load balancer's connect timeout "+
		"(a hung node makes them wait the read timeout instead).\n\n",
		r.connect, model.DefaultRead, model.DefaultInterval, model.DefaultFails, model.DefaultPasses, SeedConnectTimeout)
	b.WriteString("| load balancer | node | back after | failed | waited | requests (failed) in window |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|\n")
	for _, c := range r.cells {
		if c.err != nil {
			fmt.Fprintf(&b, "| %s | %s | not measured: %s ||||\n", c.contender, c.fault, firstLine(c.err.Error()))
			continue
		}
		x := c.result
		back := fmt.Sprintf("not within %s", c.window)
		if x.recovered >= 0 {
			back = seconds(x.recovered)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %d | %d (%d) in %s |\n", c.contender, c.fault, back, x.failedBefore, x.slow, x.requests, x.failed, c.window)
	}
	b.WriteString("\n")
	return b.String()
}

// seconds formats a duration for the failover table: milliseconds below
// a second, seconds above.
func seconds(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

// nodePorts hands out node ports below the kernel's ephemeral range. A
// node's port is free for a moment while it turns from serving to
// blackholed, and a port from the ephemeral range can be taken then as
// the source port of any connection on the machine.
type nodePorts struct {
	mu   sync.Mutex
	next int
}

func newNodePorts() *nodePorts {
	low := 32768 // Linux's default
	if f := strings.Fields(readFile("/proc/sys/net/ipv4/ip_local_port_range")); len(f) == 2 {
		if n, err := strconv.Atoi(f[0]); err == nil {
			low = n
		}
	}
	return &nodePorts{next: low - 1}
}

// startBackend starts a test backend on the next port that is free.
func (np *nodePorts) startBackend(opts testbackend.Options) (*testbackend.Backend, error) {
	np.mu.Lock()
	defer np.mu.Unlock()
	for ; np.next > 1024; np.next-- {
		opts.Addr = fmt.Sprintf("127.0.0.1:%d", np.next)
		if b, err := testbackend.Start(opts); err == nil {
			np.next--
			return b, nil
		}
	}
	return nil, errors.New("no free port below the ephemeral range")
}
