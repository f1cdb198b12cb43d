package generator_test

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/internal/golden"
	"github.com/lbgen/lbgen/internal/servers"
	"github.com/lbgen/lbgen/model"
	"github.com/lbgen/lbgen/validate"
)

// clusterFiles lists the valid cluster fixtures every target must render.
func clusterFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "testdata", "clusters", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no cluster fixtures: %v", err)
	}
	return files
}

func load(t *testing.T, file string) (*model.Cluster, []byte) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	c, diags := validate.Load(filepath.ToSlash(file), data)
	if c == nil {
		t.Fatalf("%s is invalid: %v", file, diags)
	}
	return c, data
}

func options(file string) generator.Options {
	return generator.Options{Source: "testdata/clusters/" + filepath.Base(file)}
}

// eachFixture runs test as a subtest for every fixture and target that
// can express it; for the others it checks that rendering is refused.
func eachFixture(t *testing.T, test func(t *testing.T, name, file string, c *model.Cluster, target generator.Target)) {
	for _, file := range clusterFiles(t) {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		c, _ := load(t, file)
		for _, target := range generator.Targets {
			t.Run(name+"/"+string(target), func(t *testing.T) {
				if refused(c, target) {
					if _, err := generator.Render(c, target, options(file)); err == nil {
						t.Fatal("rendered a cluster the target's lints refuse")
					}
					return
				}
				test(t, name, file, c, target)
			})
		}
	}
}

// refused reports whether the target's lints refuse the cluster.
func refused(c *model.Cluster, target generator.Target) bool {
	return model.HasErrors(validate.Target(c, target))
}

// TestGoldens renders every fixture for every target and compares the
// whole file with testdata/golden/<cluster>/<file>.
func TestGoldens(t *testing.T) {
	eachFixture(t, func(t *testing.T, name, file string, c *model.Cluster, target generator.Target) {
		out, err := generator.Render(c, target, options(file))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range out.Files {
			golden.Check(t, filepath.Join("..", "testdata", "golden", name, f.Name), f.Data)
		}
	})
}

// TestDeterministic renders each fixture again with every order that does
// not mean anything shuffled, and expects the same bytes.
func TestDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, file := range clusterFiles(t) {
		c, _ := load(t, file)
		for _, target := range generator.Targets {
			if refused(c, target) {
				continue
			}
			want, err := generator.Render(c, target, options(file))
			if err != nil {
				t.Fatal(err)
			}
			for range 5 {
				s := c.Clone()
				rng.Shuffle(len(s.Nodes), func(i, j int) { s.Nodes[i], s.Nodes[j] = s.Nodes[j], s.Nodes[i] })
				rng.Shuffle(len(s.Listen), func(i, j int) { s.Listen[i], s.Listen[j] = s.Listen[j], s.Listen[i] })
				rng.Shuffle(len(s.InternalPaths), func(i, j int) {
					s.InternalPaths[i], s.InternalPaths[j] = s.InternalPaths[j], s.InternalPaths[i]
				})
				for _, l := range s.Listen {
					rng.Shuffle(len(l.Allow), func(i, j int) { l.Allow[i], l.Allow[j] = l.Allow[j], l.Allow[i] })
				}
				got, err := generator.Render(s, target, options(file))
				if err != nil {
					t.Fatal(err)
				}
				for i := range want.Files {
					if !bytes.Equal(want.Files[i].Data, got.Files[i].Data) {
						t.Fatalf("%s %s: output depends on input order", file, target)
					}
				}
			}
		}
	}
}

// TestServersAccept runs the real server's check on every fixture, with
// listeners moved to free loopback ports and throwaway certificates.
func TestServersAccept(t *testing.T) {
	eachFixture(t, func(t *testing.T, _, file string, c *model.Cluster, target generator.Target) {
		checkAccepted(t, c, target, options(file))
	})
}

// requireServer fails when the target's server is missing: the real
// binaries are part of the test suite. LBGEN_SKIP_SERVERS=1 skips instead.
func requireServer(t testing.TB, target generator.Target) {
	t.Helper()
	if _, err := servers.Binary(target); err != nil {
		if os.Getenv("LBGEN_SKIP_SERVERS") != "" {
			t.Skip(err)
		}
		t.Fatalf("%v; install nginx-light apache2 haproxy, or set LBGEN_SKIP_SERVERS=1", err)
	}
}
