// Package apply puts a rendered config live on a server running from its
// output directory: it checks the new config where it will run, swaps it
// in atomically, reloads the server gracefully, confirms that the new
// generation serves, and goes back to the previous config when it does
// not.
package apply

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/internal/servers"
	"github.com/lbgen/lbgen/model"
	"github.com/lbgen/lbgen/outdir"
)

// Options configures Apply.
type Options struct {
	Target generator.Target
	// Dir is the output directory the server runs from.
	Dir string
	// Render are the platform settings, as for lbgen render.
	Render generator.Options
	// ReloadCommand replaces the reload signal (systemctl reload nginx).
	ReloadCommand string
	// Timeout bounds the wait for a reloaded server (default 10s).
	Timeout time.Duration
	// Log receives one line per step.
	Log io.Writer
}

// Outcome says what Apply did.
type Outcome string

const (
	Unchanged Outcome = "unchanged" // the files on disk already were the new config
	Written   Outcome = "written"   // no server runs from the directory
	Reloaded  Outcome = "reloaded"  // the running server serves the new config
	Recovered Outcome = "recovered" // an interrupted apply was undone; the config was current
	Updated   Outcome = "updated"   // weights and drains set through the runtime API, no reload
)

// Apply's own files, under stateDir in the output directory.
const (
	stateDir    = ".lbgen"
	stagedExt   = ".lbgen-check" // a new config being checked, beside the live one
	pendingExt  = ".pending"     // marks a swap not yet confirmed
	previousDir = "previous"     // the last confirmed generation
	lockName    = "lock"         // held while an apply runs
)

// RejectedError is a new config the server's own check refused; nothing
// in the directory or the running server changed.
type RejectedError struct{ Err error }

func (e *RejectedError) Error() string { return e.Err.Error() }
func (e *RejectedError) Unwrap() error { return e.Err }

// RolledBackError is a config that passed the check but did not take over
// at reload; the previous files are back and the server reloaded them.
type RolledBackError struct {
	Err error
	// Restored says whether the previous generation serves again.
	Restored error
}

func (e *RolledBackError) Error() string {
	if e.Restored != nil {
		return fmt.Sprintf("%v; rolling back to the previous config failed too: %v", e.Err, e.Restored)
	}
	return fmt.Sprintf("%v; rolled back: the previous config serves again", e.Err)
}
func (e *RolledBackError) Unwrap() error { return e.Err }

// Apply renders c for o.Target and puts it live in o.Dir.
func Apply(ctx context.Context, c *model.Cluster, o Options) (Outcome, error) {
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	out, err := generator.Render(c, o.Target, o.Render)
	if err != nil {
		return "", err
	}
	if len(out.Files) != 1 {
		return "", fmt.Errorf("%s renders %d files; apply handles one", o.Target, len(out.Files))
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return "", err
	}
	a := &applier{o: o, dir: dir, out: out, file: out.Files[0], listeners: dialAddrs(c), listenAddrs: listenAddrs(c)}
	if err := os.MkdirAll(filepath.Join(dir, stateDir, previousDir), 0o755); err != nil {
		return "", err
	}
	unlock, err := lock(filepath.Join(dir, stateDir, lockName))
	if err != nil {
		return "", err
	}
	defer unlock()
	return a.apply(ctx)
}

type applier struct {
	o           Options
	dir         string
	out         *generator.Output
	file        generator.File
	listeners   []string // where a reloaded server must answer
	listenAddrs []string // every address the config listens on, as written
}

func (a *applier) live() string     { return filepath.Join(a.dir, a.file.Name) }
func (a *applier) previous() string { return filepath.Join(a.dir, stateDir, previousDir, a.file.Name) }
func (a *applier) pending() string {
	return filepath.Join(a.dir, stateDir, string(a.o.Target)+pendingExt)
}

func (a *applier) logf(format string, args ...any) {
	if a.o.Log != nil {
		fmt.Fprintf(a.o.Log, format+"\n", args...)
	}
}

func (a *applier) apply(ctx context.Context) (Outcome, error) {
	recovered := false
	if _, err := os.Stat(a.pending()); err == nil {
		if err := a.recover(ctx); err != nil {
			return "", fmt.Errorf("recovering from an interrupted apply: %w", err)
		}
		recovered = true
	}
	current, err := os.ReadFile(a.live())
	if err == nil && string(current) == string(a.file.Data) {
		if recovered {
			return Recovered, nil
		}
		return Unchanged, nil
	}
	if err := a.check(ctx); err != nil {
		return "", err
	}
	srv, err := a.running()
	if err != nil {
		return "", err
	}
	if srv != nil {
		if err := servers.ProbeListeners(a.o.Target, current, a.listenAddrs); err != nil {
			return "", &RejectedError{Err: fmt.Errorf("%w; nothing changed", err)}
		}
	}
	if current != nil {
		if err := replace(a.previous(), current); err != nil {
			return "", err
		}
	}
	if err := replace(a.pending(), nil); err != nil {
		return "", err
	}
	if _, err := outdir.Write(a.dir, []*generator.Output{a.out}); err != nil {
		os.Remove(a.pending())
		return "", err
	}
	if srv != nil && a.atRunTime(ctx, current) {
		os.Remove(a.pending())
		return Updated, nil
	}
	if srv == nil && a.o.ReloadCommand == "" {
		os.Remove(a.pending())
		return Written, nil
	}
	if err := servers.ReloadServer(ctx, a.o.Target, srv, a.reload()); err != nil {
		var re *servers.ReloadError
		if !errors.As(err, &re) {
			return "", err // the pending marker stays: the next apply recovers
		}
		restored := a.rollback(ctx, srv, current)
		if restored == nil {
			os.Remove(a.pending())
		}
		return "", &RolledBackError{Err: err, Restored: restored}
	}
	os.Remove(a.pending())
	return Reloaded, nil
}

// atRunTime applies a change that is only node weights and drains through
// HAProxy's runtime API, which keeps every connection and costs no new
// process, and reports whether it did. Anything else needs a reload.
func (a *applier) atRunTime(ctx context.Context, current []byte) bool {
	if a.out.RuntimeSocket == "" || current == nil {
		return false
	}
	was, restWas := generator.HAProxyWeights(current)
	now, restNow := generator.HAProxyWeights(a.file.Data)
	if !bytes.Equal(restWas, restNow) {
		return false
	}
	changed := map[string]int{}
	for k, w := range now {
		if was[k] != w {
			changed[k] = w
		}
	}
	if err := servers.SetWeights(ctx, a.resolve(a.out.RuntimeSocket), changed); err != nil {
		a.logf("%s: %v; reloading instead", a.o.Target, err)
		return false
	}
	return true
}

// check runs the server's own check on the new config, staged beside the
// live one so that relative paths resolve as they will when it is live.
func (a *applier) check(ctx context.Context) error {
	for _, d := range a.out.Dirs {
		if err := os.MkdirAll(filepath.Join(a.dir, d), 0o755); err != nil {
			return err
		}
	}
	staged := "." + a.file.Name + stagedExt
	if err := replace(filepath.Join(a.dir, staged), a.file.Data); err != nil {
		return err
	}
	defer os.Remove(filepath.Join(a.dir, staged))
	if _, err := servers.CheckFile(ctx, a.o.Target, a.dir, staged); err != nil {
		var ce *servers.CheckError
		if errors.As(err, &ce) {
			return &RejectedError{Err: fmt.Errorf("%s rejected the new configuration; nothing changed:\n%s",
				a.o.Target, strings.TrimRight(strings.ReplaceAll(ce.Output, staged, a.file.Name), "\n"))}
		}
		return err
	}
	return nil
}

// running finds the server that runs from the directory, by its pid file.
func (a *applier) running() (*servers.Running, error) {
	if a.out.PidFile == "" {
		return nil, nil
	}
	return servers.FindRunning(a.o.Target, a.resolve(a.out.PidFile))
}

func (a *applier) reload() servers.Reload {
	return servers.Reload{
		Dir:       a.dir,
		Command:   a.o.ReloadCommand,
		ErrorLog:  a.resolve(a.out.ErrorLog),
		Listeners: a.listeners,
		Timeout:   a.o.Timeout,
	}
}

// rollback puts the previous files back and reloads them.
func (a *applier) rollback(ctx context.Context, srv *servers.Running, previous []byte) error {
	if previous == nil {
		return errors.New("there is no previous config")
	}
	if err := replace(a.live(), previous); err != nil {
		return err
	}
	a.logf("%s: reload failed; reloading the previous config", a.o.Target)
	return servers.ReloadServer(ctx, a.o.Target, srv, a.reload())
}

// recover undoes a swap an interrupted apply did not confirm: the previous
// generation goes back, and a running server reloads it.
func (a *applier) recover(ctx context.Context) error {
	previous, err := os.ReadFile(a.previous())
	switch {
	case errors.Is(err, os.ErrNotExist):
		// The interrupted apply was the first: there is nothing to go back to.
	case err != nil:
		return err
	default:
		if err := replace(a.live(), previous); err != nil {
			return err
		}
		srv, err := a.running()
		if err != nil {
			return err
		}
		if srv != nil || a.o.ReloadCommand != "" {
			if err := servers.ReloadServer(ctx, a.o.Target, srv, a.reload()); err != nil {
				return err
			}
		}
	}
	a.logf("%s: an earlier apply was interrupted before it was confirmed; the previous config is back", a.o.Target)
	return os.Remove(a.pending())
}

// resolve makes a path from the rendered config absolute: relative ones
// are relative to the output directory. A config that names no such file
// ("") stays without one.
func (a *applier) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(a.dir, p)
}

// replace writes data over path atomically (keeping a symlink at path).
func replace(path string, data []byte) error {
	_, err := outdir.Write(filepath.Dir(path), []*generator.Output{{Files: []generator.File{{Name: filepath.Base(path), Data: data}}}})
	return err
}

// listenAddrs are the addresses the rendered config listens on.
func listenAddrs(c *model.Cluster) []string {
	var out []string
	for _, l := range c.Listen {
		out = append(out, l.Addr)
	}
	if c.Admin != nil {
		out = append(out, c.Admin.Addr)
	}
	return out
}

// dialAddrs are the cluster's listen addresses as a client on this host
// reaches them: a wildcard address through loopback.
func dialAddrs(c *model.Cluster) []string {
	var out []string
	for _, l := range c.Listen {
		host, port, err := model.ParseListen(l.Addr)
		if err != nil {
			continue
		}
		switch host {
		case "", "0.0.0.0":
			host = "127.0.0.1"
		case "::":
			host = "::1"
		}
		out = append(out, model.HostPort(host, port))
	}
	return out
}
