package proxy

import (
	"errors"
	"net"
	"syscall"

	"github.com/lbgen/lbgen/health"
)

// record counts a check result and logs a change of state.
func (p *Proxy) record(n *node, err error) {
	p.pool.mu.Lock()
	changed := n.health.Record(err)
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
	was := n.health.Down()
	p.pool.mu.Unlock()
	if was {
		p.logf("node=%s health=down check=request reason=%s", field(n.Name), field(describe(err)))
	}
}

// describe names a failure briefly for the log, telling connect failures,
// which the node never saw, from the others.
func describe(err error) string {
	var ce *connectError
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return health.Describe(err)
	case errors.As(err, &ce) && errors.As(err, &ne) && ne.Timeout():
		return "connect timeout"
	case errors.As(err, &ce):
		return "connect failed: " + ce.err.Error()
	case errors.Is(err, errReadTimeout):
		return "timeout"
	}
	return health.Describe(err)
}
