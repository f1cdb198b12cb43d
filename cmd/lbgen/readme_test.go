package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeGoVersion keeps the quick start asking for the Go version
// go.mod requires, so a newcomer does not start with one that cannot build.
func TestReadmeGoVersion(t *testing.T) {
	mod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(mod)
	if want == nil {
		t.Fatal("go.mod has no go directive")
	}
	got := regexp.MustCompile(`with Go (\d+\.\d+)\+`).FindAllSubmatch(readme, -1)
	if len(got) == 0 {
		t.Fatal(`README names no "Go 1.N+" to install`)
	}
	for _, g := range got {
		if string(g[1]) != string(want[1]) {
			t.Errorf("README asks for Go %s+, go.mod requires %s", g[1], want[1])
		}
	}
}

// TestDocumentedCommandsParse reads every lbgen command in the README and
// docs/ (code blocks and inline code, synopses included) and parses it as
// the CLI would, so a renamed command or flag breaks the build, not the
// reader. The commands that run on a fresh machine run in full in
// testdata/script/readme_quickstart.txtar.
func TestDocumentedCommandsParse(t *testing.T) {
	pages, err := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	pages = append(pages, filepath.Join("..", "..", "README.md"))
	total := 0
	for _, page := range pages {
		text, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range documentedCommands(string(text)) {
			total++
			if err := parseCommandLine(line); err != nil {
				t.Errorf("%s: %q: %v", filepath.Base(page), line, err)
			}
		}
	}
	if total < 10 {
		t.Fatalf("found only %d documented commands; is the extraction broken?", total)
	}
}

var (
	inlineCommand = regexp.MustCompile("`(?:\\./)?(lbgen [^`]*)`")
	blockCommand  = regexp.MustCompile(`^(?:\$ )?(?:\./)?(lbgen .*)$`)
)

// documentedCommands returns the lbgen command lines of a Markdown page,
// without the leading "./" and without shell comments, redirections and
// pipes.
func documentedCommands(page string) []string {
	var out []string
	inBlock := false
	for line := range strings.SplitSeq(page, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inBlock = !inBlock
			continue
		}
		if inBlock {
			if m := blockCommand.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
				out = append(out, m[1])
			}
			continue
		}
		for _, m := range inlineCommand.FindAllStringSubmatch(line, -1) {
			out = append(out, m[1])
		}
	}
	for i, c := range out {
		if j := strings.IndexAny(c, "#>|"); j >= 0 && !strings.Contains(c[:j], `\`) {
			c = c[:j]
		}
		out[i] = strings.TrimSpace(c)
	}
	return out
}

// parseCommandLine parses one documented command with the real command
// tree without running it. Synopsis notation is read as the first choice
// of every alternative: "[-o DIR\|-]" as "-o DIR", "[FILE...]" as "FILE".
func parseCommandLine(line string) error {
	line = strings.NewReplacer("[", "", "]", "", "...", "", "…", "").Replace(line)
	var args []string
	for _, f := range strings.Fields(line)[1:] {
		f, _, _ = strings.Cut(f, `\|`)
		args = append(args, f)
	}
	root := newRootCmd()
	root.InitDefaultVersionFlag()
	cmd, rest, err := root.Find(args)
	if err != nil {
		return err
	}
	if err := cmd.ParseFlags(rest); err != nil {
		return err
	}
	return cmd.ValidateArgs(cmd.Flags().Args())
}
