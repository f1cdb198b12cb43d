package importer_test

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/importer"
	"github.com/lbgen/lbgen/model"
	"github.com/lbgen/lbgen/validate"
)

// TestRoundTrip renders every fixture for every target that accepts it,
// imports the rendered config, and renders the imported cluster file
// again: the two configs must be the same byte for byte.
func TestRoundTrip(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "clusters", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		c := loadFixture(t, file)
		for _, target := range generator.Targets {
			for _, snippet := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/snippet=%v", name, target, snippet), func(t *testing.T) {
					if model.HasErrors(validate.Target(c, target)) {
						t.Skip("the target's lints refuse this cluster")
					}
					opts := generator.Options{Source: "testdata/clusters/" + name + ".yaml", Snippet: snippet}
					first := render(t, c, target, opts)
					imported := importText(t, target, first)
					back, diags := validate.Load("imported.yaml", imported)
					if back == nil || model.HasErrors(diags) {
						t.Fatalf("imported cluster file is invalid: %v\n%s", diags, imported)
					}
					second := render(t, back, target, opts)
					if diff := cmp.Diff(first, second); diff != "" {
						t.Errorf("render, import, render differs (-first +second):\n%s\nimported:\n%s", diff, imported)
					}
				})
			}
		}
	}
}

// loadFixture reads a valid cluster file of testdata/clusters.
func loadFixture(t *testing.T, file string) *model.Cluster {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	c, diags := validate.Load(file, data)
	if c == nil {
		t.Fatalf("%s: %v", file, diags)
	}
	return c
}

func render(t *testing.T, c *model.Cluster, target generator.Target, opts generator.Options) string {
	t.Helper()
	out, err := generator.Render(c, target, opts)
	if err != nil {
		t.Fatal(err)
	}
	return string(out.Files[0].Data)
}

// importText imports a config held in memory.
func importText(t *testing.T, target generator.Target, text string) []byte {
	t.Helper()
	name := target.FileName()
	r, err := importer.Import(target, name, memory{name: text})
	if err != nil {
		t.Fatal(err)
	}
	if r.YAML == nil {
		t.Fatalf("nothing imported: %v", r.Findings)
	}
	return r.YAML
}

// memory holds config files in memory.
type memory map[string]string

func (m memory) ReadFile(name string) ([]byte, error) {
	if data, ok := m[name]; ok {
		return []byte(data), nil
	}
	return nil, os.ErrNotExist
}

func (m memory) Glob(pattern string) ([]string, error) {
	var out []string
	for name := range m {
		if ok, err := path.Match(pattern, name); err != nil {
			return nil, err
		} else if ok {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out, nil
}
