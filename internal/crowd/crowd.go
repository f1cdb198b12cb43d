// Package crowd holds a production crowd of connections open through a
// load balancer, as a Co-browse or Web Engagement cluster sees it: one
// WebSocket per browser tab that stays open for the session, and one
// CometD long poll per tab that the node answers late. It works against
// nodes from internal/testbackend, whose WebSocket echo names the node and
// whose answers wait for the sleep=<ms> query parameter.
//
// Run opens every WebSocket and keeps it, then sends every long poll at
// once, waits for all of them, and then has every WebSocket echo again:
// a load balancer passes only when it held the whole crowd at the same
// time and still serves the connections it held.
package crowd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lbgen/lbgen/internal/testbackend"
)

// Crowd describes the connections to hold.
type Crowd struct {
	// Addr is the load balancer, host:port.
	Addr string `json:"addr"`
	// Path is what every connection requests; polls add sleep=<ms>.
	Path string `json:"path"`
	// Cookie is the sticky cookie. With Nodes, connection i carries
	// Cookie=.Nodes[i % len(Nodes)] and must be served by that node.
	Cookie string   `json:"cookie"`
	Nodes  []string `json:"nodes"`
	// WebSockets and Polls are how many of each are held at once.
	WebSockets int `json:"websockets"`
	Polls      int `json:"polls"`
	// Hold is how long the node keeps each poll before it answers.
	Hold time.Duration `json:"hold_ns"`
	// Timeout bounds each step of one connection: opening a WebSocket
	// (connect, handshake, first echo), each later echo, and a poll's
	// answer beyond Hold.
	Timeout time.Duration `json:"timeout_ns"`
	// Opening is how many connections may be connecting at once, as a
	// crowd of browsers arrives over a moment rather than all in the same
	// microsecond. Default 100.
	Opening int `json:"opening"`
}

// Result is what happened to the crowd.
type Result struct {
	// WebSockets is how many WebSockets opened (101) and echoed through
	// their pinned node; Echoed how many of those echoed again once every
	// poll was over.
	WebSockets int `json:"websockets"`
	Echoed     int `json:"echoed"`
	// Polls is how many polls their pinned node answered with 200.
	Polls int `json:"polls"`
	// Held is the most connections the load balancer held at once: the
	// WebSockets plus the polls that were at their nodes at the same
	// moment. Nodes answer a poll Hold after it arrives, so a poll was at
	// its node during the Hold before its answer came back.
	Held int `json:"held"`
	// SlowestPoll is the longest a poll that succeeded took from sending
	// to its answer; Hold plus the time the load balancer queued it.
	SlowestPoll time.Duration `json:"slowest_poll_ns"`
	// Failures counts what went wrong, by reason ("websocket: HTTP 503",
	// "poll: timeout", "echo: closed", ...).
	Failures map[string]Failure `json:"failures,omitempty"`
}

// Failure is one reason connections failed for.
type Failure struct {
	Count int `json:"count"`
	// Slowest is the longest a failed attempt took, which tells a quick
	// refusal from one that waited for a timeout.
	Slowest time.Duration `json:"slowest_ns"`
}

// Failed is the number of connections that failed at some step.
func (r Result) Failed() int {
	n := 0
	for _, f := range r.Failures {
		n += f.Count
	}
	return n
}

// String summarises r on one line.
func (r Result) String() string {
	s := fmt.Sprintf("%d WebSockets opened, %d echoed again; %d polls answered (slowest %s); %d held at once",
		r.WebSockets, r.Echoed, r.Polls, r.SlowestPoll.Round(time.Millisecond), r.Held)
	for _, reason := range r.Reasons() {
		f := r.Failures[reason]
		s += fmt.Sprintf("; %d × %s (slowest %s)", f.Count, reason, f.Slowest.Round(time.Millisecond))
	}
	return s
}

// Reasons lists the failure reasons in order.
func (r Result) Reasons() []string {
	var out []string
	for k := range r.Failures {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Run holds the crowd c against c.Addr and reports what happened. It
// returns an error only for a crowd it cannot run; failures of single
// connections are in the result. Every connection it opened is closed
// when it returns.
func Run(ctx context.Context, c Crowd) (Result, error) {
	if c.Addr == "" || c.WebSockets < 0 || c.Polls < 0 || c.Timeout <= 0 {
		return Result{}, errors.New("crowd: need an address, a timeout and non-negative counts")
	}
	if c.Opening <= 0 {
		c.Opening = 100
	}
	r := &run{c: c, failures: map[string]Failure{}, opening: make(chan struct{}, c.Opening), start: time.Now()}
	sockets := r.openWebSockets(ctx)
	defer closeAll(sockets)
	r.poll(ctx)
	r.echoAgain(sockets)
	return r.result(sockets), nil
}

type run struct {
	c       Crowd
	opening chan struct{}
	start   time.Time

	mu       sync.Mutex
	failures map[string]Failure
	// answered holds when each successful poll's answer arrived.
	answered []time.Duration
	echoed   int
	slowest  time.Duration
}

// socket is one open WebSocket and the node it is pinned to.
type socket struct {
	i    int
	ws   *testbackend.WSConn
	node string
}

func (r *run) node(i int) string {
	if len(r.c.Nodes) == 0 {
		return ""
	}
	return r.c.Nodes[i%len(r.c.Nodes)]
}

func (r *run) header(i int) http.Header {
	h := http.Header{"User-Agent": {"lbgen-crowd/1"}}
	if n := r.node(i); n != "" && r.c.Cookie != "" {
		h.Set("Cookie", r.c.Cookie+"=."+n)
	}
	return h
}

func (r *run) fail(step string, err error, took time.Duration) {
	reason := step + ": " + describe(err)
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.failures[reason]
	f.Count++
	f.Slowest = max(f.Slowest, took)
	r.failures[reason] = f
}

// openWebSockets opens every WebSocket, Opening at a time, and returns
// those that opened and echoed through their node.
func (r *run) openWebSockets(ctx context.Context) []*socket {
	out := make([]*socket, r.c.WebSockets)
	var wg sync.WaitGroup
	for i := range out {
		r.opening <- struct{}{}
		wg.Go(func() {
			defer func() { <-r.opening }()
			began := time.Now()
			s, err := r.openWebSocket(ctx, i)
			if err != nil {
				r.fail("websocket", err, time.Since(began))
				return
			}
			out[i] = s
		})
	}
	wg.Wait()
	var open []*socket
	for _, s := range out {
		if s != nil {
			open = append(open, s)
		}
	}
	return open
}

func (r *run) openWebSocket(ctx context.Context, i int) (*socket, error) {
	ctx, cancel := context.WithTimeout(ctx, r.c.Timeout)
	defer cancel()
	ws, resp, err := testbackend.DialWebSocket(ctx, "ws://"+r.c.Addr+r.c.Path, r.header(i))
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			return nil, &status{code: resp.StatusCode}
		}
		return nil, err
	}
	s := &socket{i: i, ws: ws, node: r.node(i)}
	if err := r.echo(s, "hello"); err != nil {
		ws.Close()
		return nil, err
	}
	return s, nil
}

// echo sends one message and checks that the pinned node echoed it.
func (r *run) echo(s *socket, word string) error {
	s.ws.SetDeadline(time.Now().Add(r.c.Timeout))
	defer s.ws.SetDeadline(time.Time{})
	msg := fmt.Sprintf("%s-%d", word, s.i)
	if err := s.ws.Send(msg); err != nil {
		return err
	}
	got, err := s.ws.Recv()
	if err != nil {
		return err
	}
	node, payload, _ := strings.Cut(got, ":")
	if payload != msg || (s.node != "" && node != s.node) {
		return &wrongNode{got: node}
	}
	return nil
}

// poll sends every poll at once, Opening connecting at a time, and waits
// for every answer.
func (r *run) poll(ctx context.Context) {
	var wg sync.WaitGroup
	for i := range r.c.Polls {
		r.opening <- struct{}{}
		wg.Go(func() {
			began := time.Now()
			took, err := r.pollOne(ctx, i)
			if err != nil {
				r.fail("poll", err, time.Since(began))
				return
			}
			r.mu.Lock()
			r.answered = append(r.answered, time.Since(r.start))
			r.slowest = max(r.slowest, took)
			r.mu.Unlock()
		})
	}
	wg.Wait()
}

// pollOne sends one long poll on a connection of its own and returns how
// long the answer took once the request was sent.
func (r *run) pollOne(ctx context.Context, i int) (time.Duration, error) {
	released := false
	release := func() {
		if !released {
			released = true
			<-r.opening
		}
	}
	defer release()
	var d net.Dialer
	dialCtx, cancel := context.WithTimeout(ctx, r.c.Timeout)
	conn, err := d.DialContext(dialCtx, "tcp", r.c.Addr)
	cancel()
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	sep := "?"
	if strings.Contains(r.c.Path, "?") {
		sep = "&"
	}
	var req strings.Builder
	fmt.Fprintf(&req, "GET %s%ssleep=%d HTTP/1.1\r\nHost: %s\r\n", r.c.Path, sep, r.c.Hold.Milliseconds(), r.c.Addr)
	r.header(i).Write(&req)
	req.WriteString("Connection: close\r\n\r\n")
	conn.SetDeadline(time.Now().Add(r.c.Timeout + r.c.Hold))
	if _, err := io.WriteString(conn, req.String()); err != nil {
		return 0, err
	}
	sent := time.Now()
	release()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	took := time.Since(sent)
	switch node := resp.Header.Get("X-Node"); {
	case resp.StatusCode != http.StatusOK:
		return 0, &status{code: resp.StatusCode}
	case err != nil:
		return 0, err
	case r.node(i) != "" && node != r.node(i):
		return 0, &wrongNode{got: node}
	}
	return took, nil
}

// echoAgain has every open WebSocket echo once more, all at once.
func (r *run) echoAgain(sockets []*socket) {
	var wg sync.WaitGroup
	for _, s := range sockets {
		wg.Go(func() {
			began := time.Now()
			if err := r.echo(s, "again"); err != nil {
				r.fail("echo", err, time.Since(began))
				return
			}
			r.mu.Lock()
			r.echoed++
			r.mu.Unlock()
		})
	}
	wg.Wait()
}

func (r *run) result(sockets []*socket) Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := Result{WebSockets: len(sockets), Echoed: r.echoed, Polls: len(r.answered), SlowestPoll: r.slowest,
		Held: len(sockets) + together(r.answered, r.c.Hold)}
	if len(r.failures) > 0 {
		res.Failures = r.failures
	}
	return res
}

// together is the most polls that were at their nodes at the same moment:
// the most answer times that one window of length hold ending at one of
// them contains.
func together(answered []time.Duration, hold time.Duration) int {
	a := slices.Clone(answered)
	slices.Sort(a)
	most, first := 0, 0
	for last := range a {
		for a[first] < a[last]-hold {
			first++
		}
		most = max(most, last-first+1)
	}
	return most
}

// closeAll closes the WebSockets all at once, each with its close
// handshake, so a large crowd does not wait for them one by one.
func closeAll(sockets []*socket) {
	var wg sync.WaitGroup
	for _, s := range sockets {
		wg.Go(func() { s.ws.Close() })
	}
	wg.Wait()
}

type status struct{ code int }

func (e *status) Error() string { return "HTTP " + strconv.Itoa(e.code) }

type wrongNode struct{ got string }

func (e *wrongNode) Error() string { return fmt.Sprintf("answered by node %q", e.got) }

// describe names an error by kind, so that failures group into a few
// reasons.
func describe(err error) string {
	var st *status
	var wn *wrongNode
	var ne net.Error
	switch {
	case errors.As(err, &st):
		return st.Error()
	case errors.As(err, &wn):
		return "wrong node"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "closed"
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	var ce *testbackend.CloseError
	if errors.As(err, &ce) {
		return fmt.Sprintf("closed by the server (%d)", ce.Code)
	}
	return err.Error()
}
