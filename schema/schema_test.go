package schema_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/lbgen/lbgen/internal/golden"
	"github.com/lbgen/lbgen/schema"
	"github.com/lbgen/lbgen/validate"
)

// TestCommittedSchema keeps schema/cluster-v1.json, which editors load
// from schema.URL, equal to what the model generates.
func TestCommittedSchema(t *testing.T) {
	got, err := schema.Generate()
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "cluster-v1.json", got)
}

// compiled is the schema compiled by an implementation of JSON Schema
// independent of lbgen's.
func compiled(t *testing.T) *jsonschema.Schema {
	t.Helper()
	data, err := schema.Generate()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schema.URL, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(schema.URL)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// instance reads a YAML cluster file as the JSON value an editor checks.
func instance(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

// TestClustersValidate: every fixture cluster and every starter file
// lbgen init prints is valid by the schema.
func TestClustersValidate(t *testing.T) {
	s := compiled(t)
	files, err := filepath.Glob(filepath.Join("..", "testdata", "clusters", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	starters, err := filepath.Glob(filepath.Join("..", "cmd", "lbgen", "starters", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, starters...)
	if len(files) < 10 {
		t.Fatalf("only %d files found", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(instance(t, data)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestSchemaRejectsWhatValidateRejects: files with a typical mistake fail
// the schema and lbgen validate alike.
func TestSchemaRejectsWhatValidateRejects(t *testing.T) {
	s := compiled(t)
	base, err := os.ReadFile(filepath.Join("..", "cmd", "lbgen", "starters", "cobrowse.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, old, new string }{
		{"unknown key", "version: 1", "version: 1\nnodse: []"},
		{"wrong type", "fails: 2", "fails: two"},
		{"bad enum", "preset: cobrowse", "preset: cobrowser"},
		{"port out of range", "port: 8700", "port: 87000"},
		{"unknown node field", "    port: 8700\n", "    port: 8700\n    wieght: 2\n"},
		{"bad duration", "connect: 2s", "connect: 2 seconds"},
		{"weight out of range", "    port: 8700\n", "    port: 8700\n    weight: 500\n"},
	} {
		if !bytes.Contains(base, []byte(tc.old)) {
			t.Fatalf("%s: the starter file has no %q", tc.name, tc.old)
		}
		data := bytes.Replace(base, []byte(tc.old), []byte(tc.new), 1)
		if err := s.Validate(instance(t, data)); err == nil {
			t.Errorf("%s: the schema accepts it", tc.name)
		}
		if c, _ := validate.Load("c.yaml", data); c != nil {
			t.Errorf("%s: lbgen validate accepts it", tc.name)
		}
	}
}

// TestEditorCompletion checks what an editor offers from the schema: the
// fields of a node, each with a description, and an unknown key flagged in
// a file lbgen init prints.
func TestEditorCompletion(t *testing.T) {
	data, err := schema.Generate()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Properties map[string]struct {
			Items struct {
				Properties map[string]struct {
					Description string `json:"description"`
				} `json:"properties"`
			} `json:"items"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var fields []string
	for name, p := range doc.Properties["nodes"].Items.Properties {
		fields = append(fields, name)
		if p.Description == "" {
			t.Errorf("nodes[].%s has no description for the editor's hover", name)
		}
	}
	slices.Sort(fields)
	if want := []string{"host", "name", "port", "state", "tls_port", "weight"}; !slices.Equal(fields, want) {
		t.Errorf("node fields offered: %v, want %v", fields, want)
	}
	starter, err := os.ReadFile(filepath.Join("..", "cmd", "lbgen", "starters", "generic.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(starter), "\n")
	if first != "# yaml-language-server: $schema="+schema.URL {
		t.Errorf("lbgen init's first line is %q, want the yaml-language-server schema line", first)
	}
	bad := append(starter, []byte("listn: []\n")...)
	err = compiled(t).Validate(instance(t, bad))
	if err == nil || !strings.Contains(err.Error(), "listn") {
		t.Errorf("the schema does not flag the unknown key listn: %v", err)
	}
}
