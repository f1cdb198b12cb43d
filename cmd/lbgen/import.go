package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/importer"
	"github.com/lbgen/lbgen/outdir"
)

func newImportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import -f nginx|apache|haproxy FILE [-o cluster.yaml]",
		Short: "Read an existing load-balancer config into a cluster file",
		Long: `import reads an nginx, Apache httpd or HAProxy config (a whole file or a snippet
such as the content of http {}; include files are followed when they exist)
and writes the cluster file that describes it, to standard output or to -o.
Every value carries a comment naming the line it was read from.

Findings go to standard error as file:line:col: severity code: message, with
a fix hint: what the config gets wrong (failover that waits for the connect
timeout on every request, no keep-alive to the nodes, a URI rebuilt from the
decoded path, a misspelt cookie, a wrong LoadModule line, an open
balancer-manager, ...) and every directive the cluster file has no place for.

Exit code 0 means a cluster file was written (warnings may remain), 3 that
the config cannot be read as a sticky cluster, with the reason.`,
		Example: "  lbgen import -f nginx /etc/nginx/nginx.conf -o cluster.yaml\n  lbgen import -f apache httpd.conf | lbgen render -c - -t apache --diff -o /etc/apache2",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			target, err := generator.ParseTarget(flagFormat.String(cmd))
			if err != nil {
				return usagef("-f: %v", err)
			}
			r, err := importer.Import(target, args[0], importer.Disk{})
			if err != nil {
				return withCode(exitFailure, err)
			}
			printDiagnostics(cmd.ErrOrStderr(), r.Findings)
			if r.YAML == nil {
				return quiet(exitInvalid, "%s: nothing imported", args[0])
			}
			out := flagOutput.String(cmd)
			if out == "" || out == "-" {
				_, err := cmd.OutOrStdout().Write(r.YAML)
				return withCode(exitFailure, err)
			}
			file := []generator.File{{Name: filepath.Base(out), Data: r.YAML}}
			if _, err := outdir.Write(filepath.Dir(out), []*generator.Output{{Files: file}}); err != nil {
				return withCode(exitFailure, err)
			}
			errs, warnings := count(r.Findings)
			fmt.Fprintf(cmd.ErrOrStderr(), "%s: wrote %s (%s, %s)\n", args[0], out, plural(errs, "error"), plural(warnings, "warning"))
			return nil
		},
	}
	cmd.Flags().StringP(string(flagFormat), "f", "", "the config's server: nginx, apache or haproxy (required)")
	cmd.Flags().StringP(string(flagOutput), "o", "", "write the cluster file here instead of standard output")
	cmd.MarkFlagRequired(string(flagFormat))
	cmd.RegisterFlagCompletionFunc(string(flagFormat), func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"nginx", "apache", "haproxy"}, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}
