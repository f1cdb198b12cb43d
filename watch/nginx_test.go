package watch_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lbgen/lbgen/apply"
	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/internal/lab"
	"github.com/lbgen/lbgen/model"
	"github.com/lbgen/lbgen/watch"
)

// Short times, so that each fault shows within seconds.
const (
	interval = 200 * time.Millisecond
	passes   = 2
	connect  = 500 * time.Millisecond
	read     = 2 * time.Second
	minGap   = 500 * time.Millisecond
)

var head = "version: 1\nname: lab\npreset: generic\npath: /cobrowse\nsticky: {cookie: " + lab.Cookie + "}\n" +
	"health: {path: /cobrowse/health, interval: 200ms, fails: 2, passes: 2}\n" +
	"timeouts: {connect: 500ms, read: 2s, drain: 2s}\n"

// watched is a server started from a lab's directory with lbgen watch
// beside it, which checks the nodes itself for nginx only, as the command
// does.
type watched struct {
	*lab.Lab
	file string
	log  *syncLog
}

func startWatched(t *testing.T, target generator.Target, minGap time.Duration, nodes []string, inFile ...string) *watched {
	t.Helper()
	w := &watched{Lab: lab.New(t, target, nodes...), log: &syncLog{}}
	w.file = filepath.Join(t.TempDir(), "cluster.yaml")
	w.write(t, inFile...)
	opts := apply.Options{Target: target, Dir: w.Dir, Timeout: 15 * time.Second}
	if _, err := apply.Apply(context.Background(), w.Cluster(head, "", inFile...), opts); err != nil {
		t.Fatal(err)
	}
	w.Start()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- watch.Run(ctx, watch.Options{
			File: w.file, Load: load, Health: target == generator.Nginx, Log: w.log,
			Apply: func(ctx context.Context, c *model.Cluster) (string, error) {
				outcome, err := apply.Apply(ctx, c, opts)
				return string(outcome), err
			},
			Debounce: 50 * time.Millisecond, MinGap: minGap, Poll: time.Second,
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("watch: %v", err)
		}
		if t.Failed() {
			t.Logf("watch log:\n%s", w.log)
		}
	})
	waitFor(t, 10*time.Second, "watch's first apply", func() bool { return strings.Contains(w.log.String(), "apply reason=start") })
	return w
}

func (w *watched) write(t *testing.T, nodes ...string) {
	t.Helper()
	if err := os.WriteFile(w.file, w.YAML(head, "", nodes...), 0o644); err != nil {
		t.Fatal(err)
	}
}

// until asks for a session of node on new connections until node answers,
// and returns how long that took.
func (w *watched) until(t *testing.T, node string, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	client := lab.NewConnection()
	waitFor(t, within, "a session of "+node+" answered by "+node, func() bool {
		got, err := w.Get(client, node)
		return err == nil && got == node
	})
	return time.Since(start)
}

// pinned sends requests that stick to node, one after another on one
// keep-alive connection as a browser does, for d; it returns how many took
// at least slow, and how many failed.
func (w *watched) pinned(node string, d, slow time.Duration) (slowCount, failed, sent int) {
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	for end := time.Now().Add(d); time.Now().Before(end); {
		start := time.Now()
		_, err := w.Get(client, node)
		sent++
		if time.Since(start) >= slow {
			slowCount++
		}
		if err != nil {
			failed++
		}
	}
	return slowCount, failed, sent
}

// TestWatchBringsKilledNodeBack: nginx alone gives a node that came back
// its sessions only after fail_timeout; with watch, within
// health.interval × health.passes plus 2 s.
func TestWatchBringsKilledNodeBack(t *testing.T) {
	w := startWatched(t, generator.Nginx, minGap, []string{"A", "B"}, "A", "B")
	w.Nodes["B"].Kill()
	waitFor(t, 5*time.Second, "B taken out", func() bool {
		return strings.Contains(w.log.String(), "node=B health=down") && strings.Contains(w.log.String(), "apply reason=health result=reloaded")
	})
	if got, err := w.Get(lab.NewConnection(), "B"); err != nil || got != "A" {
		t.Fatalf("a session of dead B went to %q (%v), want A", got, err)
	}
	w.Nodes["B"].Recover()
	took := w.until(t, "B", interval*passes+2*time.Second)
	t.Logf("B got its sessions back %s after it recovered", took.Round(10*time.Millisecond))
}

// TestWatchHungNode: a session pinned to a node that stops answering pays
// the read timeout at most once; by then the checks have taken it out.
func TestWatchHungNode(t *testing.T) {
	w := startWatched(t, generator.Nginx, minGap, []string{"A", "B"}, "A", "B")
	w.Nodes["B"].Hang()
	slow, failed, sent := w.pinned("B", 2*read, read)
	if slow > 1 {
		t.Errorf("%d of %d requests pinned to hung B waited the read timeout, want at most 1", slow, sent)
	}
	if failed > 1 {
		t.Errorf("%d of %d requests pinned to hung B failed, want at most the one that waited", failed, sent)
	}
	if !strings.Contains(w.log.String(), `node=B health=down check=active reason="timeout"`) {
		t.Errorf("the checks did not take hung B out")
	}
}

// TestWatchBlackholedNode: a node whose connects time out costs a session
// pinned to it the connect timeout once: its retry goes to the group of
// the other nodes, and its own group remembers the failure until watch has
// taken it out; nginx alone pays again after every fail_timeout.
func TestWatchBlackholedNode(t *testing.T) {
	w := startWatched(t, generator.Nginx, minGap, []string{"A", "B"}, "A", "B")
	w.Nodes["B"].Blackhole()
	slow, failed, sent := w.pinned("B", 3*time.Second, connect)
	if slow > 1 {
		t.Errorf("%d of %d requests pinned to black-holed B waited the connect timeout, want at most 1", slow, sent)
	}
	if failed > 0 {
		t.Errorf("%d of %d requests pinned to black-holed B failed; nginx retries them on A", failed, sent)
	}
}

// TestWatchAddsNode: a node added to the file gets traffic within 3 s of
// the write, and no request fails meanwhile.
func TestWatchAddsNode(t *testing.T) {
	w := startWatched(t, generator.Nginx, minGap, []string{"A", "B", "C"}, "A", "B")
	stop := w.Traffic("A", "B", "")
	w.write(t, "A", "B", "C")
	took := w.until(t, "C", 3*time.Second)
	sent, failures := stop()
	if len(failures) > 0 {
		t.Errorf("%d of %d requests failed while C was added; first: %v", len(failures), sent, failures[0])
	}
	t.Logf("C got traffic %s after the write; %d requests, 0 failed", took.Round(10*time.Millisecond), sent)
}

// TestWatchFlappingNode: a flapping node causes at most one reload per
// min-gap, and no failed request on the other nodes. Flapping every 200 ms
// for a minute is damped by health.fails and health.passes already;
// flapping slower than they are shows the min-gap bound.
func TestWatchFlappingNode(t *testing.T) {
	for _, tc := range []struct {
		every, minGap, flapping time.Duration
	}{{200 * time.Millisecond, minGap, time.Minute}, {700 * time.Millisecond, 2 * time.Second, 6 * time.Second}} {
		t.Run(tc.every.String(), func(t *testing.T) {
			w := startWatched(t, generator.Nginx, tc.minGap, []string{"A", "B", "C"}, "A", "B", "C")
			w.Pause = 5 * time.Millisecond // a minute of traffic must leave CPU to the rest of make test
			stop := w.Traffic("A", "C", "A", "C")
			flapping := tc.flapping
			changes := 0
			for end := time.Now().Add(flapping); time.Now().Before(end); changes += 2 {
				w.Nodes["B"].Kill()
				time.Sleep(tc.every)
				w.Nodes["B"].Recover()
				time.Sleep(tc.every)
			}
			sent, failures := stop()
			if len(failures) > 0 {
				t.Errorf("%d of %d requests to A and C failed while B flapped; first: %v", len(failures), sent, failures[0])
			}
			reloads := strings.Count(w.log.String(), "reason=health result=reloaded")
			if limit := int(flapping/tc.minGap) + 2; reloads > limit {
				t.Errorf("%d reloads in %s of flapping, want at most %d (one per min-gap)", reloads, flapping, limit)
			}
			t.Logf("B flapped every %s for %s (%d changes), min-gap %s: %d reloads, %d requests to A and C, 0 failed",
				tc.every, flapping, changes, tc.minGap, reloads, sent)
		})
	}
}

// TestWatchHAProxyDrain: a node set to drain in the file takes effect
// through HAProxy's runtime API, without a reload, and no request fails.
func TestWatchHAProxyDrain(t *testing.T) {
	w := startWatched(t, generator.HAProxy, minGap, []string{"A", "B"}, "A", "B")
	// An answer means the master's worker runs.
	if _, err := w.Get(lab.NewConnection(), "A"); err != nil {
		t.Fatal(err)
	}
	workers := w.WorkerPids()
	stop := w.Traffic("A", "B", "")
	w.write(t, "A", "B:drain")
	waitFor(t, 5*time.Second, "the drain applied", func() bool {
		return strings.Contains(w.log.String(), "apply reason=file result=updated")
	})
	fresh := lab.NewConnection()
	for i := range 10 {
		if got, err := w.Get(fresh, ""); err != nil || got != "A" {
			t.Fatalf("new session %d went to %q (%v) with B drained, want A", i, got, err)
		}
	}
	sent, failures := stop()
	if len(failures) > 0 {
		t.Errorf("%d of %d requests failed; first: %v", len(failures), sent, failures[0])
	}
	if now := w.WorkerPids(); !slices.Equal(now, workers) {
		t.Errorf("worker processes %v became %v: the drain reloaded HAProxy", workers, now)
	}
	if strings.Contains(w.log.String(), "health=") {
		t.Errorf("watch checked the nodes itself beside HAProxy's own checks:\n%s", w.log)
	}
}
