package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lbgen/lbgen/apply"
	"github.com/lbgen/lbgen/generator"
)

func newApplyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "apply -c FILE -t TARGET -o DIR [--reload-cmd CMD]",
		Short: "Put the rendered config live on the server running from DIR, with rollback",
		Long: `apply renders exactly what render -o DIR renders for one target and puts it
live:

  1. unchanged on disk: nothing is written or reloaded (exit 0);
  2. the new config is checked by the real server as it will run from DIR
     (nginx -t, apache2 -t, haproxy -c): refused, nothing in DIR or the
     running server changes (exit 5);
  3. the file is swapped in atomically; the previous one is kept in DIR/.lbgen;
  4. the server running from DIR, found through the pid file the config
     names, is reloaded gracefully (nginx: SIGHUP to the master, as
     nginx -s reload does; HAProxy: SIGUSR2 to the master-worker master;
     Apache: SIGUSR1 to the parent, a graceful restart, after checking that
     it can bind every new listen address); --reload-cmd runs a command
     instead, for servers under systemd or similar;
  5. the new generation must take over (a new worker, the old ones no longer
     accepting, no emergency in the error log) and answer on every listener;
     if not, the previous config is put back and reloaded (exit 7).

With no server running from DIR the files are checked and written (exit 0,
"written"). Two applies on one DIR wait for each other. An apply interrupted
between the swap and the confirmation is undone by the next one. Old nginx
and HAProxy workers keep their open connections for at most timeouts.drain
after a reload; old Apache children keep them until they close.

With --reload-cmd and no pid file lbgen can read, the command's exit status
and the listeners answering are what tells.`,
		Example: "  lbgen apply -c cluster.yaml -t nginx -o /srv/lb\n  lbgen apply -c cluster.yaml -t nginx -o /etc/nginx/lbgen --reload-cmd 'systemctl reload nginx'",
		Args:    noArgs,
		RunE:    runApply,
	}
	addConfigFlag(cmd, "cluster file (- reads standard input)")
	addTargetFlag(cmd)
	cmd.Flags().StringP(string(flagOutput), "o", "", "output directory the server runs from")
	addReloadFlags(cmd)
	addPlatformFlags(cmd)
	return cmd
}

func runApply(cmd *cobra.Command, _ []string) error {
	t, dir, err := liveTarget(cmd)
	if err != nil {
		return err
	}
	c, source, err := loadCluster(cmd)
	if err != nil {
		return err
	}
	if err := checkTargets(cmd, c, []generator.Target{t}); err != nil {
		return err
	}
	timeout, err := reloadTimeout(cmd)
	if err != nil {
		return err
	}
	outcome, err := apply.Apply(cmd.Context(), c, apply.Options{
		Timeout:       timeout,
		Target:        t,
		Dir:           dir,
		Render:        platformOptions(cmd, source),
		ReloadCommand: flagReloadCmd.String(cmd),
		Log:           cmd.ErrOrStderr(),
	})
	return applyResult(cmd, t, dir, outcome, err)
}

// liveTarget reads the one target (-t) and the directory its server runs
// from (-o) of apply and watch.
func liveTarget(cmd *cobra.Command) (generator.Target, string, error) {
	ts, err := targets(cmd)
	if err != nil {
		return "", "", err
	}
	if len(ts) != 1 {
		return "", "", usagef("%s works on one target at a time: give -t nginx, apache or haproxy", cmd.Name())
	}
	dir := flagOutput.String(cmd)
	if dir == "" || dir == "-" {
		return "", "", usagef("-o DIR is required: the directory the server runs from")
	}
	return ts[0], dir, nil
}

// applyResult prints what apply did and maps its errors to exit codes.
func applyResult(cmd *cobra.Command, t generator.Target, dir string, outcome apply.Outcome, err error) error {
	var rejected *apply.RejectedError
	var rolledBack *apply.RolledBackError
	switch {
	case errors.As(err, &rejected):
		return withCode(exitRejected, err)
	case errors.As(err, &rolledBack):
		return withCode(exitRolledBack, err)
	case err != nil:
		return withCode(exitFailure, err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s: %s (%s)\n", t, outcome, displayPath(dir))
	return nil
}
