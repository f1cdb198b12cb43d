// Package watch keeps a running load balancer in step with its cluster
// file and, for targets without active health checks of their own (open
// source nginx), with the health of its nodes: it re-applies the cluster
// when the file changes or a node goes down or comes back, merging changes
// so that the reload rate stays bounded.
package watch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/lbgen/lbgen/health"
	"github.com/lbgen/lbgen/model"
)

// Options configures Run.
type Options struct {
	// File is the cluster file.
	File string
	// Load parses and validates a cluster file's content; its error is
	// what the engineer needs to read (positioned findings).
	Load func(data []byte) (*model.Cluster, error)
	// Apply puts a cluster live and says in a few words what it did
	// ("unchanged", "reloaded").
	Apply func(ctx context.Context, c *model.Cluster) (string, error)
	// Health checks every node with the cluster's health settings and
	// applies a node that fails them as down until it passes again.
	Health bool
	// Force re-applies at once, skipping the rate bound (SIGHUP).
	Force <-chan struct{}
	// Log receives one line per decision.
	Log io.Writer

	// Debounce merges file events that close together (default 200ms).
	Debounce time.Duration
	// MinGap is the least time between two applies (default 1s): changes
	// that come sooner are merged into the next apply.
	MinGap time.Duration
	// Poll is how often the file is read in case its file system does not
	// report changes (default 2s).
	Poll time.Duration
}

// Run applies the cluster file, then keeps the target in step until ctx
// ends. It returns the error of the first apply, or of a file that cannot
// be read or is invalid at start; later failures are logged and the
// running config stays.
func Run(ctx context.Context, o Options) error {
	o.Debounce = cmp.Or(o.Debounce, 200*time.Millisecond)
	o.MinGap = cmp.Or(o.MinGap, time.Second)
	o.Poll = cmp.Or(o.Poll, 2*time.Second)
	data, err := os.ReadFile(o.File)
	if err != nil {
		return err
	}
	c, err := o.Load(data)
	if err != nil {
		return err
	}
	w := &watcher{o: o, file: c, counters: map[string]health.Counter{}, results: make(chan result)}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	outcome, err := o.Apply(ctx, c)
	if err != nil {
		return err
	}
	w.logf("apply reason=start result=%s", outcome)
	w.applied = time.Now()

	changes := make(chan []byte)
	fileErr := make(chan error, 1)
	go func() { fileErr <- watchFile(ctx, o.File, data, o.Debounce, o.Poll, changes) }()
	w.startChecks(ctx)
	defer w.stopChecks()

	var due <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-fileErr:
			return fmt.Errorf("watching %s: %w", o.File, err)
		case data := <-changes:
			c, err := o.Load(data)
			if err != nil {
				w.logf("file=%s result=invalid, the running config stays\n%s", o.File, strings.TrimRight(err.Error(), "\n"))
				continue
			}
			w.logf("file=%s result=changed", o.File)
			w.file = c
			w.reason, w.pending = "file", true
			w.startChecks(ctx)
		case r := <-w.results:
			if w.record(r) {
				w.reason, w.pending = "health", true
			}
		case <-o.Force:
			w.reason, w.pending = "signal", true
			w.applied = time.Time{}
		case <-due:
			due = nil
		}
		if !w.pending {
			continue
		}
		switch wait := time.Until(w.applied.Add(o.MinGap)); {
		case wait <= 0:
			due = nil
			w.apply(ctx)
		case due == nil:
			due = time.After(wait)
		}
	}
}

// watcher is Run's state; only Run's goroutine touches it.
type watcher struct {
	o        Options
	file     *model.Cluster            // the last valid cluster file
	counters map[string]health.Counter // health of the checked nodes, by check key
	results  chan result
	stop     context.CancelFunc // ends the running checks

	pending bool   // a change waits for the next apply
	reason  string // what the pending change is
	applied time.Time
}

// result is one health check of one node.
type result struct {
	key  string
	node string
	err  error
}

// checkKey names a node's check: a node whose address changes starts
// afresh.
func checkKey(n model.Node) string {
	return fmt.Sprintf("%s@%s/%d", n.Name, model.HostPort(n.Host, n.Port), n.TLSPort)
}

// startChecks (re)starts one check per node the file does not switch off.
// Counters of unchanged nodes carry over; nodes start up, as in the
// reference proxy, so a restart of watch does not take nodes out.
func (w *watcher) startChecks(ctx context.Context) {
	w.stopChecks()
	if !w.o.Health {
		return
	}
	ctx, w.stop = context.WithCancel(ctx)
	kept := map[string]health.Counter{}
	prober := health.NewProber(w.file, nil, nil)
	for _, n := range w.file.Nodes {
		if n.State == model.StateDown {
			continue
		}
		key := checkKey(n)
		counter, ok := w.counters[key]
		if !ok {
			counter = health.NewCounter(w.file.Health, true)
		}
		kept[key] = counter
		go prober.Run(ctx, n, func(err error) {
			select {
			case w.results <- result{key: key, node: n.Name, err: err}:
			case <-ctx.Done():
			}
		})
	}
	w.counters = kept
}

// stopChecks ends the running checks.
func (w *watcher) stopChecks() {
	if w.stop != nil {
		w.stop()
		w.stop = nil
	}
}

// record counts a check result and reports whether the node's effective
// state changed.
func (w *watcher) record(r result) bool {
	counter, ok := w.counters[r.key]
	if !ok {
		return false // a check of a node the file no longer has
	}
	changed := counter.Record(r.err)
	w.counters[r.key] = counter
	switch {
	case changed && r.err == nil:
		w.logf("node=%s health=up check=active", r.node)
	case changed:
		w.logf("node=%s health=down check=active reason=%q", r.node, health.Describe(r.err))
	}
	return changed
}

// effective is the file's cluster with every node that fails its checks
// switched off. When that would leave no active node, which no target can
// render, the active nodes stay in: the balancer then tries them itself and
// fails over to standby nodes and fallbacks as it does without watch.
func (w *watcher) effective() *model.Cluster {
	c := w.file.Clone()
	for i, n := range c.Nodes {
		if counter, ok := w.counters[checkKey(n)]; ok && !counter.Up() {
			c.Nodes[i].State = model.StateDown
		}
	}
	if !slices.ContainsFunc(c.Nodes, func(n model.Node) bool { return n.State == model.StateActive }) {
		w.logf("every active node fails its checks: keeping them in, the balancer tries them itself")
		for i, n := range w.file.Nodes {
			if n.State == model.StateActive {
				c.Nodes[i].State = model.StateActive
			}
		}
	}
	return c
}

func (w *watcher) apply(ctx context.Context) {
	w.pending = false
	w.applied = time.Now()
	outcome, err := w.o.Apply(ctx, w.effective())
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return
		}
		w.logf("apply reason=%s result=failed, the running config stays: %v", w.reason, err)
		return
	}
	w.logf("apply reason=%s result=%s", w.reason, outcome)
}

func (w *watcher) logf(format string, args ...any) {
	if w.o.Log != nil {
		fmt.Fprintf(w.o.Log, "watch: "+format+"\n", args...)
	}
}
