package importer_test

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/importer"
	"github.com/lbgen/lbgen/model"
	"github.com/lbgen/lbgen/validate"
)

// TestGuideSamplesImportAsTheSeedFixtures: the guides' samples, imported,
// describe the clusters the seed fixtures were written from them by hand,
// down to every byte rendered for every target. The Apache sample runs
// without WebSockets (the guide says to disable them); the fixture keeps
// lbgen's default, so that one setting is aligned first.
func TestGuideSamplesImportAsTheSeedFixtures(t *testing.T) {
	for _, tc := range []struct {
		script, config string
		target         generator.Target
		fixture        string
		webSocket      bool
	}{
		{"import_seed_cobrowse_nginx_one", "cobrowse-sample-one.conf", generator.Nginx, "seed-nginx-https", false},
		{"import_seed_cobrowse_nginx_two", "cobrowse-sample-two.conf", generator.Nginx, "seed-nginx-offload", false},
		{"import_seed_cobrowse_apache_one", "cobrowse-sample-one-filled.conf", generator.Apache, "seed-apache-http", true},
	} {
		t.Run(tc.script, func(t *testing.T) {
			ar, err := txtar.ParseFile(filepath.Join("..", "testdata", "script", tc.script+".txtar"))
			if err != nil {
				t.Fatal(err)
			}
			files := memory{}
			for _, f := range ar.Files {
				files[f.Name] = string(f.Data)
			}
			r, err := importer.Import(tc.target, tc.config, files)
			if err != nil || r.YAML == nil {
				t.Fatalf("import: %v %v", err, r.Findings)
			}
			imported, diags := validate.Load("imported.yaml", r.YAML)
			if imported == nil {
				t.Fatal(diags)
			}
			if tc.webSocket {
				on := true
				imported.WebSocket = &on
			}
			fixture := loadFixture(t, filepath.Join("..", "testdata", "clusters", tc.fixture+".yaml"))
			for _, target := range generator.Targets {
				if model.HasErrors(validate.Target(fixture, target)) {
					continue
				}
				opts := generator.Options{Source: tc.fixture + ".yaml"}
				if diff := cmp.Diff(render(t, fixture, target, opts), render(t, imported, target, opts)); diff != "" {
					t.Errorf("%s: the imported sample renders otherwise than %s (-fixture +imported):\n%s", target, tc.fixture, diff)
				}
			}
		})
	}
}
