package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/lbgen/lbgen/model"
)

// newChecker returns the client of the active health checks. It opens a
// new connection for every check, as HAProxy and Apache do, so a node that
// stopped accepting connections is noticed.
func newChecker(d dialer) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			DialContext:       d.dial,
			DialTLSContext:    d.dialTLS,
			DisableKeepAlives: true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// watch checks one node every health.interval until ctx ends.
func (p *Proxy) watch(ctx context.Context, n *node) {
	t := time.NewTicker(p.c.Health.Interval.D())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := p.check(ctx, n)
		if ctx.Err() != nil {
			return // shutting down: the failure is ours, not the node's
		}
		p.record(n, err)
	}
}

// check sends one GET health.path to a node. The whole check, connecting
// included, must finish within one interval.
func (p *Proxy) check(ctx context.Context, n *node) error {
	ctx, cancel := context.WithTimeout(ctx, p.c.Health.Interval.D())
	defer cancel()
	scheme, addr := "http", n.plainAddr
	if p.c.UpstreamMode() == model.UpstreamTLS {
		scheme, addr = "https", n.tlsAddr
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+addr+p.c.Health.Path, nil)
	if err != nil {
		return err
	}
	res, err := p.checker.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode != p.c.Health.ExpectStatus {
		return fmt.Errorf("status %d", res.StatusCode)
	}
	return nil
}

// record counts a check result: a node goes down after health.fails
// consecutive failures and up after health.passes consecutive successes.
func (p *Proxy) record(n *node, err error) {
	h := p.c.Health
	p.pool.mu.Lock()
	changed := false
	if err == nil {
		n.fails = 0
		if !n.up {
			n.passes++
			if n.passes >= h.Passes {
				n.up, n.passes, changed = true, 0, true
			}
		}
	} else {
		n.passes = 0
		if n.up {
			n.fails++
			if n.fails >= h.Fails {
				n.up, n.fails, changed = false, 0, true
			}
		}
	}
	p.pool.mu.Unlock()
	switch {
	case changed && err == nil:
		p.logf("node=%s health=up check=active", field(n.Name))
	case changed:
		p.logf("node=%s health=down check=active reason=%s", field(n.Name), field(describe(err)))
	}
}

// markDown takes a node out at once after a proxied request could not
// connect to it; the health checks bring it back.
func (p *Proxy) markDown(n *node, err error) {
	p.pool.mu.Lock()
	was := n.up
	n.up, n.fails, n.passes = false, 0, 0
	p.pool.mu.Unlock()
	if was {
		p.logf("node=%s health=down check=request reason=%s", field(n.Name), field(describe(err)))
	}
}

// describe names a failure briefly for the log.
func describe(err error) string {
	var ce *connectError
	var ne net.Error
	connect := errors.As(err, &ce)
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connect refused"
	case connect && errors.As(err, &ne) && ne.Timeout():
		return "connect timeout"
	case connect:
		return "connect failed: " + ce.err.Error()
	case errors.Is(err, errReadTimeout), errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	return err.Error()
}
