package generator

import (
	"strings"
	"testing"
)

// quotingSamples are strings a quoting function may be given: every ASCII
// character alone, inside a word and at its start, and a few that are not
// ASCII or look like syntax.
func quotingSamples() []string {
	out := []string{"", "~x", "default", "include", "-i", "!x", `a\`, "\u037e", "\u00a0", "\u202e", "%{X}", "%[src]"}
	for c := range 128 {
		s := string(rune(c))
		out = append(out, s, "a"+s+"b", s+"x")
	}
	return out
}

// TestQuotingRoundTrip gives every function that writes a string as one
// token of a target's syntax every sample: each is refused, or reads back
// in that syntax as exactly one token holding the sample.
func TestQuotingRoundTrip(t *testing.T) {
	for _, q := range []struct {
		name  string
		quote func(string) (string, error)
		read  func(string) (string, bool)
	}{
		{"nginxQuote", nginxQuote, readNginx},
		{"nginxToken", nginxToken, readNginx},
		{"nginxMapKey", nginxMapKey, func(s string) (string, bool) {
			v, ok := readNginx(s)
			return strings.TrimPrefix(v, `\`), ok // map drops one leading backslash
		}},
		{"apacheQuote", apacheQuote, readApache},
		{"apacheToken", apacheToken, readApache},
		{"haproxyQuote", haproxyQuote, readHAProxy},
		{"haproxyPattern", haproxyPattern, func(s string) (string, bool) {
			return readHAProxy(strings.TrimPrefix(s, "-- ")) // "--" ends the flags
		}},
	} {
		for _, s := range quotingSamples() {
			out, err := q.quote(s)
			if err != nil {
				continue
			}
			if got, ok := q.read(out); !ok || got != s {
				t.Errorf("%s(%q) = %s, which reads as %q (one token: %v)", q.name, s, out, got, ok)
			}
		}
	}
}

// readNginx reads one nginx token: bare up to a space or ; { } and
// without quotes, # or $, or double-quoted where \" \' \\ stand for the
// character and \t \r \n for a control character (ngx_conf_read_token).
func readNginx(tok string) (string, bool) {
	if !strings.HasPrefix(tok, `"`) {
		return tok, tok != "" && !strings.ContainsAny(tok, " \t\r\n;{}\"'#$\\")
	}
	var b strings.Builder
	for i := 1; i < len(tok); i++ {
		switch c := tok[i]; {
		case c == '"':
			return b.String(), i == len(tok)-1 && !strings.Contains(b.String(), "$")
		case c == '\\' && i+1 < len(tok):
			i++
			switch n := tok[i]; n {
			case '"', '\'', '\\':
				b.WriteByte(n)
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'n':
				b.WriteByte('\n')
			default:
				b.WriteByte('\\')
				b.WriteByte(n)
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", false
}

// readApache reads one Apache argument: bare without spaces or quotes, or
// double-quoted without quotes or backslashes inside; ${VAR} is expanded
// in both, so it must not appear.
func readApache(tok string) (string, bool) {
	v := tok
	if strings.HasPrefix(tok, `"`) {
		v = strings.TrimSuffix(tok[1:], `"`)
		if len(tok) < 2 || !strings.HasSuffix(tok, `"`) || strings.ContainsAny(v, `"\`) {
			return "", false
		}
	} else if tok == "" || strings.ContainsAny(tok, " \t\r\n\"'\\#") {
		return "", false
	}
	return v, !strings.Contains(v, "${") && !strings.ContainsAny(v, "\r\n")
}

// readHAProxy reads one HAProxy word: bare without spaces, quotes, #, $
// or backslashes, or double-quoted where a backslash escapes the next
// character and $ would expand an environment variable.
func readHAProxy(tok string) (string, bool) {
	if !strings.HasPrefix(tok, `"`) {
		return tok, tok != "" && !strings.ContainsAny(tok, " \t\r\n\"'#$\\")
	}
	var b strings.Builder
	for i := 1; i < len(tok); i++ {
		switch c := tok[i]; {
		case c == '"':
			return b.String(), i == len(tok)-1
		case c == '$':
			return "", false
		case c == '\\' && i+1 < len(tok):
			i++
			b.WriteByte(tok[i])
		default:
			b.WriteByte(c)
		}
	}
	return "", false
}
