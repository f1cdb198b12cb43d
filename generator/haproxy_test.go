package generator

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lbgen/lbgen/model"
)

func TestHAProxyQuoting(t *testing.T) {
	checkQuoting(t, []quoteCase{
		{fn: haproxyQuote, in: "/cobrowse/rest", out: "/cobrowse/rest"},
		{fn: haproxyQuote, in: "[fd00::10]:8443", out: "[fd00::10]:8443"},
		{fn: haproxyQuote, in: "n.1+a@b", out: "n.1+a@b"},
		{fn: haproxyQuote, in: "/a;b", out: `"/a;b"`},
		{fn: haproxyQuote, in: "a#b c", out: `"a#b c"`},
		{fn: haproxyQuote, in: `a\b`, out: `"a\\b"`},
		{fn: haproxyQuote, in: "", out: `""`},
		{fn: haproxyQuote, in: "a$b", bad: true},
		{fn: haproxyQuote, in: `a"b`, bad: true},
		{fn: haproxyQuote, in: "a\nb", bad: true},
		{fn: haproxyPattern, in: "CB_Server_1", out: "CB_Server_1"},
		{fn: haproxyPattern, in: "-i", out: "-- -i"},
		{fn: haproxyPattern, in: "~tilde", out: "~tilde"},
		{fn: haproxySingleQuote, in: `x,regsub("^a\\.$",)`, out: `'x,regsub("^a\\.$",)'`},
		{fn: haproxySingleQuote, in: "it's", bad: true},
		{fn: haproxyComment, in: "/cobrowse/health", out: "/cobrowse/health"},
		{fn: haproxyComment, in: "x\nserver evil 10.0.0.9:80", bad: true},
	})
	// The argument parser takes one level of backslashes and quotes.
	if got, want := haproxyArg(`a\.b"c`), `"a\\.b\"c"`; got != want {
		t.Errorf("haproxyArg: got %s, want %s", got, want)
	}
}

func TestHAProxyDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{{1500 * time.Millisecond, "1500ms"}, {2 * time.Second, "2s"}, {90 * time.Second, "90s"}, {time.Minute, "1m"}, {2 * time.Hour, "2h"}, {48 * time.Hour, "2d"}} {
		if got := haproxyDuration(tc.d); got != tc.want {
			t.Errorf("haproxyDuration(%s) = %s, want %s", tc.d, got, tc.want)
		}
	}
}

// TestHAProxyServerNames keeps node names HAProxy accepts and replaces the
// others by identifiers that collide with no kept name.
func TestHAProxyServerNames(t *testing.T) {
	c := &model.Cluster{Name: "c", Path: "/", Listen: []model.Listener{{Addr: "80"}}}
	for _, name := range []string{"n_1_a_b", "n.1+a@b", "CB-1.x:y", "~t"} {
		c.Nodes = append(c.Nodes, model.Node{Name: name, Host: "10.0.0.1", Port: 80, Weight: 1, State: model.StateActive})
	}
	v, err := newView(c, Options{}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	hv, err := newHAProxyView(v)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, n := range hv.Servers {
		got[n.Name] = n.Server
	}
	want := map[string]string{"n_1_a_b": "n_1_a_b", "n.1+a@b": "n_1_a_b_2", "CB-1.x:y": "CB-1.x:y", "~t": "_t"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("server names (-want +got):\n%s", diff)
	}
}

func TestHAProxyKeyFile(t *testing.T) {
	for _, tc := range []struct {
		cert, key string
		want      haproxyKey
	}{
		{"site.pem", "site.pem", keyInPEM},
		{"site.pem", "site.pem.key", keyAppend},
		{"tls/site.crt", "tls/site.key", keyDelExt},
		{"/etc/ssl/certs/site.crt", "/etc/ssl/private/site.key", keyNone},
		{"site.pem", "site.key", keyNone},
	} {
		c := &model.Cluster{Name: "c", Path: "/", Listen: []model.Listener{{Addr: "443", TLS: true}},
			TLS:   &model.TLS{Certificate: tc.cert, Key: tc.key},
			Nodes: []model.Node{{Name: "n", Host: "10.0.0.1", Port: 80, Weight: 1, State: model.StateActive}}}
		v, err := newView(c, Options{}.withDefaults())
		if err != nil {
			t.Fatal(err)
		}
		hv, err := newHAProxyView(v)
		switch {
		case tc.want == keyNone && err == nil:
			t.Errorf("%s + %s: accepted, want an error", tc.cert, tc.key)
		case tc.want == keyNone && !strings.Contains(err.Error(), "L-haproxy-tls-key"):
			t.Errorf("%s + %s: error %v does not name the lint", tc.cert, tc.key, err)
		case tc.want != keyNone && err != nil:
			t.Errorf("%s + %s: %v", tc.cert, tc.key, err)
		case tc.want != keyNone && hv.KeyFile != tc.want:
			t.Errorf("%s + %s: key file %d, want %d", tc.cert, tc.key, hv.KeyFile, tc.want)
		}
	}
}

// TestHAProxyRefusesUnsafe renders clusters validation would refuse: the
// generator must not write a string that ends a line or a quoted word.
func TestHAProxyRefusesUnsafe(t *testing.T) {
	for _, mutate := range []func(c *model.Cluster){
		func(c *model.Cluster) { c.Nodes[0].Name = "n\nserver evil 10.0.0.9:80" },
		func(c *model.Cluster) { c.Sticky.Cookie = "a'b" },
		func(c *model.Cluster) { c.Health.Path = "/h\"x" },
		func(c *model.Cluster) { c.InternalPaths = []string{"/a\n"} },
	} {
		c := &model.Cluster{Name: "c", Path: "/app", Sticky: model.Sticky{Cookie: "ROUTEID"}, Health: model.Health{Path: "/app/health"},
			Listen: []model.Listener{{Addr: "80"}},
			Nodes:  []model.Node{{Name: "n", Host: "10.0.0.1", Port: 80, Weight: 1, State: model.StateActive}}}
		mutate(c)
		if out, err := Render(c, HAProxy, Options{}); err == nil {
			t.Errorf("rendered an unsafe string:\n%s", out.Files[0].Data)
		}
	}
}
