package generator_test

import (
	"bytes"
	"maps"
	"testing"

	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/validate"
)

// TestHAProxyWeights: a drain or weight change differs only in what the
// runtime API can set; a node added or put on standby differs elsewhere.
func TestHAProxyWeights(t *testing.T) {
	render := func(nodes string) ([]byte, map[string]int) {
		t.Helper()
		c, diags := validate.Load("w.yaml", []byte("version: 1\nname: w\npreset: cobrowse\nlisten:\n  - addr: \"8080\"\nnodes:\n"+nodes))
		if c == nil {
			t.Fatal(diags)
		}
		out, err := generator.Render(c, generator.HAProxy, generator.Options{})
		if err != nil {
			t.Fatal(err)
		}
		w, rest := generator.HAProxyWeights(out.Files[0].Data)
		return rest, w
	}
	base, w := render("  - {name: A, host: 10.0.0.1, port: 80}\n  - {name: B, host: 10.0.0.2, port: 80}\n")
	if want := map[string]int{"lbgen_w_nodes/A": 1, "lbgen_w_nodes/B": 1}; !maps.Equal(w, want) {
		t.Fatalf("weights %v, want %v", w, want)
	}
	drained, w := render("  - {name: A, host: 10.0.0.1, port: 80, weight: 3}\n  - {name: B, host: 10.0.0.2, port: 80, state: drain}\n")
	if want := map[string]int{"lbgen_w_nodes/A": 3, "lbgen_w_nodes/B": 0}; !maps.Equal(w, want) {
		t.Fatalf("weights %v, want %v", w, want)
	}
	if !bytes.Equal(base, drained) {
		t.Error("a drain and a weight change differ in more than the weights")
	}
	standby, _ := render("  - {name: A, host: 10.0.0.1, port: 80}\n  - {name: B, host: 10.0.0.2, port: 80, state: standby}\n")
	if bytes.Equal(base, standby) {
		t.Error("a standby node, which needs a reload, differs only in weights")
	}
}
