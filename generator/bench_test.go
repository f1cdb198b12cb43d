package generator_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/validate"
)

// clusterYAML writes a cobrowse cluster with n nodes, some draining and
// some on standby, as a user would.
func clusterYAML(n int) []byte {
	var b strings.Builder
	b.WriteString("version: 1\nname: bench\npreset: cobrowse\nlisten:\n  - addr: \"8080\"\n  - {addr: \"10.1.0.5:9080\", internal: true, allow: [10.0.0.0/8]}\ninternal_paths: [/cobrowse/rest]\nnodes:\n")
	for i := range n {
		state := "active"
		switch {
		case i%50 == 49:
			state = "drain"
		case i%100 == 98:
			state = "standby"
		}
		fmt.Fprintf(&b, "  - {name: CB_Server_%05d, host: 10.%d.%d.%d, port: 8700, state: %s}\n", i, i>>16, (i>>8)&255, i&255, state)
	}
	return []byte(b.String())
}

// BenchmarkRender measures decode + validate + render of one target, the
// work `lbgen render` does, as the cluster grows.
func BenchmarkRender(b *testing.B) {
	for _, n := range []int{10, 100, 1000, 10000} {
		data := clusterYAML(n)
		for _, target := range generator.Targets {
			b.Run(fmt.Sprintf("%s/nodes=%d", target, n), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					c, diags := validate.Load("bench.yaml", data)
					if c == nil {
						b.Fatal(diags)
					}
					if _, err := generator.Render(c, target, generator.Options{}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkRenderAll is the 10,000-node cluster rendered for every target,
// decoded and validated once, as `lbgen render -t all` does.
func BenchmarkRenderAll(b *testing.B) {
	data := clusterYAML(10000)
	b.ReportAllocs()
	for b.Loop() {
		c, diags := validate.Load("bench.yaml", data)
		if c == nil {
			b.Fatal(diags)
		}
		for _, target := range generator.Targets {
			if _, err := generator.Render(c, target, generator.Options{}); err != nil {
				b.Fatal(err)
			}
		}
	}
}
