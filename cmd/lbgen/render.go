package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/model"
	"github.com/lbgen/lbgen/outdir"
)

func newRenderCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "render -c FILE -t TARGET [-o DIR|-] [--check] [--diff]",
		Short: "Write the load-balancer configuration for one or more targets",
		Long: `render writes nginx.conf, httpd.conf or haproxy.cfg into the output directory,
creating the log, run and temp directories the config needs. Files are
replaced atomically and only when their content changes, all or nothing:
every file is staged before any is replaced, so nothing changes when the
cluster file has errors or any file cannot be written. A symlink at an
output path is followed and kept.

With --check nothing is written: stale or missing files are listed and the
exit code is 4; this is the gate for CI. --diff prints what would change,
writes nothing and exits 0, like gofmt -d; --check --diff does both.`,
		Example: `  lbgen render -c cluster.yaml -t nginx -o out/
  lbgen render -c cluster.yaml -t all -o out/ --check
  lbgen render -c cluster.yaml -t haproxy -o -`,
		Args: noArgs,
		RunE: runRender,
	}
	addConfigFlag(cmd, "cluster file (- reads standard input)")
	addTargetFlag(cmd)
	cmd.Flags().StringP(string(flagOutput), "o", "-", "output directory, or - for standard output")
	cmd.Flags().Bool(string(flagCheck), false, "compare with the files in the output directory; exit 4 when they differ")
	cmd.Flags().Bool(string(flagDiff), false, "print a unified diff against the files in the output directory (exits 0; add --check to fail)")
	cmd.Flags().Bool(string(flagSnippet), false, "render only what goes into an existing installation (no global sections)")
	addPlatformFlags(cmd)
	return cmd
}

func runRender(cmd *cobra.Command, _ []string) error {
	ts, err := targets(cmd)
	if err != nil {
		return err
	}
	dir := flagOutput.String(cmd)
	check, showDiff := flagCheck.Bool(cmd), flagDiff.Bool(cmd)
	if (check || showDiff) && dir == "-" {
		return usagef("--check and --diff compare with an output directory: give -o DIR")
	}
	c, source, err := loadCluster(cmd)
	if err != nil {
		return err
	}
	if err := checkTargets(cmd, c, ts); err != nil {
		return err
	}
	opts := platformOptions(cmd, source)
	opts.Snippet = flagSnippet.Bool(cmd)
	outs, err := renderTargets(c, ts, opts)
	if err != nil {
		return err
	}
	switch {
	case check || showDiff:
		return compare(cmd, dir, outs, check, showDiff)
	case dir == "-":
		return printOutputs(cmd, outs)
	}
	written, err := outdir.Write(dir, outs)
	if err != nil {
		return withCode(exitFailure, fmt.Errorf("write %s: %w", dir, err))
	}
	for _, w := range written {
		state := "unchanged"
		if w.Changed {
			state = "written"
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", displayPath(w.Path), state)
	}
	warnWorkerReach(cmd.ErrOrStderr(), dir, outs)
	return nil
}

func renderTargets(c *model.Cluster, ts []generator.Target, opts generator.Options) ([]*generator.Output, error) {
	var outs []*generator.Output
	for _, t := range ts {
		out, err := generator.Render(c, t, opts)
		if err != nil {
			return nil, withCode(exitFailure, err)
		}
		outs = append(outs, out)
	}
	return outs, nil
}

func printOutputs(cmd *cobra.Command, outs []*generator.Output) error {
	w := cmd.OutOrStdout()
	for i, o := range outs {
		for _, f := range o.Files {
			if len(outs) > 1 {
				if i > 0 {
					fmt.Fprintln(w)
				}
				fmt.Fprintf(w, "==> %s <==\n", f.Name)
			}
			if _, err := w.Write(f.Data); err != nil {
				return withCode(exitFailure, err)
			}
		}
	}
	return nil
}

func compare(cmd *cobra.Command, dir string, outs []*generator.Output, check, showDiff bool) error {
	stale, diffs, err := outdir.Stale(dir, outs)
	if err != nil {
		return withCode(exitFailure, err)
	}
	if showDiff {
		cmd.OutOrStdout().Write(diffs)
	}
	if !check {
		if len(stale) > 0 {
			// --diff is for reading; a CI job that runs it alone would pass.
			fmt.Fprintf(cmd.ErrOrStderr(), "lbgen: %s out of date; --diff does not fail, --check exits 4\n", plural(len(stale), "file"))
		}
		return nil
	}
	for _, p := range stale {
		fmt.Fprintln(cmd.OutOrStdout(), displayPath(filepath.Clean(p)))
	}
	if len(stale) > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "lbgen: %s out of date; render without --check to update\n", plural(len(stale), "file"))
		return quiet(exitDrift, "stale")
	}
	return nil
}
