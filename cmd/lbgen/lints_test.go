package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lbgen/lbgen/validate"
)

// TestEveryLintHasAScript keeps each lint code shown, with its message and
// exit code, by at least one CLI script.
func TestEveryLintHasAScript(t *testing.T) {
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
	for _, l := range validate.Lints {
		if !strings.Contains(all.String(), " "+l.Code+": ") {
			t.Errorf("no script in testdata/script shows a %s finding", l.Code)
		}
	}
}
