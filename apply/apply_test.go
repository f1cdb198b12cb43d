package apply_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
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
	"github.com/lbgen/lbgen/internal/sandbox"
	"github.com/lbgen/lbgen/internal/testbackend"
	"github.com/lbgen/lbgen/model"
)

// drain is the clusters' timeouts.drain: short, so the bound on old
// workers shows within the test, and longer than ten applies take on a
// slow machine (about 2 s on one), since the WebSockets opened before
// them are closed when it ends.
const drain = 5 * time.Second

var head = fmt.Sprintf("version: 1\nname: lab\npreset: cobrowse\ntimeouts: {connect: 1s, read: 41s, drain: %s}\n", model.Duration(drain))

// applier applies lab clusters to the lab's output directory.
type applier struct {
	*lab.Lab
	t       *testing.T
	timeout time.Duration
}

func newApplier(t *testing.T, target generator.Target, nodes ...string) *applier {
	return &applier{Lab: lab.New(t, target, nodes...), t: t, timeout: 15 * time.Second}
}

// eachTarget runs test for every target lbgen reloads itself.
func eachTarget(t *testing.T, test func(t *testing.T, target generator.Target)) {
	for _, target := range generator.Targets {
		t.Run(string(target), func(t *testing.T) { test(t, target) })
	}
}

func (a *applier) file() string { return filepath.Join(a.Dir, a.Target.FileName()) }

func (a *applier) cluster(nodes ...string) *model.Cluster { return a.Cluster(head, "", nodes...) }

func (a *applier) apply(c *model.Cluster) (apply.Outcome, error) {
	return apply.Apply(context.Background(), c, apply.Options{Target: a.Target, Dir: a.Dir, Timeout: a.timeout})
}

func (a *applier) mustApply(c *model.Cluster, want ...apply.Outcome) {
	a.t.Helper()
	got, err := a.apply(c)
	if err != nil {
		a.t.Fatal(err)
	}
	if !slices.Contains(want, got) {
		a.t.Fatalf("apply: %s, want %v", got, want)
	}
}

// live are the outcomes of an apply that put a change live: HAProxy takes
// drains and weights without a reload.
var live = []apply.Outcome{apply.Reloaded, apply.Updated}

// TestApplyUnderTraffic applies ten changes that add, drain and remove
// nodes while sticky keep-alive traffic runs and WebSockets are open.
func TestApplyUnderTraffic(t *testing.T) {
	eachTarget(t, func(t *testing.T, target generator.Target) {
		l := newApplier(t, target, "A", "B", "C", "D")
		l.mustApply(l.cluster("A", "B"), apply.Written)
		l.Start()
		l.mustApply(l.cluster("A", "B"), apply.Unchanged)

		var sockets []*testbackend.WSConn
		for range 4 {
			ws, _, err := testbackend.DialWebSocket(context.Background(), "ws://"+l.Addr()+"/cobrowse/ws",
				http.Header{"Cookie": {lab.Cookie + "=.A"}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ws.Close() })
			sockets = append(sockets, ws)
		}
		echo := func(ws *testbackend.WSConn, msg string) error {
			ws.SetDeadline(time.Now().Add(5 * time.Second))
			if err := ws.Send(msg); err != nil {
				return err
			}
			got, err := ws.Recv()
			if err != nil {
				return err
			}
			if got != "A:"+msg {
				return fmt.Errorf("echo %q, want %q", got, "A:"+msg)
			}
			return nil
		}

		stop := l.Traffic("A", "B", "", "A", "B", "")
		steps := []struct {
			nodes []string
			fresh string // a node the step adds, which must get its sessions at once
		}{
			{[]string{"A", "B", "C"}, "C"},
			{[]string{"A", "B:drain", "C"}, ""},
			{[]string{"A", "B:drain", "C", "D"}, "D"},
			{[]string{"A", "B", "D"}, ""},
			{[]string{"A", "B", "C", "D"}, "C"},
			{[]string{"A", "B", "C:drain", "D"}, ""},
			{[]string{"A", "B", "D"}, ""},
			{[]string{"A", "B", "D:drain"}, ""},
			{[]string{"A", "B", "C"}, "C"},
			{[]string{"A", "B"}, ""},
		}
		probe := lab.NewConnection()
		for i, s := range steps {
			l.mustApply(l.cluster(s.nodes...), live...)
			if s.fresh != "" {
				if got, err := l.Get(probe, s.fresh); err != nil || got != s.fresh {
					t.Errorf("step %d: a session of new node %s went to %q (%v)", i, s.fresh, got, err)
				}
			}
			for j, ws := range sockets {
				if err := echo(ws, fmt.Sprintf("step %d", i)); err != nil {
					t.Fatalf("step %d: WebSocket %d opened before the applies: %v", i, j, err)
				}
			}
		}
		sent, failures := stop()
		if len(failures) > 0 {
			t.Errorf("%d of %d requests failed during the applies; first: %v", len(failures), sent, failures[0])
		}
		if sent < 500 {
			t.Errorf("only %d requests were sent: too few to show anything", sent)
		}
		t.Logf("%d requests through 10 applies, %d failed", sent, len(failures))

		// Old nginx and HAProxy workers hold the WebSockets for at most
		// timeouts.drain after the first reload, then close them. Old Apache
		// children keep them until they close.
		time.Sleep(drain + 2*time.Second)
		for j, ws := range sockets {
			err := echo(ws, "after drain")
			switch {
			case target == generator.Apache && err != nil:
				t.Errorf("WebSocket %d no longer echoes on Apache, which has no drain bound: %v", j, err)
			case target != generator.Apache && err == nil:
				t.Errorf("WebSocket %d still echoes after timeouts.drain", j)
			}
			ws.Close()
		}
		current := l.settled(t)
		l.mustApply(l.cluster("A", "B", "C"), apply.Reloaded)
		if got := l.settled(t); got != current {
			t.Errorf("%d worker processes after the last reload settled, want %d", got, current)
		}
	})
}

// settledPids waits, as settled does, until the number of workers holds
// still (HAProxy's master starts its worker after it listens), and
// returns them.
func (a *applier) settledPids(t *testing.T) []int {
	t.Helper()
	a.settled(t)
	return a.WorkerPids()
}

// settled waits until the worker count stays the same for drain plus a
// second, and returns it.
func (a *applier) settled(t *testing.T) int {
	t.Helper()
	n, since := a.Workers(), time.Now()
	for deadline := time.Now().Add(4 * drain); time.Since(since) < drain+time.Second; {
		if time.Now().After(deadline) {
			t.Fatalf("the number of worker processes did not settle within %s", 4*drain)
		}
		time.Sleep(100 * time.Millisecond)
		if now := a.Workers(); now != n {
			n, since = now, time.Now()
		}
	}
	return n
}

// TestRapidApplies bounds the old processes a reload storm leaves: each
// generation's workers go once their connections close, or after
// timeouts.drain.
func TestRapidApplies(t *testing.T) {
	eachTarget(t, func(t *testing.T, target generator.Target) {
		l := newApplier(t, target, "A", "B", "C")
		l.mustApply(l.cluster("A", "B"), apply.Written)
		l.Start()
		ws, _, err := testbackend.DialWebSocket(context.Background(), "ws://"+l.Addr()+"/cobrowse/ws", nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ws.Close() })
		stop := l.Traffic("A", "B")
		current := l.settled(t)
		peak := 0
		// An Apache graceful restart takes about a second and a half.
		applies := map[generator.Target]int{generator.Apache: 10}[target]
		if applies == 0 {
			applies = 50
		}
		for i := range applies {
			specs := []string{"A", "B"}
			if i%2 == 0 {
				specs = []string{"A", "B", "C"}
			}
			l.mustApply(l.cluster(specs...), apply.Reloaded)
			peak = max(peak, l.Workers())
		}
		sent, failures := stop()
		if len(failures) > 0 {
			t.Errorf("%d of %d requests failed during %d applies; first: %v", len(failures), sent, applies, failures[0])
		}
		t.Logf("%d applies: at most %d worker processes (%d per generation), %d requests, %d failed", applies, peak, current, sent, len(failures))
		if target == generator.Apache {
			ws.Close() // old Apache children keep a WebSocket until it closes
		}
		if got := l.settled(t); got != current {
			t.Errorf("%d worker processes after %d applies settled, want the current generation's %d", got, applies, current)
		}
	})
}

// TestHAProxyDrainWithoutReload: a change that is only drains and weights
// goes through HAProxy's runtime API: no new worker, no connection lost,
// and the drain holds at once.
func TestHAProxyDrainWithoutReload(t *testing.T) {
	l := newApplier(t, generator.HAProxy, "A", "B", "C")
	l.mustApply(l.cluster("A", "B"), apply.Written)
	l.Start()
	stop := l.Traffic("A", "B", "")
	workers := l.settledPids(t)
	l.mustApply(l.cluster("A", "B:drain"), apply.Updated)
	fresh := lab.NewConnection()
	for i := range 10 {
		if got, err := l.Get(fresh, ""); err != nil || got != "A" {
			t.Fatalf("new session %d went to %q (%v) with B drained, want A", i, got, err)
		}
	}
	if got, err := l.Get(fresh, "B"); err != nil || got != "B" {
		t.Errorf("a session of drained B went to %q (%v), want B", got, err)
	}
	l.mustApply(l.cluster("A", "B"), apply.Updated)
	seen := map[string]bool{}
	for range 10 {
		got, err := l.Get(fresh, "")
		if err != nil {
			t.Fatal(err)
		}
		seen[got] = true
	}
	if !seen["B"] {
		t.Errorf("no new session reached B once it was active again: %v", seen)
	}
	sent, failures := stop()
	if len(failures) > 0 {
		t.Errorf("%d of %d requests failed; first: %v", len(failures), sent, failures[0])
	}
	if now := l.WorkerPids(); !slices.Equal(now, workers) {
		t.Errorf("worker processes %v became %v: the drain reloaded HAProxy", workers, now)
	}
	l.mustApply(l.cluster("A", "B", "C:standby"), apply.Reloaded) // a structural change still reloads
}

// TestRejectedApplyChangesNothing applies a config the server's own check
// refuses (a missing certificate): exit 5, the directory byte for byte as
// it was, and the old config still serving.
func TestRejectedApplyChangesNothing(t *testing.T) {
	eachTarget(t, func(t *testing.T, target generator.Target) {
		l := newApplier(t, target, "A", "B")
		l.mustApply(l.cluster("A"), apply.Written)
		l.Start()
		before := snapshot(t, l.Dir)
		ports, err := sandbox.FreePorts(1)
		if err != nil {
			t.Fatal(err)
		}
		bad := l.Cluster(head, fmt.Sprintf("  - {addr: \"127.0.0.1:%d\", tls: true}\ntls: {certificate: missing.crt, key: missing.key}\n", ports[0]), "A", "B")
		_, err = l.apply(bad)
		var rejected *apply.RejectedError
		if !errors.As(err, &rejected) || !strings.Contains(err.Error(), "missing.crt") {
			t.Fatalf("apply of a config with a missing certificate: %v, want a rejection naming missing.crt", err)
		}
		if after := snapshot(t, l.Dir); !bytes.Equal(before, after) {
			t.Errorf("the output directory changed:\n%s", diffSnapshots(before, after))
		}
		if got, err := l.Get(http.DefaultClient, "B"); err != nil || got != "A" {
			t.Errorf("a session of B went to %q (%v); the old config (A only) must still serve", got, err)
		}
	})
}

// TestReloadFailureRollsBack applies a config that passes the check but
// cannot bind at reload (another process holds its port): the previous
// config is put back and keeps serving. For Apache the port is probed
// before the swap.
func TestReloadFailureRollsBack(t *testing.T) {
	eachTarget(t, func(t *testing.T, target generator.Target) {
		l := newApplier(t, target, "A", "B")
		l.mustApply(l.cluster("A"), apply.Written)
		l.Start()
		live, err := os.ReadFile(l.file())
		if err != nil {
			t.Fatal(err)
		}
		held, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer held.Close()
		clash := l.Cluster(head, fmt.Sprintf("  - addr: %q\n", held.Addr().String()), "A", "B")
		// HAProxy tells a failed load only by starting no new worker.
		l.timeout = 4 * time.Second
		_, err = l.apply(clash)
		var rolledBack *apply.RolledBackError
		var rejected *apply.RejectedError
		switch {
		case target == generator.Apache:
			// A graceful restart onto a held port would stop Apache, so
			// apply refuses before the swap.
			if !errors.As(err, &rejected) {
				t.Fatalf("apply onto a held port: %v, want a refusal", err)
			}
		case !errors.As(err, &rolledBack) || rolledBack.Restored != nil:
			t.Fatalf("apply onto a held port: %v, want a rollback that restored the previous config", err)
		}
		why := map[generator.Target]string{
			generator.Nginx: "Address already in use", generator.HAProxy: "did not load", generator.Apache: "cannot listen on",
		}[target]
		if !strings.Contains(err.Error(), why) {
			t.Errorf("the error does not say why the reload failed: %v", err)
		}
		now, err := os.ReadFile(l.file())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(now, live) {
			t.Errorf("%s is not the previous config after the rollback", target.FileName())
		}
		if got, err := l.Get(http.DefaultClient, "B"); err != nil || got != "A" {
			t.Errorf("a session of B went to %q (%v); the old config (A only) must still serve", got, err)
		}
		if _, err := os.Stat(filepath.Join(l.Dir, ".lbgen", string(target)+".pending")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the pending marker is left after a complete rollback: %v", err)
		}
	})
}

// TestInterruptedApplyIsUndone plays an apply killed between the swap and
// the confirmation: the next apply puts the previous generation back first.
func TestInterruptedApplyIsUndone(t *testing.T) {
	eachTarget(t, func(t *testing.T, target generator.Target) {
		l := newApplier(t, target, "A", "B")
		l.mustApply(l.cluster("A"), apply.Written)
		l.Start()
		l.mustApply(l.cluster("A", "B"), apply.Reloaded)
		confirmed, err := os.ReadFile(l.file())
		if err != nil {
			t.Fatal(err)
		}
		// The interrupted apply had swapped in a config with B drained.
		unconfirmed := l.cluster("A", "B:drain")
		out, err := generator.Render(unconfirmed, target, generator.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(l.Dir, ".lbgen", "previous", target.FileName()), confirmed, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(l.file(), out.Files[0].Data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(l.Dir, ".lbgen", string(target)+".pending"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		l.mustApply(l.cluster("A", "B"), apply.Recovered)
		now, err := os.ReadFile(l.file())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(now, confirmed) {
			t.Errorf("after recovery %s is not the last confirmed config", target.FileName())
		}
		l.mustApply(l.cluster("A", "B"), apply.Unchanged)
	})
}

// snapshot lists every file under dir with its content, logs excepted
// (the running server writes them).
func snapshot(t *testing.T, dir string) []byte {
	t.Helper()
	var b bytes.Buffer
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case d.IsDir() && rel == "logs":
			return filepath.SkipDir
		case d.IsDir():
			fmt.Fprintf(&b, "%s/\n", rel)
			return nil
		case !d.Type().IsRegular():
			fmt.Fprintf(&b, "%s %s\n", rel, d.Type())
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %d %q\n", rel, len(data), data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func diffSnapshots(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	var out []string
	for _, l := range bl {
		if !strings.Contains(string(a), l) {
			out = append(out, "+ "+l[:min(len(l), 120)])
		}
	}
	for _, l := range al {
		if !strings.Contains(string(b), l) {
			out = append(out, "- "+l[:min(len(l), 120)])
		}
	}
	return strings.Join(out, "\n")
}
