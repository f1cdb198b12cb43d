package generator_test

import (
	"context"
	"net/netip"
	"net/url"
	"testing"

	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/internal/sandbox"
	"github.com/lbgen/lbgen/internal/servers"
	"github.com/lbgen/lbgen/model"
	"github.com/lbgen/lbgen/outdir"
)

// checkAccepted renders c for target as lbgen check does (listeners on
// free loopback ports, throwaway certificates where the files are
// missing) and fails unless the real server accepts the result. Host
// names become localhost: tests run without DNS, and nginx and HAProxy
// resolve names when they load a config.
func checkAccepted(t testing.TB, c *model.Cluster, target generator.Target, opts generator.Options) {
	t.Helper()
	requireServer(t, target)
	dir := t.TempDir()
	checked, _, err := sandbox.ForCheck(withoutDNS(c), dir)
	if err != nil {
		t.Fatal(err)
	}
	out, err := generator.Render(checked, target, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := outdir.Write(dir, []*generator.Output{out}); err != nil {
		t.Fatal(err)
	}
	if text, err := servers.Check(context.Background(), target, dir); err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
}

func withoutDNS(c *model.Cluster) *model.Cluster {
	c = c.Clone()
	for i, n := range c.Nodes {
		if _, err := netip.ParseAddr(n.Host); err != nil {
			c.Nodes[i].Host = "localhost"
		}
	}
	for i, f := range c.Fallback {
		u, err := url.Parse(f.URL)
		if err != nil {
			continue
		}
		if _, err := netip.ParseAddr(u.Hostname()); err != nil {
			u.Host = "127.0.0.1"
			if p := u.Port(); p != "" {
				u.Host += ":" + p
			}
			c.Fallback[i].URL = u.String()
		}
	}
	return c
}
