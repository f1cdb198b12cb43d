package bench

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	// A command name with spaces and ')' must not shift the fields.
	stat := "4242 (nginx: worker) x) S 4241 4241 4241 0 -1 4194624 900 0 0 0 150 25 7 3 20 0 1 0 1234 13000000 1500 18446744073709551615\n"
	pgrp, ticks, err := parseStat([]byte(stat))
	if err != nil {
		t.Fatal(err)
	}
	if pgrp != 4241 || ticks != 150+25+7+3 {
		t.Errorf("pgrp %d ticks %d, want 4241 185", pgrp, ticks)
	}
	for _, bad := range []string{"4242 no parens S 1 2", "4242 (x) S 1 2 3", "4242 (x) S 1 zz 3 4 5 6 7 8 9 10 11 12 13 14 15"} {
		if _, _, err := parseStat([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParseVmHWM(t *testing.T) {
	status := "Name:\tnginx\nVmPeak:\t   20000 kB\nVmHWM:\t    6120 kB\nVmRSS:\t    5000 kB\n"
	if got, err := parseVmHWM([]byte(status)); err != nil || got != 6120<<10 {
		t.Errorf("got %d, %v; want %d", got, err, 6120<<10)
	}
	if got, err := parseVmHWM([]byte("Name:\tkthreadd\nState:\tS\n")); err != nil || got != 0 {
		t.Errorf("kernel thread: got %d, %v; want 0", got, err)
	}
	if _, err := parseVmHWM([]byte("VmHWM:\t12 MB\n")); err == nil {
		t.Error("unknown unit: no error")
	}
}

// TestUsageOf reads this test's own process group, which holds at least
// this process.
func TestUsageOf(t *testing.T) {
	for start := time.Now(); time.Since(start) < 30*time.Millisecond; { // burn some CPU
	}
	if _, err := os.Stat("/proc/self/stat"); errors.Is(err, fs.ErrNotExist) {
		t.Skip("no /proc here")
	}
	u, err := usageOf(syscall.Getpgrp())
	if err != nil {
		t.Fatal(err)
	}
	if u.PeakRSS <= 0 || u.CPU <= 0 {
		t.Errorf("usage %+v: want memory and CPU", u)
	}
	if _, err := usageOf(os.Getpid() + 1<<22); err == nil {
		t.Error("no such group: no error")
	}
}
