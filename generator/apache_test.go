package generator_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/internal/sandbox"
	"github.com/lbgen/lbgen/internal/servers"
	"github.com/lbgen/lbgen/outdir"
)

// TestApacheVariantsAccept runs apache2 -t on the mod_proxy_wstunnel form
// and on the snippet form, included by a server that loads the modules
// the standalone file loads.
func TestApacheVariantsAccept(t *testing.T) {
	requireServer(t, generator.Apache)
	for _, file := range clusterFiles(t) {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		c, _ := load(t, file)
		if refused(c, generator.Apache) {
			continue
		}
		t.Run(name+"/wstunnel", func(t *testing.T) {
			opts := options(file)
			opts.ApacheWSTunnel = true
			checkAccepted(t, c, generator.Apache, opts)
		})
		t.Run(name+"/snippet", func(t *testing.T) {
			dir := t.TempDir()
			checked, _, err := sandbox.ForCheck(c, dir)
			if err != nil {
				t.Fatal(err)
			}
			full, err := generator.Render(checked, generator.Apache, options(file))
			if err != nil {
				t.Fatal(err)
			}
			opts := options(file)
			opts.Snippet = true
			snippet, err := generator.Render(checked, generator.Apache, opts)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := outdir.Write(dir, []*generator.Output{full}); err != nil {
				t.Fatal(err)
			}
			host := "DefaultRuntimeDir run\nPidFile run/httpd.pid\nMutex file:run default\nErrorLog logs/error.log\nServerName host\n" +
				strings.Join(globalModuleLines.FindAllString(string(full.Files[0].Data), -1), "\n") +
				"\nInclude lbgen.conf\n"
			write(t, filepath.Join(dir, "httpd.conf"), host)
			write(t, filepath.Join(dir, "lbgen.conf"), string(snippet.Files[0].Data))
			if text, err := servers.Check(context.Background(), generator.Apache, dir); err != nil {
				t.Fatalf("%v\n%s\nhost config:\n%s", err, text, host)
			}
		})
	}
}

// globalModuleLines picks what a host server provides a snippet with:
// modules and the TLS session cache.
var globalModuleLines = regexp.MustCompile(`(?m)^(?:LoadModule|<IfModule|    LoadModule|</IfModule>|SSLSessionCache).*$`)

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
