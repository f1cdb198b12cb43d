// Package seeds collects the cluster files the repository's tests already
// hold, as the seed corpus of the fuzz tests: the fixtures in
// testdata/clusters and every YAML file inside the testdata/script
// archives, valid and invalid alike.
package seeds

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

// Clusters returns the distinct cluster files under testdata, the
// directory at the top of the repository.
func Clusters(tb testing.TB, testdata string) [][]byte {
	tb.Helper()
	var out [][]byte
	fixtures, err := filepath.Glob(filepath.Join(testdata, "clusters", "*.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	for _, name := range fixtures {
		data, err := os.ReadFile(name)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, data)
	}
	scripts, err := filepath.Glob(filepath.Join(testdata, "script", "*.txtar"))
	if err != nil {
		tb.Fatal(err)
	}
	for _, name := range scripts {
		ar, err := txtar.ParseFile(name)
		if err != nil {
			tb.Fatal(err)
		}
		for _, f := range ar.Files {
			if strings.HasSuffix(f.Name, ".yaml") || strings.HasSuffix(f.Name, ".yml") || f.Name == "-" {
				out = append(out, f.Data)
			}
		}
	}
	if len(fixtures) == 0 || len(scripts) == 0 {
		tb.Fatalf("no seeds under %s", testdata)
	}
	// Scripts often share a base file; one copy is enough.
	slices.SortFunc(out, func(a, b []byte) int { return strings.Compare(string(a), string(b)) })
	return slices.CompactFunc(out, func(a, b []byte) bool { return string(a) == string(b) })
}
