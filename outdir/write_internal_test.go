package outdir

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/lbgen/lbgen/generator"
)

// TestWriteRenameFailureRestores fails the second rename: the first file,
// already replaced, gets its old content back and a file that did not
// exist before is removed again.
func TestWriteRenameFailureRestores(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.conf")
	if err := os.WriteFile(a, []byte("a1"), 0o600); err != nil {
		t.Fatal(err)
	}
	outs := []*generator.Output{{Files: []generator.File{{Name: "a.conf", Data: []byte("a2")}, {Name: "new.conf", Data: []byte("n")}, {Name: "c.conf", Data: []byte("c")}}}}
	renames := 0
	rename = func(from, to string) error {
		if renames++; renames == 3 {
			return errors.New("disk on fire")
		}
		return os.Rename(from, to)
	}
	defer func() { rename = os.Rename }()
	if _, err := Write(dir, outs); err == nil || err.Error() != "disk on fire" {
		t.Fatalf("Write: %v, want the rename error", err)
	}
	if got, _ := os.ReadFile(a); string(got) != "a1" {
		t.Errorf("a.conf holds %q, want its old content a1", got)
	}
	if fi, _ := os.Stat(a); fi.Mode().Perm() != 0o600 {
		t.Errorf("a.conf mode %v, want 0600", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"a.conf"}) {
		t.Errorf("directory holds %v, want only a.conf", names)
	}
}
