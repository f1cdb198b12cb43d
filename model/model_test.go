package model

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const sample = `version: 1
name: shop
preset: cobrowse
listen:
  - addr: "8080"
nodes:
  - name: CB_Server_1
    host: 10.0.0.1
    port: 8700
  - {name: CB_Server_2, host: 10.0.0.2, port: 8700, weight: 3, state: drain}
`

func TestDecodeKeepsPositions(t *testing.T) {
	c, diags := Decode("c.yaml", []byte(sample))
	if len(diags) != 0 {
		t.Fatalf("unexpected findings: %v", diags)
	}
	want := map[string]Pos{
		"name":            {2, 7},
		"listen[0].addr":  {5, 11},
		"nodes[0].name":   {7, 11},
		"nodes[0].port":   {9, 11},
		"nodes[1]":        {10, 5},
		"nodes[1].weight": {10, 61},
	}
	for path, p := range want {
		if got := c.Pos[path]; got != p {
			t.Errorf("Pos[%q] = %v, want %v", path, got, p)
		}
	}
	if got := c.Pos.Of("nodes[1].tls_port"); got != (Pos{10, 5}) {
		t.Errorf("a missing field is reported at its mapping: got %v", got)
	}
}

func TestNormalizeFillsDefaultsOnce(t *testing.T) {
	c, _ := Decode("c.yaml", []byte(sample))
	c.Normalize()
	on := true
	want := &Cluster{
		Version: 1, Name: "shop", Preset: "cobrowse", Path: "/cobrowse",
		Sticky:         Sticky{Style: StyleRoute, Cookie: "gcbSessionServer"},
		Listen:         []Listener{{Addr: "8080"}},
		WebSocket:      &on,
		Timeouts:       Timeouts{Connect: DefaultConnect, Read: DefaultRead, Tunnel: DefaultTunnel, Drain: DefaultDrain},
		Health:         Health{Path: "/cobrowse/health", Interval: DefaultInterval, Fails: 2, Passes: 2, ExpectStatus: 200},
		MaxBody:        10 << 20,
		MaxConnections: DefaultMaxConnections,
		Nodes: []Node{
			{Name: "CB_Server_1", Host: "10.0.0.1", Port: 8700, Weight: 1, State: StateActive},
			{Name: "CB_Server_2", Host: "10.0.0.2", Port: 8700, Weight: 3, State: StateDrain},
		},
	}
	if diff := cmp.Diff(want, c, cmpopts.EquateEmpty(), cmpopts.IgnoreFields(Cluster{}, "File", "Pos")); diff != "" {
		t.Errorf("Normalize (-want +got):\n%s", diff)
	}
	again := c.Clone()
	again.Normalize()
	if diff := cmp.Diff(c, again); diff != "" {
		t.Errorf("Normalize is not idempotent (-first +second):\n%s", diff)
	}
}

func TestExplicitFieldsWinOverPreset(t *testing.T) {
	c, _ := Decode("c.yaml", []byte(sample+"path: /cb/\nsticky: {cookie: Other}\nhealth: {path: /ping}\n"))
	c.Normalize()
	if c.Path != "/cb" || c.Sticky.Cookie != "Other" || c.Health.Path != "/ping" {
		t.Errorf("got path %q cookie %q health %q", c.Path, c.Sticky.Cookie, c.Health.Path)
	}
}

func TestCloneIsDeep(t *testing.T) {
	c, _ := Decode("c.yaml", []byte(sample+"tls: {certificate: a, key: b}\nadmin: {addr: \"9000\", allow: [127.0.0.1]}\n"))
	d := c.Clone()
	d.Nodes[0].Name, d.Listen[0].Addr, d.TLS.Key, d.Admin.Allow[0] = "x", "x", "x", "x"
	if c.Nodes[0].Name == "x" || c.Listen[0].Addr == "x" || c.TLS.Key == "x" || c.Admin.Allow[0] == "x" {
		t.Error("Clone shares memory with the original")
	}
}

func TestScalars(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{in: "500ms", want: 500 * time.Millisecond}, {in: "1h30m", want: 90 * time.Minute},
		{in: "5", bad: true}, {in: "-1s", bad: true}, {in: "0s", bad: true}, {in: "1.5us", bad: true}, {in: "soon", bad: true},
	} {
		var d Duration
		err := d.UnmarshalText([]byte(tc.in))
		if (err != nil) != tc.bad || (!tc.bad && d.D() != tc.want) {
			t.Errorf("Duration %q: got %v, %v", tc.in, d.D(), err)
		}
	}
	for _, tc := range []struct {
		in   string
		want Size
		out  string
		bad  bool
	}{
		{in: "10m", want: 10 << 20, out: "10m"}, {in: "1536k", want: 1536 << 10, out: "1536k"}, {in: "1G", want: 1 << 30, out: "1g"},
		{in: "1000", want: 1000, out: "1000"}, {in: "10MB", bad: true}, {in: "0", bad: true}, {in: "2000g", bad: true}, {in: "-5k", bad: true},
	} {
		var s Size
		err := s.UnmarshalText([]byte(tc.in))
		if (err != nil) != tc.bad || (!tc.bad && (s != tc.want || s.String() != tc.out)) {
			t.Errorf("Size %q: got %d (%s), %v", tc.in, s, s, err)
		}
	}
}

func TestParseListen(t *testing.T) {
	for _, tc := range []struct {
		in   string
		host string
		port int
		bad  bool
	}{
		{in: "8080", port: 8080}, {in: "10.1.0.5:9080", host: "10.1.0.5", port: 9080}, {in: "[::1]:80", host: "::1", port: 80},
		{in: "*:81", port: 81}, {in: "host:80", bad: true}, {in: "0", bad: true}, {in: "1.2.3.4:65536", bad: true}, {in: "::1:80", bad: true},
	} {
		host, port, err := ParseListen(tc.in)
		if (err != nil) != tc.bad || host != tc.host || port != tc.port {
			t.Errorf("ParseListen(%q) = %q, %d, %v", tc.in, host, port, err)
		}
	}
}

func TestAliasesAreBounded(t *testing.T) {
	doc := "version: 1\nname: x\nanchors:\n  - &a [CB_1]\n"
	_, diags := Decode("c.yaml", []byte(doc))
	if len(diags) == 0 || diags[0].Code != "L-unknown-key" {
		t.Fatalf("want the unknown key reported, got %v", diags)
	}
	aliased := "version: 1\nname: &n x\ninternal_paths: [&p /a, *p, *p]\npreset: cobrowse\npath: *n\n"
	c, diags := Decode("c.yaml", []byte(aliased))
	if len(diags) != 0 || len(c.InternalPaths) != 3 || c.Path != "x" {
		t.Errorf("aliases of scalars resolve: got %+v, %v", c, diags)
	}
}

func TestInsertedCookie(t *testing.T) {
	off := false
	for _, tc := range []struct {
		ins  StickyInsert
		tls  bool
		want string
	}{
		{StickyInsert{Path: "/", SameSite: SameSiteLax}, false, "LB=.web1; Path=/; HttpOnly; SameSite=Lax"},
		{StickyInsert{Path: "/shop", SameSite: SameSiteStrict, MaxAge: Duration(8 * time.Hour)}, true,
			"LB=.web1; Path=/shop; Max-Age=28800; HttpOnly; SameSite=Strict; Secure"},
		{StickyInsert{Path: "/", SameSite: SameSiteNone, HTTPOnly: &off}, true, "LB=.web1; Path=/; SameSite=None; Secure"},
	} {
		s := Sticky{Style: StyleInsert, Cookie: "LB", Insert: &tc.ins}
		if got := s.InsertedCookie("web1", tc.tls); got != tc.want {
			t.Errorf("InsertedCookie = %q, want %q", got, tc.want)
		}
	}
}
