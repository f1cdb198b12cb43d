package parity

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/lbgen/lbgen/generator"
)

// TestDivergencesAreDocumented keeps every documented divergence in its
// target's section of docs/targets.md, tagged "(parity: NAME)",
// and each one naming a scenario and a check of its own.
func TestDivergencesAreDocumented(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "docs", "targets.md"))
	if err != nil {
		t.Fatal(err)
	}
	sections := regexp.MustCompile(`(?m)^## `).Split(string(data), -1)
	heading := map[generator.Target]string{generator.Nginx: "nginx", generator.Apache: "Apache httpd", generator.HAProxy: "HAProxy"}
	seen := map[[3]string]bool{}
	for _, d := range divergences {
		found := false
		for _, sec := range sections {
			if strings.HasPrefix(sec, heading[d.target]) && strings.Contains(sec, "(parity: "+d.scenario+")") {
				found = true
			}
		}
		if !found {
			t.Errorf("divergence %s/%s is not tagged (parity: %s) in docs/targets.md, section %s", d.target, d.scenario, d.scenario, heading[d.target])
		}
		if !slices.Contains(ScenarioNames(), d.scenario) {
			t.Errorf("divergence %s/%s names no scenario", d.target, d.scenario)
		}
		key := [3]string{string(d.target), d.scenario, d.check}
		if seen[key] {
			t.Errorf("divergence %v is listed twice", key)
		}
		seen[key] = true
	}
}

// TestJudge shows, for every documented divergence, that exactly its
// observed outcome is a divergence, that the reference outcome alone makes
// it stale, and that any other outcome of the check fails.
func TestJudge(t *testing.T) {
	for _, d := range divergences {
		t.Run(string(d.target)+"/"+d.scenario+"/"+d.check, func(t *testing.T) {
			const want = "the reference outcome"
			run := func(got string) (Status, string) {
				e := &env{runner: string(d.target), scenario: d.scenario, seen: newChecks()}
				var err error
				if !e.accept(d.check, got, want) {
					err = errors.New("check " + d.check + " failed")
				}
				return judge(string(d.target), d.scenario, err, e.seen)
			}
			if st, detail := run(d.observed); st != Divergence || !strings.Contains(detail, d.why) {
				t.Errorf("documented outcome %q: %s %q, want divergence", d.observed, st, detail)
			}
			if st, detail := run(want); st != Fail || !strings.Contains(detail, "stale divergence") {
				t.Errorf("reference outcome: %s %q, want a stale divergence", st, detail)
			}
			if st, _ := run("another outcome"); st != Fail {
				t.Errorf("another outcome: %s, want fail", st)
			}
			// The divergence belongs to its target: elsewhere the outcome fails.
			e := &env{runner: "proxy", scenario: d.scenario, seen: newChecks()}
			if e.accept(d.check, d.observed, want) {
				t.Errorf("the reference proxy may show %q", d.observed)
			}
			// And to its check: another check of the scenario still fails.
			e = &env{runner: string(d.target), scenario: d.scenario, seen: newChecks()}
			if e.accept(d.check+"-other", d.observed, want) {
				t.Errorf("check %s-other may show %q", d.check, d.observed)
			}
		})
	}
}

func TestJudgeWithoutDivergences(t *testing.T) {
	seen := newChecks()
	if st, detail := judge("nginx", "sticky-hit", nil, seen); st != Pass || detail != "" {
		t.Errorf("no error: %s %q", st, detail)
	}
	if st, detail := judge("nginx", "sticky-hit", errors.New("got 502"), seen); st != Fail || detail != "got 502" {
		t.Errorf("error: %s %q", st, detail)
	}
	// A check never reached says nothing about a divergence.
	if st, _ := judge("apache", "hung-node-times-out", nil, newChecks()); st != Pass {
		t.Errorf("divergent check not reached: %s, want pass", st)
	}
}
