package parity

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lbgen/lbgen/model"
	"github.com/lbgen/lbgen/validate"
)

// LoadFixture reads and validates testdata/clusters/NAME.yaml.
func LoadFixture(t testing.TB, name string) *model.Cluster {
	t.Helper()
	file := filepath.Join("..", "testdata", "clusters", name+".yaml")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	c, diags := validate.Load(file, data)
	if c == nil {
		t.Fatalf("invalid fixture %s: %v", name, diags)
	}
	return c
}
