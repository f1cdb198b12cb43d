package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/lbgen/lbgen/apply"
	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/internal/servers"
	"github.com/lbgen/lbgen/model"
	"github.com/lbgen/lbgen/validate"
	"github.com/lbgen/lbgen/watch"
)

func newWatchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "watch -c FILE -t TARGET -o DIR [--reload-cmd CMD] [--min-gap 1s]",
		Short: "Keep the server running from DIR in step with FILE and, for nginx, with its nodes' health",
		Long: `watch runs in the foreground beside a server started from DIR. It applies FILE
at start (as lbgen apply does), then:

  - re-applies when FILE changes: written in place, renamed over by an
    editor, or swapped by Kubernetes as a mounted ConfigMap. An invalid file
    is reported and the running config stays;
  - for nginx, which has no active health checks of its own, checks every
    node with the file's health settings, the same check the reference proxy
    runs, and applies a node that fails health.fails checks as down until it
    passes health.passes checks again. Apache and HAProxy keep their own
    checks;
  - merges changes so that applies are at least --min-gap apart: a flapping
    node or a burst of edits costs at most one reload per --min-gap, and a
    change waits at most that long.

One log line per decision on stdout. SIGTERM or SIGINT stops watch and
leaves the server running; SIGHUP re-applies at once.`,
		Example: "  lbgen watch -c cluster.yaml -t nginx -o /srv/lb",
		Args:    noArgs,
		RunE:    runWatch,
	}
	addConfigFlag(cmd, "cluster file")
	addTargetFlag(cmd)
	cmd.Flags().StringP(string(flagOutput), "o", "", "output directory the server runs from")
	addReloadFlags(cmd)
	cmd.Flags().Duration(string(flagMinGap), time.Second, "least time between two applies; changes that come sooner are merged")
	addPlatformFlags(cmd)
	return cmd
}

func runWatch(cmd *cobra.Command, _ []string) error {
	t, dir, err := liveTarget(cmd)
	if err != nil {
		return err
	}
	file, err := requireConfig(cmd)
	if err != nil {
		return err
	}
	if file == "-" {
		return usagef("watch reads FILE again when it changes: give a file, not standard input")
	}
	minGap, err := cmd.Flags().GetDuration(string(flagMinGap))
	if err != nil || minGap <= 0 {
		return usagef("--min-gap must be a positive duration")
	}
	timeout, err := reloadTimeout(cmd)
	if err != nil {
		return err
	}
	name := displayPath(file)
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	force := make(chan struct{})
	go func() {
		for {
			select {
			case <-hup:
				select {
				case force <- struct{}{}:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	opts := apply.Options{
		Target:        t,
		Dir:           dir,
		Render:        platformOptions(cmd, name),
		ReloadCommand: flagReloadCmd.String(cmd),
		Timeout:       timeout,
		Log:           cmd.OutOrStdout(),
	}
	err = watch.Run(ctx, watch.Options{
		File: file,
		Load: func(data []byte) (*model.Cluster, error) { return loadForWatch(name, t, data) },
		Apply: func(ctx context.Context, c *model.Cluster) (string, error) {
			outcome, err := apply.Apply(ctx, c, opts)
			return string(outcome), err
		},
		Health: !servers.ChecksNodes(t),
		Force:  force,
		Log:    cmd.OutOrStdout(),
		MinGap: minGap,
	})
	var invalid *invalidFile
	if errors.As(err, &invalid) {
		cmd.ErrOrStderr().Write([]byte(invalid.findings))
		return quiet(exitInvalid, "%s is invalid", name)
	}
	if err != nil {
		return applyResult(cmd, t, dir, "", err)
	}
	return nil
}

// invalidFile is a cluster file with errors, with its findings printed.
type invalidFile struct{ findings string }

func (e *invalidFile) Error() string { return e.findings }

// loadForWatch validates a cluster file's content as validate and render
// do, for the target.
func loadForWatch(name string, t generator.Target, data []byte) (*model.Cluster, error) {
	c, diags := validate.Load(name, data)
	if c != nil {
		diags = model.SortDiagnostics(append(diags, validate.Target(c, t)...))
	}
	if c != nil && !model.HasErrors(diags) {
		return c, nil
	}
	var b bytes.Buffer
	printDiagnostics(&b, diags)
	return nil, &invalidFile{findings: b.String()}
}
