package generator_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/internal/sandbox"
	"github.com/lbgen/lbgen/internal/servers"
	"github.com/lbgen/lbgen/outdir"
)

// haproxyInstallation stands for the global and defaults sections of an
// existing installation that a snippet is loaded after: TCP mode and no
// timeouts, so the snippet's sections must set what they need. It sets
// ssl-load-extra-del-ext, which snippets whose key is NAME.key need.
const haproxyInstallation = `global
    ssl-load-extra-del-ext
defaults
    mode tcp
`

// TestHAProxySnippetAccepted checks every fixture's --snippet output with
// haproxy -c after a minimal installation; no warning may appear.
func TestHAProxySnippetAccepted(t *testing.T) {
	requireServer(t, generator.HAProxy)
	bin, _ := servers.Binary(generator.HAProxy)
	for _, file := range clusterFiles(t) {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		c, _ := load(t, file)
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			checked, _, err := sandbox.ForCheck(c, dir)
			if err != nil {
				t.Fatal(err)
			}
			opts := options(file)
			opts.Snippet = true
			out, err := generator.Render(checked, generator.HAProxy, opts)
			if err != nil {
				t.Fatal(err)
			}
			base := filepath.Join(dir, "base.cfg")
			if err := os.WriteFile(base, []byte(haproxyInstallation), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := outdir.Write(dir, []*generator.Output{out}); err != nil {
				t.Fatal(err)
			}
			text, err := exec.Command(bin, "-c", "-f", base, "-f", filepath.Join(dir, out.Files[0].Name)).CombinedOutput()
			if err != nil || strings.Contains(string(text), "[WARNING]") {
				t.Fatalf("haproxy -c: %v\n%s", err, text)
			}
		})
	}
}
