package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lbgen/lbgen/model"
	"github.com/lbgen/lbgen/validate"
)

func newValidateCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "validate -c FILE [FILE...] [--format text|json]",
		Short: "Check cluster files and list every finding",
		Long: `validate decodes each cluster file strictly and lists every finding, sorted, as
file:line:col: severity code: message, with a fix hint. Warnings do not fail.
With --format json the findings are written to standard output for CI.`,
		Example: "  lbgen validate -c cluster.yaml\n  lbgen validate --format json -c cluster.yaml",
		RunE:    runValidate,
	}
	addConfigFlag(cmd)
	cmd.Flags().String(string(flagFormat), "text", "output format: text or json")
	return cmd
}

type validateReport struct {
	Valid       bool               `json:"valid"`
	Errors      int                `json:"errors"`
	Warnings    int                `json:"warnings"`
	Diagnostics []model.Diagnostic `json:"diagnostics"`
}

func runValidate(cmd *cobra.Command, args []string) error {
	format := flagFormat.String(cmd)
	if format != "text" && format != "json" {
		return usagef("--format must be text or json, not %q", format)
	}
	files := args
	if c := flagConfig.String(cmd); c != "" {
		files = append([]string{c}, args...)
	}
	if len(files) == 0 {
		return usagef("-c FILE is required (the cluster file; - reads standard input)")
	}
	report := validateReport{Diagnostics: []model.Diagnostic{}}
	invalid := 0
	for _, f := range files {
		data, name, err := readCluster(cmd, f)
		if err != nil {
			return err
		}
		c, diags := validate.Load(name, data)
		if c == nil {
			invalid++
		}
		report.Diagnostics = append(report.Diagnostics, diags...)
	}
	for _, d := range report.Diagnostics {
		if d.Severity == model.SevError {
			report.Errors++
		} else {
			report.Warnings++
		}
	}
	report.Valid = invalid == 0
	if format == "json" {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return withCode(exitFailure, err)
		}
	} else {
		printDiagnostics(cmd.ErrOrStderr(), report.Diagnostics)
		if report.Valid {
			fmt.Fprintf(cmd.OutOrStdout(), "%s valid (%s)\n", plural(len(files), "file"), plural(report.Warnings, "warning"))
		}
	}
	if !report.Valid {
		return quiet(exitInvalid, "%d of %d invalid", invalid, len(files))
	}
	return nil
}
