package crowd

import (
	"io"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/lbgen/lbgen/internal/testbackend"
)

func TestTogether(t *testing.T) {
	s := time.Second
	for _, tc := range []struct {
		answered []time.Duration
		want     int
	}{
		{nil, 0},
		{[]time.Duration{5 * s}, 1},
		// Answers within one hold of each other: those polls overlapped.
		{[]time.Duration{3 * s, 1 * s, 2 * s, 3 * s}, 4},
		// Queued polls are answered a hold later than the first ones.
		{[]time.Duration{1 * s, 1 * s, 4 * s, 4 * s, 4 * s}, 3},
	} {
		if got := together(tc.answered, 2*s); got != tc.want {
			t.Errorf("together(%v) = %d, want %d", tc.answered, got, tc.want)
		}
	}
}

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&status{code: 503}, "HTTP 503"},
		{&wrongNode{got: "n2"}, "wrong node"},
		{&testbackend.CloseError{Code: 1001}, "closed by the server (1001)"},
		{syscall.ECONNRESET, "reset"},
		{io.ErrUnexpectedEOF, "closed"},
		{os.ErrDeadlineExceeded, "timeout"},
	} {
		if got := describe(tc.err); got != tc.want {
			t.Errorf("describe(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
