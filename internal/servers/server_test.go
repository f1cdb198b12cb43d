package servers

import (
	"testing"

	"github.com/lbgen/lbgen/generator"
)

// TestEveryTargetHasAServer keeps a target from being added to the
// generator without what lbgen needs to check, run and reload it.
func TestEveryTargetHasAServer(t *testing.T) {
	for _, target := range generator.Targets {
		s, ok := known[target]
		switch {
		case !ok:
			t.Errorf("%s has no server in internal/servers", target)
		case len(s.binaries) == 0 || s.checkArgs == nil || s.runArgs == nil || s.reload == 0:
			t.Errorf("%s's server lacks binaries, command lines or a reload signal: %+v", target, s)
		}
	}
	if len(known) != len(generator.Targets) {
		t.Errorf("%d servers for %d targets", len(known), len(generator.Targets))
	}
}
