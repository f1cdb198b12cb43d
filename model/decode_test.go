package model_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lbgen/lbgen/model"
)

func nodeList(n int, item string) string {
	return strings.TrimSuffix(strings.Repeat(item+", ", n), ", ")
}

func unknownKeys(n int) string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("x%d: 1", i)
	}
	return strings.Join(keys, ", ")
}

// TestDecodeHostileStructure feeds documents built to exhaust time or
// memory and expects each to be refused quickly, with little memory, and
// with a positioned finding.
func TestDecodeHostileStructure(t *testing.T) {
	const node = "{name: a, host: 10.0.0.1, port: 1}"
	for _, tc := range []struct {
		name string
		doc  string
		// want is a finding as "line:col code message-prefix".
		want string
	}{
		{"alias to a node, repeated",
			"version: 1\nx: &n " + node + "\nnodes: [" + nodeList(50_000, "*n") + "]\n",
			"3:100009 L-yaml aliases expand to more than 100000 values"},
		{"alias to a node with many unknown keys, repeated",
			"version: 1\nx: &n {" + unknownKeys(1000) + "}\nnodes: [" + nodeList(20_000, "*n") + "]\n",
			"2:1 L-unknown-key unknown key \"x\""},
		{"billion laughs under unknown keys",
			"version: 1\na: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n" + laughs("b", "a", 'i') + "nodes: *i\n",
			"2:1 L-unknown-key unknown key \"a\""},
		{"nesting deeper than the parser allows",
			"version: 1\nname: " + strings.Repeat("[", 10_001) + strings.Repeat("]", 10_001) + "\n",
			"2:1 L-yaml exceeded max depth of 10000"},
		{"nesting the parser allows, under a string field",
			"version: 1\nname: " + strings.Repeat("[", 9_990) + strings.Repeat("]", 9_990) + "\n",
			"2:7 L-type name must be a string, not a list"},
		{"deep block nesting",
			"version: 1\nnodes:\n" + blockNesting(2000),
			"4:5 L-type nodes[0] must be a mapping of keys, not a list"},
		{"an error in every value",
			"version: 1\nnodes: [" + nodeList(100_000, "0") + "]\n",
			"2:9 L-type nodes[0] must be a mapping of keys, not a value"},
		{"a huge value",
			"version: 1\nnodes: [{port: " + strings.Repeat("k", 8<<20) + "}]\n",
			"2:16 L-type nodes[0].port must be a whole number, not \"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\"... (8388608 bytes)"},
		{"a huge key",
			"version: 1\n? " + strings.Repeat("k", 8<<20) + "\n: 1\n",
			"2:3 L-unknown-key unknown key \"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\"... (8388608 bytes)"},
		{"larger than MaxFileSize",
			"version: 1\n#" + strings.Repeat("x", model.MaxFileSize),
			"1:1 L-yaml file is larger than the 16 MiB accepted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, diags := model.Decode("c.yaml", []byte(tc.doc))
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			alloc := (after.TotalAlloc - before.TotalAlloc) >> 20
			t.Logf("%d bytes: %v, %d MiB allocated, %d findings", len(tc.doc), elapsed, alloc, len(diags))
			found := false
			for _, d := range diags {
				found = found || strings.HasPrefix(fmt.Sprintf("%d:%d %s %s", d.Line, d.Col, d.Code, d.Message), tc.want)
			}
			if !found {
				t.Errorf("findings %v, want one starting %q", diags[:min(len(diags), 3)], tc.want)
			}
			if elapsed > 2*time.Second {
				t.Errorf("took %v, want under 2s", elapsed)
			}
			// The parser's tree takes up to about 110 bytes per byte of
			// input; what the walk adds must not grow with the aliases
			// or the errors.
			if limit := uint64(64 + 120*len(tc.doc)>>20); alloc > limit {
				t.Errorf("allocated %d MiB, want at most %d", alloc, limit)
			}
			if len(diags) > 1001 {
				t.Errorf("%d findings, want at most 1001", len(diags))
			}
		})
	}
}

// laughs writes the classic exponential alias chain from anchor from+1
// up to last, each a list of nine aliases to the one before.
func laughs(first, prev string, last byte) string {
	var b strings.Builder
	for c := first[0]; c <= last; c++ {
		fmt.Fprintf(&b, "%c: &%c [%s]\n", c, c, nodeList(9, "*"+prev))
		prev = string(c)
	}
	return b.String()
}

func blockNesting(depth int) string {
	var b strings.Builder
	for i := range depth {
		b.WriteString(strings.Repeat(" ", 2*(i+1)) + "-\n")
	}
	return b.String()
}

// TestDecodeErrorCap shows the walk stops after maxDecodeErrors and says so.
func TestDecodeErrorCap(t *testing.T) {
	c, diags := model.Decode("c.yaml", []byte("version: 1\nnodes: ["+nodeList(5000, "0")+"]\n"))
	if c != nil {
		t.Error("a half-read cluster was returned, to be checked further")
	}
	if len(diags) != 1001 {
		t.Fatalf("%d findings, want 1000 and the stop notice", len(diags))
	}
	last := diags[len(diags)-1]
	if last.Code != "L-yaml" || last.Message != "stopped after 1000 errors" {
		t.Errorf("last finding %v, want the stop notice", last)
	}
}

// TestDecodeAliasesWithinBudget keeps ordinary anchors working: an allow
// list shared by listeners.
func TestDecodeAliasesWithinBudget(t *testing.T) {
	doc := `version: 1
listen:
  - {addr: "9080", internal: true, allow: &office [10.0.0.0/8, 192.168.0.0/16]}
  - {addr: "9081", internal: true, allow: *office}
`
	c, diags := model.Decode("c.yaml", []byte(doc))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	if got := c.Listen[1].Allow; len(got) != 2 || got[1] != "192.168.0.0/16" {
		t.Errorf("aliased allow list decoded as %v", got)
	}
}

// TestDecodeBadBytes locates characters the parser refuses without saying
// where.
func TestDecodeBadBytes(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"version: 1\nname: ab\x00c\n", `c.yaml:2:9: error L-yaml: file contains the control character '\x00'`},
		{"version: 1\nname: \"é\x1b\"\n", `c.yaml:2:9: error L-yaml: file contains the control character '\x1b'`},
		{"version: 1\n\nname: a\xffb\n", `c.yaml:3:8: error L-yaml: file contains the byte 0xff, which is not UTF-8`},
		{"version: 1\nname: a\u0085b\u009b\n", `c.yaml:2:10: error L-yaml: file contains the control character '\u009b'`},
	} {
		_, diags := model.Decode("c.yaml", []byte(tc.doc))
		if len(diags) != 1 || diags[0].String() != tc.want {
			t.Errorf("%q: got %v, want %s", tc.doc, diags, tc.want)
		}
	}
}

func TestQuote(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a\nb", `"a\nb"`},
		{"\u202e", `"\u202e"`},
		{"n\u0430me", `"n\u0430me"`},
		{strings.Repeat("é", 30), `"` + strings.Repeat(`\u00e9`, 24) + `"... (60 bytes)`},
		{strings.Repeat("x", 49), `"` + strings.Repeat("x", 48) + `"... (49 bytes)`},
	} {
		if got := model.Quote(tc.in); got != tc.want {
			t.Errorf("Quote(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
