package validate

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lbgen/lbgen/generator"
)

func TestHAProxyTarget(t *testing.T) {
	const base = `version: 1
name: c
preset: cobrowse
listen: [{addr: "8080"}, {addr: "8443", tls: true}]
nodes: [{name: CB_Server_1, host: 10.0.0.1, port: 8700}]
`
	for _, tc := range []struct {
		name, extra string
		want        []string
	}{
		{"key next to certificate", "tls: {certificate: tls/site.crt, key: tls/site.key}\n", nil},
		{"key appended to name", "tls: {certificate: site.pem, key: site.pem.key}\n", nil},
		{"key in certificate", "tls: {certificate: site.pem, key: site.pem}\n", nil},
		{"key elsewhere", "tls: {certificate: /etc/ssl/certs/site.crt, key: /etc/ssl/private/site.key}\n",
			[]string{"c.yaml:6:50: error L-haproxy-tls-key: HAProxy cannot load key /etc/ssl/private/site.key for certificate /etc/ssl/certs/site.crt"}},
		{"timers", "tls: {certificate: site.pem, key: site.pem}\ntimeouts: {tunnel: 600h}\nhealth: {interval: 600h}\n",
			[]string{
				"c.yaml:7:20: error L-haproxy-timeout: timeouts.tunnel 600h0m0s is longer than HAProxy accepts (about 24.8 days)",
				"c.yaml:8:20: error L-haproxy-timeout: health.interval 600h0m0s is longer than HAProxy accepts (about 24.8 days)",
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, diags := Load("c.yaml", []byte(base+tc.extra))
			if c == nil {
				t.Fatalf("invalid: %v", diags)
			}
			var got []string
			for _, d := range Target(c, generator.HAProxy) {
				got = append(got, d.String())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}
