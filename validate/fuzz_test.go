package validate

import (
	"strings"
	"testing"

	"github.com/lbgen/lbgen/internal/seeds"
	"github.com/lbgen/lbgen/model"
)

// FuzzLoad: whatever the bytes, Load does not panic, every finding has a
// documented code and a position, and a cluster it accepts holds only
// strings validation calls safe and stays valid with its defaults.
func FuzzLoad(f *testing.F) {
	for _, data := range seeds.Clusters(f, "../testdata") {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, diags := Load("c.yaml", data)
		if (c == nil) != model.HasErrors(diags) {
			t.Fatalf("cluster returned: %v, errors: %v", c != nil, diags)
		}
		for _, d := range diags {
			if _, ok := Explain(d.Code); !ok {
				t.Errorf("undocumented code %s: %s", d.Code, d)
			}
			if d.Line < 1 || d.Col < 1 {
				t.Errorf("finding without position: %s", d)
			}
		}
		if c == nil {
			return
		}
		for path, p := range c.Strings() {
			s := *p
			if len(s) > maxStringLen {
				t.Errorf("%s is %d bytes long", path, len(s))
			}
			for i := 0; i < len(s); i++ {
				if s[i] <= 0x20 || s[i] >= 0x7f || strings.IndexByte(unsafeChars, s[i]) >= 0 {
					t.Errorf("%s = %q holds %q", path, s, s[i])
				}
			}
		}
		if again := Cluster(c); model.HasErrors(again) {
			t.Errorf("the normalised cluster is invalid: %v", again)
		}
	})
}
