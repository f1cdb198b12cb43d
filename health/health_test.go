package health_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/lbgen/lbgen/health"
	"github.com/lbgen/lbgen/internal/testbackend"
	"github.com/lbgen/lbgen/model"
)

func TestCounterThresholds(t *testing.T) {
	c := health.NewCounter(model.Health{Fails: 3, Passes: 2}, true)
	fail := errors.New("status 500")
	steps := []struct {
		err         error
		wantUp      bool
		wantChanged bool
	}{
		{fail, true, false}, {fail, true, false}, {nil, true, false}, // a pass resets the failure count
		{fail, true, false}, {fail, true, false}, {fail, false, true}, // the third consecutive failure
		{nil, false, false}, {fail, false, false}, // a failure resets the pass count
		{nil, false, false}, {nil, true, true}, // the second consecutive pass
	}
	for i, s := range steps {
		changed := c.Record(s.err)
		if c.Up() != s.wantUp || changed != s.wantChanged {
			t.Fatalf("step %d (err %v): up %v changed %v, want up %v changed %v", i, s.err, c.Up(), changed, s.wantUp, s.wantChanged)
		}
	}
	if !c.Down() || c.Up() {
		t.Fatal("Down on an up node: want it reported as up before and down after")
	}
	if c.Down() {
		t.Fatal("Down on a down node reported it as up")
	}
}

func TestProberAgainstRealNode(t *testing.T) {
	b, err := testbackend.Start(testbackend.Options{Name: "A", HealthStatus: 204})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	c := &model.Cluster{Health: model.Health{Path: "/cobrowse/health", Interval: model.Duration(time.Second), ExpectStatus: 204}}
	d := net.Dialer{Timeout: time.Second}
	p := health.NewProber(c, d.DialContext, nil)
	node := model.Node{Name: "A", Host: "127.0.0.1", Port: b.Port()}
	ctx := context.Background()

	if err := p.Check(ctx, node); err != nil {
		t.Fatalf("healthy node: %v", err)
	}
	b.SetHealthy(false)
	if err := p.Check(ctx, node); err == nil || health.Describe(err) != "status 503" {
		t.Fatalf("unhealthy node: got %v, want status 503", err)
	}
	b.Kill()
	if err := p.Check(ctx, node); err == nil || health.Describe(err) != "connect refused" {
		t.Fatalf("killed node: got %v, want connect refused", err)
	}
	b.Recover()
	b.SetHealthy(true)
	b.Hang()
	err = p.Check(ctx, node)
	if err == nil || health.Describe(err) != "timeout" {
		t.Fatalf("hung node: got %v, want timeout", err)
	}
	if got := b.HealthChecks(); got != 2 {
		t.Errorf("node answered %d health checks, want 2 (healthy, then unhealthy)", got)
	}
	if !strings.Contains(err.Error(), "/cobrowse/health") {
		t.Errorf("error %q does not name the checked URL", err)
	}
}
