package proxy

import (
	"cmp"
	"slices"
	"sync"

	"github.com/lbgen/lbgen/health"
	"github.com/lbgen/lbgen/model"
)

// Reasons a request went where it went; they appear in the log as reason=.
const (
	reasonSticky       = "sticky"          // the route named a node that may take it
	reasonHash         = "hash"            // the value's point on the consistent-hash ring
	reasonNoRoute      = "no-route"        // no sticky value, or one without a route
	reasonUnknownRoute = "unknown-route"   // the route names no node
	reasonRouteDown    = "route-down"      // the routed node is down or in state down
	reasonRouteStandby = "route-standby"   // the routed standby node is not serving
	reasonStandby      = "standby"         // round robin over standby nodes
	reasonFallback     = "fallback"        // no local node is up
	reasonRetry        = "retry"           // the first node refused the connection
	reasonNoNode       = "no-node"         // nothing to send the request to (502)
	reasonInternalPath = "internal-path"   // 403
	reasonAmbiguous    = "ambiguous-path"  // 400: a ;param segment the node resolves (/..;/)
	reasonNotAllowed   = "not-allowed"     // 403
	reasonTooLarge     = "too-large"       // 413
	reasonNotFound     = "not-found"       // 404
	reasonBadRequest   = "bad-request"     // 400: the body could not be read
	reasonMaxConns     = "max-connections" // 503: max_connections requests in progress
)

// node is one cluster node with its health view and balancing state.
type node struct {
	model.Node
	plainAddr string // host:port for http
	tlsAddr   string // host:port for https

	// Guarded by pool.mu.
	health  health.Counter
	current int // smooth weighted round robin state
}

// pool holds the nodes, sorted by name so round robin starts
// deterministically, and decides which node takes a request.
type pool struct {
	mu     sync.Mutex
	nodes  []*node
	byName map[string]*node
	// The consistent-hash rings of the active nodes, by their plain and
	// TLS addresses; the hash style only.
	ring, tlsRing *ring
}

func newPool(nodes []model.Node, h model.Health, style string) *pool {
	p := &pool{byName: make(map[string]*node, len(nodes))}
	for _, mn := range nodes {
		n := &node{
			Node:      mn,
			plainAddr: model.HostPort(mn.Host, mn.Port),
			tlsAddr:   model.HostPort(mn.Host, mn.TLSPort),
			// Nodes start up, except those switched off in the file,
			// which are never checked and never take traffic.
			health: health.NewCounter(h, mn.State != model.StateDown),
		}
		p.nodes = append(p.nodes, n)
		p.byName[n.Name] = n
	}
	slices.SortFunc(p.nodes, func(a, b *node) int { return cmp.Compare(a.Name, b.Name) })
	if style == model.StyleHash {
		active := slices.DeleteFunc(slices.Clone(p.nodes), func(n *node) bool { return n.State != model.StateActive })
		p.ring = newRing(active, func(n *node) string { return n.plainAddr })
		p.tlsRing = newRing(active, func(n *node) string { return n.tlsAddr })
	}
	return p
}

// pickHash chooses the node for a value in the hash style: its point on
// the ring of active nodes, the next usable one when that node is down,
// and round robin without a value or when nginx would give up on the ring.
func (p *pool) pickHash(value string, tls bool) (*node, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if value != "" {
		r := p.ring
		if tls {
			r = p.tlsRing
		}
		if n := r.pick(value, func(n *node) bool { return n.health.Up() }); n != nil {
			return n, reasonHash
		}
	}
	return p.roundRobin(model.StateActive), reasonNoRoute
}

// pick chooses the node for a route. It returns nil when no local node can
// take the request, which sends it to the fallbacks.
func (p *pool) pick(route string) (*node, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	activeUp := slices.ContainsFunc(p.nodes, func(n *node) bool { return n.health.Up() && n.State == model.StateActive })
	var reason string
	switch n, known := p.byName[route]; {
	case route == "":
		reason = reasonNoRoute
	case !known:
		reason = reasonUnknownRoute
	case !n.health.Up() || n.State == model.StateDown:
		reason = reasonRouteDown
	case n.State == model.StateStandby && activeUp:
		reason = reasonRouteStandby
	default:
		return n, reasonSticky
	}
	if n := p.roundRobin(model.StateActive); n != nil {
		return n, reason
	}
	if n := p.roundRobin(model.StateStandby); n != nil {
		return n, reasonStandby
	}
	return nil, reason
}

// roundRobin is nginx's smooth weighted round robin over the up nodes in
// state. Only those nodes' state moves, as in an nginx upstream that holds
// just them. p.mu must be held.
func (p *pool) roundRobin(state string) *node {
	var best *node
	total := 0
	for _, n := range p.nodes {
		if !n.health.Up() || n.State != state {
			continue
		}
		n.current += n.Weight
		total += n.Weight
		if best == nil || n.current > best.current {
			best = n
		}
	}
	if best != nil {
		best.current -= total
	}
	return best
}

// isUp reports the health view of a node.
func (p *pool) isUp(n *node) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return n.health.Up()
}
