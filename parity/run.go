package parity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/internal/servers"
	"github.com/lbgen/lbgen/model"
	"github.com/lbgen/lbgen/outdir"
	"github.com/lbgen/lbgen/proxy"
	"github.com/lbgen/lbgen/validate"
)

// Runner starts one load balancer on a sandboxed cluster.
type Runner interface {
	Name() string
	// Start returns once every listener accepts connections.
	Start(ctx context.Context, s *Sandbox, dir string) (stop func(), err error)
}

// serverRunner renders a target and runs its real server in the foreground.
type serverRunner struct {
	target generator.Target
	// mutate plants a bug in the rendered files, to show that parity
	// catches it; nil leaves them as rendered.
	mutate func([]byte) []byte
}

func (r serverRunner) Name() string { return string(r.target) }

func (r serverRunner) Start(ctx context.Context, s *Sandbox, dir string) (func(), error) {
	out, err := generator.Render(s.Cluster, r.target, generator.Options{Source: "parity sandbox"})
	if err != nil {
		return nil, err
	}
	if r.mutate != nil {
		for i := range out.Files {
			out.Files[i].Data = r.mutate(out.Files[i].Data)
		}
	}
	if _, err := outdir.Write(dir, []*generator.Output{out}); err != nil {
		return nil, err
	}
	var addrs []string
	for _, l := range s.Listeners {
		addrs = append(addrs, l.Addr)
	}
	p, err := servers.Start(ctx, r.target, dir, addrs)
	if err != nil {
		return nil, err
	}
	return func() { p.Stop() }, nil
}

// proxyRunner runs the built-in reference proxy in this process.
type proxyRunner struct{}

// ProxyName is the runner name of the built-in reference proxy.
const ProxyName = "proxy"

func (proxyRunner) Name() string { return ProxyName }

func (proxyRunner) Start(ctx context.Context, s *Sandbox, dir string) (func(), error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	log, err := os.Create(filepath.Join(dir, "proxy.log"))
	if err != nil {
		return nil, err
	}
	p, err := proxy.New(s.Cluster, proxy.Options{Log: log})
	if err == nil {
		err = p.Start(ctx)
	}
	if err != nil {
		log.Close()
		return nil, err
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		p.Shutdown(ctx)
		log.Close()
	}, nil
}

// Runners lists what parity can run: every rendered target, then the
// built-in proxy.
func Runners() []Runner {
	var rs []Runner
	for _, t := range generator.Targets {
		rs = append(rs, serverRunner{target: t})
	}
	return append(rs, proxyRunner{})
}

// RunnerNames lists the names -t accepts.
func RunnerNames() []string {
	var names []string
	for _, r := range Runners() {
		names = append(names, r.Name())
	}
	return names
}

// Status of one scenario on one runner.
type Status string

const (
	Pass       Status = "pass"
	Fail       Status = "fail"
	Divergence Status = "divergence" // fails as documented in docs/targets.md
	Skipped    Status = "skipped"    // the runner's server is not installed
	NotApplies Status = "n/a"        // the cluster lacks what the scenario needs
)

// Result is the outcome of one scenario on one runner.
type Result struct {
	Scenario string `json:"scenario"`
	Rule     string `json:"rule"`
	Runner   string `json:"target"`
	Status   Status `json:"status"`
	Detail   string `json:"detail,omitempty"`
	TookMS   int64  `json:"took_ms"`
}

// Report is a parity run of one cluster.
type Report struct {
	Cluster   string   `json:"cluster"`
	Notes     []string `json:"notes"`
	Runners   []string `json:"targets"`
	Scenarios []string `json:"scenarios"`
	Results   []Result `json:"results"`
}

// Failed reports whether any scenario failed.
func (r *Report) Failed() bool {
	return slices.ContainsFunc(r.Results, func(x Result) bool { return x.Status == Fail })
}

// Options select what a run covers.
type Options struct {
	// Runners to use, by name; empty means all.
	Runners []string
	// Scenarios to run, by name; empty means all.
	Scenarios []string
	// Progress receives a line per finished scenario; nil discards.
	Progress io.Writer
}

// Run sandboxes c, then runs every scenario on every runner. Everything
// it starts is stopped before it returns.
func Run(ctx context.Context, c *model.Cluster, name string, opts Options) (*Report, error) {
	runners, err := selectRunners(opts.Runners)
	if err != nil {
		return nil, err
	}
	return run(ctx, c, name, runners, opts)
}

func run(ctx context.Context, c *model.Cluster, name string, runners []Runner, opts Options) (*Report, error) {
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	dir, err := os.MkdirTemp("", "lbgen-parity-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	s, err := NewSandbox(c, dir)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	rep := &Report{Cluster: name, Notes: s.Notes}
	for _, sc := range scenarios {
		if len(opts.Scenarios) == 0 || slices.Contains(opts.Scenarios, sc.name) {
			rep.Scenarios = append(rep.Scenarios, sc.name)
		}
	}
	for _, r := range runners {
		rep.Runners = append(rep.Runners, r.Name())
		if why := refusal(r, s.Cluster); why != "" {
			for _, sc := range rep.Scenarios {
				rep.Results = append(rep.Results, Result{Scenario: sc, Rule: ruleOf(sc), Runner: r.Name(), Status: NotApplies, Detail: why})
			}
			continue
		}
		results, err := runOne(ctx, s, r, dir, rep.Scenarios, opts.Progress)
		if err != nil {
			return nil, err
		}
		rep.Results = append(rep.Results, results...)
	}
	return rep, nil
}

// refusal says why a runner's target cannot express the cluster (its
// lints refuse it, so lbgen renders nothing), or "".
func refusal(r Runner, c *model.Cluster) string {
	sr, ok := r.(serverRunner)
	if !ok {
		return ""
	}
	for _, d := range validate.Target(c, sr.target) {
		if d.Severity == model.SevError {
			return fmt.Sprintf("%s cannot express this cluster: %s (%s)", sr.target, d.Message, d.Code)
		}
	}
	return ""
}

func ruleOf(name string) string {
	i := slices.IndexFunc(scenarios, func(sc scenario) bool { return sc.name == name })
	return scenarios[i].rule
}

func selectRunners(names []string) ([]Runner, error) {
	all := Runners()
	if len(names) == 0 {
		return all, nil
	}
	var out []Runner
	for _, n := range names {
		i := slices.IndexFunc(all, func(r Runner) bool { return r.Name() == n })
		if i < 0 {
			return nil, fmt.Errorf("unknown parity target %q (use %v)", n, RunnerNames())
		}
		out = append(out, all[i])
	}
	return out, nil
}

// runOne runs the selected scenarios on one runner: first the shared ones
// on one start of the balancer, then each fault scenario on a start of its
// own with healthy backends. Results keep the scenario order.
func runOne(ctx context.Context, s *Sandbox, r Runner, dir string, selected []string, progress io.Writer) ([]Result, error) {
	starts := 0
	start := func() (func(), error) {
		starts++
		s.Reset()
		stop, err := r.Start(ctx, s, filepath.Join(dir, fmt.Sprintf("%s-%d", r.Name(), starts)))
		if err == nil && s.Cluster.Sticky.Style == model.StyleHash && s.pins[r.Name()] == nil {
			if err = newEnv(ctx, s, r.Name(), "").learnPins(); err != nil {
				stop()
			}
		}
		return stop, err
	}
	byName := map[string]Result{}
	for _, fresh := range []bool{false, true} {
		var shared func()
		for _, sc := range scenarios {
			if sc.fresh != fresh || !slices.Contains(selected, sc.name) {
				continue
			}
			if err := ctx.Err(); err != nil {
				if shared != nil {
					shared()
				}
				return nil, err
			}
			res := Result{Scenario: sc.name, Rule: sc.rule, Runner: r.Name()}
			e := newEnv(ctx, s, r.Name(), sc.name)
			if why := sc.needsOf(e); why != "" {
				res.Status, res.Detail = NotApplies, why
				byName[sc.name] = res
				continue
			}
			stop := shared
			if stop == nil {
				var err error
				if stop, err = start(); errors.Is(err, servers.ErrNotInstalled) {
					return skipAll(r, selected, err), nil
				} else if err != nil {
					return nil, fmt.Errorf("%s: %w", r.Name(), err)
				}
				if !fresh {
					shared = stop
				}
			}
			began := time.Now()
			runErr := sc.run(e)
			res.TookMS = time.Since(began).Milliseconds()
			if fresh {
				stop()
			}
			res.Status, res.Detail = judge(r.Name(), sc.name, runErr, e.seen)
			fmt.Fprintf(progress, "%-8s %-40s %s %s\n", r.Name(), sc.name, res.Status, res.Detail)
			byName[sc.name] = res
		}
		if shared != nil {
			shared()
		}
	}
	var results []Result
	for _, name := range selected {
		results = append(results, byName[name])
	}
	return results, nil
}

func (sc scenario) needsOf(e *env) string {
	if len(e.active) == 0 {
		return "no active node"
	}
	if sc.needs == nil {
		return ""
	}
	return sc.needs(e)
}

func skipAll(r Runner, selected []string, err error) []Result {
	var out []Result
	for _, sc := range scenarios {
		if slices.Contains(selected, sc.name) {
			out = append(out, Result{Scenario: sc.name, Rule: sc.rule, Runner: r.Name(), Status: Skipped, Detail: err.Error()})
		}
	}
	return out
}

// checks is what one scenario run showed, check by check: which checks
// gave the reference outcome and which a documented divergence.
type checks struct {
	conformed map[string]bool
	diverged  map[string]divergence
}

func newChecks() *checks {
	return &checks{conformed: map[string]bool{}, diverged: map[string]divergence{}}
}

// judge turns a scenario's error and its checks into a status. A
// divergence documented for a check that gave the reference outcome, and
// never the documented one, is stale: docs/targets.md and the table must learn
// that the target got better.
func judge(runner, scenario string, err error, seen *checks) (Status, string) {
	if err != nil {
		return Fail, err.Error()
	}
	for _, d := range divergences {
		if string(d.target) != runner || d.scenario != scenario {
			continue
		}
		if _, shown := seen.diverged[d.check]; seen.conformed[d.check] && !shown {
			return Fail, fmt.Sprintf("stale divergence: check %s gave the reference outcome, not the documented %q (%s); "+
				"remove it from parity/divergences.go and docs/targets.md", d.check, d.observed, d.why)
		}
	}
	if len(seen.diverged) == 0 {
		return Pass, ""
	}
	var details []string
	for _, check := range slices.Sorted(maps.Keys(seen.diverged)) {
		d := seen.diverged[check]
		details = append(details, fmt.Sprintf("%s (%s: %s)", d.why, check, d.observed))
	}
	return Divergence, strings.Join(details, "; ")
}

func newEnv(ctx context.Context, s *Sandbox, runner, scenario string) *env {
	e := &env{ctx: ctx, s: s, runner: runner, scenario: scenario, seen: newChecks(), param: s.Cluster.Sticky.Param}
	for _, n := range s.Cluster.Nodes {
		switch n.State {
		case model.StateActive:
			e.active = append(e.active, n.Name)
		case model.StateDrain:
			e.drain = append(e.drain, n.Name)
		case model.StateStandby:
			e.standby = append(e.standby, n.Name)
		}
	}
	for _, list := range [][]string{e.active, e.drain, e.standby} {
		slices.Sort(list)
	}
	for _, l := range s.Listeners {
		c := &client{addr: l.Addr, tls: l.TLS, internal: l.Internal, sandbox: s}
		switch {
		case l.Internal:
			if e.internal == nil {
				e.internal = c
			}
		case l.TLS:
			if e.tls == nil {
				e.tls = c
			}
		default:
			if e.public == nil {
				e.public = c
			}
		}
	}
	if e.public == nil {
		e.public = e.tls
	}
	if e.public == nil {
		e.public = e.internal
	}
	return e
}

// ScenarioNames lists the scenarios in the order they are reported.
func ScenarioNames() []string {
	names := make([]string, len(scenarios))
	for i, sc := range scenarios {
		names[i] = sc.name
	}
	return names
}
