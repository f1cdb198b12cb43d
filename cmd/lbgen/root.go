package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

// Main runs lbgen with os.Args and returns the process exit code.
func Main() int {
	root := newRootCmd()
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if !ee.quiet {
			fmt.Fprintln(root.ErrOrStderr(), "lbgen:", ee.err)
		}
		return ee.code
	}
	// Every RunE error is an exitError, so anything else is cobra's own
	// complaint about the command line.
	fmt.Fprintf(root.ErrOrStderr(), "lbgen: %v\nRun 'lbgen --help' for usage.\n", err)
	return exitUsage
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "lbgen",
		Short: "Render sticky-session load-balancer configs for nginx, Apache and HAProxy",
		Long: `lbgen turns one cluster file (YAML, version 1) into load-balancer configuration for
nginx, Apache httpd (mod_proxy_balancer) and HAProxy, checks it with the real
servers, and runs a built-in reference proxy that implements the same routing.`,
		Version:           version(),
		SilenceUsage:      true,
		SilenceErrors:     true,
		PersistentPreRunE: loadSettings,
	}
	root.SetVersionTemplate("lbgen {{.Version}}\n") // as `lbgen version` prints it
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usagef("%v", err) })
	root.AddCommand(newInitCmd(), newValidateCmd(), newRenderCmd(), newCheckCmd(),
		newImportCmd(), newApplyCmd(), newWatchCmd(), newProxyCmd(), newParityCmd(), newExplainCmd(), newSchemaCmd(), newVersionCmd(), newCompletionCmd())
	return root
}

// noArgs rejects positional arguments as a usage error. A command that
// reads a cluster file says how to name it, since a file given without
// -c would otherwise look checked.
func noArgs(cmd *cobra.Command, args []string) error {
	switch {
	case len(args) == 0:
		return nil
	case cmd.Flags().Lookup(string(flagConfig)) != nil:
		return usagef("unexpected argument %q: %s reads one cluster file, given with -c", args[0], cmd.Name())
	}
	return usagef("unexpected argument %q", args[0])
}
