package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Load is sticky keep-alive traffic: each session is one browser with one
// connection, pinned to a node by the sticky cookie, sending requests back
// to back.
type Load struct {
	Addr   string   // load balancer, host:port
	Path   string   // request target
	Cookie string   // sticky cookie name
	Nodes  []string // session i is pinned to Nodes[i % len(Nodes)]
	// Sessions is the number of concurrent sessions (connections).
	Sessions int
	// Warmup runs before the measured Duration; its requests count only
	// in AllRequests.
	Warmup, Duration time.Duration
	// Close sends "Connection: close", one connection per request: what
	// the load balancer does to a node when it keeps no connection open.
	Close bool
}

// LoadResult is what one Load run measured.
type LoadResult struct {
	// Requests answered 2xx by the pinned node within the measured period.
	Requests int64 `json:"requests"`
	// AllRequests counts every request sent, warm-up included, for
	// per-request costs measured over the whole run.
	AllRequests int64 `json:"all_requests"`
	// Failed requests: transport errors and non-2xx answers.
	Failed int64 `json:"failed"`
	// Misrouted requests: answered by another node than the session's.
	Misrouted int64         `json:"misrouted"`
	Elapsed   time.Duration `json:"elapsed_ns"`
	P50       time.Duration `json:"p50_ns"`
	P90       time.Duration `json:"p90_ns"`
	P99       time.Duration `json:"p99_ns"`
	Max       time.Duration `json:"max_ns"`
	// FirstError describes one failure, for the report.
	FirstError string `json:"first_error,omitempty"`
}

// RPS is the measured throughput.
func (r LoadResult) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// RunLoad sends l's traffic and measures it. Latencies are measured per
// request from writing it to reading the whole answer.
func RunLoad(ctx context.Context, l Load) (LoadResult, error) {
	if l.Sessions <= 0 || len(l.Nodes) == 0 {
		return LoadResult{}, errors.New("load: need sessions and nodes")
	}
	start := time.Now()
	measureFrom := start.Add(l.Warmup)
	deadline := measureFrom.Add(l.Duration)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	sessions := make([]*session, l.Sessions)
	var wg sync.WaitGroup
	for i := range sessions {
		node := l.Nodes[i%len(l.Nodes)]
		s := &session{node: []byte(node), req: buildRequest(l, i, node)}
		sessions[i] = s
		wg.Go(func() { s.run(ctx, l.Addr, measureFrom, deadline) })
	}
	wg.Wait()
	var res LoadResult
	var lat []time.Duration
	for _, s := range sessions {
		res.Requests += int64(len(s.latencies))
		res.AllRequests += s.sent
		res.Failed += s.failed
		res.Misrouted += s.misrouted
		if res.FirstError == "" && s.firstErr != nil {
			res.FirstError = s.firstErr.Error()
		}
		lat = append(lat, s.latencies...)
	}
	res.Elapsed = deadline.Sub(measureFrom)
	slices.Sort(lat)
	res.P50, res.P90, res.P99 = Percentile(lat, 50), Percentile(lat, 90), Percentile(lat, 99)
	if len(lat) > 0 {
		res.Max = lat[len(lat)-1]
	}
	return res, nil
}

// Percentile returns the nearest-rank p-th percentile of sorted values.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(float64(len(sorted))*p/100)) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

// buildRequest is session i's request: a browser's headers, the sticky
// cookie among others.
func buildRequest(l Load, i int, node string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\n", l.Path, l.Addr)
	b.WriteString("User-Agent: Mozilla/5.0 (X11; Linux x86_64) lbgen-bench/1\r\nAccept: application/json\r\n")
	fmt.Fprintf(&b, "Cookie: _ga=GA1.2.%d.1700000000; %s=.%s; lang=en-US\r\n", i, l.Cookie, node)
	if l.Close {
		b.WriteString("Connection: close\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// session is one simulated browser. Its fields are its own until run
// returns.
type session struct {
	node      []byte
	req       []byte
	conn      net.Conn
	br        *bufio.Reader
	sent      int64
	failed    int64
	misrouted int64
	latencies []time.Duration
	firstErr  error
}

func (s *session) run(ctx context.Context, addr string, measureFrom, deadline time.Time) {
	defer s.hangUp()
	var d net.Dialer
	for ctx.Err() == nil && time.Now().Before(deadline) {
		if s.conn == nil {
			c, err := d.DialContext(ctx, "tcp", addr)
			if err != nil {
				s.fail(err, deadline)
				continue
			}
			// The deadline unblocks a read the load balancer never answers.
			c.SetDeadline(deadline)
			s.conn = c
			if s.br == nil {
				s.br = bufio.NewReaderSize(c, 16<<10)
			} else {
				s.br.Reset(c)
			}
		}
		began := time.Now()
		s.sent++
		a, err := s.exchange()
		took := time.Since(began)
		if err != nil || a.close {
			s.hangUp()
		}
		switch {
		case err != nil:
			s.fail(err, deadline)
		case a.status/100 != 2:
			s.fail(fmt.Errorf("HTTP %d", a.status), deadline)
		case !bytes.Equal(a.node, s.node):
			if s.fail(fmt.Errorf("session of %s answered by %q", s.node, a.node), deadline) {
				s.misrouted++
			}
		case began.After(measureFrom) && time.Now().Before(deadline):
			s.latencies = append(s.latencies, took)
		}
	}
}

func (s *session) exchange() (answer, error) {
	if _, err := s.conn.Write(s.req); err != nil {
		return answer{}, err
	}
	return readAnswer(s.br)
}

// fail records a failure, unless the run is over and cut it short (the
// connection's deadline may pass a moment before the context's). It
// reports whether it counted.
func (s *session) fail(err error, deadline time.Time) bool {
	if !time.Now().Before(deadline) {
		return false
	}
	s.failed++
	if s.firstErr == nil {
		s.firstErr = err
	}
	return true
}

func (s *session) hangUp() {
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
}

// answer is what the load generator needs from a response.
type answer struct {
	status int
	node   []byte // X-Node, copied
	close  bool   // the server closes the connection after it
}

// readAnswer reads one HTTP/1.1 response and discards its body. It looks
// at nothing but what the generator needs and allocates next to nothing,
// so the generator costs little next to the load balancer it measures.
func readAnswer(br *bufio.Reader) (answer, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return answer{}, err
	}
	var a answer
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return a, fmt.Errorf("bad status line %q", line)
	}
	if a.status, err = strconv.Atoi(string(line[9:12])); err != nil {
		return a, fmt.Errorf("bad status line %q", line)
	}
	a.close = line[7] == '0' // HTTP/1.0 closes unless told otherwise
	length, chunked := int64(-1), false
	for {
		line, err = br.ReadSlice('\n')
		if err != nil {
			return a, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return a, fmt.Errorf("bad header line %q", line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.ParseInt(string(value), 10, 64); err != nil || length < 0 {
				return a, fmt.Errorf("bad Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			a.close = bytes.EqualFold(value, []byte("close"))
		case bytes.EqualFold(name, []byte("X-Node")):
			a.node = append(a.node, value...)
		}
	}
	switch {
	case chunked:
		return a, discardChunks(br)
	case length >= 0:
		_, err = br.Discard(int(length))
		return a, err
	case a.status == 204 || a.status == 304:
		return a, nil
	}
	// No length: the body runs to the end of the connection.
	a.close = true
	for {
		if _, err := br.Discard(br.Buffered() + 1); err != nil {
			return a, nil
		}
	}
}

func discardChunks(br *bufio.Reader) error {
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		sizeText, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";"))
		size, err := strconv.ParseInt(string(bytes.TrimSpace(sizeText)), 16, 64)
		if err != nil || size < 0 {
			return fmt.Errorf("bad chunk size %q", line)
		}
		if size == 0 {
			break
		}
		if _, err := br.Discard(int(size) + 2); err != nil {
			return err
		}
	}
	for { // trailers, up to the empty line
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			return nil
		}
	}
}
