package model_test

import (
	"slices"
	"testing"
	"time"

	"github.com/lbgen/lbgen/internal/seeds"
	"github.com/lbgen/lbgen/model"
)

// FuzzDecode: whatever the bytes, Decode returns quickly, without
// panicking, and every finding is positioned and readable.
func FuzzDecode(f *testing.F) {
	for _, data := range seeds.Clusters(f, "../testdata") {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		c, diags := model.Decode("c.yaml", data)
		if elapsed := time.Since(start); elapsed > 2*time.Second {
			t.Errorf("Decode took %v on %d bytes", elapsed, len(data))
		}
		if c == nil && !model.HasErrors(diags) {
			t.Error("no cluster and no error")
		}
		checkDiagnostics(t, diags)
	})
}

// checkDiagnostics holds for the findings of any file: positioned, coded,
// short, free of raw control characters (they go to a terminal), sorted.
func checkDiagnostics(t *testing.T, diags []model.Diagnostic) {
	t.Helper()
	for _, d := range diags {
		if d.File != "c.yaml" || d.Line < 1 || d.Col < 1 || d.Code == "" || d.Message == "" {
			t.Errorf("finding without position, code or message: %#v", d)
		}
		if len(d.Message) > 400 || len(d.Hint) > 400 {
			t.Errorf("finding of %d bytes: %s", len(d.Message), d)
		}
		for _, r := range d.Message + d.Hint {
			if r < 0x20 && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 || r == 0x202e {
				t.Errorf("finding carries the raw character %U: %q", r, d.Message)
			}
		}
	}
	if !slices.IsSortedFunc(diags, func(a, b model.Diagnostic) int {
		return cmpPos(a, b)
	}) {
		t.Errorf("findings are not sorted: %v", diags)
	}
}

func cmpPos(a, b model.Diagnostic) int {
	if a.Line != b.Line {
		return a.Line - b.Line
	}
	return a.Col - b.Col
}
