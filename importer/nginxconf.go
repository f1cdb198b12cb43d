package importer

import "strings"

// maxDepth bounds block nesting, so hostile input cannot exhaust the stack.
const maxDepth = 64

// parseNginx reads nginx configuration syntax: directives ending in ";",
// blocks in braces, "#" comments, quoted strings with backslash escapes.
func parseNginx(file string, data []byte) (*parsed, *syntaxError) {
	p := &nginxParser{file: file, src: string(data), line: 1, col: 1}
	out := &parsed{}
	p.out = out
	top, err := p.block(0)
	if err != nil {
		return nil, err
	}
	out.Top = top
	return out, nil
}

type nginxParser struct {
	file      string
	src       string
	i         int
	line, col int
	out       *parsed
	last      *directive // the latest statement, which a comment on its line follows
}

type nginxToken struct {
	text   string
	quoted bool
	at     at
}

func (p *nginxParser) here() at { return at{File: p.file, Line: p.line, Col: p.col} }

func (p *nginxParser) advance() byte {
	c := p.src[p.i]
	p.i++
	if c == '\n' {
		p.line++
		p.col = 1
	} else {
		p.col++
	}
	return c
}

// next returns the next token; "" at the end of input. Comments are
// collected on the way.
func (p *nginxParser) next() (nginxToken, *syntaxError) {
	for p.i < len(p.src) {
		c := p.src[p.i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			p.advance()
		case c == '#':
			a := p.here()
			start := p.i + 1
			for p.i < len(p.src) && p.src[p.i] != '\n' {
				p.advance()
			}
			text := strings.TrimSpace(p.src[start:p.i])
			if p.last != nil && p.last.At.Line == a.Line {
				p.last.Comment = text
			} else {
				p.out.Comments = append(p.out.Comments, comment{Text: text, At: a})
			}
		default:
			return p.word()
		}
	}
	return nginxToken{}, nil
}

func (p *nginxParser) word() (nginxToken, *syntaxError) {
	a := p.here()
	c := p.src[p.i]
	if c == '{' || c == '}' || c == ';' {
		p.advance()
		return nginxToken{text: string(c), at: a}, nil
	}
	var b strings.Builder
	if c == '"' || c == '\'' {
		p.advance()
		for {
			if p.i >= len(p.src) {
				return nginxToken{}, syntaxErrorf(a, "unterminated string")
			}
			d := p.advance()
			if d == c {
				return nginxToken{text: b.String(), quoted: true, at: a}, nil
			}
			if d == '\\' && p.i < len(p.src) {
				e := p.advance()
				switch e {
				case c, '\\':
					b.WriteByte(e)
				default:
					b.WriteByte('\\')
					b.WriteByte(e)
				}
				continue
			}
			b.WriteByte(d)
		}
	}
	for p.i < len(p.src) {
		d := p.src[p.i]
		if d == ' ' || d == '\t' || d == '\r' || d == '\n' || d == ';' || d == '{' || d == '}' {
			break
		}
		if d == '$' && p.i+1 < len(p.src) && p.src[p.i+1] == '{' {
			// ${var} may hold no braces or semicolons; copy it whole.
			for p.i < len(p.src) && p.src[p.i] != '}' {
				b.WriteByte(p.advance())
			}
			if p.i < len(p.src) {
				b.WriteByte(p.advance())
			}
			continue
		}
		if d == '\\' && p.i+1 < len(p.src) {
			b.WriteByte(p.advance())
		}
		b.WriteByte(p.advance())
	}
	return nginxToken{text: b.String(), at: a}, nil
}

// block reads statements up to the closing brace (depth > 0) or the end.
func (p *nginxParser) block(depth int) ([]*directive, *syntaxError) {
	if depth > maxDepth {
		return nil, syntaxErrorf(p.here(), "blocks nested more than %d deep", maxDepth)
	}
	var out []*directive
	var cur *directive
	for {
		t, err := p.next()
		if err != nil {
			return nil, err
		}
		switch {
		case t.text == "" && !t.quoted:
			if cur != nil {
				return nil, syntaxErrorf(cur.At, "%q is not terminated by \";\"", cur.Name)
			}
			if depth > 0 {
				return nil, syntaxErrorf(p.here(), "unexpected end of file, expecting \"}\"")
			}
			return out, nil
		case t.text == ";" && !t.quoted:
			if cur == nil {
				return nil, syntaxErrorf(t.at, "unexpected \";\"")
			}
			out = append(out, cur)
			p.last, cur = cur, nil
		case t.text == "{" && !t.quoted:
			if cur == nil {
				return nil, syntaxErrorf(t.at, "unexpected \"{\"")
			}
			d := cur
			cur = nil
			p.last = d
			body, err := p.block(depth + 1)
			if err != nil {
				return nil, err
			}
			d.Block = body
			if d.Block == nil {
				d.Block = []*directive{}
			}
			out = append(out, d)
			p.last = nil
		case t.text == "}" && !t.quoted:
			if cur != nil {
				return nil, syntaxErrorf(cur.At, "%q is not terminated by \";\"", cur.Name)
			}
			if depth == 0 {
				return nil, syntaxErrorf(t.at, "unexpected \"}\"")
			}
			return out, nil
		case cur == nil:
			cur = &directive{Name: t.text, At: t.at}
		default:
			cur.Args = append(cur.Args, t.text)
		}
	}
}
