package main

import (
	"embed"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lbgen/lbgen/model"
)

//go:embed starters/*.yaml
var starters embed.FS

func newInitCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "init [--preset cobrowse|gwe|generic]",
		Short:   "Print a commented starter cluster file",
		Example: "  lbgen init --preset cobrowse > cluster.yaml",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			preset := flagPreset.String(cmd)
			if _, ok := model.LookupPreset(preset); !ok {
				return usagef("unknown preset %q (use %s)", preset, strings.Join(model.PresetNames(), ", "))
			}
			data, err := starters.ReadFile("starters/" + preset + ".yaml")
			if err != nil {
				return withCode(exitFailure, err)
			}
			_, err = cmd.OutOrStdout().Write(data)
			return withCode(exitFailure, err)
		},
	}
	cmd.Flags().String(string(flagPreset), "cobrowse", "preset: "+strings.Join(model.PresetNames(), ", "))
	cmd.RegisterFlagCompletionFunc(string(flagPreset), func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return model.PresetNames(), cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}
