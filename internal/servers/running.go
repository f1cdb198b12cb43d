package servers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/model"
)

// Running is a server started from an output directory, found through the
// pid file its config names.
type Running struct {
	Target generator.Target
	Pid    int
}

// FindRunning returns the server whose pid pidFile holds, or nil when
// there is no pid file, an empty one, or its process is gone (a stale
// file after a crash). A pid now used by another program (a stale file
// after a reboot) is an error: signalling it would reload or stop
// something else.
func FindRunning(t generator.Target, pidFile string) (*Running, error) {
	data, err := os.ReadFile(pidFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil // nginx -t leaves an empty pid file behind
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 1 {
		return nil, fmt.Errorf("%s: not a pid: %q", pidFile, bytes.TrimSpace(data))
	}
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return nil, nil
	}
	cmd := title(pid)
	if cmd == "" {
		return nil, nil
	}
	if !slices.ContainsFunc(known[t].binaries, func(name string) bool { return strings.Contains(cmd, name) }) {
		return nil, fmt.Errorf("%s names process %d, which is not %s but %q: remove the stale pid file if %s is not running",
			pidFile, pid, t, cmd, t)
	}
	return &Running{Target: t, Pid: pid}, nil
}

// Reload says how to reload a server and how to tell that the new
// generation took over.
type Reload struct {
	// Dir is the output directory the server runs from; Command runs there.
	Dir string
	// Command, when set, reloads instead of a signal (systemctl reload …),
	// run with sh -c.
	Command string
	// ErrorLog is the server's error log (absolute).
	ErrorLog string
	// Listeners are addresses (host:port) that must accept connections
	// once the new generation serves.
	Listeners []string
	// Timeout bounds the wait for the new generation (default 10s).
	Timeout time.Duration
}

// ReloadError says why a reload did not take: the old generation still
// serves, or nothing does.
type ReloadError struct {
	Target generator.Target
	Reason string
}

func (e *ReloadError) Error() string { return fmt.Sprintf("%s reload failed: %s", e.Target, e.Reason) }

// ReloadServer reloads a server gracefully and waits until the new
// generation serves. A server found through its pid file (srv) gets its
// reload signal, or o.Command runs instead; the reload counts once the
// master runs a new worker and every old worker has stopped taking new
// connections (nginx: no [emerg] in the error log since the signal; an
// [emerg], or for HAProxy no new worker within the timeout, means the
// master kept the old workers). A server lbgen cannot watch (srv nil) is
// reloaded by o.Command alone, and its exit status tells. Either way every
// listener must then accept connections.
func ReloadServer(ctx context.Context, t generator.Target, srv *Running, o Reload) error {
	timeout := o.Timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	deadline := time.Now().Add(timeout)
	sig := known[t].reload
	watch := srv != nil
	var before []int
	var logStart int64
	if watch {
		var err error
		if before, err = Children(srv.Pid); err != nil {
			return err
		}
		logStart = fileSize(o.ErrorLog)
	}
	switch {
	case o.Command != "":
		cmd := exec.CommandContext(ctx, "sh", "-c", o.Command)
		cmd.Dir = o.Dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return &ReloadError{Target: t, Reason: fmt.Sprintf("%s: %v\n%s", o.Command, err, strings.TrimRight(string(out), "\n"))}
		}
	case watch:
		if err := syscall.Kill(srv.Pid, sig); err != nil {
			return &ReloadError{Target: t, Reason: fmt.Sprintf("signal master %d: %v", srv.Pid, err)}
		}
	default:
		return fmt.Errorf("cannot reload %s without a reload command", t)
	}
	if watch {
		if err := awaitNewWorker(ctx, t, srv.Pid, before, o.ErrorLog, logStart, deadline); err != nil {
			return err
		}
	}
	for _, addr := range o.Listeners {
		if err := answers(ctx, addr, time.Until(deadline)); err != nil {
			return &ReloadError{Target: t, Reason: fmt.Sprintf("listener %s: %v", addr, err)}
		}
	}
	return nil
}

// awaitNewWorker waits until the master has started a worker that was not
// among before and every worker that was has stopped taking connections,
// or until nginx logs an [emerg] after logStart.
func awaitNewWorker(ctx context.Context, t generator.Target, master int, before []int, errorLog string, logStart int64, deadline time.Time) error {
	for {
		if line := emergSince(errorLog, logStart); line != "" {
			// nginx retries a failed bind for about 2.5 s and only then
			// takes another signal: wait until it stops logging, so a
			// rollback that follows is not taken for this failure.
			awaitQuiet(ctx, errorLog, deadline.Add(5*time.Second))
			return &ReloadError{Target: t, Reason: line}
		}
		now, err := Children(master)
		if err != nil {
			return &ReloadError{Target: t, Reason: fmt.Sprintf("master %d: %v", master, err)}
		}
		started := slices.ContainsFunc(now, func(pid int) bool { return !slices.Contains(before, pid) })
		if started && !slices.ContainsFunc(before, func(pid int) bool { return stillAccepts(t, pid) }) {
			return nil
		}
		if time.Now().After(deadline) {
			if known[t].reportsFailedLoadOnOutputOnly {
				// Wait until the master takes signals again.
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(time.Second):
				}
				return &ReloadError{Target: t, Reason: "the master started no new worker: the new config did not load (HAProxy's output says why)"}
			}
			return &ReloadError{Target: t, Reason: "no new worker process within the timeout"}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stillAccepts reports whether an old worker may still take new
// connections, where the target shows it.
func stillAccepts(t generator.Target, pid int) bool {
	accepts := known[t].stillAccepts
	return accepts != nil && accepts(pid)
}

// ProbeListeners checks, before a reload, that the server can bind every
// listen address (as the cluster file writes them) that its live config
// does not hold yet, for targets whose graceful restart stops the whole
// server when a listener fails; the others keep the old generation
// serving.
func ProbeListeners(t generator.Target, live []byte, addrs []string) error {
	holds := known[t].probeListeners
	if holds == nil {
		return nil
	}
	held := map[string]bool{}
	for _, addr := range holds(live) {
		if host, port, err := model.ParseListen(addr); err == nil {
			held[model.HostPort(host, port)] = true
		}
	}
	for _, addr := range addrs {
		host, port, err := model.ParseListen(addr)
		if err != nil || held[model.HostPort(host, port)] {
			continue
		}
		ln, err := net.Listen("tcp", model.HostPort(host, port))
		if err != nil {
			return fmt.Errorf("%s cannot listen on %s (%w): a graceful restart would stop it", t, addr, err)
		}
		ln.Close()
	}
	return nil
}

// answers waits until addr accepts a connection.
func answers(ctx context.Context, addr string, within time.Duration) error {
	deadline := time.Now().Add(max(within, time.Second))
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return conn.Close()
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// awaitQuiet waits until path has not grown for a second, or until
// deadline.
func awaitQuiet(ctx context.Context, path string, deadline time.Time) {
	size, since := fileSize(path), time.Now()
	for time.Since(since) < time.Second && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
		if now := fileSize(path); now != size {
			size, since = now, time.Now()
		}
	}
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// emergSince returns the first line at level emerg ("[emerg]" for nginx,
// "[core:emerg]" and the like for Apache) the log gained after offset.
func emergSince(path string, offset int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return ""
	}
	data, _ := io.ReadAll(io.LimitReader(f, 1<<20))
	for line := range strings.SplitSeq(string(data), "\n") {
		if strings.Contains(line, "[emerg]") || strings.Contains(line, ":emerg]") {
			return line
		}
	}
	return ""
}
