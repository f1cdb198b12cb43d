package generator_test

import (
	"fmt"
	"testing"

	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/validate"
)

// BenchmarkRender measures decode + validate + render of one target, the
// work `lbgen render` does, as the cluster (largeCluster) grows; ns/node stays flat
// while the cost grows linearly.
func BenchmarkRender(b *testing.B) {
	for _, n := range []int{10, 100, 1000, 10000} {
		data := largeCluster(n)
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
				reportPerNode(b, n)
			})
		}
	}
}

// BenchmarkRenderAll is the 10,000-node cluster rendered for every target,
// decoded and validated once, as `lbgen render -t all` does.
func BenchmarkRenderAll(b *testing.B) {
	const n = 10000
	data := largeCluster(n)
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
	reportPerNode(b, n)
}

// reportPerNode adds the cost per node, which shows whether rendering
// stays linear in the cluster size.
func reportPerNode(b *testing.B, nodes int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(nodes), "ns/node")
}
