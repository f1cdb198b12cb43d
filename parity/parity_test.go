package parity_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lbgen/lbgen/parity"
	"github.com/lbgen/lbgen/validate"
)

// parityClusters are the fixtures every target must agree on: each preset's
// sample, and the cluster that exercises every state and option.
var parityClusters = []string{"cobrowse", "gwe", "generic", "edge", "nows"}

// TestParity sends real traffic through every target's real server and the
// reference proxy, and fails on any scenario that neither passes nor is a
// documented divergence.
func TestParity(t *testing.T) {
	if testing.Short() {
		t.Skip("parity starts real servers")
	}
	for _, name := range parityClusters {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join("..", "testdata", "clusters", name+".yaml")
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			c, diags := validate.Load(file, data)
			if c == nil {
				t.Fatalf("invalid fixture: %v", diags)
			}
			var progress strings.Builder
			rep, err := parity.Run(context.Background(), c, name, parity.Options{Progress: &progress})
			if err != nil {
				t.Fatal(err)
			}
			var table strings.Builder
			rep.WriteTable(&table)
			t.Log("\n" + table.String())
			for _, res := range rep.Results {
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
