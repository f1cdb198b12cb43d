package servers

import (
	"context"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"time"
)

// SetWeights sets server weights ("backend/server" → weight) through
// HAProxy's runtime API on socket, without a reload, and reads each back.
func SetWeights(ctx context.Context, socket string, weights map[string]int) error {
	keys := make([]string, 0, len(weights))
	for k := range weights {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if out, err := runtimeCommand(ctx, socket, fmt.Sprintf("set weight %s %d", k, weights[k])); err != nil || out != "" {
			return fmt.Errorf("haproxy runtime API: set weight %s %d: %v%s", k, weights[k], err, out)
		}
		out, err := runtimeCommand(ctx, socket, "get weight "+k)
		if err != nil {
			return fmt.Errorf("haproxy runtime API: get weight %s: %w", k, err)
		}
		// "3 (initial 1)": the current weight comes first.
		if got, _, _ := strings.Cut(out, " "); got != fmt.Sprint(weights[k]) {
			return fmt.Errorf("haproxy runtime API: %s has weight %q after setting %d", k, out, weights[k])
		}
	}
	return nil
}

// runtimeCommand sends one command in non-interactive mode, where HAProxy
// answers and closes the connection.
func runtimeCommand(ctx context.Context, socket, command string) (string, error) {
	var d net.Dialer
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := d.DialContext(ctx, "unix", socket)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	if _, err := io.WriteString(conn, command+"\n"); err != nil {
		return "", err
	}
	out, err := io.ReadAll(conn)
	return strings.TrimSpace(string(out)), err
}
