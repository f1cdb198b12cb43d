package generator_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/model"
)

// secureDefaults are, per target, the lines (trimmed) docs/security.md
// promises in a complete config, and how an internal path is refused on
// public listeners.
var secureDefaults = map[generator.Target]struct {
	// tls lines appear when a listener has TLS: TLS 1.2+ and the cipher list.
	tls []string
	// banner lines keep the version out of headers and error pages.
	banner []string
	// admin lines appear with the admin page.
	admin []string
	// denies returns patterns that refuse internal path p.
	denies func(p string) []string
	// ambiguous refuses, with 400, a ;param segment that a node resolves
	// (/p/..;/q) in every section (split at section) that proxies, ahead
	// of any line containing first where rules run in file order.
	section, ambiguous, first string
}{
	generator.Nginx: {
		tls:    []string{"ssl_protocols TLSv1.2 TLSv1.3;", "ssl_ciphers " + generator.TLSCiphers + ";", "ssl_session_tickets off;"},
		banner: []string{"server_tokens off;"},
		denies: func(p string) []string {
			// Every segment may carry path parameters.
			re := "^"
			for _, seg := range strings.Split(p[1:], "/") {
				re += "/" + strings.ReplaceAll(regexp.QuoteMeta(seg), `\`, `\\`) + "(?:;[^/]*)?"
			}
			re += "(?:/|$)"
			return []string{`location ~ "` + regexp.QuoteMeta(re) + `" \{\s+return 403;`}
		},
		// The server rewrite phase runs before allow and deny.
		section:   `(?m)^server \{$`,
		ambiguous: regexp.QuoteMeta(`if ($request_uri ~ "^[^?]*(?:/|%2[Ff])(?:\\.|%2[Ee]){0,2}(?:;|%3[Bb])[^?]*(?:/|%2[Ff])") {`) + `\s+return 400;`,
	},
	generator.Apache: {
		tls:    []string{"SSLProtocol -all +TLSv1.2 +TLSv1.3", "SSLCipherSuite " + generator.TLSCiphers, "SSLSessionTickets off"},
		banner: []string{"ServerTokens Prod", "ServerSignature Off", "TraceEnable Off"},
		denies: func(p string) []string {
			// %2F counts as a slash, also where it ends path parameters.
			const sep, param = `(?:/|%2[Ff])`, `(?:;(?:[^/%]|%(?!2[Ff]))*)?`
			re := "^"
			for i, seg := range strings.Split(p[1:], "/") {
				if i > 0 {
					re += sep
				} else {
					re += "/"
				}
				re += regexp.QuoteMeta(seg) + param
			}
			re += "(?:" + sep + "|$)"
			return []string{regexp.QuoteMeta(`RewriteCond %{REQUEST_URI} "`+re+`"`) + `(?: \[OR\]\n(?:RewriteCond %\{REQUEST_URI\} \S+ \[OR\]\n)*RewriteCond %\{REQUEST_URI\} \S+)?\n` +
				regexp.QuoteMeta("RewriteRule ^ - [F,L]\n")}
		},
		// mod_rewrite runs before Require, in file order.
		section: `(?m)^<VirtualHost `,
		ambiguous: regexp.QuoteMeta(`RewriteCond %{THE_REQUEST} "^\S+ [^?\s]*(?:/|%2[Ff])(?:\.|%2[Ee]){0,2}(?:;|%3[Bb])[^?\s]*(?:/|%2[Ff])"` +
			"\nRewriteRule ^ - [R=400,L]\n"),
		first: "\nRewriteRule ",
	},
	generator.HAProxy: {
		tls:   []string{"ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets", "ssl-default-bind-ciphers " + generator.TLSCiphers},
		admin: []string{"stats hide-version"},
		denies: func(p string) []string {
			// Matched without path parameters.
			q := regexp.QuoteMeta(p)
			return []string{`http-request set-var\(\S+_bare\) 'var\(\S+_path\),regsub\(";\[\^/\]\*",,g\)'\n`,
				`acl internal_path var\(\S+_bare\) -m str "?` + q + `"?\n`, `acl internal_path var\(\S+_bare\) -m beg "?` + q + `/"?\n`,
				`http-request deny deny_status 403 if internal_path\n`}
		},
		// http-request rules run in file order.
		section:   `(?m)^(?:frontend|backend|listen) `,
		ambiguous: regexp.QuoteMeta(`http-request deny deny_status 400 if { path -m reg '^[^?]*(?:/|%2[Ff])(?:\.|%2[Ee]){0,2}(?:;|%3[Bb])[^?]*(?:/|%2[Ff])' }`),
		first:     "\nhttp-request ",
	},
}

var (
	// protocolRE finds protocol names with what turns them off ("-",
	// "no-"), and allRE a keyword enabling every protocol.
	protocolRE = regexp.MustCompile(`(?i)[a-z-]*(?:sslv[23]|tlsv1(?:\.?[0-3])?)\b`)
	allRE      = regexp.MustCompile(`(?i)(?:^|\s)\+?all\b`)
	// weakCipherRE finds cipher names that must not appear in a list.
	weakCipherRE = regexp.MustCompile(`(?i)\b(?:RC4|3DES|DES-CBC3?|MD5|EXPORT|aNULL|eNULL|NULL-SHA)\b`)
	// adminRE finds the admin surfaces of the three servers.
	adminRE = regexp.MustCompile(`(?i)balancer-manager|server-status|server-info|stub_status|\bstats (?:enable|uri|socket|admin)\b`)
	// ownerSocketRE finds HAProxy's runtime API on a local socket only its
	// owner may open, which lbgen apply uses: not an admin surface.
	ownerSocketRE = regexp.MustCompile(`(?m)^ *stats socket unix@\S+ mode 600 level admin$`)
	// proxyRE finds where a section sends requests to the nodes.
	proxyRE = regexp.MustCompile(`(?m)^(?:proxy_pass|ProxyPass|default_backend) `)
)

// weakProtocol returns a protocol older than TLS 1.2 that line enables:
// named without "-" or "no-", or through "all".
func weakProtocol(line string) string {
	names := protocolRE.FindAllString(line, -1)
	for _, p := range names {
		lower := strings.ToLower(p)
		if !strings.HasPrefix(lower, "-") && !strings.HasPrefix(lower, "no-") &&
			!strings.HasSuffix(lower, "tlsv1.2") && !strings.HasSuffix(lower, "tlsv1.3") {
			return p
		}
	}
	if len(names) > 0 && allRE.MatchString(line) {
		return "every protocol"
	}
	return ""
}

// TestSecureDefaults audits every golden config (every fixture, every
// target) for the defaults docs/security.md promises: TLS 1.2+ and the
// modern cipher list on TLS listeners, no version banner, no admin surface
// unless the cluster asks for one (then read-only, behind its allow list),
// ambiguous ;param segments refused everywhere, and internal paths refused
// on public listeners. TestParity shows the last two on the real servers,
// including encoded and dotted spellings.
func TestSecureDefaults(t *testing.T) {
	eachFixture(t, func(t *testing.T, _, file string, c *model.Cluster, target generator.Target) {
		want, ok := secureDefaults[target]
		if !ok {
			t.Fatalf("no secure defaults for %s: add its lines to secureDefaults and docs/security.md", target)
		}
		out, err := generator.Render(c, target, options(file))
		if err != nil {
			t.Fatal(err)
		}
		text := string(out.Files[0].Data)
		var lines []string
		for l := range strings.Lines(text) {
			if l = strings.TrimSpace(l); !strings.HasPrefix(l, "#") {
				lines = append(lines, l)
			}
		}
		config := strings.Join(lines, "\n")
		require := func(what string, want []string) {
			for _, w := range want {
				if !slices.Contains(lines, w) {
					t.Errorf("%s: no line %q", what, w)
				}
			}
		}
		require("banner", want.banner)
		if slices.ContainsFunc(c.Listen, func(l model.Listener) bool { return l.TLS }) {
			require("TLS listener", want.tls)
		}
		for _, l := range lines {
			if p := weakProtocol(l); p != "" {
				t.Errorf("%s is enabled: %s", p, l)
			}
		}
		if m := weakCipherRE.FindString(config); m != "" {
			t.Errorf("weak cipher %s", m)
		}
		admin := adminRE.FindAllString(ownerSocketRE.ReplaceAllString(config, ""), -1)
		switch {
		case c.Admin == nil && len(admin) > 0:
			t.Errorf("admin surface %v without admin in the cluster", admin)
		case c.Admin != nil && len(admin) > 0:
			require("admin page", want.admin)
			for _, a := range c.Admin.Allow {
				if !strings.Contains(config, a) {
					t.Errorf("admin allow entry %s is not in the config", a)
				}
			}
			if strings.Contains(config, "stats admin") {
				t.Error("the statistics page can change servers (stats admin)")
			}
		}
		{
			ambiguous := regexp.MustCompile(want.ambiguous)
			starts := regexp.MustCompile(want.section).FindAllStringIndex(config, -1)
			for i, start := range starts {
				end := len(config)
				if i+1 < len(starts) {
					end = starts[i+1][0]
				}
				section := config[start[0]:end]
				if !proxyRE.MatchString(section) {
					continue
				}
				switch at := ambiguous.FindStringIndex(section); {
				case at == nil:
					t.Errorf("section %d: no %s", i+1, want.ambiguous)
				case want.first != "" && strings.Contains(section[:at[0]], want.first):
					t.Errorf("section %d: a line with %q comes before %s", i+1, want.first, want.ambiguous)
				}
			}
		}
		if slices.ContainsFunc(c.Listen, func(l model.Listener) bool { return !l.Internal }) {
			for _, p := range c.InternalPaths {
				for _, re := range want.denies(p) {
					if !regexp.MustCompile(re).MatchString(config) {
						t.Errorf("internal path %s: no %s", p, re)
					}
				}
			}
		}
	})
}

// TestSecureDefaultsFailing feeds the audit's checks configs that break
// each promise, so a check that passes anything is noticed.
func TestSecureDefaultsFailing(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"ssl_protocols TLSv1 TLSv1.2;", "TLSv1"},
		{"SSLProtocol all -SSLv3", "every protocol"},
		{"ssl-default-bind-options ssl-min-ver TLSv1.0", "TLSv1.0"},
		{"SSLProtocol -all +TLSv1.2 +TLSv1.3", ""},
		{"ssl-default-bind-options ssl-min-ver TLSv1.2 no-tlsv11", ""},
	} {
		if got := weakProtocol(tc.line); got != tc.want {
			t.Errorf("weakProtocol(%q) = %q, want %q", tc.line, got, tc.want)
		}
	}
	for _, tc := range []struct {
		re   *regexp.Regexp
		text string
	}{
		{weakCipherRE, "ssl_ciphers HIGH:RC4;"},
		{adminRE, "stats socket run/admin.sock level admin"},
		{adminRE, ownerSocketRE.ReplaceAllString("    stats socket ipv4@0.0.0.0:9999 level admin", "")},
		{adminRE, ownerSocketRE.ReplaceAllString("    stats socket unix@run/a.sock mode 666 level admin", "")},
		{adminRE, "<Location /server-status>"},
	} {
		if !tc.re.MatchString(tc.text) {
			t.Errorf("%s does not find %q", tc.re, tc.text)
		}
	}
}
