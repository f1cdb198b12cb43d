package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/lbgen/lbgen/proxy"
)

const (
	flagListen   flagName = "listen"
	flagAddrFile flagName = "addr-file"
)

// shutdownGrace bounds how long in-flight requests may finish on SIGINT or
// SIGTERM before the proxy closes them.
const shutdownGrace = 10 * time.Second

func newProxyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "proxy -c FILE [--listen ADDR]",
		Short: "Run the built-in reference proxy on a cluster file",
		Long: `proxy serves every listener of the cluster file (public, internal and TLS) with
the reference routing rules, health-checks the nodes, and writes one line
per request to standard output: the node chosen and why. --listen replaces
the file's listeners with one public plain-HTTP listener per address.
SIGINT or SIGTERM stops it gracefully.`,
		Example: "  lbgen proxy -c cluster.yaml --listen 127.0.0.1:8080",
		Args:    noArgs,
		RunE:    runProxy,
	}
	addConfigFlag(cmd, "cluster file (- reads standard input)")
	cmd.Flags().StringSlice(string(flagListen), nil, "listen address replacing the file's listeners (repeatable)")
	cmd.Flags().String(string(flagAddrFile), "", "write the bound addresses to this file once listening")
	return cmd
}

func runProxy(cmd *cobra.Command, _ []string) error {
	c, _, err := loadCluster(cmd)
	if err != nil {
		return err
	}
	listen, err := cmd.Flags().GetStringSlice(string(flagListen))
	if err != nil {
		return usagef("%v", err)
	}
	p, err := proxy.New(c, proxy.Options{Log: cmd.OutOrStdout(), Listen: listen})
	if err != nil {
		return withCode(exitFailure, err)
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := p.Start(ctx); err != nil {
		return withCode(exitFailure, err)
	}
	addrs := p.Addrs()
	fmt.Fprintf(cmd.ErrOrStderr(), "lbgen proxy: listening on %s\n", strings.Join(addrs, ", "))
	if file := flagAddrFile.String(cmd); file != "" {
		if err := os.WriteFile(file, []byte(strings.Join(addrs, "\n")+"\n"), 0o644); err != nil {
			p.Shutdown(context.Background())
			return withCode(exitFailure, err)
		}
	}
	<-ctx.Done()
	fmt.Fprintln(cmd.ErrOrStderr(), "lbgen proxy: shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	return withCode(exitFailure, p.Shutdown(sctx))
}
