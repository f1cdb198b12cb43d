package generator_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/model"
)

// bareWords lists, per target, the characters its quoting function
// writes without quotes (nginxToken, apacheToken, haproxyQuote): a value
// made only of them may appear bare. A target not listed gets the
// strictest set, nginx's.
var bareWords = map[generator.Target]string{
	generator.Nginx:   "._:/[]-",
	generator.Apache:  "._:/[]=+@~%*!,-",
	generator.HAProxy: "._:/@+=,~!*[]-",
}

// plainWord reports whether s may be written bare in target's syntax.
func plainWord(target generator.Target, s string) bool {
	extra, ok := bareWords[target]
	if !ok {
		extra = bareWords[generator.Nginx]
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || strings.IndexByte(extra, b) >= 0) {
			return false
		}
	}
	return true
}

// Byte classes of a rendered file.
const (
	bare    = iota // syntax the server reads
	quoted         // inside a quoted string
	comment        // on a comment line
)

// classify marks every byte of a rendered file with the strictest reading
// of the three targets' syntax: a quote opens a string only at the start of
// a token (nginx, Apache), a backslash inside quotes takes the next byte
// with it, and only lines that start with # are comments (Apache has no
// trailing comments).
func classify(text []byte) []byte {
	class := make([]byte, len(text))
	for i := 0; i < len(text); {
		end := bytes.IndexByte(text[i:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += i
		}
		line := text[i:end]
		if t := bytes.TrimLeft(line, " \t"); len(t) > 0 && t[0] == '#' {
			for j := i; j < end; j++ {
				class[j] = comment
			}
			i = end + 1
			continue
		}
		tokenStart := true
		for j := i; j < end; j++ {
			switch c := text[j]; {
			case tokenStart && (c == '"' || c == '\''):
				k := j + 1
				for ; k < end && text[k] != c; k++ {
					if text[k] == '\\' {
						class[k] = quoted
						k++
					}
					if k < end {
						class[k] = quoted
					}
				}
				j = k // the closing quote stays bare
				tokenStart = false
			default:
				tokenStart = c == ' ' || c == '\t'
			}
		}
		i = end + 1
	}
	return class
}

// bareAt returns the offsets where v occurs with any byte outside a quoted
// string or comment.
func bareAt(text, class []byte, v string) []int {
	var at []int
	for off := 0; ; {
		i := bytes.Index(text[off:], []byte(v))
		if i < 0 {
			return at
		}
		i += off
		if bytes.IndexByte(class[i:i+len(v)], bare) >= 0 {
			at = append(at, i)
		}
		off = i + 1
	}
}

// notInert lists user strings that are not plain words and yet appear in
// the rendered files outside quoted strings and comments: a value that
// can be read as syntax. Text the template itself writes (a node named
// like a generated location) is told apart by rendering again with the
// value replaced by a marker.
func notInert(c *model.Cluster, out *generator.Output, opts generator.Options) []string {
	var problems []string
	for i, f := range out.Files {
		class := classify(f.Data)
		for path, p := range c.Strings() {
			v := *p
			if v == "" || plainWord(out.Target, v) {
				continue
			}
			at := bareAt(f.Data, class, v)
			if len(at) == 0 || len(at) <= templateOwn(c, path, v, out.Target, i, opts) {
				continue
			}
			start := bytes.LastIndexByte(f.Data[:at[0]], '\n') + 1
			line, _, _ := bytes.Cut(f.Data[start:], []byte("\n"))
			problems = append(problems, fmt.Sprintf("%s %q is not quoted in %s line %d: %s",
				path, v, f.Name, bytes.Count(f.Data[:start], []byte("\n"))+1, line))
		}
	}
	return problems
}

// templateOwn counts the bare occurrences of v in file i rendered with the
// string at path replaced by a marker.
func templateOwn(c *model.Cluster, path, v string, target generator.Target, i int, opts generator.Options) int {
	m := c.Clone()
	for p, s := range m.Strings() {
		if p == path {
			*s = "lbgenmarker"
		}
	}
	out, err := generator.Render(m, target, opts)
	if err != nil {
		return 0
	}
	text := out.Files[i].Data
	return len(bareAt(text, classify(text), v))
}

func TestClassify(t *testing.T) {
	text := "# a;b\n  server \"a;b\" x;\nlog 'q\\'a;b' \"\";\nset a\"a;b\" ;\n"
	var got []string
	class := classify([]byte(text))
	for _, at := range bareAt([]byte(text), class, "a;b") {
		got = append(got, fmt.Sprint(at))
	}
	// Only the occurrence after a mid-token quote is bare.
	if want := []string{fmt.Sprint(strings.LastIndex(text, "a;b"))}; !slices.Equal(got, want) {
		t.Errorf("bare occurrences at %v, want %v", got, want)
	}
	if !plainWord(generator.Nginx, "[::1]:8080") || plainWord(generator.Nginx, "a+b") || !plainWord(generator.HAProxy, "a+b") {
		t.Error("plainWord")
	}
}
