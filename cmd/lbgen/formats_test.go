package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	// The module that carries the SARIF schema sarifSchema reads.
	_ "github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
	"github.com/rogpeppe/go-internal/txtar"
	"github.com/xeipuuv/gojsonschema"
)

// TestSARIFValidates runs validate --format sarif on every cluster file of
// the validate scripts and checks the output against the OASIS SARIF 2.1.0
// schema, as go-sarif embeds it, with gojsonschema.
func TestSARIFValidates(t *testing.T) {
	schema := gojsonschema.NewStringLoader(sarifSchema(t))
	scripts, err := filepath.Glob(filepath.Join("..", "..", "testdata", "script", "validate_*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	withFindings := 0
	for _, script := range scripts {
		ar, err := txtar.ParseFile(script)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range ar.Files {
			if !strings.HasSuffix(f.Name, ".yaml") {
				continue
			}
			path := filepath.Join(dir, filepath.Base(script)+"-"+filepath.Base(f.Name))
			if err := os.WriteFile(path, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			out := runLbgen(t, "validate", "--format", "sarif", "-c", path)
			res, err := gojsonschema.Validate(schema, gojsonschema.NewBytesLoader(out))
			if err != nil {
				t.Fatal(err)
			}
			if !res.Valid() {
				t.Errorf("%s: SARIF does not validate: %v\n%s", path, res.Errors(), out)
				continue
			}
			var doc struct {
				Runs []struct{ Results []json.RawMessage } `json:"runs"`
			}
			if err := json.Unmarshal(out, &doc); err != nil || len(doc.Runs) != 1 {
				t.Fatalf("%s: not one SARIF run: %v", path, err)
			}
			if len(doc.Runs[0].Results) > 0 {
				withFindings++
			}
		}
	}
	if withFindings < 20 {
		t.Errorf("only %d cluster files with findings were checked", withFindings)
	}
}

// sarifSchema returns the SARIF 2.1.0 schema go-sarif embeds, read from
// its source in the module cache.
func sarifSchema(t *testing.T) string {
	t.Helper()
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/owenrumney/go-sarif/v3").Output()
	if err != nil {
		t.Fatalf("locate go-sarif: %v", err)
	}
	src, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(dir)), "pkg", "report", "v210", "sarif", "schema.go"))
	if err != nil {
		t.Fatal(err)
	}
	_, schema, ok := strings.Cut(string(src), "const schema = `")
	schema, _, ok2 := strings.Cut(schema, "`")
	if !ok || !ok2 || !strings.Contains(schema, "sarif-schema-2.1.0.json") {
		t.Fatal("go-sarif's schema.go no longer holds the SARIF 2.1.0 schema as expected")
	}
	return schema
}

// runLbgen runs the command tree with args and returns standard output.
func runLbgen(t *testing.T, args ...string) []byte {
	t.Helper()
	root := newRootCmd()
	var stdout, stderr bytes.Buffer
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	root.SetArgs(args)
	root.Execute()
	return stdout.Bytes()
}
