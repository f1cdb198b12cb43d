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
	Target generator.Target
	cmd    *exec.Cmd
	out    *syncBuffer
	done   chan struct{}
	err    error
}

// StartTimeout bounds how long Start waits for the listeners.
const StartTimeout = 15 * time.Second

// Start runs the target's server on the config in dir and returns once
// every address in waitFor accepts connections.
func Start(ctx context.Context, t generator.Target, dir string, waitFor []string) (*Process, error) {
	bin, err := Binary(t)
	if err != nil {
		return nil, err
	}
	p := &Process{Target: t, out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, RunArgs(t, dir)...)
	p.cmd.Env = serverEnv()
	p.cmd.Dir = dir
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	// A process group of its own, so Stop reaches every worker.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() {
		p.err = p.cmd.Wait()
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
				return nil, fmt.Errorf("%s exited before listening on %s: %v\n%s", t, addr, p.err, p.out.String())
			case <-ctx.Done():
				p.Stop()
				return nil, ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				p.Stop()
				return nil, fmt.Errorf("%s did not listen on %s within %s\n%s", t, addr, StartTimeout, p.out.String())
			}
		}
	}
	return p, nil
}

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
