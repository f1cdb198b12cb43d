package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"

	"github.com/lbgen/lbgen/model"
)

const flagSettings flagName = "settings"

// settingAnnotation marks the flags a settings file may set: the platform
// settings, which are about the machine a config runs on.
const settingAnnotation = "lbgen-setting"

// loadSettings fills flags the user did not set from LBGEN_* environment
// variables and the --settings file, in that order of precedence. Viper
// handles CLI settings only; it never reads cluster files.
func loadSettings(cmd *cobra.Command, _ []string) error {
	v := viper.New()
	v.SetEnvPrefix("LBGEN")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	if cmd.Flags().Lookup(string(flagSettings)) != nil {
		file := flagSettings.String(cmd)
		if file == "" {
			file = v.GetString(string(flagSettings)) // LBGEN_SETTINGS
		}
		if file != "" {
			values, err := readSettings(cmd, file)
			if err != nil {
				return err
			}
			if err := v.MergeConfigMap(values); err != nil {
				return withCode(exitFailure, err)
			}
		}
	}
	var err error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || f.Name == "help" || f.Name == "version" || !v.IsSet(f.Name) {
			return
		}
		// Settings file values are checked already, so a bad value here
		// comes from the environment.
		value := v.GetString(f.Name)
		if f.Value.Type() == "bool" {
			b, ok := model.ParseBool(value)
			if !ok {
				err = usagef("%s must be true or false, not %q", envName(f.Name), value)
				return
			}
			value = fmt.Sprint(b)
		}
		if serr := cmd.Flags().Set(f.Name, value); serr != nil {
			err = usagef("%s: %v", envName(f.Name), serr)
		}
	})
	return err
}

func envName(flag string) string {
	return "LBGEN_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// readSettings reads a settings file as strictly as a cluster file: every
// key must be a setting of the command, given once, with a value of its
// type; each problem is reported as file:line:col.
func readSettings(cmd *cobra.Command, path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, withCode(exitFailure, fmt.Errorf("settings file: %w", err))
	}
	name := displayPath(path)
	root, diags := model.ParseMapping(name, data)
	var problems []string
	for _, d := range diags {
		problems = append(problems, fmt.Sprintf("%s:%d:%d: %s", d.File, d.Line, d.Col, d.Message))
	}
	var known []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if _, ok := f.Annotations[settingAnnotation]; ok {
			known = append(known, f.Name)
		}
	})
	values := map[string]any{}
	seen := map[string]int{}
	for i := 0; root != nil && i+1 < len(root.Content); i += 2 {
		k, val := root.Content[i], root.Content[i+1]
		problem := func(n *yaml.Node, format string, args ...any) {
			problems = append(problems, fmt.Sprintf("%s:%d:%d: %s", name, n.Line, n.Column, fmt.Sprintf(format, args...)))
		}
		switch line, dup := seen[k.Value]; {
		case k.Kind != yaml.ScalarNode:
			problem(k, "keys must be plain names")
		case !slices.Contains(known, k.Value):
			problem(k, "unknown setting %s; %s", model.Quote(k.Value), model.SuggestKey(k.Value, known))
		case dup:
			problem(k, "%s is already set at line %d", k.Value, line)
		case val.Kind != yaml.ScalarNode || val.ShortTag() == "!!null":
			problem(val, "%s needs a single value", k.Value)
		case cmd.Flags().Lookup(k.Value).Value.Type() == "bool":
			b, ok := model.ParseBool(val.Value)
			if !ok {
				problem(val, "%s must be true or false, not %s", k.Value, model.Quote(val.Value))
				break
			}
			values[k.Value] = fmt.Sprint(b)
		default:
			values[k.Value] = val.Value
		}
		seen[k.Value] = k.Line
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(cmd.ErrOrStderr(), p)
		}
		return nil, usagef("settings file %s is invalid", name)
	}
	return values, nil
}
