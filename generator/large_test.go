package generator_test

import (
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/model"
	"github.com/lbgen/lbgen/validate"
)

// largeCluster writes a cluster file with n nodes using every node field,
// public, TLS and internal listeners, and YAML comments, as a large
// installation would. Node i is CB_Server_<i> at 10.x.y.z:8700.
func largeCluster(n int) []byte {
	var b strings.Builder
	b.WriteString(`version: 1
name: large
preset: cobrowse
listen:
  - addr: "8080"
  - {addr: "8443", tls: true}
  - {addr: "10.1.0.5:9080", internal: true, allow: [10.0.0.0/8]}
internal_paths: [/cobrowse/rest]
tls: {certificate: /etc/lbgen/large.crt, key: /etc/lbgen/large.key}
fallback: [{name: dc2, url: "https://203.0.113.10"}]
nodes:
`)
	for i := range n {
		state := "active"
		switch {
		case i%50 == 49:
			state = "drain"
		case i%100 == 98:
			state = "standby"
		}
		if i%40 == 0 {
			fmt.Fprintf(&b, "  # rack %d\n", i/40)
		}
		fmt.Fprintf(&b, "  - {name: CB_Server_%d, host: %s, port: 8700, tls_port: 8743, weight: %d, state: %s}\n",
			i, nodeAddr(i), 1+i%3, state)
	}
	return []byte(b.String())
}

func nodeAddr(i int) string { return fmt.Sprintf("10.%d.%d.%d", 2+i>>16, (i>>8)&255, i&255) }

var (
	nodeNameRE = regexp.MustCompile(`CB_Server_[0-9]+`)
	nodeAddrRE = regexp.MustCompile(`10\.[0-9]+\.[0-9]+\.[0-9]+:8700`)
)

// TestLargeClusters renders a 10,000-node cluster and a 10 MB cluster file
// (100,000 nodes) for every target within bounded time and memory, checks
// that every node made it into every file, and has the real servers check
// the 10,000-node configs. It holds the slow checks of large inputs.
func TestLargeClusters(t *testing.T) {
	if testing.Short() {
		t.Skip("renders 100,000 nodes and runs the servers on 10,000")
	}
	for _, tc := range []struct {
		nodes   int
		servers bool
		// Bounds on loading, and on rendering one target, are several
		// times what was measured (docs/security.md): they catch a
		// blow-up, not jitter.
		maxTime time.Duration
		maxMiB  uint64
	}{
		{nodes: 10_000, servers: true, maxTime: 2 * time.Second, maxMiB: 250},
		{nodes: 100_000, maxTime: 15 * time.Second, maxMiB: 2500},
	} {
		t.Run(fmt.Sprintf("%d nodes", tc.nodes), func(t *testing.T) {
			data := largeCluster(tc.nodes)
			var c *model.Cluster
			elapsed, mib := measure(func() {
				var diags []model.Diagnostic
				if c, diags = validate.Load("large.yaml", data); c == nil {
					t.Fatal(diags)
				}
			})
			t.Logf("%d bytes: decoded and validated in %v, %d MiB allocated", len(data), elapsed, mib)
			if elapsed > tc.maxTime || mib > tc.maxMiB {
				t.Errorf("loading took %v and %d MiB, want at most %v and %d MiB", elapsed, mib, tc.maxTime, tc.maxMiB)
			}
			for _, target := range generator.Targets {
				var out *generator.Output
				elapsed, mib := measure(func() {
					var err error
					if out, err = generator.Render(c, target, generator.Options{}); err != nil {
						t.Fatalf("%s: %v", target, err)
					}
				})
				t.Logf("%s: %d bytes rendered in %v, %d MiB allocated", target, len(out.Files[0].Data), elapsed, mib)
				if elapsed > tc.maxTime || mib > tc.maxMiB {
					t.Errorf("%s: took %v and %d MiB, want at most %v and %d MiB", target, elapsed, mib, tc.maxTime, tc.maxMiB)
				}
				checkEveryNode(t, out, tc.nodes)
				if tc.servers {
					start := time.Now()
					checkAccepted(t, c, target, generator.Options{})
					t.Logf("%s: accepted by the server in %v", target, time.Since(start))
				}
			}
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			t.Logf("process memory from the OS: %d MiB", m.Sys>>20)
		})
	}
}

// measure runs f and returns how long it took and how much it allocated.
func measure(f func()) (time.Duration, uint64) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	f()
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	return elapsed, (after.TotalAlloc - before.TotalAlloc) >> 20
}

// checkEveryNode finds every node's name and address in a rendered file.
func checkEveryNode(t *testing.T, o *generator.Output, n int) {
	t.Helper()
	text := string(o.Files[0].Data)
	names, addrs := map[string]bool{}, map[string]bool{}
	for _, m := range nodeNameRE.FindAllString(text, -1) {
		names[m] = true
	}
	for _, m := range nodeAddrRE.FindAllString(text, -1) {
		addrs[m] = true
	}
	for i := range n {
		if name := fmt.Sprintf("CB_Server_%d", i); !names[name] {
			t.Fatalf("%s: node %s is missing", o.Target, name)
		}
		if addr := nodeAddr(i) + ":8700"; !addrs[addr] {
			t.Fatalf("%s: address %s is missing", o.Target, addr)
		}
	}
}
