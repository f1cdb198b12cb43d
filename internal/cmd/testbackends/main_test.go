package main

import (
	"bufio"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"
)

// TestMakeBackendsStopsItsNodes runs `make backends` as a background job
// runs (no terminal to signal the whole group), stops make with SIGTERM,
// and checks that the nodes it started stopped with it.
func TestMakeBackendsStopsItsNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the test backends")
	}
	mk, err := exec.LookPath("make")
	if err != nil {
		t.Skip("make is not installed")
	}
	bin := filepath.Join(t.TempDir(), "testbackends")
	cmd := exec.Command(mk, "-s", "-C", filepath.Join("..", "..", ".."), "backends",
		"BACKENDS=CB_Server_1=127.0.0.1:0", "BACKENDS_BIN="+bin)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	listening := regexp.MustCompile(`^CB_Server_1 listening on (127\.0\.0\.1:\d+)$`)
	var addr string
	for lines := bufio.NewScanner(out); addr == "" && lines.Scan(); {
		if m := listening.FindStringSubmatch(lines.Text()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatal("make backends did not start the node")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	stopped = true
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatalf("node %s still accepts connections after make stopped", addr)
		}
	}
}
