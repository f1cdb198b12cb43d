package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// buildVersion is set with -ldflags "-X main.buildVersion=v1.2.3".
var buildVersion string

// version is what `lbgen version` and `lbgen --version` print.
func version() string {
	info, _ := debug.ReadBuildInfo()
	return describeBuild(buildVersion, info)
}

// describeBuild names the version (from -ldflags, else the module version
// go build records) and the VCS revision the binary was built from, so a
// plain `go build ./cmd/lbgen` says where it came from.
func describeBuild(ldflagsVersion string, info *debug.BuildInfo) string {
	v := ldflagsVersion
	var revision, modified string
	if info != nil {
		if v == "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
	}
	if v == "" {
		v = "devel"
	}
	if revision == "" {
		return v
	}
	revision = revision[:min(len(revision), 12)]
	if modified == "true" {
		revision += ", modified"
	}
	return fmt.Sprintf("%s (commit %s)", v, revision)
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the lbgen version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "lbgen %s\n", version())
			return withCode(exitFailure, err)
		},
		ValidArgsFunction: cobra.NoFileCompletions,
	}
}
