package main

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// TestReadmeGoVersion keeps the quick start asking for the Go version
// go.mod requires, so a newcomer does not start with one that cannot build.
func TestReadmeGoVersion(t *testing.T) {
	mod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(mod)
	if want == nil {
		t.Fatal("go.mod has no go directive")
	}
	got := regexp.MustCompile(`with Go (\d+\.\d+)\+`).FindAllSubmatch(readme, -1)
	if len(got) == 0 {
		t.Fatal(`README names no "Go 1.N+" to install`)
	}
	for _, g := range got {
		if string(g[1]) != string(want[1]) {
			t.Errorf("README asks for Go %s+, go.mod requires %s", g[1], want[1])
		}
	}
}
