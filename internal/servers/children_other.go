//go:build !linux

package servers

import (
	"os/exec"
	"strconv"
	"strings"
)

// Children returns the pids of pid's child processes, from ps.
func Children(pid int) ([]int, error) {
	out, err := exec.Command("ps", "-A", "-o", "pid=", "-o", "ppid=").Output()
	if err != nil {
		return nil, err
	}
	var children []int
	for line := range strings.SplitSeq(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[1] == strconv.Itoa(pid) {
			if child, err := strconv.Atoi(f[0]); err == nil {
				children = append(children, child)
			}
		}
	}
	return children, nil
}

// title returns a process's command line as it shows in ps, which nginx
// rewrites to say what a process does; "" when the process is gone.
func title(pid int) string {
	out, err := exec.Command("ps", "-o", "command=", "-p", strconv.Itoa(pid)).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// listening cannot tell outside Linux; callers then rely on the server's
// own handover.
func listening(int) bool { return false }
