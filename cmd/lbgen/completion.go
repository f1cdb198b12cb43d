package main

import (
	"github.com/spf13/cobra"
)

func newCompletionCmd() *cobra.Command {
	return &cobra.Command{
		Use:       "completion bash|zsh|fish|powershell",
		Short:     "Print a shell completion script",
		Example:   "  source <(lbgen completion bash)",
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("completion needs one shell: bash, zsh, fish or powershell")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			var err error
			switch args[0] {
			case "bash":
				err = cmd.Root().GenBashCompletionV2(out, true)
			case "zsh":
				err = cmd.Root().GenZshCompletion(out)
			case "fish":
				err = cmd.Root().GenFishCompletion(out, true)
			case "powershell":
				err = cmd.Root().GenPowerShellCompletionWithDesc(out)
			default:
				return usagef("unknown shell %q: use bash, zsh, fish or powershell", args[0])
			}
			return withCode(exitFailure, err)
		},
	}
}
