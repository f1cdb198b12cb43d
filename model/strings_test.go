package model_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lbgen/lbgen/model"
)

func TestStrings(t *testing.T) {
	c := &model.Cluster{
		Name:   "c",
		File:   "not a field of the file",
		Sticky: model.Sticky{Cookie: "k", Insert: &model.StickyInsert{Path: "/p"}},
		Listen: []model.Listener{{Addr: "80"}, {Addr: "81", Allow: []string{"10.0.0.0/8"}}},
		TLS:    &model.TLS{Certificate: "a.crt"},
		Nodes:  []model.Node{{Name: "n", Host: "h", State: "drain"}},
		Admin:  &model.Admin{Allow: []string{"127.0.0.1"}},
	}
	got := map[string]string{}
	for path, p := range c.Strings() {
		got[path] = *p
	}
	want := map[string]string{
		"name": "c", "preset": "", "path": "", "sticky.cookie": "k", "sticky.param": "", "sticky.style": "",
		"sticky.insert.path": "/p", "sticky.insert.same_site": "",
		"listen[0].addr": "80", "listen[1].addr": "81", "listen[1].allow[0]": "10.0.0.0/8",
		"tls.certificate": "a.crt", "tls.key": "", "tls.upstream": "",
		"health.path": "", "nodes[0].name": "n", "nodes[0].host": "h", "nodes[0].state": "drain",
		"admin.addr": "", "admin.allow[0]": "127.0.0.1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Strings() (-want +got):\n%s", diff)
	}
}

func TestStringsSet(t *testing.T) {
	c := &model.Cluster{Nodes: []model.Node{{Name: "a"}}}
	for path, p := range c.Strings() {
		if path == "nodes[0].name" {
			*p = "b"
		}
	}
	if c.Nodes[0].Name != "b" {
		t.Errorf("setting through Strings left the name %q", c.Nodes[0].Name)
	}
}
