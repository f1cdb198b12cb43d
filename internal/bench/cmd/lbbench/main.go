// Command lbbench runs lbgen's benchmarks: `make bench` runs it after
// building lbgen. See BENCHMARKS.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lbgen/lbgen/internal/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	children := map[string]func() error{
		bench.LoadCommand:  func() error { return bench.LoadChild(ctx, os.Stdin, os.Stdout) },
		bench.CrowdCommand: func() error { return bench.CrowdChild(ctx, os.Stdin, os.Stdout) },
		bench.NodesCommand: func() error { return bench.NodesChild(ctx, os.Args[2:]) },
	}
	if len(os.Args) > 1 && children[os.Args[1]] != nil {
		if err := children[os.Args[1]](); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	cfg := bench.Config{Out: os.Stdout, Log: os.Stderr}
	flag.StringVar(&cfg.Lbgen, "lbgen", "./lbgen", "lbgen binary, run as `lbgen proxy`")
	flag.StringVar(&cfg.Dir, "dir", "", "working directory (default: a new temporary one; removed afterwards unless -keep)")
	flag.BoolVar(&cfg.Keep, "keep", false, "keep the working directory: configs, logs")
	flag.IntVar(&cfg.Nodes, "nodes", 3, "cluster nodes")
	flag.DurationVar(&cfg.Connect, "connect", bench.SeedConnectTimeout, "the cluster's connect timeout (the baseline keeps the seed's 5s)")
	flag.IntVar(&cfg.Sessions, "sessions", 64, "concurrent sticky sessions, one keep-alive connection each")
	flag.DurationVar(&cfg.Warmup, "warmup", time.Second, "warm-up before each measured run")
	flag.DurationVar(&cfg.Duration, "duration", 3*time.Second, "measured run per load balancer and round")
	flag.IntVar(&cfg.Rounds, "rounds", 5, "interleaved rounds; the median is reported")
	only := flag.String("only", "", "comma-separated load balancers to measure besides the baseline: "+strings.Join(bench.ContenderIDs(), ", "))
	flag.BoolVar(&cfg.Throughput, "throughput", true, "measure sticky keep-alive throughput")
	flag.BoolVar(&cfg.Crowd, "crowd", true, "measure crowds of WebSockets and long polls held at once, and the limit")
	ladder := flag.String("ladder", "1000,4000,8000", "crowd sizes, half WebSockets and half long polls")
	flag.DurationVar(&cfg.Hold, "hold", 8*time.Second, "how long the nodes hold each long poll of the crowd")
	flag.BoolVar(&cfg.Failover, "failover", true, "measure failover of a pinned session")
	flag.Parse()
	if *only != "" {
		cfg.Only = strings.Split(*only, ",")
		for _, id := range cfg.Only {
			if !slices.Contains(bench.ContenderIDs(), id) {
				fmt.Fprintf(os.Stderr, "lbbench: unknown load balancer %q (use %s)\n", id, strings.Join(bench.ContenderIDs(), ", "))
				os.Exit(2)
			}
		}
	}
	for _, n := range strings.Split(*ladder, ",") {
		size, err := strconv.Atoi(strings.TrimSpace(n))
		if err != nil || size < 2 {
			fmt.Fprintf(os.Stderr, "lbbench: -ladder: %q is not a crowd size\n", n)
			os.Exit(2)
		}
		cfg.Ladder = append(cfg.Ladder, size)
	}
	lbgen, err := exec.LookPath(cfg.Lbgen)
	if err == nil {
		cfg.Lbgen, err = filepath.Abs(lbgen)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "lbbench: %v (build it with `make build`)\n", err)
		os.Exit(2)
	}
	if err := bench.Run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "lbbench:", err)
		os.Exit(1)
	}
}
