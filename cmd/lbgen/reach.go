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
	"github.com/lbgen/lbgen/internal/servers"
)

// warnWorkerReach warns, when lbgen runs as root, that a server started
// as root from dir would have workers that cannot enter a directory on the
// way to the temp directories they write. nginx hands those directories to
// its workers but not the directories above them, so under a 0700 parent
// (/root) every request body larger than client_body_buffer_size gets 500.
func warnWorkerReach(w io.Writer, dir string, outs []*generator.Output) {
	if os.Geteuid() != 0 {
		return
	}
	i := slices.IndexFunc(outs, func(o *generator.Output) bool {
		return servers.RootWorkerUser(o.Target) != "" && len(o.Dirs) > 0
	})
	if i < 0 {
		return
	}
	workerUser := servers.RootWorkerUser(outs[i].Target)
	worker, err := user.Lookup(workerUser)
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
		fmt.Fprintf(w, "lbgen: warning: %[5]s started as root runs its workers as %[1]s, who cannot enter %[2]s (mode %#[3]o): "+
			"request bodies over client_body_buffer_size would get 500; render where %[1]s can reach, or start %[5]s as the owner of %[4]s\n",
			workerUser, d, fi.Mode().Perm(), displayPath(dir), outs[i].Target)
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
