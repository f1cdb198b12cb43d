package importer_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/importer"
	"github.com/lbgen/lbgen/model"
	"github.com/lbgen/lbgen/validate"
)

// FuzzImport: any input, read as any target's config, either imports to a
// cluster file that validates, or is refused with at least one error;
// every finding points at a line of the input. Seeds are every golden
// config and every config of the import scripts.
func FuzzImport(f *testing.F) {
	for i, target := range generator.Targets {
		goldens, err := filepath.Glob(filepath.Join("..", "testdata", "golden", "*", target.FileName()))
		if err != nil || len(goldens) == 0 {
			f.Fatalf("no golden %s: %v", target.FileName(), err)
		}
		for _, name := range goldens {
			data, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(byte(i), data)
		}
	}
	for target, data := range importScripts(f) {
		f.Add(byte(slices.Index(generator.Targets, target)), data)
	}
	f.Fuzz(func(t *testing.T, which byte, data []byte) {
		target := generator.Targets[int(which)%len(generator.Targets)]
		name := target.FileName()
		r, err := importer.Import(target, name, memory{name: string(data)})
		if err != nil {
			t.Fatal(err)
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, d := range r.Findings {
			if d.File != name || d.Line < 1 || d.Line > lines || d.Code == "" {
				t.Errorf("finding outside the input (%d lines): %v", lines, d)
			}
		}
		if r.YAML == nil {
			if !model.HasErrors(r.Findings) {
				t.Fatalf("nothing imported, and no error says why: %v", r.Findings)
			}
			return
		}
		if _, diags := validate.Load("imported.yaml", r.YAML); model.HasErrors(diags) {
			t.Fatalf("imported file is invalid: %v\n%s", diags, r.YAML)
		}
	})
}

var importFlag = regexp.MustCompile(`lbgen import -f (\w+) (\S+)`)

// importScripts yields the configs the import scripts read, by target.
func importScripts(f *testing.F) func(yield func(generator.Target, []byte) bool) {
	scripts, err := filepath.Glob(filepath.Join("..", "testdata", "script", "import_*.txtar"))
	if err != nil || len(scripts) == 0 {
		f.Fatalf("no import scripts: %v", err)
	}
	return func(yield func(generator.Target, []byte) bool) {
		for _, name := range scripts {
			ar, err := txtar.ParseFile(name)
			if err != nil {
				f.Fatal(err)
			}
			for _, m := range importFlag.FindAllSubmatch(ar.Comment, -1) {
				for _, file := range ar.Files {
					if file.Name == string(m[2]) && !yield(generator.Target(m[1]), file.Data) {
						return
					}
				}
			}
		}
	}
}
