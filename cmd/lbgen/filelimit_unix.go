//go:build unix

package main

import (
	"fmt"
	"math"
	"os/exec"
	"strconv"
	"strings"
)

// hostFileLimit returns the open-file limits, soft and hard, that a server
// started from here gets. Go raises its own soft limit when it starts and
// gives child processes the original back, so a shell reports it.
func hostFileLimit() (soft, hard uint64, err error) {
	out, err := exec.Command("/bin/sh", "-c", "ulimit -S -n; ulimit -H -n").Output()
	if err != nil {
		return 0, 0, fmt.Errorf("read the open-file limit: %w", err)
	}
	f := strings.Fields(string(out))
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("read the open-file limit: unexpected %q", out)
	}
	if soft, err = parseLimit(f[0]); err == nil {
		hard, err = parseLimit(f[1])
	}
	return soft, hard, err
}

func parseLimit(s string) (uint64, error) {
	if s == "unlimited" {
		return math.MaxUint64, nil
	}
	return strconv.ParseUint(s, 10, 64)
}
