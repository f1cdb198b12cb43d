package parity

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestDivergencesAreDocumented keeps every documented divergence in its
// target's section of the README's Target notes, tagged "(parity: NAME)".
func TestDivergencesAreDocumented(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	sections := regexp.MustCompile(`(?m)^### `).Split(string(data), -1)
	heading := map[string]string{"nginx": "nginx", "apache": "Apache httpd", "haproxy": "HAProxy"}
	for key := range divergences {
		target, scenario, _ := strings.Cut(key, "/")
		found := false
		for _, sec := range sections {
			if strings.HasPrefix(sec, heading[target]) && strings.Contains(sec, "(parity: "+scenario+")") {
				found = true
			}
		}
		if !found {
			t.Errorf("divergence %s is not tagged (parity: %s) in the README's %s notes", key, scenario, heading[target])
		}
		if !slices.Contains(ScenarioNames(), scenario) {
			t.Errorf("divergence %s names no scenario", key)
		}
	}
}
