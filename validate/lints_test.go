package validate

import (
	"slices"
	"strings"
	"testing"
)

// TestLintsSortedByCode keeps `lbgen explain` listing codes in order, so a
// code is found where a reader looks for it.
func TestLintsSortedByCode(t *testing.T) {
	for i := 1; i < len(Lints); i++ {
		if Lints[i-1].Code >= Lints[i].Code {
			t.Errorf("%s is listed before %s", Lints[i-1].Code, Lints[i].Code)
		}
	}
}

func TestExplainMatchesAsTyped(t *testing.T) {
	for _, typed := range []string{"L-cookie-name", "l-cookie-name", "L-COOKIE-NAME", "cookie-name", "Cookie-Name"} {
		if l, ok := Explain(typed); !ok || l.Code != "L-cookie-name" {
			t.Errorf("Explain(%q) = %q, %v; want L-cookie-name", typed, l.Code, ok)
		}
	}
	for _, typed := range []string{"", "L-", "L-cookie", "cookie-name-x"} {
		if l, ok := Explain(typed); ok {
			t.Errorf("Explain(%q) = %q, want no code", typed, l.Code)
		}
	}
}

func TestEveryLintHasASeverity(t *testing.T) {
	for _, l := range Lints {
		if len(l.Severities) == 0 || !slices.IsSorted(l.Severities) || strings.TrimSpace(l.Title) == "" {
			t.Errorf("%s: severities %v, title %q", l.Code, l.Severities, l.Title)
		}
	}
}
