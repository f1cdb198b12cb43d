package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"

	"github.com/lbgen/lbgen/model"
	"github.com/lbgen/lbgen/validate"
)

func newValidateCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "validate -c FILE [-c FILE]... [FILE...] [--format text|json|sarif|github]",
		Short: "Check cluster files and list every finding",
		Long: `validate decodes each cluster file strictly and lists every finding, sorted, as
file:line:col: severity code: message, with a fix hint, on standard error.
Warnings do not fail. Every file named, with -c or as an argument, is checked.

When every file is valid, a summary goes to standard output; otherwise the
summary follows the findings on standard error, and with several files it
names each file and how it fared. Exit code 3 means a file is invalid, 1 that
a file could not be read.

With --format json a single JSON document goes to standard output whatever
happens, for CI: the findings, a result per file, and the error that stopped
a file or the command from being checked. --format sarif writes the same as
SARIF 2.1.0 for code scanning (GitHub, GitLab and others), with every lint
code as a rule; --format github writes GitHub Actions workflow commands, so
each finding shows on its line of a pull request. The exit code is the same
in every format.`,
		Example: "  lbgen validate -c cluster.yaml\n  lbgen validate --format json -c cluster.yaml\n  lbgen validate --format sarif clusters/*.yaml > lbgen.sarif\n  lbgen validate clusters/*.yaml",
		RunE:    runValidate,
	}
	addConfigFlag(cmd, "cluster file (- reads standard input); repeatable")
	cmd.Flags().String(string(flagFormat), "text", "output format: text, json, sarif or github")
	return cmd
}

type validateReport struct {
	Valid       bool               `json:"valid"`
	Errors      int                `json:"errors"`
	Warnings    int                `json:"warnings"`
	Files       []fileResult       `json:"files"`
	Diagnostics []model.Diagnostic `json:"diagnostics"`
	// Error is why the command checked nothing (a usage error).
	Error string `json:"error,omitempty"`
}

type fileResult struct {
	File     string `json:"file"`
	Valid    bool   `json:"valid"`
	Errors   int    `json:"errors"`
	Warnings int    `json:"warnings"`
	// Error is why the file could not be read.
	Error string `json:"error,omitempty"`
}

func runValidate(cmd *cobra.Command, args []string) error {
	format := flagFormat.String(cmd)
	if !slices.Contains([]string{"text", "json", formatSARIF, formatGitHub}, format) {
		return usagef("--format must be text, json, sarif or github, not %q", format)
	}
	files := uniq(slices.Concat(flagConfig.Strings(cmd), args))
	report := validateReport{Files: []fileResult{}, Diagnostics: []model.Diagnostic{}}
	if len(files) == 0 {
		err := usagef("-c FILE is required (the cluster file; - reads standard input)")
		if format != "text" {
			report.Error = err.Error()
			return writeReport(cmd, format, report, err)
		}
		return err
	}
	text := format == "text"
	unread := 0
	for _, f := range files {
		data, name, err := readCluster(cmd, f)
		if err != nil {
			unread++
			report.Files = append(report.Files, fileResult{File: displayPath(f), Error: err.Error()})
			fmt.Fprintln(cmd.ErrOrStderr(), "lbgen:", err)
			continue
		}
		c, diags := validate.Load(name, data)
		errs, warnings := count(diags)
		report.Files = append(report.Files, fileResult{File: name, Valid: c != nil, Errors: errs, Warnings: warnings})
		report.Diagnostics = append(report.Diagnostics, diags...)
		report.Errors += errs
		report.Warnings += warnings
		if text {
			printFindings(cmd.ErrOrStderr(), diags)
		}
	}
	report.Valid = !slices.ContainsFunc(report.Files, func(f fileResult) bool { return !f.Valid })
	var result error
	switch {
	case unread > 0:
		result = quiet(exitFailure, "%s not read", plural(unread, "file"))
	case !report.Valid:
		result = quiet(exitInvalid, "invalid")
	}
	switch {
	case !text:
		return writeReport(cmd, format, report, result)
	case report.Valid:
		fmt.Fprintf(cmd.OutOrStdout(), "%s valid (%s)\n", plural(len(files), "file"), plural(report.Warnings, "warning"))
	case len(files) > 1:
		printSummary(cmd.ErrOrStderr(), report)
	case report.Errors > 0:
		fmt.Fprintf(cmd.ErrOrStderr(), "%s; %s\n", plural(report.Errors, "error"), explainHint)
	}
	return result
}

// writeReport writes the report in a format CI reads whatever the
// outcome, and ends the command with result.
func writeReport(cmd *cobra.Command, format string, report validateReport, result error) error {
	var err error
	switch format {
	case formatSARIF:
		err = writeSARIF(cmd.OutOrStdout(), report)
	case formatGitHub:
		writeGitHub(cmd.OutOrStdout(), report)
	default:
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		err = enc.Encode(report)
	}
	if err != nil {
		return withCode(exitFailure, err)
	}
	return result
}

// printSummary says how each of several files fared, so a run that fails
// still shows which files passed and what warnings they had.
func printSummary(w io.Writer, report validateReport) {
	failed := 0
	for _, f := range report.Files {
		switch {
		case f.Error != "":
			failed++
			fmt.Fprintf(w, "%s: not read\n", f.File)
		case f.Valid:
			fmt.Fprintf(w, "%s: valid (%s)\n", f.File, plural(f.Warnings, "warning"))
		default:
			failed++
			fmt.Fprintf(w, "%s: invalid (%s, %s)\n", f.File, plural(f.Errors, "error"), plural(f.Warnings, "warning"))
		}
	}
	fmt.Fprintf(w, "%d of %s failed (%s, %s); %s\n", failed, plural(len(report.Files), "file"),
		plural(report.Errors, "error"), plural(report.Warnings, "warning"), explainHint)
}

// uniq drops repeated names, so a file named twice (or standard input,
// which can be read only once) is checked once.
func uniq(files []string) []string {
	var out []string
	for _, f := range files {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}
