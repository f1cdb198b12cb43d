package servers

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/lbgen/lbgen/generator"
)

// TestFindRunning: a pid file whose process is another program is an error
// rather than a server to signal; a missing, empty or dead one is no
// server at all.
func TestFindRunning(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "nginx.pid")
	if r, err := FindRunning(generator.Nginx, pidFile); r != nil || err != nil {
		t.Fatalf("no pid file: %v, %v; want no server", r, err)
	}
	for _, content := range []string{"", "\n"} {
		if err := os.WriteFile(pidFile, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if r, err := FindRunning(generator.Nginx, pidFile); r != nil || err != nil {
			t.Fatalf("pid file %q: %v, %v; want no server", content, r, err)
		}
	}
	// This test's own process is not nginx.
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := FindRunning(generator.Nginx, pidFile)
	if r != nil || err == nil || !strings.Contains(err.Error(), "stale pid file") {
		t.Fatalf("pid of another program: %v, %v; want an error about a stale pid file", r, err)
	}
}
