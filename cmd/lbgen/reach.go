package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"

	"github.com/lbgen/lbgen/generator"
)

// nginxWorkerUser is who nginx started as root runs its workers as when
// the config names no user, as a rendered config does not.
const nginxWorkerUser = "nobody"

// warnWorkerReach warns, when lbgen runs as root, that nginx started as
// root from dir would have workers that cannot enter a directory on the
// way to the temp directories they write. nginx hands those directories to
// its workers but not the directories above them, so under a 0700 parent
// (/root) every request body larger than client_body_buffer_size gets 500.
func warnWorkerReach(w io.Writer, dir string, outs []*generator.Output) {
	if os.Geteuid() != 0 {
		return
	}
	i := slices.IndexFunc(outs, func(o *generator.Output) bool { return o.Target == generator.Nginx && len(o.Dirs) > 0 })
	if i < 0 {
		return
	}
	worker, err := user.Lookup(nginxWorkerUser)
	if err != nil {
		return
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return
	}
	// Every directory from / down to the parent of each directory the
	// config writes.
	var path []string
	for d := abs; ; d = filepath.Dir(d) {
		path = append(path, d)
		if d == filepath.Dir(d) {
			break
		}
	}
	for _, d := range outs[i].Dirs {
		if parent := filepath.Dir(filepath.Join(abs, d)); parent != abs && !slices.Contains(path, parent) {
			path = append(path, parent)
		}
	}
	for _, d := range path {
		fi, err := os.Stat(d)
		if err != nil || canEnter(fi, worker) {
			continue
		}
		fmt.Fprintf(w, "lbgen: warning: nginx started as root runs its workers as %s, who cannot enter %s (mode %#o): "+
			"request bodies over client_body_buffer_size would get 500; render where %[1]s can reach, or start nginx as the owner of %[4]s\n",
			nginxWorkerUser, d, fi.Mode().Perm(), displayPath(dir))
		return
	}
}

// canEnter reports whether u may search the directory fi describes.
func canEnter(fi fs.FileInfo, u *user.User) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	perm := fi.Mode().Perm()
	switch groups, _ := u.GroupIds(); {
	case strconv.FormatUint(uint64(st.Uid), 10) == u.Uid:
		return perm&0o100 != 0
	case slices.Contains(groups, strconv.FormatUint(uint64(st.Gid), 10)) || strconv.FormatUint(uint64(st.Gid), 10) == u.Gid:
		return perm&0o010 != 0
	}
	return perm&0o001 != 0
}
