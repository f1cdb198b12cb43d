package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/lbgen/lbgen/internal/golden"
)

// cliDocs is where the command reference lives, one page per command.
var cliDocs = filepath.Join("..", "..", "docs", "cli")

// TestCLIReference keeps docs/cli, generated from the commands themselves,
// in step with them: a renamed flag or a new command fails here until the
// pages are regenerated with LBGEN_UPDATE=1.
func TestCLIReference(t *testing.T) {
	var want []string
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		cmd.DisableAutoGenTag = true // no generation date in the pages
		for _, sub := range cmd.Commands() {
			if sub.IsAvailableCommand() && !sub.IsAdditionalHelpTopicCommand() {
				walk(sub)
			}
		}
		var page bytes.Buffer
		if err := doc.GenMarkdownCustom(cmd, &page, func(name string) string { return name }); err != nil {
			t.Fatal(err)
		}
		name := strings.ReplaceAll(cmd.CommandPath(), " ", "_") + ".md"
		want = append(want, name)
		golden.Check(t, filepath.Join(cliDocs, name), page.Bytes())
	}
	walk(newRootCmd())

	entries, err := os.ReadDir(cliDocs)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if slices.Contains(want, e.Name()) {
			continue
		}
		if golden.Update() {
			if err := os.Remove(filepath.Join(cliDocs, e.Name())); err != nil {
				t.Fatal(err)
			}
			continue
		}
		t.Errorf("docs/cli/%s documents no command (LBGEN_UPDATE=1 removes it)", e.Name())
	}
}
