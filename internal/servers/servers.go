// Package servers runs the real nginx, Apache httpd and HAProxy binaries on
// rendered configs: syntax checks and foreground processes.
package servers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/lbgen/lbgen/generator"
)

// ErrNotInstalled is returned when a target's server binary is missing.
var ErrNotInstalled = errors.New("not installed")

// binaries lists the names each target's server goes by, in order of
// preference (Debian names Apache apache2, other systems httpd).
var binaries = map[generator.Target][]string{
	generator.Nginx:   {"nginx"},
	generator.Apache:  {"apache2", "httpd"},
	generator.HAProxy: {"haproxy"},
}

// sbinDirs are searched after PATH: the servers live in sbin, which is not
// on an unprivileged user's PATH on Debian.
var sbinDirs = []string{"/usr/sbin", "/usr/local/sbin", "/sbin"}

// Binary returns the path of the target's server binary.
func Binary(t generator.Target) (string, error) {
	for _, name := range binaries[t] {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
		for _, dir := range sbinDirs {
			p := filepath.Join(dir, name)
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("%s: %s (looked for %s on PATH and in %s)", t, ErrNotInstalled,
		strings.Join(binaries[t], ", "), strings.Join(sbinDirs, ", "))
}

// checkArgs returns the syntax-check command line for the config file
// name in dir, checked as it runs from dir.
func checkArgs(t generator.Target, dir, name string) []string {
	switch t {
	case generator.Apache:
		return []string{"-d", dir, "-f", filepath.Join(dir, name), "-t"}
	case generator.HAProxy:
		return []string{"-c", "-f", filepath.Join(dir, name)}
	}
	return []string{"-t", "-p", dir + "/", "-c", name, "-e", "stderr"}
}

// RunArgs returns the foreground command line for a config in dir, as the
// rendered file's header documents it.
func RunArgs(t generator.Target, dir string) []string {
	switch t {
	case generator.Apache:
		return []string{"-d", dir, "-f", filepath.Join(dir, t.FileName()), "-DFOREGROUND"}
	case generator.HAProxy:
		return []string{"-f", filepath.Join(dir, t.FileName()), "-db"}
	}
	global := "daemon off;"
	if os.Geteuid() == 0 {
		// As root nginx runs workers as nobody, who cannot enter a
		// directory under a 0700 parent such as os.MkdirTemp's; keep them
		// as the directory's owner.
		global += " user root;"
	}
	return []string{"-p", dir + "/", "-c", t.FileName(), "-e", "stderr", "-g", global}
}

// warning matches output that must fail a check although the binary
// exits 0: HAProxy warnings, and Apache skipping a LoadModule line for a
// module already loaded (the config then fails at run time).
var warning = regexp.MustCompile(`(?m)^\[WARNING\].*$|^.*\[warn\].*$|^.*AH01574.*$`)

// CheckError is a rejection by the real server, with its output.
type CheckError struct {
	Target generator.Target
	Output string
	// Warnings are the lines that failed a check the binary passed.
	Warnings []string
}

func (e *CheckError) Error() string {
	return fmt.Sprintf("%s rejected the configuration:\n%s", e.Target, strings.TrimRight(e.Output, "\n"))
}

// Check runs the target's syntax check on the config rendered into dir.
// Warnings count as failures.
func Check(ctx context.Context, t generator.Target, dir string) (string, error) {
	return CheckFile(ctx, t, dir, t.FileName())
}

// CheckFile is Check on the config file name in dir, such as a new
// config staged beside the live one, so that paths in it resolve as they
// will when it is live.
func CheckFile(ctx context.Context, t generator.Target, dir, name string) (string, error) {
	bin, err := Binary(t)
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, bin, checkArgs(t, dir, name)...)
	cmd.Env = serverEnv()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	text := out.String()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return text, &CheckError{Target: t, Output: text}
	case err != nil:
		return text, fmt.Errorf("run %s: %w", bin, err)
	case warning.MatchString(text):
		return text, &CheckError{Target: t, Output: text, Warnings: warning.FindAllString(text, -1)}
	}
	return text, nil
}

// serverEnv is a minimal environment, so a check does not depend on the
// caller's (Debian's apache2 would otherwise read APACHE_* variables).
func serverEnv() []string {
	return []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C"}
}
