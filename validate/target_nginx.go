package validate

import (
	"fmt"
	"net/netip"

	"github.com/lbgen/lbgen/model"
)

// nginxMaxLimitConn is the largest limit nginx's limit_conn takes ("connection
// limit must be less 65536"), which answers 503 beyond max_connections.
const nginxMaxLimitConn = 65535

func (ch *checker) nginxLimitConn() {
	if n := ch.c.MaxConnections; n > nginxMaxLimitConn {
		ch.warnf("max_connections", "L-nginx-max-connections", fmt.Sprintf("keep max_connections at %d or less per nginx server to get 503 at the limit", nginxMaxLimitConn),
			"max_connections %d is above %d, the most nginx's limit_conn counts: beyond it nginx answers no 503 but closes new connections once a worker has no room", n, nginxMaxLimitConn)
	}
}

// nginxInsertHosts refuses host names in the insert style: nginx knows the
// node that answered only by the address it connected to.
func (ch *checker) nginxInsertHosts() {
	if ch.c.Sticky.Style != model.StyleInsert {
		return
	}
	for i, n := range ch.c.Nodes {
		if _, err := netip.ParseAddr(n.Host); err != nil && n.State != model.StateDown {
			ch.errorf(fmt.Sprintf("nodes[%d].host", i), "L-nginx-insert-host", "write the node's IP address, or use the haproxy or apache target",
				"node %s has host name %s: with sticky.style insert nginx names the node that answered by its IP address, so it could not set the cookie for it", model.Quote(n.Name), model.Quote(n.Host))
		}
	}
}
