package importer

import (
	"slices"
	"strings"

	"github.com/lbgen/lbgen/model"
	"github.com/lbgen/lbgen/validate"
)

var (
	errorOnly   = []model.Severity{model.SevError}
	warningOnly = []model.Severity{model.SevWarning}
)

// Codes lists every code an import can report, sorted by code, for
// `lbgen explain`. The imported file is validated too, so lint codes
// (L-...) appear among the findings as well.
var Codes = []validate.Lint{
	{Code: "I-access-compat", Severities: warningOnly, Title: "httpd 2.2 access syntax",
		Explain: "Order, Allow and Deny are httpd 2.2 directives; 2.4 reads them only with mod_access_compat, and mixed with\n" +
			"Require they give surprising results.\n\nFix: lbgen renders Require ip from the allow lists."},
	{Code: "I-address", Severities: warningOnly, Title: "node address lbgen cannot use",
		Explain: "A server that is a UNIX socket, or a BalancerMember that speaks another protocol than HTTP or HTTPS\n" +
			"(ajp://), is left out: lbgen reaches nodes over TCP with HTTP.\n\nFix: add the node with its HTTP port."},
	{Code: "I-appsession", Severities: warningOnly, Title: "appsession (removed in HAProxy 1.6)",
		Explain: "appsession no longer exists; a config with it does not load in a current HAProxy. lbgen routes by\n" +
			"the sticky cookie itself and keeps no session table.\n\nFix: render the imported file with lbgen."},
	{Code: "I-capacity", Severities: warningOnly, Title: "connection limit far below a Co-browse crowd",
		Explain: "worker_connections 1024 (the guides' value) holds about 500 clients per nginx worker, since every\n" +
			"long poll or WebSocket takes two connections; HAProxy without a global maxconn follows the host's\n" +
			"open-file limit.\n\nFix: lbgen sizes every target from max_connections (default 10000); see docs/capacity.md."},
	{Code: "I-cookie-insert", Severities: warningOnly, Title: "HAProxy inserts its own cookie values",
		Explain: "`cookie NAME insert` makes HAProxy set NAME to the server's cookie value. lbgen's insert style sets\n" +
			"NAME to \".\" + node name, and the import uses the exact style with the server cookies as node names,\n" +
			"so existing sessions keep their node.\n\nFix: keep the imported exact style, or switch to insert and accept one re-pin per session."},
	{Code: "I-cookie-prefix", Severities: warningOnly, Title: "HAProxy prefixes the application's cookie",
		Explain: "`cookie NAME prefix` prepends the server's cookie and \"~\" to the application's cookie. lbgen routes\n" +
			"by the value the application itself sets.\n\nFix: make the application append \".\" + node name (Tomcat jvmRoute) and use style route."},
	{Code: "I-cookie-spelling", Severities: warningOnly, Title: "two names for the sticky cookie",
		Explain: "Parts of the config read different cookies (the GWE guide spells GWROUTEID, GWROUTID and GWEROUTEID).\n" +
			"Only one is the cookie the application sets; the others never match.\n\nFix: use the name the application sets everywhere."},
	{Code: "I-decoded-uri", Severities: warningOnly, Title: "URI rebuilt from the decoded path",
		Explain: "proxy_pass http://$backend$uri?$args sends nginx's normalised, percent-decoded $uri: %2F becomes \"/\",\n" +
			"path parameters change, and \"?\" is added to every request.\n\nFix: lbgen passes the request URI as it arrived."},
	{Code: "I-failover-timeout", Severities: warningOnly, Title: "failover that waits on every request",
		Explain: "The guides send a session to its node's address from a map and fall back with error_page only after\n" +
			"proxy_connect_timeout. An address is not an upstream group, so nginx never remembers the node is down:\n" +
			"every request of its sessions waits the whole timeout.\n\nFix: lbgen routes through one upstream group per node, which fail_timeout takes out."},
	{Code: "I-fallback-timeouts", Severities: warningOnly, Title: "fallback location without the proxy settings",
		Explain: "A named location reached by error_page does not inherit the proxy settings of the location that\n" +
			"failed: timeouts, HTTP/1.1 and the WebSocket headers are lost on the fallback path.\n\nFix: lbgen repeats them in every location it renders."},
	{Code: "I-health-never-runs", Severities: warningOnly, Title: "health checks configured but not loaded",
		Explain: "Members carry hc* parameters or a ProxyHCTemplate, but mod_proxy_hcheck is not loaded: httpd accepts\n" +
			"nothing of it silently and never checks a node.\n\nFix: lbgen renders LoadModule proxy_hcheck_module with the checks."},
	{Code: "I-health-path", Severities: warningOnly, Title: "no health check path in the config",
		Explain: "The config checks no node over HTTP, so the import uses the cluster path as health.path.\n\n" +
			"Fix: set health.path to the path the nodes answer health checks on."},
	{Code: "I-include", Severities: warningOnly, Title: "include not followed",
		Explain: "An include names no file that exists where the import runs (paths are relative to the including\n" +
			"file), or includes nest too deep. What it holds is not imported.\n\nFix: import on the machine the config runs on, or copy the included files beside it."},
	{Code: "I-loadmodule", Severities: warningOnly, Title: "LoadModule names the wrong module",
		Explain: "The GWE guide loads every file as proxy_module: httpd skips each line after the first as a module\n" +
			"already loaded, so mod_proxy_balancer and the others never load.\n\nFix: LoadModule proxy_balancer_module modules/mod_proxy_balancer.so, and so on."},
	{Code: "I-member-path", Severities: warningOnly, Title: "member URL with another path",
		Explain: "A BalancerMember URL carries a path that differs from the path ProxyPass maps onto the balancer, so\n" +
			"nodes get requests under another path than the one clients use.\n\nFix: lbgen passes the request path unchanged; check the imported path."},
	{Code: "I-nginx-plus", Severities: warningOnly, Title: "NGINX Plus directive",
		Explain: "sticky (and health_check) exist only in NGINX Plus; open-source nginx refuses the config.\n\n" +
			"Fix: lbgen renders sticky routing with map and upstream groups, which open-source nginx has."},
	{Code: "I-no-cluster", Severities: errorOnly, Title: "no load-balanced nodes",
		Explain: "The config has no upstream group or cookie map (nginx), no BalancerMember (Apache), or no backend\n" +
			"with servers (HAProxy): there is no cluster to import. Nothing is written; exit code 3.\n\nFix: import the file that holds the balancer, or the main file that includes it."},
	{Code: "I-nofailover", Severities: warningOnly, Title: "sessions fail with their node",
		Explain: "With nofailover=On, mod_proxy_balancer answers 503 to a session whose member is down or disabled,\n" +
			"until the member is back: a dead node takes its sessions' users down with it.\n\n" +
			"Fix: lbgen fails such sessions over to another node (the Co-browse guide asks for exactly that)."},
	{Code: "I-no-health", Severities: warningOnly, Title: "nodes without health checks",
		Explain: "No node is checked: a dead or hung node is found only by client requests that fail on it.\n\n" +
			"Fix: lbgen renders checks from health (path, interval, fails, passes); for nginx, lbgen watch runs them."},
	{Code: "I-no-keepalive", Severities: warningOnly, Title: "no keep-alive to the nodes",
		Explain: "An upstream group without keepalive, or HAProxy closing the server connection after each request,\n" +
			"opens a new TCP (and TLS) connection to a node for every request.\n\nFix: lbgen keeps idle connections to the nodes."},
	{Code: "I-no-listener", Severities: warningOnly, Title: "no listening address",
		Explain: "The config (a snippet) names no address clients connect to; the import uses 8080.\n\nFix: set listen."},
	{Code: "I-no-path", Severities: warningOnly, Title: "no cluster path",
		Explain: "No location or ProxyPass names the URL prefix of the cluster; the import uses \"/\".\n\nFix: set path."},
	{Code: "I-no-redispatch", Severities: warningOnly, Title: "cookie persistence without redispatch",
		Explain: "With cookie persistence and no `option redispatch`, HAProxy keeps sending a session to its server while\n" +
			"the server is down, and the client gets 503 until it is back.\n\nFix: lbgen renders option redispatch."},
	{Code: "I-no-sticky", Severities: errorOnly, Title: "balancing without stickiness",
		Explain: "The config balances requests but reads no sticky cookie, so it is not the sticky-session cluster lbgen\n" +
			"renders. Nothing is written; exit code 3.\n\nFix: write the cluster file by hand from `lbgen init`."},
	{Code: "I-no-tunnel-timeout", Severities: warningOnly, Title: "WebSockets closed like slow answers",
		Explain: "Without timeout tunnel, HAProxy closes an idle WebSocket after timeout server, which is meant for\n" +
			"answers (long polls).\n\nFix: lbgen renders timeout tunnel from timeouts.tunnel."},
	{Code: "I-no-websocket", Severities: warningOnly, Title: "WebSockets not passed",
		Explain: "No member passes WebSocket upgrades (the Apache samples say to disable WebSockets in the application),\n" +
			"so clients fall back to slower transports. The import writes websocket: false to keep that.\n\nFix: remove `websocket: false` to render WebSocket support."},
	{Code: "I-node-name", Severities: warningOnly, Title: "node without a route",
		Explain: "A server has no route (no cookie value names it), so the import names it node1, node2, ... and no\n" +
			"session can be pinned to it by name.\n\nFix: set each node's name to the route its application puts in the cookie."},
	{Code: "I-not-imported", Severities: warningOnly, Title: "directive with no place in the cluster file",
		Explain: "The directive is neither part of the cluster file nor of what lbgen renders, so rendering the imported\n" +
			"file drops it. Every such directive is listed; none is dropped silently. Directives that lbgen renders\n" +
			"itself are listed too, except in configs lbgen rendered.\n\nFix: if it matters, keep it around the rendered config (render --snippet) and check the result."},
	{Code: "I-open-balancer-manager", Severities: warningOnly, Title: "balancer-manager open to every client",
		Explain: "Anyone who reaches it can disable nodes and change routes (the GWE guide allows all).\n\n" +
			"Fix: lbgen renders it only on admin.addr behind admin.allow."},
	{Code: "I-open-stats", Severities: warningOnly, Title: "HAProxy statistics open to every client",
		Explain: "The stats page answers every client; it is not imported as the admin page.\n\nFix: set admin with an allow list."},
	{Code: "I-other-backend", Severities: warningOnly, Title: "backend outside the sticky cluster",
		Explain: "The config has backends besides the sticky one (static files, for example); they are left out.\n\n" +
			"Fix: serve them from another config, or import them as a cluster of their own."},
	{Code: "I-placeholder", Severities: errorOnly, Title: "placeholder of a guide",
		Explain: "The config still holds a guide's placeholder such as <HOST_1>; nothing is written; exit code 3.\n\n" +
			"Fix: fill in the real hosts, ports and node names."},
	{Code: "I-route-regex", Severities: warningOnly, Title: "route taken by a pattern",
		Explain: "The route is cut from the cookie by a regular expression (NGINX Plus examples take the text after\n" +
			"the last dot); lbgen takes the text after the first dot (route style) or the whole value (exact).\n\n" +
			"Fix: check the values the application sets, and the imported sticky.style."},
	{Code: "I-syntax", Severities: errorOnly, Title: "config its server would not load",
		Explain: "The file could not be read: an unterminated string, an unclosed block or section. Nothing is written;\n" +
			"exit code 3.\n\nFix: check the config with its server (nginx -t, apachectl -t, haproxy -c)."},
	{Code: "I-tcp-check", Severities: warningOnly, Title: "connection checks only",
		Explain: "Servers are checked by connecting only: a node that accepts connections but fails every request\n" +
			"stays in.\n\nFix: lbgen renders option httpchk with health.path."},
	{Code: "I-weight", Severities: warningOnly, Title: "weight that is not a whole number",
		Explain: "Apache's loadfactor may be a decimal; lbgen weights are whole numbers, so it is rounded.\n\nFix: check the imported weights."},
}

// Explain returns the documentation of an import code, matched ignoring case.
func Explain(code string) (validate.Lint, bool) {
	i := slices.IndexFunc(Codes, func(l validate.Lint) bool { return strings.EqualFold(l.Code, code) })
	if i < 0 {
		return validate.Lint{}, false
	}
	return Codes[i], true
}
