// Package validate finds everything wrong with a cluster file, each finding
// with a stable lint code, a position and a fix hint.
package validate

import (
	"slices"
	"strings"

	"github.com/lbgen/lbgen/model"
)

// Diagnostic is one finding; see model.Diagnostic.
type Diagnostic = model.Diagnostic

// Lint documents one code for `lbgen explain`.
type Lint struct {
	Code string
	// Severities are those findings with this code are reported with.
	Severities []model.Severity
	Title      string
	Explain    string
}

var (
	errorOnly      = []model.Severity{model.SevError}
	warningOnly    = []model.Severity{model.SevWarning}
	errorOrWarning = []model.Severity{model.SevError, model.SevWarning}
)

// SeverityText lists the severities: "error", "warning" or "error or warning".
func (l Lint) SeverityText() string {
	names := make([]string, len(l.Severities))
	for i, sev := range l.Severities {
		names[i] = sev.String()
	}
	return strings.Join(names, " or ")
}

// Lints lists every code validation can report, sorted by code.
var Lints = []Lint{
	{"L-admin-allow", errorOnly, "admin page without an allow list",
		"An admin page (Apache balancer-manager, HAProxy stats) lets whoever reaches it change or watch the\n" +
			"balancer. lbgen renders one only when `admin` is set, and then only behind `admin.allow`.\n\n" +
			"Fix: list the admin networks, e.g.\n\n    admin:\n      addr: \"127.0.0.1:8404\"\n      allow: [127.0.0.1/32]"},
	{"L-allow-all", errorOnly, "allow list open to every address",
		"An allow list containing 0.0.0.0/0 or ::/0 admits every client, which defeats the point of an\n" +
			"internal listener or admin page.\n\nFix: list the networks that need access, e.g. `allow: [10.0.0.0/8]`."},
	{"L-apache-health-path", errorOnly, "health path too long for Apache",
		"Apache keeps mod_proxy_hcheck's hcuri in a 64-byte field and refuses a longer one\n" +
			"(\"Health check uri length must be < 64 characters\"), so the configuration would not load.\n\n" +
			"Fix: use a health path of at most 63 characters, e.g. `health.path: /cobrowse/health`."},
	{"L-apache-max-connections", errorOnly, "more connections than Apache can hold",
		"httpd 2.4 keeps a worker thread for every long poll and WebSocket, so lbgen gives Apache's event MPM a\n" +
			"thread per connection in children of 128 threads, one spare child, and as many children again for\n" +
			"graceful restarts. The event MPM runs at most 20,000 children (ServerLimit, fixed when Apache is\n" +
			"compiled), so one Apache server holds at most 1,279,872 connections. Reported for the apache target.\n\n" +
			"Fix: spread the crowd over several Apache servers, or use the nginx or haproxy target."},
	{"L-apache-param-route", warningOnly, "node name that Apache cannot take from a URL parameter",
		"With `sticky.param`, Apache finds the route in the URL text as sent and does not decode it. Clients\n" +
			"percent-encode most characters other than letters, digits and - _ . ! ~ * ( ) in parameter values\n" +
			"(`n+1@x` is sent as `n%2B1%40x`), so a node whose name has such characters is never chosen by the\n" +
			"URL parameter; the cookie still routes to it.\n\n" +
			"Fix: rename the node to its application name without those characters, or rely on the cookie."},
	{"L-apache-seconds", warningOnly, "timeout that Apache rounds to whole seconds",
		"Apache's member `timeout=` (timeouts.read) and `Timeout` (timeouts.tunnel) take whole seconds,\n" +
			"so lbgen rounds these up; the connect timeout and health interval keep milliseconds.\n\n" +
			"Fix: write whole seconds, e.g. `read: 60s`."},
	{"L-apache-sticky-length", errorOnly, "cookie and parameter names too long for Apache",
		"Apache copies `stickysession=COOKIE|PARAM` whole into a 64-byte field before splitting it. A longer\n" +
			"value is cut, and when the parameter half is cut away Apache takes the route from the value of\n" +
			"any URL parameter. Without `sticky.param` lbgen writes a one-character parameter half, so the\n" +
			"cookie name may have at most 61 characters; with it, both names together at most 62.\n\n" +
			"Fix: use the application's cookie name and a shorter `sticky.param`, or drop `sticky.param`."},
	{"L-apache-sticky-style", errorOnly, "sticky style Apache cannot route",
		"mod_proxy_balancer takes the route from the text after the first \".\" of the cookie or parameter value\n" +
			"and has no way to route by a whole value or by a hash of it, so `sticky.style: exact` and `hash`\n" +
			"cannot be rendered for Apache.\n" +
			"Reported for the apache target.\n\n" +
			"Fix: use the nginx or haproxy target, or have the application write \".\" + node name (`style: route`),\n" +
			"or let the load balancer set the cookie (`style: insert`)."},
	{"L-apache-tunnel", warningOnly, "WebSocket idle timeout that Apache cannot apply",
		"Apache closes an idle WebSocket after the longer of its `Timeout` (timeouts.tunnel) and the member\n" +
			"`timeout=` (timeouts.read, which must cover long polls), so a tunnel timeout shorter than the\n" +
			"read timeout is stretched to it.\n\n" +
			"Fix: set timeouts.tunnel to at least timeouts.read, e.g. 1h."},
	{"L-cidr", errorOnly, "allow entry is not an address or network",
		"Entries of `allow` are IP addresses (10.1.2.3) or CIDR networks (10.0.0.0/8, fd00::/8). A network is\n" +
			"written with its first address: in 10.1.2.3/8 the bits after the first 8 are set, which nginx warns\n" +
			"are meaningless (so `lbgen check` would fail) and which leaves unclear whether the network or the one\n" +
			"host was meant.\n\n" +
			"Fix: write the network in CIDR form (10.0.0.0/8) or the single address (10.1.2.3); host names are not\n" +
			"accepted."},
	{"L-cluster-name", errorOnly, "cluster name is not usable as an identifier",
		"`name` prefixes generated upstream, backend and balancer names in every target, so it must match\n" +
			"[a-z][a-z0-9_-]* and be at most 32 characters.\n\nFix: e.g. `name: cobrowse`."},
	{"L-cookie-max-age", errorOnly, "inserted cookie lifetime is not whole seconds",
		"`sticky.insert.max_age` becomes the cookie's Max-Age attribute, which counts whole seconds.\n\n" +
			"Fix: write whole seconds, e.g. `max_age: 8h`, or leave it out for a session cookie."},
	{"L-cookie-name", errorOrWarning, "sticky cookie name is invalid or a near miss",
		"The cookie name must be an RFC 6265 token that every target can read: letters, digits and\n" +
			"! % & * + - . ^ _ ` ~ (no `|`, which Apache uses to separate cookie and parameter names, and no `$`,\n" +
			"`#` or `'`, which break config syntax), shorter than 64 characters (Apache's limit).\n" +
			"Cookie names are matched case-sensitively by Apache, HAProxy and the built-in proxy, and nginx is\n" +
			"made to match exactly too, so a misspelled name silently sends every request to round robin. When a\n" +
			"preset is used, a name that differs from the product's cookie only by case or a typo is reported as a\n" +
			"warning: the Web Engagement guide itself writes GWROUTEID, GWROUTID and GWEROUTEID for one cookie.\n\n" +
			"Fix: use the exact name the application sets (omit `sticky.cookie` to take the preset's)."},
	{"L-cookie-same-site", warningOnly, "SameSite=None cookie on a plain listener",
		"Browsers drop a cookie with SameSite=None unless it also carries Secure, which the load balancer adds\n" +
			"only on TLS listeners. Clients of a plain listener would never keep their session.\n\n" +
			"Fix: serve clients on TLS listeners only, or use `same_site: lax`."},
	{"L-duplicate-addr", errorOnly, "two listeners or two nodes share an address",
		"Two listeners on the same address cannot both bind, and two nodes on the same host and port are one\n" +
			"server listed twice, which skews balancing and confuses failure detection.\n\nFix: remove or change one of them."},
	{"L-duplicate-key", errorOnly, "a key is set twice",
		"YAML keeps only one of two equal keys; lbgen refuses the file rather than guess which one you meant.\n\nFix: keep one."},
	{"L-fallback", errorOnly, "fallback data center is invalid",
		"Each fallback needs a unique `name` ([A-Za-z0-9_.-], at most 63 characters) and a `url` of the form\n" +
			"http://HOST[:PORT] or https://HOST[:PORT], without path, query or credentials; the original URI is\n" +
			"appended. At most 4 fallbacks are accepted, because nginx chains them through internal redirects.\n\n" +
			"Fix: e.g. `- {name: dc2, url: \"https://lb.dc2.example.com\"}`."},
	{"L-haproxy-timeout", errorOnly, "a time is longer than HAProxy accepts",
		"HAProxy keeps timeouts and check intervals in milliseconds in a signed 32-bit number, so it refuses\n" +
			"anything above 2147483647ms (about 24.8 days) with \"timer overflow\". Reported for the haproxy target.\n\n" +
			"Fix: use at most 576h (24 days) for timeouts.connect, timeouts.read, timeouts.tunnel and health.interval."},
	{"L-haproxy-tls-key", errorOnly, "HAProxy cannot find the TLS key",
		"An HAProxy 2.6 bind line names one certificate file and has no setting for a separate key. The key is\n" +
			"read from the certificate file itself or, when it holds none, from a derived name: CERT.key, or\n" +
			"NAME.key for NAME.crt (lbgen then sets ssl-load-extra-del-ext). Any other tls.key cannot be loaded.\n" +
			"Reported for the haproxy target.\n\n" +
			"Fix: concatenate certificate and key into one PEM file (cat site.crt site.key > site.pem) and set both\n" +
			"tls.certificate and tls.key to it, or store the key next to the certificate as NAME.key."},
	{"L-health", errorOnly, "health check settings out of range",
		"`health.fails` and `health.passes` must be 1-100, `health.interval` at least 100ms, and\n" +
			"`health.expect_status` an HTTP status (100-599).\n\nFix: the defaults are interval 2s, fails 2, passes 2, expect_status 200."},
	{"L-host", errorOnly, "node host is not an IP address or host name",
		"`host` must be an IPv4 or IPv6 address or an RFC 1123 host name, without scheme, port or path.\n" +
			"nginx and HAProxy resolve host names when they load the config.\n\nFix: e.g. `host: 192.168.73.210` and `port: 8700`."},
	{"L-internal-allow", errorOnly, "internal listener without an allow list",
		"An internal listener serves `internal_paths`, which are refused (403) on public listeners. Without an\n" +
			"allow list anyone who can reach its address could use them.\n\nFix: add `allow: [10.0.0.0/8]` (your internal networks) to the listener."},
	{"L-internal-path", errorOrWarning, "internal paths that no listener serves, or that cover everything",
		"`internal_paths` are answered only on listeners with `internal: true`; with no such listener they are\n" +
			"refused everywhere (a warning). An internal path equal to `path`, or above it, would make the whole\n" +
			"application internal, which is an error.\n\n" +
			"Fix: add an internal listener, or remove the internal path."},
	{"L-listen", errorOnly, "listen address is invalid",
		"`addr` is \"PORT\", \"IP:PORT\" or \"[IPv6]:PORT\". Host names are not accepted: every target binds IPs.\n\n" +
			"Fix: e.g. `addr: \"8080\"` or `addr: \"10.1.0.5:9080\"`."},
	{"L-max-connections", errorOnly, "max_connections out of range",
		"`max_connections` is how many client connections the load balancer must hold at once: one per long\n" +
			"poll and per WebSocket, so one per browser tab and agent at the peak (default 10000). Every target\n" +
			"sizes itself from it. It must be at least 1, and nginx, HAProxy and the reference proxy hold each client\n" +
			"with two open files in one process (its connection and its node's), while Linux never allows a process\n" +
			"more than 2,147,483,584 (fs.nr_open). The host's own limit is usually far lower: `lbgen check` says when\n" +
			"it is below what a target needs.\n\n" +
			"Fix: e.g. `max_connections: 10000`."},
	{"L-missing", errorOnly, "a required field is missing",
		"`version`, `name`, at least one `listen` entry and at least one node are always required. With the\n" +
			"generic preset, `path`, `sticky.cookie` and `health.path` are required too; every node needs `name`,\n" +
			"`host` and `port`.\n\nFix: add the field; `lbgen init` prints a complete starting point."},
	{"L-nginx-insert-host", errorOnly, "nginx cannot name a node by its host name",
		"With `sticky.style: insert`, nginx learns which node answered from $upstream_addr, the IP address it\n" +
			"connected to, and maps it back to the node's name for the cookie. A node written as a host name\n" +
			"has no fixed address to map. Reported for the nginx target.\n\n" +
			"Fix: write the node's IP address, or use the haproxy or apache target."},
	{"L-nginx-max-connections", warningOnly, "more connections than nginx can refuse with 503",
		"nginx answers requests beyond max_connections with 503 at once (limit_conn), but limit_conn counts at\n" +
			"most 65,535. Above that lbgen leaves it out: nginx still holds the crowd, and a client beyond it finds\n" +
			"its connection closed once a worker has no room left. Reported for the nginx target.\n\n" +
			"Fix: keep max_connections at 65535 or less per nginx server, or accept closed connections at the limit."},
	{"L-no-active", errorOnly, "no node is active",
		"New sessions go only to `active` nodes (`drain` takes only its own sessions, `standby` only serves when no\n" +
			"active node is up, `down` takes nothing). Without an active node every target would have an empty\n" +
			"round-robin pool.\n\nFix: set `state: active` (the default) on at least one node."},
	{"L-node-duplicate", errorOnly, "two nodes have the same name",
		"The node name is the sticky route, so it must be unique. Names that differ only by case are refused\n" +
			"too: nginx matches hash keys case-insensitively and rejects such a configuration.\n\nFix: rename one node to the application name it really has."},
	{"L-node-name", errorOnly, "node name cannot be a sticky route",
		"The application sets the cookie to \".\" + node name and the load balancer routes by the text after the\n" +
			"first dot, so the name must be a valid cookie value (RFC 6265 cookie-octets: no spaces, quotes,\n" +
			"commas, semicolons or backslashes) and shorter than 64 characters (Apache's route limit).\n\n" +
			"Fix: use the application name exactly as configured for the node, e.g. `CB_Server_1`."},
	{"L-path", errorOnly, "path is not an absolute URL path",
		"`path`, `internal_paths` and `health.path` must start with `/` and contain only letters, digits and\n" +
			"- . _ ~ / ! * + , = : @ (no query, fragment, percent-encoding or `..` segments). A path covers itself\n" +
			"and everything below it: /cobrowse matches /cobrowse and /cobrowse/x, not /cobrowsex.\n\nFix: e.g. `path: /cobrowse`."},
	{"L-port", errorOnly, "port out of range",
		"Ports are whole numbers from 1 to 65535.\n\nFix: correct the port."},
	{"L-read-timeout", errorOnly, "read timeout too short for CometD long polling",
		"The cobrowse and gwe presets run CometD, which holds a long-poll request for 30 s; with up to 10 s of\n" +
			"network delay the load balancer must wait longer than 40 s for an answer, or every long poll ends\n" +
			"with 504 and clients reconnect in a loop.\n\nFix: `timeouts.read: 60s` (the default)."},
	{"L-sticky-hash", errorOrWarning, "node state the hash style cannot keep",
		"With `sticky.style: hash` the node of a session is wherever the value's consistent hash falls among\n" +
			"the active nodes that are up. A drain node takes no requests at all (a warning): no value says which\n" +
			"sessions are its own, so they move to other nodes at once. Standby nodes are refused: nginx's hash\n" +
			"balancing has no backup servers.\n\n" +
			"Fix: use state active or down, or a style with a node in the value (route, insert or exact)."},
	{"L-sticky-insert", errorOnly, "cookie attributes without the insert style",
		"`sticky.insert` sets the attributes of the cookie the load balancer sets, which only `sticky.style:\n" +
			"insert` does; with another style the application sets its own cookie.\n\n" +
			"Fix: remove `sticky.insert`, or set `sticky.style: insert`."},
	{"L-sticky-param", errorOnly, "sticky URL parameter name is invalid",
		"`sticky.param` is a query parameter name carrying the same value as the cookie. It must be made of\n" +
			"letters, digits, - . _ ~ and be shorter than 64 characters.\n\nFix: e.g. `param: gcbSessionServer`, or remove it."},
	{"L-timeout", errorOrWarning, "timeouts are inconsistent",
		"`timeouts.read` must be at least 1s longer than `timeouts.connect`: the read timeout is what tells a hung\n" +
			"node from a node that cannot be reached, and only requests that never reached a node are retried. `timeouts.tunnel` (idle WebSocket) shorter than `timeouts.read` closes\n" +
			"quiet WebSockets sooner than long polls, which is reported as a warning.\n\nFix: e.g. connect 2s, read 60s, tunnel 1h."},
	{"L-tls-missing", errorOnly, "TLS listener without certificate",
		"A listener with `tls: true` needs `tls.certificate` and `tls.key` (PEM files). Relative paths are\n" +
			"relative to the directory the config is rendered into.\n\nFix:\n\n    tls:\n      certificate: /etc/lbgen/site.crt\n      key: /etc/lbgen/site.key"},
	{"L-tls-port", errorOnly, "node has no tls_port for TLS to the nodes",
		"`tls.upstream: tls` re-encrypts every request to each node's `tls_port`; `match` uses it for requests\n" +
			"that arrived on TLS listeners. Every node then needs a `tls_port`.\n\nFix: add `tls_port: 8743` to each node, or use `tls.upstream: plain`."},
	{"L-too-long", errorOnly, "value longer than every target can carry",
		"Strings are limited to 1024 bytes: nginx refuses a single token of 4 KB or more, and a path can double\n" +
			"in length when it is escaped for a regular expression. Names, cookies, hosts and fallback names have\n" +
			"tighter limits, reported under their own codes.\n\nFix: shorten the value."},
	{"L-type", errorOnly, "a value has the wrong type",
		"Each key takes one kind of value: a string, a whole number, true/false, a list or a mapping. A single\n" +
			"value is read by the kind its key takes, quoted or not: `port: \"8700\"` is a number and `addr: 8080` a\n" +
			"string. Booleans are true/false or YAML's yes/no and on/off.\n\nFix: see `lbgen init` for the shape of every key."},
	{"L-unknown-key", errorOnly, "unknown key",
		"The cluster file is decoded strictly: a key lbgen does not know is an error, because a misspelled key\n" +
			"would otherwise be ignored silently. Keys are lower case.\n\nFix: correct the spelling (the message suggests the closest key) or remove it."},
	{"L-unsafe-string", errorOnly, "value would break out of a config statement",
		"Values are written into nginx, Apache and HAProxy configs. Quotes, `;`, braces, `$`, `#`, `%`,\n" +
			"backslashes, backticks, spaces where a single word is expected, control characters (newlines, NUL)\n" +
			"and non-ASCII characters (look-alikes such as U+037E \";\", invisible ones such as U+200B) could end a\n" +
			"directive early, start a new one, or expand a variable or expression (nginx `$var`, Apache\n" +
			"`%{VAR}`, HAProxy `%[sample]`), so they are refused in every string field: names, hosts, paths,\n" +
			"cookie names, addresses, URLs and file paths. Where a field's own syntax already rules the character\n" +
			"out, its own code reports it instead (a space in a node name is L-node-name); this code is for the\n" +
			"characters a field's syntax allows (`$` or `#` in a node name) and for certificate and key paths, and\n" +
			"for a line break YAML keeps at the end of a `|` or `>` block.\n\n" +
			"Fix: remove the character; none of these fields needs it."},
	{"L-value", errorOnly, "a value is not one of the accepted ones",
		"Enumerations (`preset`, `state`, `tls.upstream`), durations (\"500ms\", \"5s\", \"1h\") and sizes\n" +
			"(\"512k\", \"10m\") accept only the forms listed in the message.\n\nFix: use one of the listed values."},
	{"L-version", errorOnly, "missing or unsupported version",
		"Every cluster file starts with `version: 1`, so later formats can be told apart.\n\nFix: add `version: 1`."},
	{"L-weight", errorOnly, "node weight out of range",
		"`weight` is 1-100 (Apache's lbfactor limit; nginx and HAProxy accept the same range). Use\n" +
			"`state: drain` or `state: down` instead of weight 0.\n\nFix: e.g. `weight: 2` for a node twice as large."},
	{"L-yaml", errorOnly, "file is not a readable YAML document",
		"The file must be a single UTF-8 YAML document of at most 16 MiB, without control characters, whose\n" +
			"aliases expand to at most 100,000 values. These bounds keep the time and memory lbgen needs small\n" +
			"whatever the file holds. Reading stops after 1000 errors.\n\nFix: correct the syntax at the reported line."},
}

// Explain returns the documentation of a lint code, matched ignoring case
// and with or without its "L-" prefix, as people type it.
func Explain(code string) (Lint, bool) {
	if len(code) < 2 || !strings.EqualFold(code[:2], "L-") {
		code = "L-" + code
	}
	i := slices.IndexFunc(Lints, func(l Lint) bool { return strings.EqualFold(l.Code, code) })
	if i < 0 {
		return Lint{}, false
	}
	return Lints[i], true
}
