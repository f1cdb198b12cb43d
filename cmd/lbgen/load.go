package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/cobra"

	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/model"
	"github.com/lbgen/lbgen/validate"
)

// readCluster reads a cluster file, or standard input for "-", and returns
// its bytes and the name findings are reported under. It reads one byte
// more than a cluster file may hold, so the size limit is reported rather
// than an endless or huge input (/dev/zero, a log file) read into memory.
func readCluster(cmd *cobra.Command, path string) ([]byte, string, error) {
	if path == "-" {
		data, err := io.ReadAll(io.LimitReader(cmd.InOrStdin(), model.MaxFileSize+1))
		if err != nil {
			return nil, "", withCode(exitFailure, fmt.Errorf("read standard input: %w", err))
		}
		return data, "<stdin>", nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, "", withCode(exitFailure, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, model.MaxFileSize+1))
	if err != nil {
		return nil, "", withCode(exitFailure, err)
	}
	return data, displayPath(path), nil
}

// displayPath shows paths as given, with forward slashes under test so
// golden output does not depend on the platform.
func displayPath(p string) string {
	if testing.Testing() {
		return filepath.ToSlash(p)
	}
	return p
}

// loadCluster reads, validates and normalises the -c file. Findings go to
// stderr; a file with errors ends the command with exit code 3.
func loadCluster(cmd *cobra.Command) (*model.Cluster, string, error) {
	path, err := requireConfig(cmd)
	if err != nil {
		return nil, "", err
	}
	data, name, err := readCluster(cmd, path)
	if err != nil {
		return nil, "", err
	}
	c, diags := validate.Load(name, data)
	printDiagnostics(cmd.ErrOrStderr(), diags)
	if c == nil {
		return nil, "", quiet(exitInvalid, "%s is invalid", name)
	}
	return c, name, nil
}

// checkTargets reports what the rendered targets cannot do with c, like
// other findings; an error there ends the command with exit code 3.
func checkTargets(cmd *cobra.Command, c *model.Cluster, ts []generator.Target) error {
	var diags []model.Diagnostic
	for _, t := range ts {
		diags = append(diags, validate.Target(c, t)...)
	}
	diags = model.SortDiagnostics(diags)
	printDiagnostics(cmd.ErrOrStderr(), diags)
	if model.HasErrors(diags) {
		return quiet(exitInvalid, "%s cannot be rendered for every target", c.File)
	}
	return nil
}

// printDiagnostics writes findings and, when any failed, how many did.
func printDiagnostics(w io.Writer, diags []model.Diagnostic) {
	printFindings(w, diags)
	if errs, _ := count(diags); errs > 0 {
		fmt.Fprintf(w, "%s; %s\n", plural(errs, "error"), explainHint)
	}
}

const explainHint = "run 'lbgen explain CODE' for details"

// printFindings writes findings as "file:line:col: severity code:
// message", each followed by its fix hint.
func printFindings(w io.Writer, diags []model.Diagnostic) {
	for _, d := range diags {
		fmt.Fprintln(w, d)
		if d.Hint != "" {
			fmt.Fprintf(w, "\tfix: %s\n", d.Hint)
		}
	}
}

// count returns how many findings are errors and how many warnings.
func count(diags []model.Diagnostic) (errs, warnings int) {
	for _, d := range diags {
		if d.Severity == model.SevError {
			errs++
		} else {
			warnings++
		}
	}
	return errs, warnings
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
