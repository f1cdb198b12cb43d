package outdir_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/model"
	"github.com/lbgen/lbgen/outdir"
	"github.com/lbgen/lbgen/validate"
)

// files returns the output of two targets, as render -t all would.
func files(a, b string) []*generator.Output {
	return []*generator.Output{
		{Files: []generator.File{{Name: "a.conf", Data: []byte(a)}}, Dirs: []string{"logs"}},
		{Files: []generator.File{{Name: "b.conf", Data: []byte(b)}}},
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// listDir returns every name under dir, so tests can see leftovers such
// as temporary files.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		if p != dir {
			rel, _ := filepath.Rel(dir, p)
			names = append(names, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func TestWriteKeepsPermissions(t *testing.T) {
	dir := t.TempDir()
	if _, err := outdir.Write(dir, files("a1", "b1")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "a.conf"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := outdir.Write(dir, files("a2", "b1")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, "a.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || readFile(t, filepath.Join(dir, "a.conf")) != "a2" {
		t.Errorf("a.conf is %v with %q, want 0600 with a2", fi.Mode().Perm(), readFile(t, filepath.Join(dir, "a.conf")))
	}
	if fi, _ := os.Stat(filepath.Join(dir, "b.conf")); fi.Mode().Perm() != 0o644 {
		t.Errorf("new file b.conf is %v, want 0644", fi.Mode().Perm())
	}
}

// TestWriteUnchanged leaves a file with the same bytes alone: same inode,
// same modification time.
func TestWriteUnchanged(t *testing.T) {
	dir := t.TempDir()
	if _, err := outdir.Write(dir, files("a1", "b1")); err != nil {
		t.Fatal(err)
	}
	a := filepath.Join(dir, "a.conf")
	old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := os.Chtimes(a, old, old); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(a)
	written, err := outdir.Write(dir, files("a1", "b2"))
	if err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(a)
	if !after.ModTime().Equal(old) || !os.SameFile(before, after) {
		t.Errorf("unchanged a.conf was rewritten (mtime %v)", after.ModTime())
	}
	want := []outdir.Written{{Path: a, Changed: false}, {Path: filepath.Join(dir, "b.conf"), Changed: true}}
	if !slices.Equal(written, want) {
		t.Errorf("Write reported %v, want %v", written, want)
	}
}

// TestWriteFailureChangesNothing fails Write at different stages, after
// a first version was written, and expects every file byte-identical and
// no temporary file left behind.
func TestWriteFailureChangesNothing(t *testing.T) {
	for _, tc := range []struct {
		name    string
		breakIt func(t *testing.T, dir string)
		want    string
	}{
		{"second file is a dangling symlink", func(t *testing.T, dir string) {
			b := filepath.Join(dir, "b.conf")
			os.Remove(b)
			if err := os.Symlink("missing/b.conf", b); err != nil {
				t.Fatal(err)
			}
		}, "is a symlink to a missing file"},
		{"second file is a directory", func(t *testing.T, dir string) {
			b := filepath.Join(dir, "b.conf")
			os.Remove(b)
			if err := os.Mkdir(b, 0o755); err != nil {
				t.Fatal(err)
			}
		}, "is a directory"},
		{"a directory the config needs is a file", func(t *testing.T, dir string) {
			logs := filepath.Join(dir, "logs")
			os.Remove(logs)
			if err := os.WriteFile(logs, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}, "not a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := outdir.Write(dir, files("a1", "b1")); err != nil {
				t.Fatal(err)
			}
			tc.breakIt(t, dir)
			before := listDir(t, dir)
			_, err := outdir.Write(dir, files("a2", "b2"))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Write: %v, want an error saying %q", err, tc.want)
			}
			if got := readFile(t, filepath.Join(dir, "a.conf")); got != "a1" {
				t.Errorf("a.conf holds %q after a failed write, want a1", got)
			}
			if after := listDir(t, dir); !slices.Equal(before, after) {
				t.Errorf("directory changed from %v to %v", before, after)
			}
		})
	}
}

// TestWriteSymlinks follows a link to a file (replacing its target, keeping
// the link), writes through a symlinked directory, and refuses a dangling
// link without touching it.
func TestWriteSymlinks(t *testing.T) {
	root := t.TempDir()
	real, out := filepath.Join(root, "real"), filepath.Join(root, "out")
	for _, d := range []string{real, out} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(real, "a.conf"), []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../real/a.conf", filepath.Join(out, "a.conf")); err != nil {
		t.Fatal(err)
	}
	if _, err := outdir.Write(out, files("a2", "b2")); err != nil {
		t.Fatal(err)
	}
	if link, err := os.Readlink(filepath.Join(out, "a.conf")); err != nil || link != "../real/a.conf" {
		t.Errorf("link is %q, %v; want it kept", link, err)
	}
	fi, _ := os.Stat(filepath.Join(real, "a.conf"))
	if got := readFile(t, filepath.Join(real, "a.conf")); got != "a2" || fi.Mode().Perm() != 0o640 {
		t.Errorf("link target holds %q with mode %v, want a2 with 0640", got, fi.Mode().Perm())
	}
	if got := listDir(t, real); !slices.Equal(got, []string{"a.conf"}) {
		t.Errorf("link target directory holds %v, want only a.conf", got)
	}

	linked := filepath.Join(root, "linked")
	if err := os.Symlink("real", linked); err != nil {
		t.Fatal(err)
	}
	if _, err := outdir.Write(linked, files("a3", "b3")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(linked); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("symlinked output directory was replaced: %v", err)
	}
	if got := readFile(t, filepath.Join(real, "b.conf")); got != "b3" {
		t.Errorf("write through a symlinked directory: b.conf holds %q", got)
	}

	dangling := filepath.Join(out, "b.conf")
	os.Remove(dangling)
	if err := os.Symlink("../nowhere/b.conf", dangling); err != nil {
		t.Fatal(err)
	}
	_, err := outdir.Write(out, files("a4", "b4"))
	if err == nil || !strings.Contains(err.Error(), "b.conf is a symlink to a missing file") {
		t.Errorf("dangling symlink: %v", err)
	}
	if link, _ := os.Readlink(dangling); link != "../nowhere/b.conf" {
		t.Errorf("dangling link now points to %q", link)
	}
	if _, err := os.Stat(filepath.Join(root, "nowhere")); !os.IsNotExist(err) {
		t.Errorf("the missing target directory was created: %v", err)
	}
}

// TestFailedRenderKeepsConfig renders every target twice into one
// directory, the second time with a directory the configs need replaced
// by a file, and expects the first configs byte-identical.
func TestFailedRenderKeepsConfig(t *testing.T) {
	data, err := os.ReadFile("../testdata/clusters/cobrowse.yaml")
	if err != nil {
		t.Fatal(err)
	}
	v1, diags := validate.Load("cobrowse.yaml", data)
	if v1 == nil {
		t.Fatal(diags)
	}
	v2 := v1.Clone()
	v2.Nodes[0].Port++
	dir := t.TempDir()
	render := func(c *model.Cluster) []*generator.Output {
		var outs []*generator.Output
		for _, target := range generator.Targets {
			out, err := generator.Render(c, target, generator.Options{})
			if err != nil {
				t.Fatal(err)
			}
			outs = append(outs, out)
		}
		return outs
	}
	first := render(v1)
	if _, err := outdir.Write(dir, first); err != nil {
		t.Fatal(err)
	}
	logs := filepath.Join(dir, generator.DefaultLogDir)
	if err := os.RemoveAll(logs); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(logs, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	before := listDir(t, dir)
	if _, err := outdir.Write(dir, render(v2)); err == nil {
		t.Fatal("Write succeeded with logs a file")
	}
	for _, o := range first {
		for _, f := range o.Files {
			if got, _ := os.ReadFile(filepath.Join(dir, f.Name)); !bytes.Equal(got, f.Data) {
				t.Errorf("%s changed after a failed render", f.Name)
			}
		}
	}
	if after := listDir(t, dir); !slices.Equal(before, after) {
		t.Errorf("directory changed from %v to %v", before, after)
	}
}
