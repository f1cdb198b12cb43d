package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/internal/sandbox"
	"github.com/lbgen/lbgen/internal/servers"
	"github.com/lbgen/lbgen/outdir"
)

func newCheckCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "check -c FILE -t TARGET",
		Short: "Render into a temporary directory and run the real server's syntax check",
		Long: `check renders each target into a temporary directory and runs the real server's
own check on it: nginx -t, apache2 -t (or httpd -t) and haproxy -c. Warnings
count as failures. Because the servers bind their listeners and load their
certificates while checking, listen addresses are replaced by free loopback
ports and missing certificate files by a throwaway self-signed pair; the
command says when it did so.

Exit code 5 means a server rejected a configuration; a missing server binary
is an error (exit 1) unless --skip-missing is given.`,
		Example: "  lbgen check -c cluster.yaml -t all",
		Args:    noArgs,
		RunE:    runCheck,
	}
	addConfigFlag(cmd, "cluster file (- reads standard input)")
	addTargetFlag(cmd)
	cmd.Flags().Bool(string(flagSkipMissing), false, "report a target whose server is not installed as skipped instead of failing")
	addPlatformFlags(cmd)
	return cmd
}

func runCheck(cmd *cobra.Command, _ []string) error {
	ts, err := targets(cmd)
	if err != nil {
		return err
	}
	c, source, err := loadCluster(cmd)
	if err != nil {
		return err
	}
	if err := checkTargets(cmd, c, ts); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "lbgen-check-")
	if err != nil {
		return withCode(exitFailure, err)
	}
	defer os.RemoveAll(tmp)
	checked, notes, err := sandbox.ForCheck(c, tmp)
	if err != nil {
		return withCode(exitFailure, err)
	}
	for _, n := range notes {
		fmt.Fprintf(cmd.ErrOrStderr(), "note: %s\n", n)
	}
	soft, hard, limitErr := hostFileLimit()
	if limitErr != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "note: %v; not compared with what the servers need\n", limitErr)
	}
	rejected, missing := 0, 0
	for _, t := range ts {
		out, err := generator.Render(checked, t, platformOptions(cmd, source))
		if err != nil {
			return withCode(exitFailure, err)
		}
		if limitErr == nil {
			if w := fileLimitWarning(out, c.MaxConnections, soft, hard); w != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", w)
			}
		}
		dir, err := os.MkdirTemp(tmp, string(t)+"-")
		if err != nil {
			return withCode(exitFailure, err)
		}
		if _, err := outdir.Write(dir, []*generator.Output{out}); err != nil {
			return withCode(exitFailure, err)
		}
		_, err = servers.Check(cmd.Context(), t, dir)
		var rej *servers.CheckError
		switch {
		case errors.Is(err, servers.ErrNotInstalled):
			missing++
			fmt.Fprintf(cmd.OutOrStdout(), "%s: skipped\n", t)
			fmt.Fprintf(cmd.ErrOrStderr(), "lbgen: %v\n", err)
		case errors.As(err, &rej):
			rejected++
			fmt.Fprintf(cmd.OutOrStdout(), "%s: rejected\n", t)
			// The temporary directory is gone when the user reads this.
			fmt.Fprintln(cmd.ErrOrStderr(), strings.TrimRight(strings.ReplaceAll(rej.Output, dir+"/", ""), "\n"))
			if len(rej.Warnings) > 0 {
				// The server's own last words may be "test is successful".
				fmt.Fprintf(cmd.ErrOrStderr(), "lbgen: %s: rejected because of %s above: lbgen check counts warnings as failures\n",
					t, plural(len(rej.Warnings), "warning"))
			}
		case err != nil:
			return withCode(exitFailure, err)
		default:
			fmt.Fprintf(cmd.OutOrStdout(), "%s: ok\n", t)
		}
	}
	switch {
	case rejected > 0:
		return quiet(exitRejected, "rejected")
	case missing > 0 && !flagSkipMissing.Bool(cmd):
		return quiet(exitFailure, "missing")
	}
	return nil
}

// fileLimitWarning says when the host's open-file limit is below what one
// process of the rendered server needs for max clients: the hard limit
// for servers that raise their own soft limit, the soft limit for Apache.
// Rendering never reads host limits; only check compares.
func fileLimitWarning(out *generator.Output, max int, soft, hard uint64) string {
	limit, kind := soft, "soft limit, which Apache keeps"
	if out.RaisesLimit {
		limit, kind = hard, "hard limit"
	}
	if uint64(out.OpenFiles) <= limit {
		return ""
	}
	return fmt.Sprintf("%s needs up to %d open files per process for max_connections %d, and this host allows %d (%s): "+
		"raise it where the server runs (docs/capacity.md, \"Open-file limit\") or it holds fewer connections", out.Target, out.OpenFiles, max, limit, kind)
}
