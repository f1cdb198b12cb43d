package model

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// MaxFileSize bounds the size of a cluster file Decode accepts. The YAML
// parser needs up to about 110 bytes of memory per byte of input (a flow
// list of one-digit numbers), so this also bounds memory: a 100,000-node
// cluster is about 9 MB.
const MaxFileSize = 16 << 20

// maxAliasValues bounds how many values and keys Decode reaches through
// aliases. The parser keeps one copy of an anchored value, but the walk
// visits it once per alias, so without a bound a small file of aliases to
// aliases (a "billion laughs") costs unbounded time and memory. Values
// reached without an alias are bounded by the file size already.
const maxAliasValues = 100_000

// maxDecodeErrors stops the walk of a file that is wrong everywhere, so a
// large broken file is reported quickly and in a readable amount of text.
const maxDecodeErrors = 1000

// Decode reads a v1 cluster file strictly: unknown and duplicate keys, wrong
// types and invalid scalars are all reported with their position. The
// returned cluster is nil when the file could not be read as a mapping or
// reading stopped early (too many errors, aliases expanding too far), so
// nothing is checked on a half-read cluster.
func Decode(file string, data []byte) (*Cluster, []Diagnostic) {
	d := &decoder{file: file, pos: Positions{}, aliasBudget: maxAliasValues}
	root := d.parse(data)
	if root == nil {
		return nil, d.diags
	}
	c := &Cluster{File: file, Pos: d.pos}
	if !d.checkVersion(root) {
		return nil, d.diags
	}
	d.value(root, reflect.ValueOf(c).Elem(), "")
	if d.stopped {
		return nil, SortDiagnostics(d.diags)
	}
	return c, SortDiagnostics(d.diags)
}

type decoder struct {
	file  string
	pos   Positions
	diags []Diagnostic
	// aliased counts the aliases the walk is inside; while it is above
	// zero every value and key spends aliasBudget. aliasAt is where the
	// outermost of them is written.
	aliased     int
	aliasBudget int
	aliasAt     Pos
	// stopped ends the walk after too many errors or alias expansions.
	stopped bool
}

func (d *decoder) report(p Pos, code, path, msg, hint string) {
	if d.stopped {
		return
	}
	d.diags = append(d.diags, Diagnostic{File: d.file, Line: p.Line, Col: p.Col, Severity: SevError, Code: code, Path: path, Message: msg, Hint: hint})
	if len(d.diags) == maxDecodeErrors {
		d.report(p, "L-yaml", "", fmt.Sprintf("stopped after %d errors", maxDecodeErrors), "fix the errors above and run again")
		d.stopped = true
	}
}

// spend counts one value or key against the alias budget and reports
// whether the walk may go on.
func (d *decoder) spend(path string) bool {
	if d.stopped {
		return false
	}
	if d.aliased == 0 {
		return true
	}
	if d.aliasBudget--; d.aliasBudget < 0 {
		d.report(d.aliasAt, "L-yaml", path,
			fmt.Sprintf("aliases expand to more than %d values", maxAliasValues), "write the values out instead of reusing anchors")
		d.stopped = true
		return false
	}
	return true
}

// yamlErrLine finds the position in a parser error, which the message
// repeats as a prefix.
var yamlErrLine = regexp.MustCompile(`^line (\d+): (?:column (\d+): )?`)

// ParseMapping reads a YAML document whose top level is a mapping, with
// Decode's bounds and positioned findings, for other files that are read
// as strictly as a cluster file (the CLI settings file).
func ParseMapping(file string, data []byte) (*yaml.Node, []Diagnostic) {
	d := &decoder{file: file, pos: Positions{}}
	return d.parse(data), d.diags
}

func (d *decoder) parse(data []byte) *yaml.Node {
	start := Pos{Line: 1, Col: 1}
	if len(data) > MaxFileSize {
		d.report(start, "L-yaml", "", fmt.Sprintf("file is larger than the %d MiB accepted", MaxFileSize>>20), "split the cluster or remove unused content")
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.report(start, "L-missing", "", "file is empty", "start from `lbgen init`")
			return nil
		}
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		p := start
		if m := yamlErrLine.FindStringSubmatch(msg); m != nil {
			p.Line, _ = strconv.Atoi(m[1])
			if m[2] != "" {
				p.Col, _ = strconv.Atoi(m[2])
			}
			msg = msg[len(m[0]):]
		} else if bp, what, ok := badByte(data); ok {
			// The parser does not say where it found these.
			d.report(bp, "L-yaml", "", "file contains "+what, "remove it; write special characters as escapes in double quotes, e.g. \"\\t\"")
			return nil
		}
		d.report(p, "L-yaml", "", msg, yamlHint(data, p.Line))
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		p := start
		if err == nil {
			p = Pos{Line: extra.Line, Col: extra.Column}
		}
		d.report(p, "L-yaml", "", "file holds more than one YAML document", "keep one cluster per file")
		return nil
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		d.report(Pos{Line: root.Line, Col: root.Column}, "L-type", "", "a cluster file must be a YAML mapping", "start from `lbgen init`")
		return nil
	}
	return root
}

// yamlHint names the usual cause of a syntax error on a line.
func yamlHint(data []byte, line int) string {
	lines := strings.Split(string(data), "\n")
	if line >= 1 && line <= len(lines) {
		indent := lines[line-1][:len(lines[line-1])-len(strings.TrimLeft(lines[line-1], " \t"))]
		if strings.Contains(indent, "\t") {
			return "YAML does not allow tabs in indentation; indent with spaces"
		}
	}
	return "fix the YAML syntax at that line (indentation, a missing \":\" or an unclosed quote or bracket)"
}

// checkVersion reads "version" before anything else, because the schema
// the rest of the file is decoded with depends on it.
func (d *decoder) checkVersion(root *yaml.Node) bool {
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "version" {
			continue
		}
		v := resolve(root.Content[i+1])
		if v.ShortTag() == "!!int" && v.Value == strconv.Itoa(Version) {
			return true
		}
		d.report(Pos{Line: v.Line, Col: v.Column}, "L-version", "version", fmt.Sprintf("unsupported version %s", Quote(v.Value)), "this lbgen reads `version: 1`")
		return false
	}
	d.report(Pos{Line: root.Line, Col: root.Column}, "L-version", "version", "missing version", "add `version: 1` at the top")
	return true
}

func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode {
		if d.aliased == 0 {
			d.aliasAt = Pos{Line: n.Line, Col: n.Column}
		}
		d.aliased++
		defer func() { d.aliased-- }()
	}
	if !d.spend(path) {
		return
	}
	n = resolve(n)
	p := Pos{Line: n.Line, Col: n.Column}
	d.pos[path] = p
	if n.ShortTag() == "!!null" {
		return
	}
	if v.Addr().Type().Implements(textUnmarshaler) {
		if n.Kind != yaml.ScalarNode {
			d.report(p, "L-type", path, fmt.Sprintf("%s must be a single value, not a %s", label(path), kindName(n)), "")
			return
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
			var ve *ValueError
			if errors.As(err, &ve) {
				d.report(p, ve.Code, path, label(path)+": "+ve.Msg, ve.Hint)
			}
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		d.value(n, v.Elem(), path)
	case reflect.Struct:
		d.mapping(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.report(p, "L-type", path, fmt.Sprintf("%s must be a list, not a %s", label(path), kindName(n)), "write it as a YAML list: `- item`")
			return
		}
		v.Set(reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content)))
		for i, item := range n.Content {
			d.value(item, v.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.report(p, "L-type", path, fmt.Sprintf("%s must be a string, not a %s", label(path), kindName(n)), "")
			return
		}
		v.SetString(n.Value)
	// A scalar is read by the type of its field, quoted or not, as string
	// fields take 8080 unquoted: "8700" is a port and yes a boolean.
	case reflect.Int:
		i, err := strconv.ParseInt(n.Value, 10, 64)
		if n.Kind != yaml.ScalarNode || err != nil || i != int64(int32(i)) {
			d.report(p, "L-type", path, fmt.Sprintf("%s must be a whole number, not %s", label(path), describe(n)), "write a whole number in digits")
			return
		}
		v.SetInt(i)
	case reflect.Bool:
		b, ok := ParseBool(n.Value)
		if n.Kind != yaml.ScalarNode || !ok {
			d.report(p, "L-type", path, fmt.Sprintf("%s must be true or false, not %s", label(path), describe(n)), "write true or false")
			return
		}
		v.SetBool(b)
	}
}

func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	p := Pos{Line: n.Line, Col: n.Column}
	if n.Kind != yaml.MappingNode {
		d.report(p, "L-type", path, fmt.Sprintf("%s must be a mapping of keys, not a %s", label(path), kindName(n)), "")
		return
	}
	fields := fieldsOf(v.Type())
	seen := map[string]Pos{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := resolve(n.Content[i]), n.Content[i+1]
		kp := Pos{Line: k.Line, Col: k.Column}
		if k.Kind != yaml.ScalarNode {
			d.report(kp, "L-type", path, "keys must be plain names", "")
			continue
		}
		child := join(path, k.Value)
		idx, ok := fields.index[k.Value]
		if !ok {
			d.report(kp, "L-unknown-key", child, fmt.Sprintf("unknown key %s in %s", Quote(k.Value), where(path)), SuggestKey(k.Value, fields.names))
			if meant, ok := closestKey(k.Value, fields.names); ok {
				d.diags[len(d.diags)-1].Meant = join(path, meant)
			}
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.report(kp, "L-duplicate-key", child, fmt.Sprintf("key %s is already set at line %d", Quote(k.Value), first.Line), "keep one of them")
			continue
		}
		seen[k.Value] = kp
		d.value(val, v.Field(idx), child)
	}
}

type structFields struct {
	index map[string]int
	names []string
}

var fieldCache sync.Map

func fieldsOf(t reflect.Type) structFields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(structFields)
	}
	f := structFields{index: map[string]int{}}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		f.index[name] = i
		f.names = append(f.names, name)
	}
	fieldCache.Store(t, f)
	return f
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func label(path string) string {
	if path == "" {
		return "the file"
	}
	return path
}

func where(path string) string {
	if path == "" {
		return "the cluster"
	}
	return path
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "value"
}

func describe(n *yaml.Node) string {
	if n.Kind != yaml.ScalarNode {
		return "a " + kindName(n)
	}
	return Quote(n.Value)
}

// SuggestKey names the known key closest to an unknown one.
func SuggestKey(key string, names []string) string {
	best, ok := closestKey(key, names)
	switch {
	case !ok:
		return "known keys: " + strings.Join(names, ", ")
	case strings.EqualFold(best, key):
		return fmt.Sprintf("did you mean %q? keys are lower case", best)
	}
	return fmt.Sprintf("did you mean %q?", best)
}

// closestKey returns the known key an unknown one was most likely meant
// to be: the same ignoring case, or at most two edits away.
func closestKey(key string, names []string) (string, bool) {
	best, bestDist := "", 3
	for _, name := range names {
		if strings.EqualFold(name, key) {
			return name, true
		}
		// Lengths further apart than bestDist cannot be closer, and
		// skipping them keeps a huge key from costing a huge computation.
		if abs(len(key)-len(name)) >= bestDist {
			continue
		}
		if dist := Levenshtein(strings.ToLower(key), name); dist < bestDist {
			best, bestDist = name, dist
		}
	}
	return best, best != ""
}

func abs(n int) int { return max(n, -n) }

// Levenshtein is the edit distance between two strings, in bytes.
func Levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// badByte finds the first character YAML refuses anywhere in a file (a
// control character or invalid UTF-8) and says where it is, counting
// columns in characters as the parser does.
func badByte(data []byte) (Pos, string, bool) {
	p := Pos{Line: 1, Col: 1}
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return p, fmt.Sprintf("the byte 0x%02x, which is not UTF-8", data[i]), true
		case r == '\n':
			p.Line, p.Col = p.Line+1, 0
		case r < 0x20 && r != '\t' && r != '\r', r == 0x7f, r >= 0x80 && r < 0xa0 && r != 0x85:
			return p, fmt.Sprintf("the control character %q", r), true
		}
		p.Col++
		i += size
	}
	return Pos{}, "", false
}
