package parity

// divergences lists scenario failures that cannot be closed on a target,
// keyed "target/scenario", with the reason. Each one is also in the
// README's "Target notes".
var divergences = map[string]string{
	"haproxy/max-body": "HAProxy 2.6 cannot count a chunked body it streams; public listeners answer 411 to chunked bodies",
}
