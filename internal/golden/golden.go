// Package golden compares test output with files under testdata, and
// rewrites them when LBGEN_UPDATE is set.
package golden

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/diff"
)

// Update reports whether golden files should be rewritten.
func Update() bool { return os.Getenv("LBGEN_UPDATE") != "" }

// Check compares got with the golden file at path, or rewrites the file
// when LBGEN_UPDATE is set.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if Update() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with LBGEN_UPDATE=1 to create it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the rendered output (LBGEN_UPDATE=1 rewrites it after review):\n%s", path, diff.Diff(path, want, "rendered", got))
	}
}
