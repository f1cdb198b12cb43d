package main

import (
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lbgen/lbgen/generator"
)

// flagName is a registered flag; its accessors panic on a name that was
// never registered on the command, which is a programming error.
type flagName string

const (
	flagConfig         flagName = "config"
	flagTarget         flagName = "target"
	flagOutput         flagName = "output"
	flagFormat         flagName = "format"
	flagCheck          flagName = "check"
	flagDiff           flagName = "diff"
	flagPreset         flagName = "preset"
	flagSnippet        flagName = "snippet"
	flagLogDir         flagName = "log-dir"
	flagRunDir         flagName = "run-dir"
	flagApacheModules  flagName = "apache-modules"
	flagApacheWSTunnel flagName = "apache-wstunnel"
	flagSkipMissing    flagName = "skip-missing"
	flagReloadCmd      flagName = "reload-cmd"
	flagMinGap         flagName = "min-gap"
	flagReloadTimeout  flagName = "reload-timeout"
)

func (f flagName) String(cmd *cobra.Command) string {
	v, err := cmd.Flags().GetString(string(f))
	if err != nil {
		panic(err)
	}
	return v
}

func (f flagName) Strings(cmd *cobra.Command) []string {
	v, err := cmd.Flags().GetStringArray(string(f))
	if err != nil {
		panic(err)
	}
	return v
}

func (f flagName) Bool(cmd *cobra.Command) bool {
	v, err := cmd.Flags().GetBool(string(f))
	if err != nil {
		panic(err)
	}
	return v
}

// addReloadFlags registers how apply and watch reload the server.
func addReloadFlags(cmd *cobra.Command) {
	cmd.Flags().String(string(flagReloadCmd), "", "command that reloads the server (run with sh -c in DIR), instead of a signal")
	cmd.Flags().Duration(string(flagReloadTimeout), 10*time.Second, "how long a reloaded server has to start its new generation and answer")
}

// reloadTimeout reads --reload-timeout.
func reloadTimeout(cmd *cobra.Command) (time.Duration, error) {
	d, err := cmd.Flags().GetDuration(string(flagReloadTimeout))
	if err != nil || d <= 0 {
		return 0, usagef("--reload-timeout must be a positive duration")
	}
	return d, nil
}

// addConfigFlag registers -c. It keeps every value given, so a command
// that reads one cluster can refuse a second -c instead of silently
// using the last one.
func addConfigFlag(cmd *cobra.Command, usage string) {
	cmd.Flags().StringArrayP(string(flagConfig), "c", nil, usage)
	cmd.MarkFlagFilename(string(flagConfig), "yaml", "yml")
}

func addTargetFlag(cmd *cobra.Command) {
	cmd.Flags().StringP(string(flagTarget), "t", "", "target: nginx, apache, haproxy, a comma-separated list, or all")
	cmd.RegisterFlagCompletionFunc(string(flagTarget), func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		names := []string{}
		for _, t := range generator.Targets {
			names = append(names, string(t))
		}
		return append(names, "all"), cobra.ShellCompDirectiveNoFileComp
	})
}

// addPlatformFlags registers the settings that are about the machine the
// config runs on rather than about the cluster, and --settings, the file
// that may hold them.
func addPlatformFlags(cmd *cobra.Command) {
	fs := pflag.NewFlagSet(cmd.Name(), pflag.ContinueOnError)
	fs.String(string(flagLogDir), generator.DefaultLogDir, "directory for log files (relative to the output directory unless absolute)")
	fs.String(string(flagRunDir), generator.DefaultRunDir, "directory for pid and runtime files (relative to the output directory unless absolute)")
	fs.String(string(flagApacheModules), generator.DefaultApacheModules, "directory of Apache's mod_*.so files (RHEL: /usr/lib64/httpd/modules)")
	fs.Bool(string(flagApacheWSTunnel), false, "proxy WebSockets with mod_proxy_wstunnel, for Apache older than 2.4.47")
	fs.VisitAll(func(f *pflag.Flag) { f.Annotations = map[string][]string{settingAnnotation: nil} })
	cmd.Flags().AddFlagSet(fs)
	cmd.Flags().String(string(flagSettings), "", "YAML file of platform settings ("+strings.Join(settingKeys(fs), ", ")+")")
	cmd.MarkFlagFilename(string(flagSettings), "yaml", "yml")
}

func settingKeys(fs *pflag.FlagSet) []string {
	var keys []string
	fs.VisitAll(func(f *pflag.Flag) { keys = append(keys, f.Name) })
	return keys
}

func platformOptions(cmd *cobra.Command, source string) generator.Options {
	return generator.Options{
		Source:         source,
		LogDir:         flagLogDir.String(cmd),
		RunDir:         flagRunDir.String(cmd),
		ApacheModules:  flagApacheModules.String(cmd),
		ApacheWSTunnel: flagApacheWSTunnel.Bool(cmd),
	}
}

// targets parses -t: one target, a comma-separated list, or all.
func targets(cmd *cobra.Command) ([]generator.Target, error) {
	spec := flagTarget.String(cmd)
	if spec == "" {
		return nil, usagef("-t is required (nginx, apache, haproxy or all)")
	}
	if spec == "all" {
		return generator.Targets, nil
	}
	var out []generator.Target
	for _, name := range strings.Split(spec, ",") {
		t, err := generator.ParseTarget(targetName(name))
		if err != nil {
			return nil, usagef("%v", err)
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

// targetAliases are the other names the Apache target goes by: its binary
// is apache2 on Debian and httpd elsewhere, and it renders httpd.conf.
var targetAliases = map[string]generator.Target{"apache2": generator.Apache, "httpd": generator.Apache}

// targetName is the target a -t name means, ignoring case and aliases.
func targetName(name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	if t, ok := targetAliases[name]; ok {
		return string(t)
	}
	return name
}

// requireConfig returns the one cluster file of a command that reads one.
func requireConfig(cmd *cobra.Command) (string, error) {
	paths := flagConfig.Strings(cmd)
	switch {
	case len(paths) == 0:
		return "", usagef("-c FILE is required (the cluster file; - reads standard input)")
	case len(paths) > 1:
		return "", usagef("%s reads one cluster file, but -c was given %d times (%s); 'lbgen validate' checks several",
			cmd.Name(), len(paths), strings.Join(paths, ", "))
	}
	return paths[0], nil
}
