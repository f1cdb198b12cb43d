package validate

import "github.com/lbgen/lbgen/model"

// Target reports what is valid in a cluster but does not work, or works
// differently, with one target ("nginx", "apache", "haproxy"). c is the
// normalised cluster Load returned; findings concern that target only.
func Target(c *model.Cluster, target string) []Diagnostic {
	ch := &checker{raw: c, c: c}
	switch target {
	case "nginx":
		ch.nginxLimitConn()
	case "apache":
		ch.apache()
	case "haproxy":
		ch.haproxyTimers()
		ch.haproxyKey()
	}
	return model.SortDiagnostics(ch.diags)
}
