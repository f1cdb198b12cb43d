package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/lbgen/lbgen/parity"
)

const flagScenario flagName = "scenario"

func newParityCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "parity -c FILE [-t TARGETS] [--format table|json]",
		Short: "Run the routing scenarios on loopback against the real servers and the reference proxy",
		Long: `parity copies the cluster, replaces every node and fallback by a local test
backend on 127.0.0.1 (the hosts in the file are never contacted), renders each
target for that sandbox, starts the real server in the foreground on loopback
ports, and runs the scenario matrix against it and against the built-in proxy:
sticky routing, round robin, drain, standby, killed, unreachable and hung
nodes, recovery, fallback, WebSockets, forwarded headers, internal paths and
body limits. Everything it starts is stopped before it exits.

Each scenario is reported per target as pass, divergence (documented in
docs/targets.md), fail, skipped (server not installed) or n/a (the
cluster lacks what the scenario needs). Any fail exits 6.`,
		Example: "  lbgen parity -c cluster.yaml -t nginx,haproxy\n  lbgen parity -c cluster.yaml --format json",
		Args:    noArgs,
		RunE:    runParity,
	}
	addConfigFlag(cmd, "cluster file (- reads standard input)")
	cmd.Flags().StringP(string(flagTarget), "t", "all", "targets: "+strings.Join(parityTargets(), ", ")+", a comma-separated list, or all; the reference proxy always runs")
	cmd.Flags().String(string(flagFormat), "table", "report format: table or json")
	cmd.Flags().StringSlice(string(flagScenario), nil, "run only these scenarios (repeatable)")
	return cmd
}

// parityTargets are the -t names parity accepts besides the proxy.
func parityTargets() []string {
	return slices.DeleteFunc(parity.RunnerNames(), func(n string) bool { return n == parity.ProxyName })
}

func runParity(cmd *cobra.Command, _ []string) error {
	format := flagFormat.String(cmd)
	if format != "table" && format != "json" {
		return usagef("--format must be table or json, not %q", format)
	}
	runners, err := parityRunners(flagTarget.String(cmd))
	if err != nil {
		return err
	}
	scenarios, err := cmd.Flags().GetStringSlice(string(flagScenario))
	if err != nil {
		return usagef("%v", err)
	}
	for _, sc := range scenarios {
		if !slices.Contains(parity.ScenarioNames(), sc) {
			return usagef("unknown scenario %q (use %s)", sc, strings.Join(parity.ScenarioNames(), ", "))
		}
	}
	c, name, err := loadCluster(cmd)
	if err != nil {
		return err
	}
	// Ctrl-C ends the run after the current scenario, stopping what it started.
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := parity.Run(ctx, c, name, parity.Options{Runners: runners, Scenarios: scenarios, Progress: cmd.ErrOrStderr()})
	if errors.Is(err, context.Canceled) {
		return withCode(exitFailure, errors.New("interrupted; every server and backend it started is stopped"))
	}
	if err != nil {
		return withCode(exitFailure, err)
	}
	if format == "json" {
		err = rep.WriteJSON(cmd.OutOrStdout())
	} else {
		err = rep.WriteTable(cmd.OutOrStdout())
	}
	if err != nil {
		return withCode(exitFailure, err)
	}
	if rep.Failed() {
		return quiet(exitParity, "parity mismatch")
	}
	return nil
}

func parityRunners(spec string) ([]string, error) {
	known := parityTargets()
	if spec == "all" || spec == "" {
		return append(known, parity.ProxyName), nil
	}
	var out []string
	for _, name := range strings.Split(spec, ",") {
		name = targetName(name)
		if !slices.Contains(known, name) && name != parity.ProxyName {
			return nil, usagef("unknown parity target %q (use %s or all)", name, strings.Join(known, ", "))
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	if !slices.Contains(out, parity.ProxyName) {
		out = append(out, parity.ProxyName)
	}
	return out, nil
}
