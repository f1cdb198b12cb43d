package generator_test

import (
	"flag"
	"strings"
	"testing"

	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/internal/seeds"
	"github.com/lbgen/lbgen/model"
	"github.com/lbgen/lbgen/validate"
)

// FuzzRender: every cluster file that validates renders for every target
// whose own lints (validate.Target) accept it, with each user string that
// is not a plain word quoted or in a comment,
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
			// What does not work with one target is refused for it alone.
			validForTarget := valid && !model.HasErrors(validate.Target(c, target))
			out, err := generator.Render(c, target, opts)
			if err != nil {
				if validForTarget {
					t.Fatalf("%s: a valid cluster does not render: %v", target, err)
				}
				continue
			}
			for _, p := range notInert(c, out, opts) {
				t.Errorf("%s: %s", target, p)
			}
			if validForTarget && withServers {
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

// FuzzRenderField writes one value into one string field of a cluster
// file that sets every field (the injection test's), appended to the
// field's valid value or instead of it. Whatever validation accepts must
// render for every target with the value inert, and, in a normal test
// run, be accepted by the real server. Seeded with the injection corpus.
func FuzzRenderField(f *testing.F) {
	for _, p := range payloads {
		for i := range injectFields {
			f.Add(uint8(i), p.text, p.whole)
		}
	}
	withServers := !fuzzing()
	f.Fuzz(func(t *testing.T, field uint8, value string, whole bool) {
		// Files are made only for the server check; otherwise the
		// directory is just part of the certificate paths.
		dir := "/nonexistent"
		if withServers {
			dir = t.TempDir()
		}
		i := int(field) % len(injectFields)
		data, _ := injectFile(dir, i, value, whole, true)
		c, _ := validate.Load("c.yaml", data)
		if c == nil {
			return
		}
		if withServers && strings.HasPrefix(injectFields[i].path, "tls.") {
			linkCertificate(t, dir, c)
		}
		opts := generator.Options{Source: "c.yaml"}
		for _, target := range generator.Targets {
			if model.HasErrors(validate.Target(c, target)) {
				continue
			}
			out, err := generator.Render(c, target, opts)
			if err != nil {
				t.Fatalf("%s: a valid cluster does not render: %v", target, err)
			}
			for _, p := range notInert(c, out, opts) {
				t.Errorf("%s: %s", target, p)
			}
			if withServers {
				checkAccepted(t, c, target, opts)
			}
		}
	})
}
