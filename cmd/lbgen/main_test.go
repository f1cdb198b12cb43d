package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/lbgen/lbgen/internal/golden"
	"github.com/lbgen/lbgen/internal/testbackend"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"lbgen": func() { os.Exit(Main()) }})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("..", "..", "testdata", "script"),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       golden.Update(),
		Setup: func(env *testscript.Env) error {
			// The work root is os.MkdirTemp's 0700; as root, render would
			// warn that nginx's workers cannot enter it.
			return os.Chmod(filepath.Dir(env.WorkDir), 0o755)
		},
		Condition: func(cond string) (bool, error) {
			if cond == "root" {
				return os.Geteuid() == 0, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			"exitcode":   cmdExitcode,
			"perm":       cmdPerm,
			"find-files": cmdFindFiles,
			"backend":    cmdBackend,
			"envsubst":   cmdEnvsubst,
			"waitfile":   cmdWaitfile,
			"get":        cmdGet,
		},
	})
}

// cmdExitcode runs a command and asserts its exact exit status:
// exitcode 3 lbgen validate -c bad.yaml
func cmdExitcode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N command [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: %v", err)
	}
	got := 0
	var exit *exec.ExitError
	switch err := ts.Exec(args[1], args[2:]...); {
	case errors.As(err, &exit):
		got = exit.ExitCode()
	case err != nil:
		ts.Fatalf("exitcode: %v", err)
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}

// cmdPerm asserts a file's permission bits: perm 0600 out/nginx.conf
func cmdPerm(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: perm MODE FILE")
	}
	want, err := strconv.ParseUint(args[0], 8, 32)
	ts.Check(err)
	fi, err := os.Stat(ts.MkAbs(args[1]))
	ts.Check(err)
	if got := fi.Mode().Perm(); got != os.FileMode(want) {
		ts.Fatalf("%s has mode %#o, want %#o", args[1], got, want)
	}
}

// cmdBackend starts local test backends for the rest of the script and
// sets NAME_PORT for each: backend CB_Server_1 CB_Server_2
func cmdBackend(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: backend NAME...")
	}
	for _, name := range args {
		b, err := testbackend.Start(testbackend.Options{Name: name})
		ts.Check(err)
		ts.Defer(func() { b.Close() })
		ts.Setenv(name+"_PORT", strconv.Itoa(b.Port()))
	}
}

// cmdEnvsubst expands $VARS in a file in place: envsubst cluster.yaml
func cmdEnvsubst(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: envsubst FILE")
	}
	path := ts.MkAbs(args[0])
	data, err := os.ReadFile(path)
	ts.Check(err)
	ts.Check(os.WriteFile(path, []byte(os.Expand(string(data), ts.Getenv)), 0o644))
}

// cmdWaitfile waits up to 10 s for a file to exist and hold a match for
// REGEXP (anything, by default).
func cmdWaitfile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: waitfile FILE [REGEXP]")
	}
	want := regexp.MustCompile(".")
	if len(args) == 2 {
		want = regexp.MustCompile(args[1])
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if data, err := os.ReadFile(ts.MkAbs(args[0])); err == nil && want.Match(data) {
			return
		}
	}
	ts.Fatalf("%s did not appear with %s", args[0], want)
}

// cmdGet sends a GET to the first address in ADDRFILE and prints the
// status and the node that answered: get addr /cobrowse/x [COOKIE]
func cmdGet(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: get ADDRFILE PATH [COOKIE]")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	addr, _, _ := strings.Cut(string(data), "\n")
	req, err := http.NewRequest("GET", "http://"+addr+args[1], nil)
	ts.Check(err)
	if len(args) == 3 {
		req.Header.Set("Cookie", args[2])
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	ts.Check(err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	ts.Check(err)
	node := "-"
	if a, err := testbackend.ParseAnswer(body); err == nil {
		node = a.Node
	}
	fmt.Fprintf(ts.Stdout(), "%d %s\n", resp.StatusCode, node)
}

// cmdFindFiles prints every file, link and directory under DIR, relative
// and with slashes, so scripts can show that nothing was left behind:
// find-files out
func cmdFindFiles(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: find-files DIR")
	}
	root := ts.MkAbs(args[0])
	ts.Check(filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, err := filepath.Rel(root, p)
		switch {
		case d.IsDir():
			rel += "/"
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			rel += " -> " + filepath.ToSlash(target)
		}
		fmt.Fprintln(ts.Stdout(), filepath.ToSlash(rel))
		return err
	}))
}
