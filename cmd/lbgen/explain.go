package main

import (
	"fmt"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lbgen/lbgen/importer"
	"github.com/lbgen/lbgen/validate"
)

func newExplainCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "explain [CODE]",
		Short:   "Explain a lint or import code, or list them all",
		Example: "  lbgen explain L-cookie-name\n  lbgen explain",
		Args:    cobra.MaximumNArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			var codes []string
			for _, l := range allCodes() {
				codes = append(codes, l.Code)
			}
			return codes, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			w := cmd.OutOrStdout()
			if len(args) == 0 {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				for _, l := range allCodes() {
					fmt.Fprintf(tw, "%s\t%s\t%s\n", l.Code, l.SeverityText(), l.Title)
				}
				return withCode(exitFailure, tw.Flush())
			}
			l, ok := validate.Explain(args[0])
			if !ok {
				l, ok = importer.Explain(args[0])
			}
			if !ok {
				return usagef("unknown lint code %q; run 'lbgen explain' for the list", args[0])
			}
			fmt.Fprintf(w, "%s (%s): %s\n\n%s\n", l.Code, l.SeverityText(), l.Title, l.Explain)
			return nil
		},
	}
}

// allCodes lists validation's lint codes, then import's.
func allCodes() []validate.Lint { return slices.Concat(validate.Lints, importer.Codes) }
