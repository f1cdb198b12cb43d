package model_test

import (
	"testing"

	"github.com/lbgen/lbgen/model"
)

func TestParseListen(t *testing.T) {
	for _, tc := range []struct {
		in, host string
		port     int
		err      string
	}{
		{in: "8080", port: 8080},
		{in: "*:80", port: 80},
		{in: "[::1]:443", host: "::1", port: 443},
		{in: "10.0.0.1:99999", err: "port 99999 is outside 1-65535"},
		{in: "[fe80::1%eth0]:80", err: `"fe80::1%eth0" has an IPv6 zone, which the targets cannot bind`},
		{in: "host.example:80", err: `"host.example" is not an IP address`},
	} {
		host, port, err := model.ParseListen(tc.in)
		switch {
		case tc.err != "":
			if err == nil || err.Error() != tc.err {
				t.Errorf("%s: error %v, want %s", tc.in, err, tc.err)
			}
		case err != nil || host != tc.host || port != tc.port:
			t.Errorf("%s: got %q %d %v, want %q %d", tc.in, host, port, err, tc.host, tc.port)
		}
	}
}
