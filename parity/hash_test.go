package parity

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/internal/servers"
)

// TestProxyHashIsNginxHash sends the same sticky values through nginx and
// the proxy on one sandbox of the hash fixture and expects each value on
// the same node: the proxy's ring is nginx's, so it predicts nginx.
func TestProxyHashIsNginxHash(t *testing.T) {
	if testing.Short() {
		t.Skip("starts nginx")
	}
	c := LoadFixture(t, "hash")
	dir := t.TempDir()
	s, err := NewSandbox(c, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	landed := map[string][]string{}
	for _, r := range []Runner{serverRunner{target: generator.Nginx}, proxyRunner{}} {
		stop, err := r.Start(ctx, s, filepath.Join(dir, r.Name()))
		if errors.Is(err, servers.ErrNotInstalled) && os.Getenv("LBGEN_SKIP_SERVERS") != "" {
			t.Skip(err)
		}
		if err != nil {
			t.Fatal(err)
		}
		e := newEnv(ctx, s, r.Name(), "")
		for i := range 60 {
			rep, err := e.get(request{target: e.under("x"), cookie: e.sticky(fmt.Sprintf("v%02d", i))})
			if err != nil {
				stop()
				t.Fatal(err)
			}
			landed[r.Name()] = append(landed[r.Name()], rep.Node)
		}
		stop()
	}
	nginx, proxy := landed[string(generator.Nginx)], landed[ProxyName]
	for i := range nginx {
		if nginx[i] != proxy[i] {
			t.Errorf("value %d: nginx sent it to %s, the proxy to %s", i, nginx[i], proxy[i])
		}
	}
	t.Logf("60 values, nginx and proxy agree: %v", nginx[:12])
}
