package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
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
	root.PersistentFlags().String(flagSettings, "", "settings file (YAML) with default flag values")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usagef("%v", err) })
	root.AddCommand(newInitCmd(), newValidateCmd(), newRenderCmd(), newCheckCmd(),
		newProxyCmd(), newParityCmd(), newExplainCmd(), newVersionCmd(), newCompletionCmd())
	return root
}

const flagSettings = "settings"

// loadSettings fills flags the user did not set from LBGEN_* environment
// variables and the optional settings file, in that order of precedence.
// Viper handles CLI settings only; it never reads cluster files.
func loadSettings(cmd *cobra.Command, _ []string) error {
	v := viper.New()
	v.SetEnvPrefix("LBGEN")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	if file, _ := cmd.Flags().GetString(flagSettings); file != "" {
		v.SetConfigFile(file)
		if err := v.ReadInConfig(); err != nil {
			return withCode(exitUsage, fmt.Errorf("settings file: %w", err))
		}
	}
	var err error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || f.Name == "help" || f.Name == "version" || !v.IsSet(f.Name) {
			return
		}
		if serr := cmd.Flags().Set(f.Name, v.GetString(f.Name)); serr != nil {
			err = usagef("setting %s from the environment or settings file: %v", f.Name, serr)
		}
	})
	return err
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
