package generator_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/internal/sandbox"
	"github.com/lbgen/lbgen/model"
	"github.com/lbgen/lbgen/validate"
)

// injectFields are the string fields of a cluster file, each with the
// valid value a payload is appended to. The file is written in block
// style, one field per line, so each value's position is known.
var injectFields = []struct {
	path, value string
}{
	{"name", "shop"},
	{"preset", "generic"},
	{"path", "/app"},
	{"sticky.cookie", "SID"},
	{"sticky.param", "sid"},
	{"listen[0].addr", "127.0.0.1:8080"},
	{"listen[1].addr", "127.0.0.1:8443"},
	{"listen[2].addr", "127.0.0.1:9080"},
	{"listen[2].allow[0]", "10.0.0.0/8"},
	{"internal_paths[0]", "/app/rest"},
	{"tls.certificate", "site.crt"}, // made absolute in a directory holding the file
	{"tls.key", "site.key"},
	{"tls.upstream", "plain"},
	{"health.path", "/app/health"},
	{"nodes[0].name", "CB_Server_1"},
	{"nodes[0].host", "10.0.0.1"},
	{"nodes[0].state", "active"},
	{"fallback[0].name", "dc2"},
	{"fallback[0].url", "https://203.0.113.10"},
	{"admin.addr", "127.0.0.1:8404"},
	{"admin.allow[0]", "127.0.0.1"},
}

// injectTemplate places the fields; %[n]s is field n, already quoted.
const injectTemplate = `version: 1
name: %[1]s
preset: %[2]s
path: %[3]s
sticky:
  cookie: %[4]s
  param: %[5]s
listen:
  - addr: %[6]s
  - addr: %[7]s
    tls: true
  - addr: %[8]s
    internal: true
    allow:
      - %[9]s
internal_paths:
  - %[10]s
tls:
  certificate: %[11]s
  key: %[12]s
  upstream: %[13]s
health:
  path: %[14]s
nodes:
  - name: %[15]s
    host: %[16]s
    port: 8700
    state: %[17]s
  - name: CB_Server_2
    host: 10.0.0.2
    port: 8700
fallback:
  - name: %[18]s
    url: %[19]s
admin:
  addr: %[20]s
  allow:
    - %[21]s
`

// inert marks a payload a field accepts: it must render quoted and be
// accepted by the real server.
const inert = ""

// payloads is the injection corpus, each appended to a field's valid
// value, or written instead of it when whole is set. want maps a field
// path to the lint code that refuses the payload there, or to inert; "*"
// is every other field.
var payloads = []struct {
	name, text string
	whole      bool
	want       map[string]string
}{
	{"double quote", `"`, false, unsafe()},
	{"single quote", `'`, false, unsafe("nodes[0].name")},
	{"semicolon", `;`, false, unsafe()},
	{"braces", `{}`, false, unsafe("nodes[0].name")},
	{"hash", `#x`, false, unsafe("nodes[0].name")},
	{"backslash", `\`, false, unsafe()},
	{"backtick", "`id`", false, unsafe("nodes[0].name")},
	{"space", " x", false, unsafe()},
	{"tab", "\tx", false, unsafe()},
	{"newline and directive", "\nload_module /tmp/evil.so;", false, unsafe()},
	{"carriage return", "\r", false, unsafe()},
	{"NUL", "\x00", false, unsafe()},
	{"nginx variable", "$host", false, unsafe("nodes[0].name")},
	{"braced variable", "${HOME}", false, unsafe("nodes[0].name")},
	{"Apache expression", "%{REQUEST_URI}", false, unsafe("nodes[0].name")},
	{"HAProxy sample", "%[src]", false, with(unsafe("nodes[0].name"), "L-listen", "listen[0].addr", "listen[1].addr", "listen[2].addr", "admin.addr")},
	{"HAProxy log variable", "%ci", false, unsafe("nodes[0].name", "sticky.cookie")},
	{"Greek question mark U+037E", "\u037e", false, unsafe()},
	{"fullwidth semicolon U+FF1B", "\uff1b", false, unsafe()},
	{"no-break space U+00A0", "\u00a0", false, unsafe()},
	{"zero-width space U+200B", "\u200b", false, unsafe()},
	{"right-to-left override U+202E", "\u202e", false, unsafe()},
	{"10 KB", strings.Repeat("a", 10<<10), false, map[string]string{"*": "L-too-long"}},
	{"pipe", "|", false, syntaxOnly(inert, "nodes[0].name", "tls.certificate", "tls.key")},
	{"angle brackets", "<x>", false, syntaxOnly(inert, "nodes[0].name", "tls.certificate", "tls.key")},
	{"parentheses and star", "(.*)", false, syntaxOnly(inert, "nodes[0].name", "tls.certificate", "tls.key")},
	{"bang", "!x", false, syntaxOnly(inert, "nodes[0].name", "tls.certificate", "tls.key", "sticky.cookie", "path", "internal_paths[0]", "health.path")},
	{"tilde", "~x", false, syntaxOnly(inert, "nodes[0].name", "tls.certificate", "tls.key", "sticky.cookie", "sticky.param", "path", "internal_paths[0]", "health.path")},
	// Whole values that mean something to nginx as map keys.
	{"regex as a value", "~.*", true, syntaxOnly(inert, "nodes[0].name", "tls.certificate", "tls.key", "sticky.cookie")},
	{"keyword as a value", "default", true, syntaxOnly(inert, "name", "nodes[0].name", "nodes[0].host", "tls.certificate", "tls.key",
		"sticky.cookie", "sticky.param", "fallback[0].name")},
}

// unsafe is the outcome of a payload that could end a config statement:
// each field's own syntax refuses it, except in the certificate and key
// paths, which have no syntax of their own, and the fields listed, whose
// syntax allows the characters (a node name may hold $ or #); there
// L-unsafe-string refuses it.
func unsafe(fields ...string) map[string]string {
	m := syntaxOnly("L-unsafe-string", "tls.certificate", "tls.key")
	m["nodes[0].name"] = "L-node-name"
	return with(m, "L-unsafe-string", fields...)
}

// with sets the outcome of the fields listed to want.
func with(m map[string]string, want string, fields ...string) map[string]string {
	for _, f := range fields {
		m[f] = want
	}
	return m
}

// syntaxOnly is the outcome of a payload made of printable ASCII that
// validation does not call unsafe: each field's own syntax check refuses
// it, except in the fields listed, where the outcome is want.
func syntaxOnly(want string, fields ...string) map[string]string {
	m := map[string]string{
		"name": "L-cluster-name", "preset": "L-value", "path": "L-path", "sticky.cookie": "L-cookie-name",
		"sticky.param": "L-sticky-param", "listen[0].addr": "L-port", "listen[1].addr": "L-port",
		"listen[2].addr": "L-port", "listen[2].allow[0]": "L-cidr", "internal_paths[0]": "L-path",
		"tls.upstream": "L-value", "health.path": "L-path", "nodes[0].host": "L-host", "nodes[0].state": "L-value",
		"fallback[0].name": "L-fallback", "fallback[0].url": "L-fallback", "admin.addr": "L-port", "admin.allow[0]": "L-cidr",
	}
	return with(m, want, fields...)
}

// injectFile writes the cluster file with payload text appended to field
// i (or replacing it, when whole) and returns it with the position of
// that value. Certificate and key paths are in dir; with paired, the one
// not injected follows the other as HAProxy needs (key NAME.key for
// certificate NAME, or certificate and key in one file).
func injectFile(dir string, i int, text string, whole, paired bool) ([]byte, model.Pos) {
	values := make([]string, len(injectFields))
	for j, f := range injectFields {
		v := f.value
		switch {
		case j == i && whole:
			v = text
		case j == i:
			v += text
		}
		if f.path == "tls.certificate" || f.path == "tls.key" {
			v = dir + "/" + v
		}
		values[j] = v
	}
	if paired {
		switch injectFields[i].path {
		case "tls.certificate":
			values[i+1] = values[i] + ".key"
		case "tls.key":
			values[i-1] = values[i]
		}
	}
	args := make([]any, len(values))
	for j, v := range values {
		args[j] = strconv.QuoteToASCII(v)
	}
	file := fmt.Sprintf(injectTemplate, args...)
	// Every field is on its own line, ending the line: find it by its
	// position among the quoted values.
	marker := fmt.Sprintf("%%[%d]s", i+1)
	before, _, _ := strings.Cut(injectTemplate, marker)
	line := strings.Count(before, "\n") + 1
	col := len(before) - strings.LastIndex(before, "\n")
	return []byte(file), model.Pos{Line: line, Col: col}
}

// TestInjection puts every payload into every string field. Each is
// either refused by the expected lint at the value's position, with no
// other error, or rendered for every target with the value only inside
// quotes or comments, and accepted by the real server.
func TestInjection(t *testing.T) {
	for _, p := range payloads {
		for i, f := range injectFields {
			want, ok := p.want[f.path]
			if !ok {
				want = p.want["*"]
			}
			t.Run(p.name+"/"+f.path, func(t *testing.T) {
				dir := t.TempDir()
				data, pos := injectFile(dir, i, p.text, p.whole, want == inert)
				c, diags := validate.Load("c.yaml", data)
				if want != inert {
					var errs []string
					for _, d := range diags {
						if d.Severity == model.SevError {
							errs = append(errs, fmt.Sprintf("%d:%d %s", d.Line, d.Col, d.Code))
						}
					}
					if w := fmt.Sprintf("%d:%d %s", pos.Line, pos.Col, want); len(errs) != 1 || errs[0] != w {
						t.Fatalf("errors %v, want exactly %s\n%v", errs, w, diags)
					}
					return
				}
				if c == nil {
					t.Fatalf("refused, want it accepted and rendered inert: %v", diags)
				}
				if strings.HasPrefix(f.path, "tls.") {
					linkCertificate(t, dir, c)
				}
				for _, target := range generator.Targets {
					if diags := validate.Target(c, target); model.HasErrors(diags) {
						t.Fatalf("%s refuses it: %v", target, diags)
					}
					opts := generator.Options{Source: "c.yaml"}
					out, err := generator.Render(c, target, opts)
					if err != nil {
						t.Fatalf("%s: %v", target, err)
					}
					for _, problem := range notInert(c, out, opts) {
						t.Errorf("%s: %s", target, problem)
					}
					checkAccepted(t, c, target, opts)
				}
			})
		}
	}
}

// linkCertificate makes the certificate and key named in c exist, so the
// server check reads the files by the hostile names instead of replacing
// them with a throwaway pair. One name for both is one file holding both.
func linkCertificate(t *testing.T, dir string, c *model.Cluster) {
	t.Helper()
	certFile, keyFile, err := sandbox.SelfSigned(dir)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{c.TLS.Certificate: cert, c.TLS.Key: key}
	if c.TLS.Key == c.TLS.Certificate {
		files[c.TLS.Key] = append(cert, key...)
	}
	for name, data := range files {
		if err := os.WriteFile(name, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
