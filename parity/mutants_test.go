package parity

import (
	"cmp"
	"context"
	"os"
	"regexp"
	"testing"

	"github.com/lbgen/lbgen/generator"
)

// mutants are bugs planted in rendered configs, each of which parity must
// catch: a proof is only worth what it catches. Each one still passes the
// server's own syntax check.
var mutants = []struct {
	name     string
	target   generator.Target
	scenario string
	find     *regexp.Regexp
	replace  string
	// cluster names the fixture the mutant is planted in; "" is cobrowse.
	cluster string
}{
	{"nginx without a body limit", generator.Nginx, "max-body",
		regexp.MustCompile(`client_max_body_size \S+;`), "client_max_body_size 0;", ""},
	{"apache without the Content-Length 413 rule", generator.Apache, "max-body",
		regexp.MustCompile(`(?m)^ *RewriteCond %\{HTTP:Content-Length\}.*\n.*R=413.*\n`), "", ""},
	{"haproxy without deny_status 413", generator.HAProxy, "max-body",
		regexp.MustCompile(`(?m)^.*deny_status 413.*\n`), "", ""},
	{"nginx read timeout of an hour", generator.Nginx, "hung-node-times-out",
		regexp.MustCompile(`proxy_read_timeout 2s;`), "proxy_read_timeout 1h;", ""},
	{"apache member timeout of an hour", generator.Apache, "hung-node-times-out",
		regexp.MustCompile(`timeout=2 `), "timeout=3600 ", ""},
	{"haproxy server timeout of an hour", generator.HAProxy, "hung-node-times-out",
		regexp.MustCompile(`timeout server 2s`), "timeout server 1h", ""},
	{"nginx route matched ignoring case", generator.Nginx, "case-variant-route",
		regexp.MustCompile(`"~\^\(\\S\+\) \\1 `), `"~*^(\S+) \1 `, ""},
	{"haproxy route matched ignoring case", generator.HAProxy, "case-variant-route",
		regexp.MustCompile(`-m str `), "-m str -i ", ""},
	{"haproxy without keep-alive to the nodes", generator.HAProxy, "keepalive-upstream",
		regexp.MustCompile(`http-reuse safe`), "option http-server-close", ""},
	{"nginx cookie inserted on every answer", generator.Nginx, "insert-pins-new-session",
		regexp.MustCompile(`(?m)^ *"~\^\(\\S\+\) \\1\$" "";\n`), "", "insert"},
	{"apache inserted cookie without Secure", generator.Apache, "insert-pins-new-session",
		regexp.MustCompile(`; Secure"`), `"`, "insert"},
	{"haproxy inserted cookie for the whole site", generator.HAProxy, "insert-pins-new-session",
		regexp.MustCompile(`Path=/shop;`), "Path=/;", "insert"},
	{"nginx without the hash", generator.Nginx, "hash-value-keeps-node",
		regexp.MustCompile(`(?m)^ *hash \S+ consistent;\n`), "", "hash"},
	{"haproxy hashing the empty value", generator.HAProxy, "hash-value-keeps-node",
		regexp.MustCompile(`balance hash var\(txn\.lbgen_sso_key\)`), "balance hash var(txn.lbgen_sso_sticky)", "hash"},
	{"nginx exact route without a leading dot", generator.Nginx, "exact-value-whole",
		regexp.MustCompile(`"~\^\(\.\*\)\$" \$1;`), `"~^\.?(.*)$$" $$1;`, "exact"},
}

// TestMutantsFail plants each mutant in its fixture's config (the
// cobrowse sample unless it names another) and expects its scenario to
// fail, not to pass or pass as a divergence.
func TestMutantsFail(t *testing.T) {
	if testing.Short() {
		t.Skip("parity starts real servers")
	}
	for _, m := range mutants {
		t.Run(m.name, func(t *testing.T) {
			name := cmp.Or(m.cluster, "cobrowse")
			c := LoadFixture(t, name)
			planted := false
			r := serverRunner{target: m.target, mutate: func(b []byte) []byte {
				out := m.find.ReplaceAll(b, []byte(m.replace))
				planted = planted || string(out) != string(b)
				return out
			}}
			rep, err := run(context.Background(), c, name, []Runner{r}, Options{Scenarios: []string{m.scenario}})
			if err != nil {
				t.Fatal(err)
			}
			res := rep.Results[0]
			if res.Status == Skipped && os.Getenv("LBGEN_SKIP_SERVERS") != "" {
				t.Skip(res.Detail)
			}
			if !planted {
				t.Fatalf("the mutant's pattern %q is not in the rendered %s config", m.find, m.target)
			}
			if res.Status != Fail {
				t.Errorf("%s: %s %q, want fail", m.scenario, res.Status, res.Detail)
			}
			t.Logf("%s: %s", res.Status, res.Detail)
		})
	}
}
