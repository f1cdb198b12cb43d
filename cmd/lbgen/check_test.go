package main

import (
	"strings"
	"testing"

	"github.com/lbgen/lbgen/generator"
)

func TestFileLimitWarning(t *testing.T) {
	nginx := &generator.Output{Target: generator.Nginx, OpenFiles: 31364, RaisesLimit: true}
	apache := &generator.Output{Target: generator.Apache, OpenFiles: 448}
	for _, tc := range []struct {
		name       string
		out        *generator.Output
		soft, hard uint64
		want       string
	}{
		{"nginx raises its soft limit", nginx, 1024, 524288, ""},
		{"nginx above the hard limit", nginx, 1024, 20000, "allows 20000 (hard limit)"},
		{"apache within the soft limit", apache, 1024, 1024, ""},
		{"apache keeps the soft limit", apache, 256, 524288, "allows 256 (soft limit, which Apache keeps)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := fileLimitWarning(tc.out, 10000, tc.soft, tc.hard)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
