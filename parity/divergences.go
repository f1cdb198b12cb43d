package parity

// divergences lists scenario failures that cannot be closed on a target,
// keyed "target/scenario", with the reason. Each one is also in the
// README's "Target notes".
var divergences = map[string]string{
	"apache/url-param-sticky": "Apache finds the URL parameter by substring, so x<param>= routes too",
	"apache/drain-only-own-sessions": "Apache's byrequests counts sticky requests, so new sessions avoid " +
		"nodes that just served many",
	"apache/hung-node-times-out": "mod_proxy_http answers a read timeout with 502, not 504",
	"apache/max-body":            "Apache cannot limit a chunked body it proxies; public listeners answer 411 to chunked bodies",
	"haproxy/max-body":           "HAProxy 2.6 cannot count a chunked body it streams; public listeners answer 411 to chunked bodies",
}
