// Package health is the active health check of the nodes: one check, and
// the rule that turns a node's results into up and down (docs/routing.md,
// rule 7). The reference proxy and `lbgen watch` both use it, so a node is
// taken out and back in the same way wherever lbgen checks it.
package health

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/lbgen/lbgen/model"
)

// DialFunc opens a connection to a node, as net.Dialer.DialContext does.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Prober sends the cluster's health check to a node.
type Prober struct {
	client   *http.Client
	path     string
	expect   int
	interval time.Duration
	tls      bool
}

// NewProber returns a prober for c's health settings. dial and dialTLS
// (which must complete the TLS handshake) may be nil: connections then
// take at most timeouts.connect, and node certificates are not verified,
// as in every rendered config. Every check opens a new connection, as
// HAProxy and Apache do, so a node that stopped accepting connections is
// noticed.
func NewProber(c *model.Cluster, dial, dialTLS DialFunc) *Prober {
	if dial == nil {
		d := &net.Dialer{Timeout: c.Timeouts.Connect.D()}
		dial = d.DialContext
	}
	return &Prober{
		client: &http.Client{
			Transport: &http.Transport{
				DialContext:       dial,
				DialTLSContext:    dialTLS,
				TLSClientConfig:   &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12},
				DisableKeepAlives: true,
			},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		path:     c.Health.Path,
		expect:   c.Health.ExpectStatus,
		interval: c.Health.Interval.D(),
		tls:      c.UpstreamMode() == model.UpstreamTLS,
	}
}

// Check sends one GET health.path to n. The whole check, connecting
// included, must finish within one interval.
func (p *Prober) Check(ctx context.Context, n model.Node) error {
	ctx, cancel := context.WithTimeout(ctx, p.interval)
	defer cancel()
	scheme, addr := "http", model.HostPort(n.Host, n.Port)
	if p.tls {
		scheme, addr = "https", model.HostPort(n.Host, n.TLSPort)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+addr+p.path, nil)
	if err != nil {
		return err
	}
	res, err := p.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode != p.expect {
		return fmt.Errorf("status %d", res.StatusCode)
	}
	return nil
}

// Run checks n every interval until ctx ends and hands each result to
// record. A check cut short by ctx is not recorded: the failure is the
// caller's, not the node's.
func (p *Prober) Run(ctx context.Context, n model.Node, record func(error)) {
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := p.Check(ctx, n)
		if ctx.Err() != nil {
			return
		}
		record(err)
	}
}

// Counter turns a node's check results into up and down: down after
// health.fails consecutive failures, up after health.passes consecutive
// passes. It is not safe for concurrent use.
type Counter struct {
	needFails, needPasses int
	up                    bool
	fails, passes         int
}

// NewCounter returns a counter for h's thresholds, starting up or down.
func NewCounter(h model.Health, up bool) Counter {
	return Counter{needFails: h.Fails, needPasses: h.Passes, up: up}
}

// Up reports whether the node is up.
func (c *Counter) Up() bool { return c.up }

// Record counts one result (nil is a pass) and reports whether the node
// changed state.
func (c *Counter) Record(err error) bool {
	if err == nil {
		c.fails = 0
		if !c.up {
			c.passes++
			if c.passes >= c.needPasses {
				c.up, c.passes = true, 0
				return true
			}
		}
		return false
	}
	c.passes = 0
	if c.up {
		c.fails++
		if c.fails >= c.needFails {
			c.up, c.fails = false, 0
			return true
		}
	}
	return false
}

// Down takes the node out at once, as a proxied request that could not
// connect does, and reports whether it was up. The checks bring it back.
func (c *Counter) Down() bool {
	was := c.up
	c.up, c.fails, c.passes = false, 0, 0
	return was
}

// Describe names a check failure briefly for a log line.
func Describe(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connect refused"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return err.Error()
}
