package generator

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/rogpeppe/go-internal/diff"
)

// Written reports what Write did with one file.
type Written struct {
	Path    string
	Changed bool
}

// Write puts every rendered file into dir and creates the directories the
// configs need. Each file is replaced atomically (temporary file in the
// same directory, fsync, rename), keeps the permissions of the file it
// replaces, and is not touched when its bytes are unchanged. A symlink at
// an output path is followed: the file it points to is replaced and the
// link is kept.
func Write(dir string, outs []*Output) ([]Written, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	for _, o := range outs {
		for _, d := range o.Dirs {
			if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
				return nil, err
			}
		}
	}
	var done []Written
	for _, o := range outs {
		for _, f := range o.Files {
			p := filepath.Join(dir, f.Name)
			changed, err := writeFile(p, f.Data)
			if err != nil {
				return done, err
			}
			done = append(done, Written{Path: p, Changed: changed})
		}
	}
	return done, nil
}

func writeFile(p string, data []byte) (changed bool, err error) {
	target, err := resolveLink(p)
	if err != nil {
		return false, err
	}
	perm := fs.FileMode(0o644)
	switch old, err := os.ReadFile(target); {
	case err == nil && bytes.Equal(old, data):
		return false, nil
	case err == nil:
		if fi, err := os.Stat(target); err == nil {
			perm = fi.Mode().Perm()
		}
	case !errors.Is(err, fs.ErrNotExist):
		return false, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".tmp*")
	if err != nil {
		return false, err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return false, err
	}
	if err = tmp.Sync(); err != nil {
		return false, err
	}
	if err = tmp.Chmod(perm); err != nil {
		return false, err
	}
	if err = tmp.Close(); err != nil {
		return false, err
	}
	if err = os.Rename(tmp.Name(), target); err != nil {
		return false, err
	}
	return true, nil
}

// resolveLink returns the file a path names, following symlinks, or the
// path itself when nothing exists there yet.
func resolveLink(p string) (string, error) {
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && fi.Mode()&fs.ModeSymlink == 0) {
		return p, nil
	}
	if err != nil {
		return "", err
	}
	target, err := filepath.EvalSymlinks(p)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%s is a symlink to a missing file; remove it or create its target", p)
	}
	return target, err
}

// Stale compares rendered files with dir and returns the paths that differ
// or are missing, with a unified diff of each.
func Stale(dir string, outs []*Output) (paths []string, diffs []byte, err error) {
	var buf bytes.Buffer
	for _, o := range outs {
		for _, f := range o.Files {
			p := filepath.Join(dir, f.Name)
			old, err := os.ReadFile(p)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, nil, err
			}
			if bytes.Equal(old, f.Data) {
				continue
			}
			paths = append(paths, p)
			buf.Write(diff.Diff(p, old, p+" (rendered)", f.Data))
		}
	}
	return paths, buf.Bytes(), nil
}
