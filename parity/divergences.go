package parity

// divergences lists scenario failures that cannot be closed on a target,
// keyed "target/scenario", with the reason. Each one is also in the
// README's "Target notes".
var divergences = map[string]string{
	"haproxy/max-body": "HAProxy 2.6 checks max_body on Content-Length only: it cannot count a chunked body it streams",
}
