package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/lbgen/lbgen/model"
	"github.com/lbgen/lbgen/validate"
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

// TestDocLinksResolve keeps every relative link in the README and docs/
// pointing at a file that exists and, with a #fragment, at one of its
// headings (GitHub's anchor spelling).
func TestDocLinksResolve(t *testing.T) {
	root := filepath.Join("..", "..")
	pages, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	pages = append(pages, filepath.Join(root, "README.md"), filepath.Join(root, "BENCHMARKS.md"))
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	links := 0
	for _, page := range pages {
		text, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(text), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			links++
			file, frag, _ := strings.Cut(target, "#")
			dest := page
			if file != "" {
				dest = filepath.Join(filepath.Dir(page), file)
			}
			body, err := os.ReadFile(dest)
			if err != nil {
				t.Errorf("%s: link %s: %v", filepath.Base(page), target, err)
				continue
			}
			if frag != "" && !slices.Contains(headingAnchors(string(body)), frag) {
				t.Errorf("%s: link %s: no heading with that anchor in %s", filepath.Base(page), target, file)
			}
		}
	}
	if links == 0 {
		t.Fatal("found no links; is the extraction broken?")
	}
}

// headingAnchors returns the anchors GitHub gives a page's headings.
func headingAnchors(page string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`(?m)^#+ (.+)$`).FindAllStringSubmatch(page, -1) {
		var b strings.Builder
		for _, r := range strings.ToLower(m[1]) {
			switch {
			case r == ' ':
				b.WriteByte('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				b.WriteRune(r)
			}
		}
		out = append(out, b.String())
	}
	return out
}

// TestClusterFileReferenceIsValid keeps the annotated example that opens
// docs/cluster-file.md a file lbgen accepts, so copying it is a start.
func TestClusterFileReferenceIsValid(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "cluster-file.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/cluster-file.md has no yaml example")
	}
	if c, diags := validate.Load("docs/cluster-file.md", m[1]); c == nil || model.HasErrors(diags) {
		t.Errorf("the example in docs/cluster-file.md is not valid:\n%v", diags)
	}
}
