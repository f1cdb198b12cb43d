package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lbgen/lbgen/internal/crowd"
	"github.com/lbgen/lbgen/internal/sandbox"
	"github.com/lbgen/lbgen/internal/servers"
	"github.com/lbgen/lbgen/internal/testbackend"
)

// The crowd part: every contender holds a crowd of WebSockets and long
// polls, half each, rung after rung of a ladder, rendered from a cluster
// file with lbgen's defaults (max_connections 10000); then a crowd beyond
// a small max_connections shows what each does at the limit.
const (
	// crowdPath is what the crowd requests: CometD under the Co-browse path.
	crowdPath = "/cobrowse/cometd"
	// limitMax is max_connections for the limit run; limitWebSockets fill
	// it and limitPolls arrive beyond it.
	limitMax        = 1000
	limitWebSockets = limitMax
	limitPolls      = 500
	limitHold       = 2 * time.Second
	limitTimeout    = 10 * time.Second
	// crowdTimeout bounds each step of one connection on the ladder.
	crowdTimeout = 30 * time.Second
	// sampleEvery is how often the load balancer's memory is read while
	// the crowd is held.
	sampleEvery = 250 * time.Millisecond
)

// CrowdCommand makes the benchmark binary the crowd client: it reads a
// crowd.Crowd as JSON on stdin and writes the crowd.Result on stdout. A
// process of its own has open files of its own.
const CrowdCommand = "crowd"

// CrowdChild is the crowd client process's main.
func CrowdChild(ctx context.Context, in io.Reader, out io.Writer) error {
	var c crowd.Crowd
	if err := json.NewDecoder(in).Decode(&c); err != nil {
		return fmt.Errorf("crowd: %w", err)
	}
	r, err := crowd.Run(ctx, c)
	if err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(r)
}

// NodesCommand makes the benchmark binary a set of test nodes, one per
// NAME=127.0.0.1:PORT argument, until it is stopped: the nodes of a crowd
// need open files of their own too.
const NodesCommand = "nodes"

// NodesChild is the nodes process's main.
func NodesChild(ctx context.Context, args []string) error {
	var nodes []*testbackend.Backend
	defer func() {
		for _, b := range nodes {
			b.Close()
		}
	}()
	for _, arg := range args {
		name, addr, ok := strings.Cut(arg, "=")
		if !ok {
			return fmt.Errorf("nodes: %q is not NAME=ADDR", arg)
		}
		b, err := testbackend.Start(testbackend.Options{Name: name, Addr: addr, CookieName: StickyCookie})
		if err != nil {
			return err
		}
		nodes = append(nodes, b)
	}
	<-ctx.Done()
	return nil
}

// crowdRung is one contender holding one crowd.
type crowdRung struct {
	size int
	err  error
	res  crowd.Result
	// peakRSS is the group's summed VmHWM at the end; idlePSS its PSS
	// before the crowd came, peakPSS the most sampled while it was held.
	peakRSS, idlePSS, peakPSS int64
}

// perConnection is the memory the crowd added per connection.
func (r crowdRung) perConnection() int64 {
	if r.size == 0 {
		return 0
	}
	return (r.peakPSS - r.idlePSS) / int64(r.size)
}

type crowdRow struct {
	name  string
	err   error
	rungs []crowdRung
	limit crowdRung
}

type crowdReport struct {
	ladder []int
	hold   time.Duration
	rows   []*crowdRow
}

// crowdContenders are the targets and the proxy: the baseline is the seed
// guide's sample and the hand-written Apache config a speed reference,
// neither sized for a crowd.
func (h *harness) crowdContenders() []contender {
	return slices.DeleteFunc(h.contenders(), func(c contender) bool { return c.seed || c.extra || c.failoverOnly })
}

// crowd runs the ladder and the limit run for every contender, each on
// nodes of its own.
func (h *harness) crowd(ctx context.Context) *crowdReport {
	rep := &crowdReport{ladder: h.cfg.Ladder, hold: h.cfg.Hold}
	for _, c := range h.crowdContenders() {
		row := &crowdRow{name: c.name}
		rep.rows = append(rep.rows, row)
		nodes, stop, err := h.startCrowdNodes(ctx, h.dir("crowd", c.id, "nodes"))
		if err != nil {
			row.err = err
			continue
		}
		for _, size := range h.cfg.Ladder {
			h.logf("crowd: %s holding %d", c.name, size)
			cr := crowd.Crowd{WebSockets: size / 2, Polls: size - size/2, Hold: h.cfg.Hold, Timeout: crowdTimeout}
			row.rungs = append(row.rungs, h.crowdRung(ctx, c, nodes, fmt.Sprintf("ladder-%d", size), 0, cr))
		}
		h.logf("crowd: %s at max_connections %d", c.name, limitMax)
		cr := crowd.Crowd{WebSockets: limitWebSockets, Polls: limitPolls, Hold: limitHold, Timeout: limitTimeout}
		row.limit = h.crowdRung(ctx, c, nodes, "limit", limitMax, cr)
		stop()
	}
	return rep
}

// startCrowdNodes runs three test nodes in a process of their own.
func (h *harness) startCrowdNodes(ctx context.Context, dir string) ([]node, func(), error) {
	ports, err := sandbox.FreePorts(3)
	if err != nil {
		return nil, nil, err
	}
	var nodes []node
	args := []string{NodesCommand}
	for i, p := range ports {
		n := node{Name: fmt.Sprintf("CB_Server_%d", i+1), Port: p}
		nodes = append(nodes, n)
		args = append(args, n.Name+"="+n.Addr())
	}
	st := stage{dir: dir, listen: nodes[0].Addr(), cpus: h.loadCPUs}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	p, err := h.run(ctx, "nodes", exec.Command(h.self, args...), st)
	if err != nil {
		return nil, nil, err
	}
	for _, n := range nodes[1:] {
		if err := waitListening(ctx, n.Addr()); err != nil {
			p.Stop()
			return nil, nil, err
		}
	}
	return nodes, func() { p.Stop() }, nil
}

// crowdRung starts c afresh (so its peak memory is this crowd's), holds
// cr through it and measures.
func (h *harness) crowdRung(ctx context.Context, c contender, nodes []node, name string, maxConnections int, cr crowd.Crowd) crowdRung {
	r := crowdRung{size: cr.WebSockets + cr.Polls}
	listen, err := sandbox.FreePorts(1)
	if err != nil {
		r.err = err
		return r
	}
	st := stage{dir: h.dir("crowd", c.id, name), listen: fmt.Sprintf("127.0.0.1:%d", listen[0]), nodes: nodes, cpus: h.lbCPUs,
		maxConnections: maxConnections}
	p, err := c.start(ctx, h, st)
	if err != nil {
		r.err = err
		return r
	}
	defer p.Stop()
	if err := probe(ctx, st.listen, nodes); err != nil {
		r.err = fmt.Errorf("does not route sticky sessions: %w", err)
		return r
	}
	idle, err := usageOf(p.Pid())
	if err != nil {
		r.err = err
		return r
	}
	r.idlePSS = idle.PSS
	cr.Addr, cr.Path, cr.Cookie = st.listen, crowdPath, StickyCookie
	for _, n := range nodes {
		cr.Nodes = append(cr.Nodes, n.Name)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(sampleEvery)
		defer t.Stop()
		for {
			if u, err := usageOf(p.Pid()); err == nil {
				r.peakPSS = max(r.peakPSS, u.PSS)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	r.res, r.err = h.holdCrowd(ctx, cr)
	close(done)
	wg.Wait()
	if u, err := usageOf(p.Pid()); err == nil {
		r.peakRSS = u.PeakRSS
	}
	return r
}

// holdCrowd runs cr in a crowd client process on the load CPUs.
func (h *harness) holdCrowd(ctx context.Context, cr crowd.Crowd) (crowd.Result, error) {
	in, err := json.Marshal(cr)
	if err != nil {
		return crowd.Result{}, err
	}
	cmd := h.pin(exec.CommandContext(ctx, h.self, CrowdCommand), h.loadCPUs)
	var out, errOut bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(in), &out, &errOut
	if err := cmd.Run(); err != nil {
		return crowd.Result{}, fmt.Errorf("crowd client: %w: %s", err, strings.TrimSpace(errOut.String()))
	}
	var r crowd.Result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		return crowd.Result{}, fmt.Errorf("crowd client output: %w", err)
	}
	return r, nil
}

func (r *crowdReport) markdown() string {
	var b strings.Builder
	b.WriteString("## Crowd: WebSockets and long polls held at once\n\n")
	fmt.Fprintf(&b, "Each rung: half WebSockets, opened and kept, half long polls that the node holds %s, all at once; then every WebSocket echoes again. "+
		"Cluster file with lbgen's defaults (max_connections 10000), 3 test nodes in a process of their own, the client in another; "+
		"a fresh start of the load balancer per rung. *Held* is how many were held at the same moment (open WebSockets plus polls at their nodes at once); "+
		"*peak RSS* sums VmHWM over the load balancer's processes (shared pages count once per process); "+
		"*PSS* is the most sampled while the crowd was held (shared pages split between processes), and *per connection* is PSS added per connection.\n\n", r.hold)
	b.WriteString("| load balancer | crowd | held | WebSockets echoed | polls answered | failed | slowest poll | peak RSS | PSS | per connection |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	var notes []string
	for _, row := range r.rows {
		if row.err != nil {
			fmt.Fprintf(&b, "| %s | not measured: %s |||||||||\n", row.name, firstLine(row.err.Error()))
			continue
		}
		for _, rung := range row.rungs {
			if rung.err != nil {
				fmt.Fprintf(&b, "| %s | %s | not measured: %s ||||||||\n", row.name, thousands(float64(rung.size)), firstLine(rung.err.Error()))
				continue
			}
			res := rung.res
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %d | %s | %s | %s | %.0f KiB |\n", row.name, thousands(float64(rung.size)),
				thousands(float64(res.Held)), thousands(float64(res.Echoed)), thousands(float64(res.Polls)), res.Failed(),
				seconds(res.SlowestPoll), mib(rung.peakRSS), mib(rung.peakPSS), float64(rung.perConnection())/1024)
			if res.Failed() > 0 {
				notes = append(notes, fmt.Sprintf("%s, %s: %s", row.name, thousands(float64(rung.size)), res))
			}
		}
	}
	b.WriteString("\n")
	for _, n := range notes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	if len(notes) > 0 {
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "### At the limit\n\nmax_connections %d; %d WebSockets fill it, then %d long polls (held %s by the node) arrive beyond it, "+
		"each given %s to be answered; then every WebSocket echoes again.\n\n", limitMax, limitWebSockets, limitPolls, limitHold, limitTimeout)
	b.WriteString("| load balancer | WebSockets open | polls answered | slowest answered poll | what the others got | WebSockets echoed afterwards |\n|---|--:|--:|--:|---|--:|\n")
	for _, row := range r.rows {
		l := row.limit
		if row.err != nil || l.err != nil {
			err := row.err
			if err == nil {
				err = l.err
			}
			fmt.Fprintf(&b, "| %s | not measured: %s |||||\n", row.name, firstLine(err.Error()))
			continue
		}
		var got []string
		for _, reason := range l.res.Reasons() {
			f := l.res.Failures[reason]
			got = append(got, fmt.Sprintf("%d × %s (after at most %s)", f.Count, reason, seconds(f.Slowest)))
		}
		slowest := "–"
		if l.res.Polls > 0 {
			slowest = seconds(l.res.SlowestPoll)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", row.name, thousands(float64(l.res.WebSockets)), thousands(float64(l.res.Polls)),
			slowest, strings.Join(got, "; "), thousands(float64(l.res.Echoed)))
	}
	b.WriteString("\n")
	return b.String()
}

// waitListening waits until addr accepts connections.
func waitListening(ctx context.Context, addr string) error {
	deadline := time.Now().Add(servers.StartTimeout)
	for {
		conn, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err == nil {
			return conn.Close()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not listening after %s: %w", addr, servers.StartTimeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func mib(n int64) string { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }
