//go:build !linux

package bench

import "runtime"

// allowedCPUs lists every CPU: outside Linux the harness reads no affinity
// (and taskset, which pins processes, is Linux only).
func allowedCPUs() ([]int, error) {
	cpus := make([]int, runtime.NumCPU())
	for i := range cpus {
		cpus[i] = i
	}
	return cpus, nil
}
