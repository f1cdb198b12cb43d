package model

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Severity of a finding. Errors make a cluster file invalid; warnings do not.
type Severity int

const (
	SevError Severity = iota
	SevWarning
)

func (s Severity) String() string {
	if s == SevWarning {
		return "warning"
	}
	return "error"
}

// MarshalText writes the severity as "error" or "warning" in JSON.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Pos is a 1-based line and column in a cluster file.
type Pos struct {
	Line int
	Col  int
}

// Diagnostic is one finding about a cluster file.
type Diagnostic struct {
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Col      int      `json:"col"`
	Severity Severity `json:"severity"`
	Code     string   `json:"code"`
	Path     string   `json:"path,omitempty"`
	Message  string   `json:"message"`
	Hint     string   `json:"hint,omitempty"`
	// Meant is the field an unknown key was most likely meant to be, so
	// that field is not also reported missing.
	Meant string `json:"-"`
}

// String formats the finding as "file:line:col: severity code: message".
func (d Diagnostic) String() string {
	return fmt.Sprintf("%s:%d:%d: %s %s: %s", d.File, d.Line, d.Col, d.Severity, d.Code, d.Message)
}

// SortDiagnostics orders findings by position, then code and message, and
// drops exact duplicates, so output is stable whatever order checks ran in.
func SortDiagnostics(ds []Diagnostic) []Diagnostic {
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Col, b.Col),
			cmp.Compare(a.Severity, b.Severity),
			cmp.Compare(a.Code, b.Code),
			cmp.Compare(a.Message, b.Message),
		)
	})
	return slices.CompactFunc(ds, func(a, b Diagnostic) bool { return a == b })
}

// HasErrors reports whether any finding is an error.
func HasErrors(ds []Diagnostic) bool {
	return slices.ContainsFunc(ds, func(d Diagnostic) bool { return d.Severity == SevError })
}

// Positions maps field paths ("nodes[1].name") to where their values start.
type Positions map[string]Pos

// Of returns where path was written, or where its closest written parent
// was, so a missing field is reported at the mapping that lacks it.
func (p Positions) Of(path string) Pos {
	for {
		if pos, ok := p[path]; ok {
			return pos
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return p[""]
		}
		path = path[:i]
	}
}

// Has reports whether path was written in the file.
func (p Positions) Has(path string) bool {
	_, ok := p[path]
	return ok
}

// maxQuoted is how much of a value a message repeats.
const maxQuoted = 48

// Quote writes a value for a message: Go-quoted with ASCII escapes, so
// control, invisible and look-alike characters (a Cyrillic "а" in "nаme")
// show as what they are, and cut after maxQuoted bytes so a huge value
// does not drown the message.
func Quote(v string) string {
	if len(v) <= maxQuoted {
		return strconv.QuoteToASCII(v)
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(v[cut]) {
		cut--
	}
	return fmt.Sprintf("%s... (%d bytes)", strconv.QuoteToASCII(v[:cut]), len(v))
}
