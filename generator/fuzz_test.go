package generator_test

import (
	"flag"
	"testing"

	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/internal/seeds"
	"github.com/lbgen/lbgen/model"
	"github.com/lbgen/lbgen/validate"
)

// FuzzRender: every cluster file that validates renders for every target
// with each user string that is not a plain word quoted or in a comment,
// and, in a normal test run (seed corpus only), the real server accepts
// the result. A file that does not validate is rendered anyway, as decoded
// and with defaults, to show the generator's own defence: no panic, and
// no unquoted hostile string when it does render.
func FuzzRender(f *testing.F) {
	for _, data := range seeds.Clusters(f, "../testdata") {
		f.Add(data)
	}
	// The real servers take tens of milliseconds a check: too slow for
	// generated inputs.
	withServers := !fuzzing()
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := generator.Options{Source: "c.yaml"}
		c, _ := validate.Load("c.yaml", data)
		valid := c != nil
		if !valid {
			if c, _ = model.Decode("c.yaml", data); c == nil {
				return
			}
			c.Normalize()
		}
		for _, target := range generator.Targets {
			out, err := generator.Render(c, target, opts)
			if err != nil {
				if valid {
					t.Fatalf("%s: a valid cluster does not render: %v", target, err)
				}
				continue
			}
			for _, p := range notInert(c, out, opts) {
				t.Errorf("%s: %s", target, p)
			}
			if valid && withServers {
				checkAccepted(t, c, target, opts)
			}
		}
	})
}

// fuzzing reports whether the test binary runs with -fuzz, generating
// inputs, rather than only running the seed corpus.
func fuzzing() bool {
	f := flag.Lookup("test.fuzz")
	return f != nil && f.Value.String() != ""
}
