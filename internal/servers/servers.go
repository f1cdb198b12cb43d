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

// sbinDirs are searched after PATH: the servers live in sbin, which is not
// on an unprivileged user's PATH on Debian.
var sbinDirs = []string{"/usr/sbin", "/usr/local/sbin", "/sbin"}

// Binary returns the path of the target's server binary.
func Binary(t generator.Target) (string, error) {
	for _, name := range known[t].binaries {
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
		strings.Join(known[t].binaries, ", "), strings.Join(sbinDirs, ", "))
}

// RunArgs returns the foreground command line for a config in dir, as the
// rendered file's header documents it.
func RunArgs(t generator.Target, dir string) []string { return known[t].runArgs(dir, t.FileName()) }

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
	cmd := exec.CommandContext(ctx, bin, known[t].checkArgs(dir, name)...)
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
