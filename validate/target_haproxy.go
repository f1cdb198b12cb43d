package validate

import (
	"fmt"
	"slices"

	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/model"
)

// haproxyTimers reports times HAProxy refuses with "timer overflow".
func (ch *checker) haproxyTimers() {
	for _, f := range generator.HAProxyTimers(ch.c) {
		if f.D.D() > generator.HAProxyMaxTimer {
			ch.errorf(f.Path, "L-haproxy-timeout", "use at most 576h (24 days); HAProxy's timers stop at 2147483647ms",
				"%s %s is longer than HAProxy accepts (about 24.8 days)", f.Path, f.D)
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
	if generator.HAProxyFindsKey(cert, key) {
		return
	}
	want := generator.HAProxyDerivedKey(cert)
	ch.errorf("tls.key", "L-haproxy-tls-key", fmt.Sprintf("put the key at %s, or append it to the certificate file and set tls.key to %s", want, cert),
		"HAProxy cannot load key %s for certificate %s", key, cert)
}
