package validate

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lbgen/lbgen/model"
)

// haproxyMaxTimer is the longest time HAProxy accepts in a timeout or
// check interval: 2^31-1 ms, about 24.8 days ("timer overflow").
const haproxyMaxTimer = (1<<31 - 1) * time.Millisecond

func (ch *checker) haproxyTimers() {
	t, h := ch.c.Timeouts, ch.c.Health
	for _, f := range []struct {
		path string
		d    model.Duration
	}{{"timeouts.connect", t.Connect}, {"timeouts.read", t.Read}, {"timeouts.tunnel", t.Tunnel}, {"timeouts.drain", t.Drain}, {"health.interval", h.Interval}} {
		if f.d.D() > haproxyMaxTimer {
			ch.errorf(f.path, "L-haproxy-timeout", "use at most 576h (24 days); HAProxy's timers stop at 2147483647ms",
				"%s %s is longer than HAProxy accepts (about 24.8 days)", f.path, f.d)
		}
	}
}

// haproxyKey checks that HAProxy can find tls.key: a bind line names one
// file, and HAProxy only looks for the key inside it or at a derived name.
func (ch *checker) haproxyKey() {
	c := ch.c
	if c.TLS == nil || c.TLS.Certificate == "" || c.TLS.Key == "" ||
		!slices.ContainsFunc(c.Listen, func(l model.Listener) bool { return l.TLS }) {
		return
	}
	cert, key := c.TLS.Certificate, c.TLS.Key
	if key == cert || key == cert+".key" || (strings.HasSuffix(cert, ".crt") && key == strings.TrimSuffix(cert, ".crt")+".key") {
		return
	}
	want := cert + ".key"
	if strings.HasSuffix(cert, ".crt") {
		want = strings.TrimSuffix(cert, ".crt") + ".key"
	}
	ch.errorf("tls.key", "L-haproxy-tls-key", fmt.Sprintf("put the key at %s, or append it to the certificate file and set tls.key to %s", want, cert),
		"HAProxy cannot load key %s for certificate %s", key, cert)
}
