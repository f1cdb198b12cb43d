package parity

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestRulesAreWrittenOut keeps every rule a scenario cites, and so every
// rule the report prints, defined in docs/routing.md, and every rule there
// shown by some scenario.
func TestRulesAreWrittenOut(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "routing.md"))
	if err != nil {
		t.Fatal(err)
	}
	defined := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^## ([0-9a-z]+)\. `).FindAllStringSubmatch(string(doc), -1) {
		defined[m[1]] = false
	}
	if len(defined) == 0 {
		t.Fatal("docs/routing.md defines no rules (headings `## N. Title`)")
	}
	for _, sc := range scenarios {
		for rule := range strings.SplitSeq(sc.rule, ",") {
			if _, ok := defined[rule]; !ok {
				t.Errorf("scenario %s cites rule %q, which docs/routing.md does not define", sc.name, rule)
				continue
			}
			defined[rule] = true
		}
	}
	for rule, shown := range defined {
		if !shown {
			t.Errorf("docs/routing.md defines rule %s, which no parity scenario shows", rule)
		}
	}
}
