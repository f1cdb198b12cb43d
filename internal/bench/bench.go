// Package bench measures lbgen's load-balancer configurations against the
// seed guide's nginx sample (the baseline) on this machine, in one run:
// sticky keep-alive throughput, latency, memory and CPU per request, and
// how long a session pinned to a failing node takes to get answers again.
//
// Everything runs on 127.0.0.1. The load balancer under test gets CPUs of
// its own and the load generator and nodes the others, so that the load
// balancer is the bottleneck and every contender gets the same share of
// the machine.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/internal/servers"
)

// Config says what a run measures and where it writes.
type Config struct {
	// Lbgen is the lbgen binary, run as `lbgen proxy`.
	Lbgen string
	// Dir receives every load balancer's files: a new temporary directory
	// when empty. It is removed afterwards unless Keep is set.
	Dir  string
	Keep bool
	// Nodes is the cluster size.
	Nodes int
	// Connect is the cluster's connect timeout (the baseline keeps its 5 s).
	Connect time.Duration
	// Sessions is the number of concurrent sticky sessions (connections).
	Sessions int
	// Warmup and Duration are per measured run; each contender is
	// measured Rounds times, interleaved, and the median reported.
	Warmup, Duration time.Duration
	Rounds           int
	// Only selects contenders by id (ContenderIDs); empty means all. The
	// baseline always runs.
	Only []string
	// Ladder lists the crowd sizes, half WebSockets and half long polls,
	// that each contender holds at once; the node holds each poll Hold.
	Ladder []int
	Hold   time.Duration
	// Throughput, Crowd and Failover select the parts.
	Throughput, Crowd, Failover bool
	// Out receives the report (Markdown), Log progress lines.
	Out, Log io.Writer
}

// harness is one benchmark run.
type harness struct {
	cfg  Config
	self string // this executable, re-run as the load generator
	// taskset pins processes to CPUs; empty when pinning is off.
	taskset          string
	lbCPUs, loadCPUs string
	pinNote          string
	ports            *nodePorts
}

// Run measures, prints the report to cfg.Out and stops everything it
// started before returning.
func Run(ctx context.Context, cfg Config) (err error) {
	if cfg.Dir == "" {
		if cfg.Dir, err = os.MkdirTemp("", "lbgen-bench-"); err != nil {
			return err
		}
	} else if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return err
	}
	if cfg.Keep {
		fmt.Fprintf(cfg.Log, "configs and logs are kept in %s\n", cfg.Dir)
	} else {
		defer os.RemoveAll(cfg.Dir)
	}
	h, err := newHarness(cfg)
	if err != nil {
		return err
	}
	fmt.Fprint(cfg.Out, machineReport(h))
	if cfg.Throughput {
		r, err := h.throughput(ctx)
		if err != nil {
			return fmt.Errorf("throughput: %w", err)
		}
		fmt.Fprint(cfg.Out, r.markdown())
	}
	if cfg.Crowd {
		fmt.Fprint(cfg.Out, h.crowd(ctx).markdown())
	}
	if cfg.Failover {
		fmt.Fprint(cfg.Out, h.failover(ctx).markdown())
	}
	return nil
}

func newHarness(cfg Config) (*harness, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	h := &harness{cfg: cfg, self: self, ports: newNodePorts()}
	cpus, err := allowedCPUs()
	if err != nil {
		return nil, err
	}
	h.taskset, _ = exec.LookPath("taskset")
	switch {
	case len(cpus) < 2:
		h.taskset, h.pinNote = "", "not pinned: one CPU, shared by everything"
	case h.taskset == "":
		h.pinNote = "not pinned: taskset (util-linux) is missing; the load balancer shares every CPU with the load generator"
	default:
		half := len(cpus) / 2
		h.lbCPUs, h.loadCPUs = cpuList(cpus[:half]), cpuList(cpus[half:])
		h.pinNote = fmt.Sprintf("load balancer on CPU %s; load generator and nodes on CPU %s", h.lbCPUs, h.loadCPUs)
	}
	return h, nil
}

func cpuList(cpus []int) string {
	s := make([]string, len(cpus))
	for i, c := range cpus {
		s[i] = strconv.Itoa(c)
	}
	return strings.Join(s, ",")
}

// pin makes cmd run on cpus, by running it under taskset (which execs it,
// so the process keeps its pid and group).
func (h *harness) pin(cmd *exec.Cmd, cpus string) *exec.Cmd {
	if h.taskset == "" || cpus == "" {
		return cmd
	}
	cmd.Args = append([]string{"taskset", "-c", cpus, cmd.Path}, cmd.Args[1:]...)
	cmd.Path = h.taskset
	return cmd
}

// LoadCommand is the argument that makes the benchmark binary the load
// generator: it reads a Load as JSON on stdin and writes the LoadResult
// as JSON on stdout. A process of its own can be pinned to the load CPUs
// and keeps the harness's own work out of the measurement.
const LoadCommand = "load"

// LoadChild is the load generator process's main.
func LoadChild(ctx context.Context, in io.Reader, out io.Writer) error {
	var l Load
	if err := json.NewDecoder(in).Decode(&l); err != nil {
		return fmt.Errorf("load: %w", err)
	}
	r, err := RunLoad(ctx, l)
	if err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(r)
}

// load runs l in a load generator process on the load CPUs.
func (h *harness) load(ctx context.Context, l Load) (LoadResult, error) {
	in, err := json.Marshal(l)
	if err != nil {
		return LoadResult{}, err
	}
	cmd := h.pin(exec.CommandContext(ctx, h.self, LoadCommand), h.loadCPUs)
	var out, errOut bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(in), &out, &errOut
	if err := cmd.Run(); err != nil {
		return LoadResult{}, fmt.Errorf("load generator: %w: %s", err, strings.TrimSpace(errOut.String()))
	}
	var r LoadResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		return LoadResult{}, fmt.Errorf("load generator output: %w", err)
	}
	return r, nil
}

func (h *harness) logf(format string, args ...any) {
	fmt.Fprintf(h.cfg.Log, format+"\n", args...)
}

// dir returns a fresh directory for one load balancer or node set.
func (h *harness) dir(parts ...string) string {
	return filepath.Join(append([]string{h.cfg.Dir}, parts...)...)
}

// machineReport describes the machine and the software measured.
func machineReport(h *harness) string {
	var b strings.Builder
	b.WriteString("## Machine\n\n")
	fmt.Fprintf(&b, "- CPU: %s, %d CPUs (%s)\n", cpuModel(), runtime.NumCPU(), h.pinNote)
	fmt.Fprintf(&b, "- kernel: %s\n", firstLine(readFile("/proc/sys/kernel/osrelease")))
	fmt.Fprintf(&b, "- %s\n", runtime.Version())
	for _, t := range []generator.Target{generator.Nginx, generator.Apache, generator.HAProxy} {
		fmt.Fprintf(&b, "- %s\n", version(t))
	}
	fmt.Fprintf(&b, "- load average at start: %s\n", loadAverage())
	b.WriteString("\n")
	return b.String()
}

// loadAverage is the 1, 5 and 15 minute load average: on a shared
// machine it says how much else competed for the CPUs.
func loadAverage() string {
	if load := strings.Fields(readFile("/proc/loadavg")); len(load) >= 3 {
		return strings.Join(load[:3], " ")
	}
	return "unknown"
}

func cpuModel() string {
	for line := range strings.Lines(readFile("/proc/cpuinfo")) {
		if name, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
		}
	}
	return runtime.GOARCH
}

// version is the first line a server prints for its version flag.
func version(t generator.Target) string {
	bin, err := servers.Binary(t)
	if err != nil {
		return err.Error()
	}
	out, err := exec.Command(bin, "-v").CombinedOutput()
	if err != nil {
		return fmt.Sprintf("%s: %v", bin, err)
	}
	return firstLine(string(out))
}

func readFile(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(line)
}
