package main

import (
	"errors"
	"fmt"
)

// Exit codes, as documented in the README's table.
const (
	exitOK         = 0
	exitFailure    = 1 // internal or I/O error
	exitUsage      = 2 // bad flags or arguments
	exitInvalid    = 3 // invalid cluster file
	exitDrift      = 4 // render --check found stale files
	exitRejected   = 5 // a real server rejected the rendered config
	exitParity     = 6 // parity mismatch
	exitRolledBack = 7 // apply: the reload failed and the previous config serves again
)

// exitError carries the process exit code of a failed command. A quiet
// error has already been reported and is not printed again.
type exitError struct {
	code  int
	err   error
	quiet bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	return &exitError{code: code, err: err}
}

func usagef(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// quiet ends a command with code after it printed its own explanation.
func quiet(code int, format string, args ...any) error {
	return &exitError{code: code, err: fmt.Errorf(format, args...), quiet: true}
}
