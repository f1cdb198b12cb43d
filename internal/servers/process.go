package servers

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/lbgen/lbgen/generator"
)

// Process is a server running in the foreground on a rendered config.
type Process struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error
}

// StartTimeout bounds how long Start waits for the listeners.
const StartTimeout = 15 * time.Second

// Start runs the target's server on the config in dir and returns once
// every address in waitFor accepts connections.
func Start(ctx context.Context, t generator.Target, dir string, waitFor []string) (*Process, error) {
	cmd, err := Command(t, dir)
	if err != nil {
		return nil, err
	}
	return Run(ctx, string(t), cmd, waitFor)
}

// Command returns the unstarted foreground command of the target's server
// on the config in dir, for callers that adjust it (for example to pin it
// to CPUs) before Run.
func Command(t generator.Target, dir string) (*exec.Cmd, error) {
	bin, err := Binary(t)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, RunArgs(t, dir)...)
	cmd.Env = serverEnv()
	cmd.Dir = dir
	return cmd, nil
}

// Run starts cmd in a process group of its own, so Stop reaches every
// worker, and returns once every address in waitFor accepts connections.
// Unless cmd has its own, the process's output is kept for Output.
func Run(ctx context.Context, name string, cmd *exec.Cmd, waitFor []string) (*Process, error) {
	p := &Process{cmd: cmd, out: &syncBuffer{}, done: make(chan struct{})}
	if cmd.Stdout == nil && cmd.Stderr == nil {
		cmd.Stdout, cmd.Stderr = p.out, p.out
	}
	cmd.SysProcAttr = ownGroup()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	deadline := time.Now().Add(StartTimeout)
	for _, addr := range waitFor {
		for {
			conn, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
			if err == nil {
				conn.Close()
				break
			}
			select {
			case <-p.done:
				return nil, fmt.Errorf("%s exited before listening on %s: %v\n%s", name, addr, p.err, p.out.String())
			case <-ctx.Done():
				p.Stop()
				return nil, ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				p.Stop()
				return nil, fmt.Errorf("%s did not listen on %s within %s\n%s", name, addr, StartTimeout, p.out.String())
			}
		}
	}
	return p, nil
}

// Pid is the process id of the server, which leads its process group.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Output returns what the server printed so far.
func (p *Process) Output() string { return p.out.String() }

// Stop terminates the server and its workers and waits for them.
func (p *Process) Stop() error {
	select {
	case <-p.done:
		return nil
	default:
	}
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
	return nil
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
