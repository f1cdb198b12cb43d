package parity

import "github.com/lbgen/lbgen/generator"

// divergence is one documented way a target differs from the reference
// semantics: in one check of one scenario, it shows the observed outcome
// instead of the reference one. Every other outcome of that check, and
// every other check of the scenario, is still judged against the
// reference. Each one is in docs/targets.md, tagged
// "(parity: SCENARIO)".
type divergence struct {
	target   generator.Target
	scenario string
	check    string
	observed string
	why      string
}

var divergences = []divergence{
	{generator.Apache, "url-param-sticky", "parameter-name-whole", "the parameter's node",
		"Apache finds the URL parameter by substring, so x<param>= routes too"},
	{generator.Apache, "new-sessions-ignore-sticky-load", "new-sessions-spread", "every active node but the sticky one",
		"Apache's byrequests counts sticky requests, so new sessions avoid a node that just served many"},
	{generator.Apache, "hung-node-times-out", "read-timeout-status", "status 502",
		"mod_proxy_http answers a read timeout with 502, not 504"},
	{generator.Apache, "max-body", "chunked-over-limit public", "status 411",
		"Apache cannot limit a chunked body it proxies; public listeners answer 411 to chunked bodies"},
	{generator.Apache, "max-body", "chunked-over-limit internal", "status 200, whole body at the node",
		"Apache cannot limit a chunked body it proxies; internal listeners pass chunked bodies unlimited"},
	{generator.Apache, "standby-serves-when-actives-down", "standby-answer-pins", "sets no cookie",
		"Apache's standby members carry no route, so that their sessions return to active nodes; an answer from one sets no cookie"},
	{generator.HAProxy, "max-body", "chunked-over-limit public", "status 411",
		"HAProxy 2.6 cannot count a chunked body it streams; public listeners answer 411 to chunked bodies"},
	{generator.HAProxy, "max-body", "chunked-over-limit internal", "status 200, whole body at the node",
		"HAProxy 2.6 cannot count a chunked body it streams; internal listeners pass chunked bodies unlimited"},
	{generator.Nginx, "active-health-check", "unhealthy-node-taken-out", "the unhealthy node keeps its sessions",
		"open-source nginx has no active health checks"},
}

// divergenceOf returns the documented divergence of a check, if any.
func divergenceOf(target, scenario, check string) (divergence, bool) {
	for _, d := range divergences {
		if string(d.target) == target && d.scenario == scenario && d.check == check {
			return d, true
		}
	}
	return divergence{}, false
}
