package validate

import "fmt"

// nginxMaxLimitConn is the largest limit nginx's limit_conn takes ("connection
// limit must be less 65536"), which answers 503 beyond max_connections.
const nginxMaxLimitConn = 65535

func (ch *checker) nginxLimitConn() {
	if n := ch.c.MaxConnections; n > nginxMaxLimitConn {
		ch.warnf("max_connections", "L-nginx-max-connections", fmt.Sprintf("keep max_connections at %d or less per nginx server to get 503 at the limit", nginxMaxLimitConn),
			"max_connections %d is above %d, the most nginx's limit_conn counts: beyond it nginx answers no 503 but closes new connections once a worker has no room", n, nginxMaxLimitConn)
	}
}
