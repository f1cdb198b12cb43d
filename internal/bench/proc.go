package bench

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// The servers run in process groups of their own (internal/servers), so a
// group is a server's whole process tree: master, workers and children.

// clockTick is USER_HZ, the unit of CPU times in /proc/PID/stat; Linux
// fixes it at 100 for user space.
const clockTick = 10 * time.Millisecond

// groupUsage is what a process group has used so far.
type groupUsage struct {
	// CPU is user + system time of the live members, plus what their
	// exited and reaped children used.
	CPU time.Duration
	// PeakRSS sums every live member's resident-set high-water mark
	// (VmHWM), so pages shared between them count once per process.
	PeakRSS int64
	// PSS sums every live member's proportional set size now: a page
	// shared by n processes counts 1/n in each, so shared libraries and
	// shared memory count once for the group.
	PSS int64
}

// usageOf reads the usage of process group pgid from /proc.
func usageOf(pgid int) (groupUsage, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return groupUsage{}, err
	}
	var u groupUsage
	found := false
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue // gone meanwhile
		}
		group, ticks, err := parseStat(stat)
		if err != nil || group != pgid {
			continue
		}
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue
		}
		hwm, err := parseVmHWM(status)
		if err != nil {
			return groupUsage{}, fmt.Errorf("process %d: %w", pid, err)
		}
		// smaps_rollup is gone when the process exited meanwhile; kernel
		// threads have no Pss line.
		rollup, _ := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
		pss, err := parseKB(rollup, "Pss:")
		if err != nil {
			return groupUsage{}, fmt.Errorf("process %d: %w", pid, err)
		}
		found = true
		u.CPU += time.Duration(ticks) * clockTick
		u.PeakRSS += hwm
		u.PSS += pss
	}
	if !found {
		return groupUsage{}, fmt.Errorf("no process in group %d", pgid)
	}
	return u, nil
}

// parseStat returns the process group and the CPU ticks (utime, stime,
// cutime, cstime) from the text of /proc/PID/stat.
func parseStat(stat []byte) (pgrp int, ticks int64, err error) {
	// The command name is in parentheses and may hold anything, ')'
	// included; the fields after the last ')' are plain numbers.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, 0, errors.New("stat: no command name")
	}
	f := strings.Fields(string(stat[i+1:]))
	// f[0] is field 3 (state): pgrp is field 5, utime..cstime 14..17.
	if len(f) < 15 {
		return 0, 0, errors.New("stat: too few fields")
	}
	if pgrp, err = strconv.Atoi(f[2]); err != nil {
		return 0, 0, fmt.Errorf("stat: pgrp: %w", err)
	}
	for _, s := range f[11:15] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("stat: cpu time: %w", err)
		}
		ticks += n
	}
	return pgrp, ticks, nil
}

// parseVmHWM returns the VmHWM line of /proc/PID/status in bytes. Kernel
// threads and zombies have none: they count as zero.
func parseVmHWM(status []byte) (int64, error) {
	return parseKB(status, "VmHWM:")
}

// parseKB returns the value of the line starting with name, in kB in the
// text and in bytes here; 0 without such a line.
func parseKB(text []byte, name string) (int64, error) {
	for line := range bytes.Lines(text) {
		rest, ok := bytes.CutPrefix(line, []byte(name))
		if !ok {
			continue
		}
		f := strings.Fields(string(rest))
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("bad %s line %q", name, line)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s %w", name, err)
		}
		return kb << 10, nil
	}
	return 0, nil
}
