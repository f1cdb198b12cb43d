// Package outdir puts rendered configs into an output directory: staged,
// replaced atomically all or nothing, and compared for --check and --diff.
// Rendering itself (package generator) stays pure.
package outdir

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/rogpeppe/go-internal/diff"

	"github.com/lbgen/lbgen/generator"
)

// Written reports what Write did with one file.
type Written struct {
	Path    string
	Changed bool
}

// Write puts every rendered file into dir and creates the directories the
// configs need, all or nothing: every changed file is first staged as a
// temporary file beside its destination (written, synced, given the
// permissions of the file it replaces), and only when all are staged and
// the directories exist are they renamed into place. An error before that
// leaves every existing file untouched and removes the temporary files;
// if a rename fails, the files already renamed get their old content back.
// A file whose bytes are unchanged is not touched. A symlink at an output
// path is followed: the file it points to is replaced and the link is
// kept; a symlink to a missing file is an error.
func Write(dir string, outs []*generator.Output) ([]Written, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var (
		written []Written
		staged  []*stagedFile
	)
	defer func() {
		for _, s := range staged {
			if !s.renamed {
				os.Remove(s.tmp)
			}
		}
	}()
	for _, o := range outs {
		for _, f := range o.Files {
			p := filepath.Join(dir, f.Name)
			s, err := stage(p, f.Data)
			if err != nil {
				return nil, err
			}
			if s != nil {
				staged = append(staged, s)
			}
			written = append(written, Written{Path: p, Changed: s != nil})
		}
	}
	for _, o := range outs {
		for _, d := range o.Dirs {
			if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
				return nil, err
			}
		}
	}
	for i, s := range staged {
		if err := rename(s.tmp, s.target); err != nil {
			return nil, errors.Join(err, restore(staged[:i]))
		}
		s.renamed = true
	}
	return written, nil
}

// rename is os.Rename; tests replace it to fail a rename midway.
var rename = os.Rename

// stagedFile is a new version of target, written to tmp.
type stagedFile struct {
	tmp, target string
	existed     bool
	old         []byte
	perm        fs.FileMode
	renamed     bool
}

// stage writes data next to the file p names, or returns nil when that
// file already holds data.
func stage(p string, data []byte) (*stagedFile, error) {
	target, err := resolveLink(p)
	if err != nil {
		return nil, err
	}
	s := &stagedFile{target: target, perm: 0o644}
	switch old, err := os.ReadFile(target); {
	case err == nil && bytes.Equal(old, data):
		return nil, nil
	case err == nil:
		fi, err := os.Stat(target)
		if err != nil {
			return nil, err
		}
		s.existed, s.old, s.perm = true, old, fi.Mode().Perm()
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	if s.tmp, err = writeTemp(target, data, s.perm); err != nil {
		return nil, err
	}
	return s, nil
}

// writeTemp writes data to a new temporary file in the directory of
// target, so a rename onto target is atomic, and returns its name.
func writeTemp(target string, data []byte, perm fs.FileMode) (name string, err error) {
	tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".tmp*")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return "", err
	}
	if err = tmp.Sync(); err != nil {
		return "", err
	}
	if err = tmp.Chmod(perm); err != nil {
		return "", err
	}
	if err = tmp.Close(); err != nil {
		return "", err
	}
	return tmp.Name(), nil
}

// restore puts back what renamed files held before, removing those that
// did not exist.
func restore(renamed []*stagedFile) error {
	var errs []error
	for _, s := range renamed {
		if !s.existed {
			errs = append(errs, os.Remove(s.target))
			continue
		}
		tmp, err := writeTemp(s.target, s.old, s.perm)
		if err == nil {
			if err = rename(tmp, s.target); err != nil {
				os.Remove(tmp)
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("could not restore %s: %w", s.target, err))
		}
	}
	return errors.Join(errs...)
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
func Stale(dir string, outs []*generator.Output) (paths []string, diffs []byte, err error) {
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
