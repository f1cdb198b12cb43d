package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/lbgen/lbgen/model"
)

// TestEveryLintHasAScript keeps each lint code shown, with its message and
// exit code, by at least one CLI script.
func TestEveryLintHasAScript(t *testing.T) {
	all := allScripts(t)
	for _, l := range allCodes() {
		if !strings.Contains(all, " "+l.Code+": ") {
			t.Errorf("no script in testdata/script shows a %s finding", l.Code)
		}
	}
}

// TestLintSeveritiesAsReported keeps `lbgen explain` listing the
// severities each code is reported with in the scripts, no more, no less.
func TestLintSeveritiesAsReported(t *testing.T) {
	shown := map[string][]model.Severity{}
	for _, m := range regexp.MustCompile(`(?m): (error|warning) ([LI]-[a-z-]+): `).FindAllStringSubmatch(allScripts(t), -1) {
		sev := model.SevError
		if m[1] == "warning" {
			sev = model.SevWarning
		}
		if !slices.Contains(shown[m[2]], sev) {
			shown[m[2]] = append(shown[m[2]], sev)
		}
	}
	for _, l := range allCodes() {
		got := slices.Sorted(slices.Values(shown[l.Code]))
		if !slices.Equal(got, l.Severities) {
			t.Errorf("%s is documented as %v, scripts show it as %v", l.Code, l.Severities, got)
		}
	}
}

func allScripts(t *testing.T) string {
	t.Helper()
	scripts, err := filepath.Glob(filepath.Join("..", "..", "testdata", "script", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, s := range scripts {
		data, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(data)
	}
	return all.String()
}
