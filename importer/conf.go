package importer

import (
	"fmt"
	"strings"
)

// at is where a value was read: file, 1-based line and column.
type at struct {
	File string
	Line int
	Col  int
}

func (a at) String() string { return fmt.Sprintf("%s:%d", a.File, a.Line) }

// directive is one statement of a config file: a name, its arguments, and
// the statements of its block if it opens one (nginx {}, Apache <Section>,
// a HAProxy section).
type directive struct {
	Name  string
	Args  []string
	At    at
	Block []*directive
	// Comment is a comment on the same line after the statement.
	Comment string
}

// arg returns argument i, or "" when there are fewer.
func (d *directive) arg(i int) string {
	if i < len(d.Args) {
		return d.Args[i]
	}
	return ""
}

// param returns the value of a key=value argument, matched without case.
func (d *directive) param(key string) (string, bool) {
	for _, a := range d.Args {
		k, v, ok := strings.Cut(a, "=")
		if ok && strings.EqualFold(k, key) {
			return v, true
		}
	}
	return "", false
}

// walk calls fn for every directive of the tree in file order.
func walk(ds []*directive, fn func(d *directive)) {
	for _, d := range ds {
		fn(d)
		walk(d.Block, fn)
	}
}

// comment is one comment line of a config file, without its "#".
type comment struct {
	Text string
	At   at
}

// syntaxError is a config its server would not load either, with where.
type syntaxError struct {
	at  at
	msg string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.at.File, e.at.Line, e.at.Col, e.msg)
}

func syntaxErrorf(a at, format string, args ...any) *syntaxError {
	return &syntaxError{at: a, msg: fmt.Sprintf(format, args...)}
}

// parsed is a config file read into directives, with its comment lines.
type parsed struct {
	Top      []*directive
	Comments []comment
}

// commentAbove returns a function that finds the comment on the line just
// above a directive.
func (p *parsed) commentAbove() func(x *directive) string {
	byLine := map[at]string{}
	for _, c := range p.Comments {
		byLine[at{File: c.At.File, Line: c.At.Line}] = c.Text
	}
	return func(x *directive) string { return byLine[at{File: x.At.File, Line: x.At.Line - 1}] }
}

// read holds the statements that went into the cluster file; every other
// one is reported as not imported.
type read map[*directive]bool

func (r read) use(ds ...*directive) {
	for _, x := range ds {
		r[x] = true
	}
}
