package parity_test

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/lbgen/lbgen/parity"
)

// parityClusters are the fixtures every target must agree on: each preset's
// sample, the cluster that exercises every state and option, and the seed
// guide's HTTPS sample, which re-encrypts to the nodes per listener, and
// one cluster per sticky style beyond route.
var parityClusters = []string{"cobrowse", "gwe", "generic", "edge", "nows", "seed-nginx-https", "insert", "exact", "hash"}

// parallelClusters bounds how many clusters run at once. A run mostly
// waits for timeouts, so clusters overlap well even on two CPUs.
const parallelClusters = 3

// TestParity sends real traffic through every target's real server and the
// reference proxy, and fails on any scenario that neither passes nor is a
// documented divergence.
func TestParity(t *testing.T) {
	if testing.Short() {
		t.Skip("parity starts real servers")
	}
	type outcome struct {
		rep   *parity.Report
		err   error
		table string
	}
	outcomes := make([]outcome, len(parityClusters))
	slots := make(chan struct{}, parallelClusters)
	var wg sync.WaitGroup
	for i, name := range parityClusters {
		c := parity.LoadFixture(t, name)
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			o := &outcomes[i]
			if o.rep, o.err = parity.Run(context.Background(), c, name, parity.Options{}); o.err == nil {
				var table strings.Builder
				o.rep.WriteTable(&table)
				o.table = table.String()
			}
		})
	}
	wg.Wait()
	for i, name := range parityClusters {
		t.Run(name, func(t *testing.T) {
			o := outcomes[i]
			if o.err != nil {
				t.Fatal(o.err)
			}
			t.Log("\n" + o.table)
			for _, res := range o.rep.Results {
				switch res.Status {
				case parity.Fail:
					t.Errorf("%s %s (rule %s): %s", res.Runner, res.Scenario, res.Rule, res.Detail)
				case parity.Skipped:
					if os.Getenv("LBGEN_SKIP_SERVERS") == "" {
						t.Errorf("%s %s skipped: %s (install the server or set LBGEN_SKIP_SERVERS=1)", res.Runner, res.Scenario, res.Detail)
					}
				}
			}
		})
	}
}
