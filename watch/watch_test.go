package watch_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lbgen/lbgen/internal/testbackend"
	"github.com/lbgen/lbgen/model"
	"github.com/lbgen/lbgen/validate"
	"github.com/lbgen/lbgen/watch"
)

// applied records what watch asked to apply.
type applied struct {
	mu       sync.Mutex
	clusters []*model.Cluster
	notify   chan struct{}
}

func (a *applied) apply(_ context.Context, c *model.Cluster) (string, error) {
	a.mu.Lock()
	a.clusters = append(a.clusters, c)
	a.mu.Unlock()
	select {
	case a.notify <- struct{}{}:
	default:
	}
	return "recorded", nil
}

func (a *applied) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.clusters)
}

func (a *applied) last() *model.Cluster {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.clusters[len(a.clusters)-1]
}

// waitFor waits until cond holds, or fails after d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func load(data []byte) (*model.Cluster, error) {
	c, diags := validate.Load("cluster.yaml", data)
	if c == nil {
		var b strings.Builder
		for _, d := range diags {
			fmt.Fprintln(&b, d)
		}
		return nil, errors.New(b.String())
	}
	return c, nil
}

func cluster(nodes ...string) []byte {
	var b bytes.Buffer
	b.WriteString("version: 1\nname: w\npreset: cobrowse\nlisten:\n  - addr: \"8080\"\nhealth: {interval: 100ms, fails: 2, passes: 2}\nnodes:\n")
	b.WriteString(strings.Join(nodes, ""))
	return b.Bytes()
}

func node(name string, port int) string {
	return fmt.Sprintf("  - {name: %s, host: 127.0.0.1, port: %d}\n", name, port)
}

// syncLog is a log several goroutines may write.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// start runs watch on file until the test ends.
func start(t *testing.T, file string, healthChecks bool, force chan struct{}) (*applied, *syncLog) {
	t.Helper()
	a := &applied{notify: make(chan struct{}, 1)}
	log := &syncLog{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- watch.Run(ctx, watch.Options{
			File: file, Load: load, Apply: a.apply, Health: healthChecks, Force: force, Log: log,
			Debounce: 50 * time.Millisecond, MinGap: 300 * time.Millisecond, Poll: time.Second,
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("watch ended with %v", err)
		}
	})
	waitFor(t, 5*time.Second, "the first apply", func() bool { return a.count() == 1 })
	return a, log
}

func TestFileChanges(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "cluster.yaml")
	if err := os.WriteFile(file, cluster(node("A", 1001)), 0o644); err != nil {
		t.Fatal(err)
	}
	a, log := start(t, file, false, nil)
	nodes := func() int { return len(a.last().Nodes) }

	// Written in place.
	if err := os.WriteFile(file, cluster(node("A", 1001), node("B", 1002)), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 3*time.Second, "the in-place write applied", func() bool { return a.count() == 2 && nodes() == 2 })

	// An editor's save: a new file renamed over the old one.
	tmp := filepath.Join(dir, ".cluster.yaml.swp")
	if err := os.WriteFile(tmp, cluster(node("A", 1001), node("B", 1002), node("C", 1003)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, file); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 3*time.Second, "the rename-over applied", func() bool { return a.count() == 3 && nodes() == 3 })

	// An invalid file is reported and nothing is applied.
	if err := os.WriteFile(file, []byte("version: 1\nnodes: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 3*time.Second, "the invalid file reported", func() bool { return strings.Contains(log.String(), "result=invalid") })
	if a.count() != 3 {
		t.Fatalf("an invalid file was applied: %d applies", a.count())
	}

	// A burst of edits is merged: at most one apply per MinGap after the first.
	for i := range 20 {
		if err := os.WriteFile(file, cluster(node("A", 1001), node("B", 2000+i)), 0o644); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	waitFor(t, 3*time.Second, "the burst's last edit applied", func() bool { return a.last().Nodes[1].Port == 2019 })
	if n := a.count() - 3; n > 3 {
		t.Errorf("20 edits within 200ms caused %d applies, want at most 3", n)
	}
}

// TestConfigMapSwap changes the file the way Kubernetes updates a mounted
// ConfigMap: the file is a symlink through "..data", which is swapped.
func TestConfigMapSwap(t *testing.T) {
	dir := t.TempDir()
	mount := func(gen string, content []byte) {
		if err := os.Mkdir(filepath.Join(dir, gen), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, gen, "cluster.yaml"), content, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(gen, filepath.Join(dir, "..data_tmp")); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	mount("..2026_12_04_01", cluster(node("A", 1001)))
	file := filepath.Join(dir, "cluster.yaml")
	if err := os.Symlink("..data/cluster.yaml", file); err != nil {
		t.Fatal(err)
	}
	a, _ := start(t, file, false, nil)
	mount("..2026_12_04_02", cluster(node("A", 1001), node("B", 1002)))
	waitFor(t, 3*time.Second, "the swapped ConfigMap applied", func() bool { return a.count() == 2 && len(a.last().Nodes) == 2 })
}

func TestForceReapplies(t *testing.T) {
	file := filepath.Join(t.TempDir(), "cluster.yaml")
	if err := os.WriteFile(file, cluster(node("A", 1001)), 0o644); err != nil {
		t.Fatal(err)
	}
	force := make(chan struct{})
	a, log := start(t, file, false, force)
	force <- struct{}{}
	waitFor(t, 3*time.Second, "the forced apply", func() bool { return a.count() == 2 })
	if !strings.Contains(log.String(), "apply reason=signal result=recorded") {
		t.Errorf("no log line for the forced apply:\n%s", log)
	}
}

// TestHealthTakesNodesOutAndBack runs the checks against real nodes: a
// killed node is applied as down after health.fails checks, and as it was
// after health.passes checks once it is back.
func TestHealthTakesNodesOutAndBack(t *testing.T) {
	var ports []int
	var backends []*testbackend.Backend
	for _, name := range []string{"A", "B"} {
		b, err := testbackend.Start(testbackend.Options{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		backends = append(backends, b)
		ports = append(ports, b.Port())
	}
	file := filepath.Join(t.TempDir(), "cluster.yaml")
	if err := os.WriteFile(file, cluster(node("A", ports[0]), node("B", ports[1])), 0o644); err != nil {
		t.Fatal(err)
	}
	a, log := start(t, file, true, nil)
	stateOf := func(name string) string {
		for _, n := range a.last().Nodes {
			if n.Name == name {
				return n.State
			}
		}
		return "missing"
	}
	backends[1].Kill()
	waitFor(t, 5*time.Second, "B applied as down", func() bool { return stateOf("B") == model.StateDown })
	if stateOf("A") != model.StateActive {
		t.Errorf("A is %s, want active", stateOf("A"))
	}
	backends[1].Recover()
	waitFor(t, 5*time.Second, "B applied as active again", func() bool { return stateOf("B") == model.StateActive })
	for _, want := range []string{`node=B health=down check=active reason="connect refused"`, "node=B health=up check=active", "apply reason=health"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if n := a.count(); n != 3 {
		t.Errorf("%d applies, want 3 (start, down, up)", n)
	}
}

// TestHealthKeepsLastActiveNodes: when every active node fails its checks,
// watch does not apply a cluster without an active node, which no target
// renders; the active nodes stay in and it says so.
func TestHealthKeepsLastActiveNodes(t *testing.T) {
	b, err := testbackend.Start(testbackend.Options{Name: "A"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	file := filepath.Join(t.TempDir(), "cluster.yaml")
	if err := os.WriteFile(file, cluster(node("A", b.Port())), 0o644); err != nil {
		t.Fatal(err)
	}
	a, log := start(t, file, true, nil)
	b.Kill()
	waitFor(t, 5*time.Second, "A taken out", func() bool { return strings.Contains(log.String(), "node=A health=down") })
	waitFor(t, 5*time.Second, "the apply after A went down", func() bool { return a.count() == 2 })
	if got := a.last().Nodes[0].State; got != model.StateActive {
		t.Errorf("A was applied as %s, want active: it is the only active node", got)
	}
	if !strings.Contains(log.String(), "every active node fails its checks") {
		t.Errorf("the log does not say why A stayed in:\n%s", log)
	}
}
