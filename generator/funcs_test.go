package generator

import (
	"strings"
	"testing"
	"time"
)

// TestFuncMapHermetic keeps functions that read the clock, randomness or
// the environment out of templates.
func TestFuncMapHermetic(t *testing.T) {
	fm := funcMap()
	for name := range fm {
		for _, bad := range []string{"now", "date", "rand", "uuid", "env", "shuffle", "gen", "ago", "bcrypt", "htpasswd", "crypt", "getHost"} {
			if strings.Contains(strings.ToLower(name), strings.ToLower(bad)) {
				t.Errorf("template function %q is not deterministic", name)
			}
		}
	}
	for _, name := range []string{"ngxq", "ngxre", "ngxtok", "ngxdur", "apq", "aptok", "apre", "apcomment", "default", "join"} {
		if _, ok := fm[name]; !ok {
			t.Errorf("template function %q is missing", name)
		}
	}
}

// quoteCase is one input to a quoting function: out is the expected
// token, or bad says the input must be refused.
type quoteCase struct {
	fn      func(string) (string, error)
	in, out string
	bad     bool
}

func checkQuoting(t *testing.T, cases []quoteCase) {
	t.Helper()
	for _, tc := range cases {
		got, err := tc.fn(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("%q: accepted as %s, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.out {
			t.Errorf("%q: got %s, %v; want %s", tc.in, got, err, tc.out)
		}
	}
}

func TestNginxQuoting(t *testing.T) {
	checkQuoting(t, []quoteCase{
		{fn: nginxToken, in: "10.0.0.1:8080", out: "10.0.0.1:8080"},
		{fn: nginxToken, in: "[::1]:80", out: "[::1]:80"},
		{fn: nginxToken, in: "n+1@x", out: `"n+1@x"`},
		{fn: nginxToken, in: "", out: `""`},
		{fn: nginxMapKey, in: "default", out: `"\\default"`},
		{fn: nginxMapKey, in: "~x", out: `"\\~x"`},
		{fn: nginxMapKey, in: "volatile", out: `"\\volatile"`},
		{fn: nginxMapKey, in: "Default", out: "Default"},
		{fn: nginxQuote, in: `a\b`, out: `"a\\b"`},
		{fn: nginxQuote, in: "a$b", bad: true},
		{fn: nginxQuote, in: `a"b`, bad: true},
		{fn: nginxQuote, in: "a\nb", bad: true},
		{fn: nginxRegexQuote, in: `^a\.b$`, out: `"^a\\.b$"`},
		{fn: nginxRegexQuote, in: `a"`, bad: true},
	})
}

func TestNginxBucketSize(t *testing.T) {
	for _, tc := range []struct{ longest, want int }{{1, 0}, {46, 0}, {47, 128}, {63, 128}, {110, 128}, {111, 192}} {
		if got := nginxBucketSize(tc.longest); got != tc.want {
			t.Errorf("longest key %d: bucket size %d, want %d", tc.longest, got, tc.want)
		}
	}
	if got := unitDuration(1500 * time.Millisecond); got != "1500ms" {
		t.Errorf("unitDuration(1.5s) = %s", got)
	}
}

func TestApacheQuoting(t *testing.T) {
	checkQuoting(t, []quoteCase{
		{fn: apacheToken, in: "route=n.1+a@b", out: "route=n.1+a@b"},
		{fn: apacheToken, in: "[fd00::10]:8080", out: "[fd00::10]:8080"},
		{fn: apacheToken, in: "stickysession=ID| ", out: `"stickysession=ID| "`},
		{fn: apacheToken, in: "a#b", out: `"a#b"`},
		{fn: apacheToken, in: "", out: `""`},
		{fn: apacheQuote, in: "/etc/x y.crt", out: `"/etc/x y.crt"`},
		{fn: apacheQuote, in: `a\b`, bad: true},
		{fn: apacheQuote, in: `a"b`, bad: true},
		{fn: apacheQuote, in: "a${X}", bad: true},
		{fn: apacheQuote, in: "a\nb", bad: true},
		{fn: apacheRegexQuote, in: `^/a\.b(?:/|$)`, out: `"^/a\.b(?:/|$)"`},
		{fn: apacheRegexQuote, in: `^/a${X}`, bad: true},
		{fn: apacheRegexQuote, in: `^/a\`, bad: true},
	})
}
