package validate

import (
	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/model"
)

// Target reports what is valid in a cluster but does not work, or works
// differently, with one target. c is the normalised cluster Load returned;
// findings concern that target only.
func Target(c *model.Cluster, t generator.Target) []Diagnostic {
	ch := &checker{raw: c, c: c}
	switch t {
	case generator.Nginx:
		ch.nginxLimitConn()
		ch.nginxInsertHosts()
	case generator.Apache:
		ch.apache()
	case generator.HAProxy:
		ch.haproxyTimers()
		ch.haproxyKey()
	}
	return model.SortDiagnostics(ch.diags)
}
