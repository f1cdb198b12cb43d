package parity

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/lbgen/lbgen/internal/testbackend"
	"github.com/lbgen/lbgen/model"
)

// scenario is one observable rule, checked the same way on every target.
type scenario struct {
	name string
	rule string // the rule of docs/routing.md it shows
	// fresh scenarios inject faults, so each gets its own start of the
	// load balancer and healthy backends.
	fresh bool
	// needs says why the scenario does not apply to a cluster, or "".
	needs func(*env) string
	run   func(*env) error
}

// env is what a scenario sees: the sandbox and clients for its listeners.
type env struct {
	ctx      context.Context
	s        *Sandbox
	runner   string
	scenario string
	seen     *checks
	public   *client // a public listener, plain HTTP when there is one
	tls      *client // a public TLS listener, or nil
	internal *client // an internal listener, or nil
	active   []string
	drain    []string
	standby  []string
	param    string
}

func (e *env) c() *model.Cluster { return e.s.Cluster }

// accept reports whether a check's observed outcome is the reference one,
// or exactly the one a documented divergence of this runner allows for
// that check, and records which for the verdict.
func (e *env) accept(check, got, want string) bool {
	if got == want {
		e.seen.conformed[check] = true
		return true
	}
	if d, ok := divergenceOf(e.runner, e.scenario, check); ok && got == d.observed {
		e.seen.diverged[check] = d
		return true
	}
	return false
}

func statusOf(r reply) string { return fmt.Sprintf("status %d", r.Status) }

// kind names a listener in check names: public (plain or TLS) or internal.
func kind(c *client) string {
	if c.internal {
		return "internal"
	}
	return "public"
}

func (e *env) sticky(value string) string { return e.c().Sticky.Cookie + "=" + value }

// value is the sticky value that names node n in the cluster's style; in
// the hash style, one that the runner was seen to send to n.
func (e *env) value(n string) string {
	switch s := e.c().Sticky; {
	case s.Style == model.StyleHash:
		if v, ok := e.s.pins[e.runner][n]; ok {
			return v
		}
		return "no-value-lands-on-" + n
	case s.RouteAfterDot():
		return "." + n
	}
	return n
}

// hashValues are the sticky values the hash-style scenarios send.
func hashValues() []string {
	out := make([]string, 24)
	for i := range out {
		out[i] = fmt.Sprintf("session-%02d", i)
	}
	return out
}

// learnPins finds, for every active node, a sticky value the runner sends
// there, for the scenarios that pin a session to a node.
func (e *env) learnPins() error {
	pins := map[string]string{}
	for i := 0; i < 400 && len(pins) < len(e.active); i++ {
		v := fmt.Sprintf("pin-%03d", i)
		rep, err := e.get(request{target: e.under("x"), cookie: e.sticky(v)})
		if err != nil {
			return err
		}
		if _, seen := pins[rep.Node]; rep.Status == http.StatusOK && slices.Contains(e.active, rep.Node) && !seen {
			pins[rep.Node] = v
		}
	}
	if len(pins) < len(e.active) {
		return fmt.Errorf("400 sticky values landed on %d of the %d active nodes", len(pins), len(e.active))
	}
	if e.s.pins == nil {
		e.s.pins = map[string]map[string]string{}
	}
	e.s.pins[e.runner] = pins
	return nil
}

// needRoutes limits a scenario to the styles whose values name a node.
func needRoutes(e *env) string {
	if e.c().Sticky.Style == model.StyleHash {
		return "no value names a node (style hash)"
	}
	return ""
}

// valueIn is a sticky value naming node n that carries a session id too
// where the style allows one.
func (e *env) valueIn(session, n string) string {
	if e.c().Sticky.RouteAfterDot() {
		return session + "." + n
	}
	return e.value(n)
}

// pin is the cookie that pins a session to node n.
func (e *env) pin(n string) string { return e.sticky(e.value(n)) }

// needRouteAfterDot limits a scenario to the styles that take the route
// after the first "." of the value.
func needRouteAfterDot(e *env) string {
	if !e.c().Sticky.RouteAfterDot() {
		return "the route is all of the sticky value (style " + e.c().Sticky.Style + ")"
	}
	return ""
}

func needStyle(style string) func(*env) string {
	return func(e *env) string {
		if e.c().Sticky.Style != style {
			return "needs sticky.style " + style
		}
		return ""
	}
}

// under returns a request target below the cluster path.
func (e *env) under(rest string) string {
	p := e.c().Path
	if p == "/" {
		return "/" + rest
	}
	return p + "/" + rest
}

func (e *env) get(r request) (reply, error) { return e.public.do(e.ctx, r) }

// listeners returns a client for each kind of listener the cluster has:
// public plain HTTP, public TLS and internal, as present.
func (e *env) listeners() []*client {
	var out []*client
	for _, c := range []*client{e.public, e.tls, e.internal} {
		if c != nil && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// orLocal names the client address of a request.
func orLocal(from string) string {
	if from == "" {
		return "127.0.0.1"
	}
	return from
}

// expectNode sends r and wants a 200 answered by node.
func (e *env) expectNode(r request, node string) error {
	rep, err := e.get(r)
	if err != nil {
		return err
	}
	if rep.Status != http.StatusOK || rep.Node != node {
		return fmt.Errorf("%s %s with cookie %q: got %s, want 200 from %s", orGET(r.method), r.target, r.cookie, rep, node)
	}
	return nil
}

func orGET(m string) string {
	if m == "" {
		return "GET"
	}
	return m
}

// expectPinned wants a 200 from a node that sets the inserted cookie
// naming itself, with Secure on TLS listeners.
func (e *env) expectPinned(c *client, rep reply, what string) error {
	if rep.Status != http.StatusOK || rep.Node == "" {
		return fmt.Errorf("%s listener, %s: got %s, want 200 from a node", c.kind(), what, rep)
	}
	want := e.c().Sticky.InsertedCookie(rep.Node, c.tls)
	if got := strings.Join(rep.SetCookie, " | "); got != want {
		return fmt.Errorf("%s listener, %s answered by %s: Set-Cookie %q, want %q", c.kind(), what, rep.Node, got, want)
	}
	return nil
}

// spread sends n requests and returns the nodes that answered, failing on
// any answer other than 200.
func (e *env) spread(n int, r request) ([]string, error) {
	seen := map[string]bool{}
	for range n {
		rep, err := e.get(r)
		if err != nil {
			return nil, err
		}
		if rep.Status != http.StatusOK {
			return nil, fmt.Errorf("cookie %q: got %s, want 200", r.cookie, rep)
		}
		seen[rep.Node] = true
	}
	var nodes []string
	for n := range seen {
		nodes = append(nodes, n)
	}
	slices.Sort(nodes)
	return nodes, nil
}

// expectRoundRobin wants requests spread over exactly the up active nodes.
func (e *env) expectRoundRobin(r request, nodes []string) error {
	got, err := e.spread(4*len(nodes)+2, r)
	if err != nil {
		return err
	}
	if !slices.Equal(got, nodes) {
		return fmt.Errorf("cookie %q: answered by %v, want round robin over %v", r.cookie, got, nodes)
	}
	return nil
}

// eventually retries check until it passes or the wait is over.
func (e *env) eventually(wait time.Duration, check func() error) error {
	deadline := time.Now().Add(wait)
	for {
		err := check()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-e.ctx.Done():
			return e.ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func needActive(n int) func(*env) string {
	return func(e *env) string {
		if len(e.active) < n {
			return fmt.Sprintf("needs %d active nodes", n)
		}
		return ""
	}
}

var scenarios = []scenario{
	{name: "sticky-hit", rule: "1,2", run: func(e *env) error {
		nodes := slices.Clone(e.active)
		if needRoutes(e) == "" {
			nodes = append(nodes, e.drain...)
		}
		for _, n := range nodes {
			for _, v := range []string{e.value(n), e.valueIn("session42", n)} {
				if err := e.expectNode(request{target: e.under("x"), cookie: e.sticky(v)}, n); err != nil {
					return err
				}
			}
		}
		return nil
	}},
	{name: "sticky-among-cookies", rule: "1", run: func(e *env) error {
		n := e.active[len(e.active)-1]
		return e.expectNode(request{target: e.under("x"), cookie: "a=1; " + e.pin(n) + "; b=.x"}, n)
	}},
	{name: "duplicate-cookie-first-wins", rule: "1", needs: needActive(2), run: func(e *env) error {
		first, second := e.active[1], e.active[0]
		return e.expectNode(request{target: e.under("x"), cookie: e.pin(first) + "; " + e.pin(second)}, first)
	}},
	{name: "no-cookie-round-robin", rule: "3", run: func(e *env) error {
		return e.expectRoundRobin(request{target: e.under("x")}, e.active)
	}},
	{name: "unknown-route-round-robin", rule: "3", needs: needRoutes, run: func(e *env) error {
		return e.expectRoundRobin(request{target: e.under("x"), cookie: e.pin("No_Such_Node")}, e.active)
	}},
	{name: "case-variant-route", rule: "1,3", needs: needRoutes, run: func(e *env) error {
		n := e.active[0]
		variant := strings.ToLower(n)
		if variant == n {
			variant = strings.ToUpper(n)
		}
		return e.expectRoundRobin(request{target: e.under("x"), cookie: e.pin(variant)}, e.active)
	}},
	{name: "route-without-dot", rule: "1,3", needs: needRouteAfterDot, run: func(e *env) error {
		return e.expectRoundRobin(request{target: e.under("x"), cookie: e.sticky(e.active[0])}, e.active)
	}},
	{name: "route-after-first-dot-only", rule: "1,3", needs: needRouteAfterDot, run: func(e *env) error {
		return e.expectRoundRobin(request{target: e.under("x"), cookie: e.sticky("a.b." + e.active[0])}, e.active)
	}},
	{name: "exact-value-whole", rule: "1,3", needs: needStyle(model.StyleExact), run: func(e *env) error {
		n := e.active[0]
		for _, v := range []string{"." + n, "s." + n, n + ".x", " " + n + "x"} {
			if err := e.expectRoundRobin(request{target: e.under("x"), cookie: e.sticky(v)}, e.active); err != nil {
				return err
			}
		}
		return nil
	}},
	{name: "hash-value-keeps-node", rule: "hash", needs: needStyle(model.StyleHash), run: func(e *env) error {
		nodes := map[string]bool{}
		for _, v := range hashValues() {
			first := ""
			for range 2 {
				rep, err := e.get(request{target: e.under("x"), cookie: e.sticky(v)})
				if err != nil {
					return err
				}
				if rep.Status != http.StatusOK || !slices.Contains(e.active, rep.Node) || (first != "" && rep.Node != first) {
					return fmt.Errorf("value %q: got %s after %s, want 200 from one active node every time", v, rep, cmp.Or(first, "nothing"))
				}
				first = rep.Node
			}
			nodes[first] = true
		}
		if len(e.active) > 1 && len(nodes) < 2 {
			return fmt.Errorf("%d values all landed on %v, want them spread over the active nodes %v", len(hashValues()), slices.Sorted(maps.Keys(nodes)), e.active)
		}
		// An empty value is no value.
		return e.expectRoundRobin(request{target: e.under("x"), cookie: e.sticky("")}, e.active)
	}},
	{name: "hash-killed-node-moves-only-its-sessions", rule: "hash,3", fresh: true, needs: func(e *env) string {
		if why := needStyle(model.StyleHash)(e); why != "" {
			return why
		}
		return needActive(2)(e)
	}, run: func(e *env) error {
		before := map[string]string{}
		for _, v := range append(hashValues(), e.value(e.active[0])) {
			rep, err := e.get(request{target: e.under("x"), cookie: e.sticky(v)})
			if err != nil {
				return err
			}
			before[v] = rep.Node
		}
		dead := e.active[0]
		e.s.Nodes[dead].Kill()
		for _, v := range slices.Sorted(maps.Keys(before)) {
			rep, err := e.get(request{target: e.under("x"), cookie: e.sticky(v)})
			if err != nil {
				return err
			}
			switch was := before[v]; {
			case rep.Status != http.StatusOK || rep.Node == dead || !slices.Contains(e.active, rep.Node):
				return fmt.Errorf("value %q of %s after %s was killed: got %s, want 200 from a live active node", v, was, dead, rep)
			case was != dead && rep.Node != was:
				return fmt.Errorf("value %q of %s moved to %s when %s was killed, want it to stay", v, was, rep.Node, dead)
			}
		}
		return nil
	}},
	{name: "insert-pins-new-session", rule: "insert", needs: needStyle(model.StyleInsert), run: func(e *env) error {
		for _, c := range []*client{e.public, e.tls} {
			if c == nil {
				continue
			}
			rep, err := c.do(e.ctx, request{target: e.under("x")})
			if err != nil {
				return err
			}
			if err := e.expectPinned(c, rep, "new session"); err != nil {
				return err
			}
			again, err := c.do(e.ctx, request{target: e.under("x"), cookie: e.pin(rep.Node)})
			if err != nil {
				return err
			}
			if again.Status != http.StatusOK || again.Node != rep.Node || len(again.SetCookie) > 0 {
				return fmt.Errorf("%s listener, with the inserted cookie: got %s setting %q, want 200 from %s setting nothing", c.kind(), again, again.SetCookie, rep.Node)
			}
		}
		rep, err := e.get(request{target: e.under("x"), cookie: e.pin("No_Such_Node")})
		if err != nil {
			return err
		}
		return e.expectPinned(e.public, rep, "unknown route")
	}},
	{name: "insert-failover-repins", rule: "insert,3", fresh: true, needs: func(e *env) string {
		if why := needStyle(model.StyleInsert)(e); why != "" {
			return why
		}
		return needActive(2)(e)
	}, run: func(e *env) error {
		dead := e.active[0]
		e.s.Nodes[dead].Kill()
		rep, err := e.get(request{target: e.under("x"), cookie: e.pin(dead)})
		if err != nil {
			return err
		}
		if rep.Node == dead {
			return fmt.Errorf("session of killed %s: got %s", dead, rep)
		}
		return e.expectPinned(e.public, rep, "session of killed "+dead)
	}},
	{name: "cookie-name-case", rule: "1,3", run: func(e *env) error {
		name := strings.ToUpper(e.c().Sticky.Cookie)
		if name == e.c().Sticky.Cookie {
			name = strings.ToLower(name)
		}
		return e.expectRoundRobin(request{target: e.under("x"), cookie: name + "=" + e.value(e.active[0])}, e.active)
	}},
	{name: "junk-cookies", rule: "3", run: func(e *env) error {
		for _, v := range []string{"", ".", "..", "x.", strings.Repeat("z", 3000), ".%00", "\"." + e.active[0] + "\"", ". " + e.active[0]} {
			if _, err := e.spread(3, request{target: e.under("x"), cookie: e.sticky(v)}); err != nil {
				return err
			}
		}
		_, err := e.spread(3, request{target: e.under("x"), cookie: ";;; =; " + e.c().Sticky.Cookie})
		return err
	}},
	{name: "url-param-sticky", rule: "1", needs: func(e *env) string {
		if e.param == "" {
			return "cluster has no sticky.param"
		}
		return needActive(2)(e)
	}, run: func(e *env) error {
		a, b := e.active[0], e.active[1]
		if err := e.expectNode(request{target: e.under("x?" + e.param + "=" + e.value(b)), cookie: e.pin(a)}, b); err != nil {
			return err
		}
		if err := e.expectNode(request{target: e.under("x?q=1&" + e.param + "=" + e.valueIn("s", b))}, b); err != nil {
			return err
		}
		// Only a whole parameter name counts: x<param> is another parameter.
		r := request{target: e.under("x?x" + e.param + "=" + e.value(b)), cookie: e.pin(a)}
		rep, err := e.get(r)
		if err != nil {
			return err
		}
		got := rep.String()
		switch {
		case rep.Status != http.StatusOK:
		case rep.Node == a:
			got = "the cookie's node"
		case rep.Node == b:
			got = "the parameter's node"
		}
		if !e.accept("parameter-name-whole", got, "the cookie's node") {
			return fmt.Errorf("GET %s with cookie %q: got %s (%s), want 200 from %s", r.target, r.cookie, got, rep, a)
		}
		return nil
	}},
	{name: "drain-only-own-sessions", rule: "4", needs: func(e *env) string {
		if len(e.drain) == 0 {
			return "cluster has no drain node"
		}
		return needRoutes(e)
	}, run: func(e *env) error {
		if err := e.expectNode(request{target: e.under("x"), cookie: e.pin(e.drain[0])}, e.drain[0]); err != nil {
			return err
		}
		got, err := e.spread(4*len(e.active)+2, request{target: e.under("x")})
		if err != nil {
			return err
		}
		for _, n := range got {
			if !slices.Contains(e.active, n) {
				return fmt.Errorf("new sessions went to %v, want active nodes %v only", got, e.active)
			}
		}
		return nil
	}},
	{name: "new-sessions-ignore-sticky-load", rule: "3", fresh: true, needs: needActive(2), run: func(e *env) error {
		// Round robin balances new sessions; how many requests sessions
		// already send to their nodes does not count.
		busy := e.active[0]
		for range 8 * len(e.active) {
			if err := e.expectNode(request{target: e.under("x"), cookie: e.pin(busy)}, busy); err != nil {
				return err
			}
		}
		got, err := e.spread(4*len(e.active)+2, request{target: e.under("x")})
		if err != nil {
			return err
		}
		label := fmt.Sprint(got)
		switch {
		case slices.Equal(got, e.active):
			label = "every active node"
		case slices.Equal(got, slices.DeleteFunc(slices.Clone(e.active), func(n string) bool { return n == busy })):
			label = "every active node but the sticky one"
		}
		if !e.accept("new-sessions-spread", label, "every active node") {
			return fmt.Errorf("after %d sticky requests to %s, new sessions went to %s, want round robin over %v", 8*len(e.active), busy, label, e.active)
		}
		return nil
	}},
	{name: "standby-idle-while-active-up", rule: "2,5", needs: needStandby, run: func(e *env) error {
		if err := e.expectRoundRobin(request{target: e.under("x")}, e.active); err != nil {
			return err
		}
		return e.expectRoundRobin(request{target: e.under("x"), cookie: e.pin(e.standby[0])}, e.active)
	}},
	{name: "standby-serves-when-actives-down", rule: "2,5", fresh: true, needs: needStandby, run: func(e *env) error {
		for _, n := range e.active {
			e.s.Nodes[n].Kill()
		}
		if err := e.eventually(5*time.Second, func() error {
			return e.expectRoundRobin(request{target: e.under("x")}, e.standby)
		}); err != nil {
			return err
		}
		if e.c().Sticky.Style == model.StyleInsert {
			rep, err := e.get(request{target: e.under("x")})
			if err != nil {
				return err
			}
			got := "pins the session"
			switch {
			case len(rep.SetCookie) == 0:
				got = "sets no cookie"
			case e.expectPinned(e.public, rep, "standby") != nil:
				got = fmt.Sprintf("sets %q", rep.SetCookie)
			}
			if !e.accept("standby-answer-pins", got, "pins the session") {
				return fmt.Errorf("answer from standby %s %s, want the inserted cookie naming it", rep.Node, got)
			}
		}
		// Like every rule about down nodes, this holds once the balancer has
		// seen the actives fail; nginx learns that per upstream group.
		last := e.standby[len(e.standby)-1]
		return e.eventually(5*time.Second, func() error {
			return e.expectNode(request{target: e.under("x"), cookie: e.pin(last)}, last)
		})
	}},
	{name: "killed-node-fails-over", rule: "3,7", fresh: true, needs: needActive(2), run: func(e *env) error {
		dead := e.active[0]
		e.s.Nodes[dead].Kill()
		for i := range 3 {
			rep, err := e.get(request{target: e.under("x"), cookie: e.pin(dead)})
			if err != nil {
				return err
			}
			if rep.Status != http.StatusOK || rep.Node == dead || !slices.Contains(e.active, rep.Node) {
				return fmt.Errorf("request %d to killed %s: got %s, want 200 from another active node", i+1, dead, rep)
			}
			if rep.Elapsed > time.Second {
				return fmt.Errorf("request %d to killed %s took %s", i+1, dead, rep.Elapsed.Round(time.Millisecond))
			}
		}
		return nil
	}},
	{name: "killed-node-post-replayed", rule: "7", fresh: true, needs: needActive(2), run: func(e *env) error {
		dead := e.active[0]
		e.s.Nodes[dead].Kill()
		body := bytes.Repeat([]byte("lbgen-post "), 1000)
		rep, err := e.get(request{method: "POST", target: e.under("submit"), cookie: e.pin(dead), body: body})
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		if rep.Status != http.StatusOK || rep.Node == dead || rep.Answer.BodyLen != int64(len(body)) || rep.Answer.BodySHA256 != hex.EncodeToString(sum[:]) {
			return fmt.Errorf("POST to killed %s: got %s with %d body bytes, want 200 from another node with all %d", dead, rep, rep.Answer.BodyLen, len(body))
		}
		return nil
	}},
	{name: "unreachable-node-connect-timeout-once", rule: "6,7", fresh: true, needs: needActive(2), run: func(e *env) error {
		dead := e.active[0]
		e.s.Nodes[dead].Blackhole()
		slow := 0
		var times []string
		for i := range 6 {
			rep, err := e.get(request{target: e.under("x"), cookie: e.pin(dead)})
			if err != nil {
				return err
			}
			if rep.Status != http.StatusOK || rep.Node == dead {
				return fmt.Errorf("request %d to unreachable %s: got %s, want 200 from another node", i+1, dead, rep)
			}
			if rep.Elapsed >= sandboxConnect*8/10 {
				slow++
			}
			times = append(times, rep.Elapsed.Round(time.Millisecond).String())
		}
		if slow > 1 {
			return fmt.Errorf("%d of 6 requests paid the %s connect timeout (%s), want at most 1", slow, sandboxConnect, strings.Join(times, " "))
		}
		return nil
	}},
	{name: "hung-node-times-out", rule: "6", fresh: true, needs: needActive(2), run: func(e *env) error {
		hung := e.active[0]
		e.s.Nodes[hung].Hang()
		// A target that never times out fails soon after the read timeout.
		patient := *e.public
		patient.timeout = sandboxRead + 3*time.Second
		rep, err := patient.do(e.ctx, request{target: e.under("x"), cookie: e.pin(hung)})
		if err != nil {
			return err
		}
		if rep.Elapsed < sandboxRead*9/10 || rep.Elapsed > sandboxRead+2*time.Second {
			return fmt.Errorf("request to hung %s: got %s after %s, want an answer after the %s read timeout", hung, rep, rep.Elapsed.Round(time.Millisecond), sandboxRead)
		}
		if !e.accept("read-timeout-status", statusOf(rep), "status 504") {
			return fmt.Errorf("request to hung %s: got %s after the read timeout, want 504", hung, rep)
		}
		// Then the node is out: the session is served elsewhere without
		// waiting for the read timeout again.
		return e.eventually(3*sandboxRead, func() error {
			rep, err := e.get(request{target: e.under("x"), cookie: e.pin(hung)})
			if err != nil {
				return err
			}
			if rep.Status != http.StatusOK || rep.Node == hung || rep.Elapsed >= sandboxRead {
				return fmt.Errorf("request to hung %s after its timeout: got %s after %s, want 200 from another node at once", hung, rep, rep.Elapsed.Round(time.Millisecond))
			}
			return nil
		})
	}},
	{name: "node-recovers", rule: "7", fresh: true, needs: needActive(2), run: func(e *env) error {
		n := e.active[0]
		e.s.Nodes[n].Kill()
		if _, err := e.get(request{target: e.under("x"), cookie: e.pin(n)}); err != nil {
			return err
		}
		e.s.Nodes[n].Recover()
		return e.eventually(10*time.Second, func() error {
			return e.expectNode(request{target: e.under("x"), cookie: e.pin(n)}, n)
		})
	}},
	{name: "active-health-check", rule: "7", fresh: true, needs: needActive(2), run: func(e *env) error {
		// A node that still serves requests but fails its health check is
		// taken out after health.fails checks, and back after passes.
		n := e.active[0]
		e.s.Nodes[n].SetHealthy(false)
		wait := sandboxInterval*(sandboxFails+sandboxPasses) + 2*time.Second
		r := request{target: e.under("x"), cookie: e.pin(n)}
		errKept := errors.New("kept")
		err := e.eventually(wait, func() error {
			rep, err := e.get(r)
			switch {
			case err != nil:
				return err
			case rep.Status == http.StatusOK && rep.Node == n:
				return errKept
			case rep.Status != http.StatusOK || !slices.Contains(e.active, rep.Node):
				return fmt.Errorf("session of %s, which fails its health check: got %s, want 200 from another active node", n, rep)
			}
			return nil
		})
		got := "sessions served elsewhere"
		switch {
		case errors.Is(err, errKept):
			got = "the unhealthy node keeps its sessions"
		case err != nil:
			return err
		}
		if !e.accept("unhealthy-node-taken-out", got, "sessions served elsewhere") {
			return fmt.Errorf("%s failed its health check for %s: %s", n, wait, got)
		}
		if got != "sessions served elsewhere" {
			return nil
		}
		e.s.Nodes[n].SetHealthy(true)
		return e.eventually(wait, func() error { return e.expectNode(r, n) })
	}},
	{name: "all-down-fallback", rule: "6", fresh: true, run: func(e *env) error {
		for _, b := range e.s.Nodes {
			b.Kill()
		}
		r := request{target: e.under("x"), cookie: e.pin(e.active[0])}
		if len(e.c().Fallback) == 0 {
			rep, err := e.get(r)
			if err != nil {
				return err
			}
			if (rep.Status != http.StatusBadGateway && rep.Status != http.StatusServiceUnavailable) || rep.Elapsed > sandboxConnect+time.Second {
				return fmt.Errorf("all nodes down, no fallback: got %s after %s, want 502 or 503 at once", rep, rep.Elapsed.Round(time.Millisecond))
			}
			return nil
		}
		first := "fallback:" + e.c().Fallback[0].Name
		if err := e.eventually(3*time.Second, func() error { return e.expectNode(r, first) }); err != nil {
			return err
		}
		if len(e.c().Fallback) < 2 {
			return nil
		}
		e.s.Fallbacks[e.c().Fallback[0].Name].Kill()
		second := "fallback:" + e.c().Fallback[1].Name
		return e.eventually(3*time.Second, func() error { return e.expectNode(r, second) })
	}},
	{name: "websocket-sticky", rule: "8", needs: needWebSocket, run: func(e *env) error {
		n := e.active[len(e.active)-1]
		return e.websocket(e.pin(n), n, 0)
	}},
	{name: "websocket-idle-timeout", rule: "8", fresh: true, needs: needWebSocket, run: func(e *env) error {
		n := e.active[0]
		// Idle longer than the read timeout but within the tunnel timeout
		// keeps the tunnel; idle past the tunnel timeout ends it.
		if err := e.websocket(e.pin(n), n, sandboxRead+500*time.Millisecond); err != nil {
			return err
		}
		ws, err := e.dialWS(e.pin(n))
		if err != nil {
			return err
		}
		defer ws.Close()
		time.Sleep(sandboxTunnel + 1500*time.Millisecond)
		ws.SetDeadline(time.Now().Add(2 * time.Second))
		if err := ws.Send("late"); err == nil {
			if msg, err := ws.Recv(); err == nil {
				return fmt.Errorf("tunnel idle for %s still answered %q, want it closed after %s", sandboxTunnel+1500*time.Millisecond, msg, sandboxTunnel)
			}
		}
		return nil
	}},
	{name: "websocket-fails-over", rule: "7,8", fresh: true, needs: func(e *env) string {
		return needWebSocket(e) + needActive(2)(e)
	}, run: func(e *env) error {
		dead := e.active[0]
		e.s.Nodes[dead].Kill()
		ws, resp, err := testbackend.DialWebSocket(e.ctx, e.wsURL(), http.Header{"Cookie": {e.pin(dead)}})
		if err != nil {
			return fmt.Errorf("WebSocket to killed %s: %v", dead, err)
		}
		defer ws.Close()
		if got := e.s.NodeOf(resp.Header.Get("X-Node")); got == dead || !slices.Contains(e.active, got) {
			return fmt.Errorf("WebSocket to killed %s answered by %q", dead, got)
		}
		return nil
	}},
	{name: "keepalive-upstream", rule: "8", run: func(e *env) error {
		// As a browser sends them: on one keep-alive connection.
		n := e.active[0]
		reps, err := e.public.doKeepAlive(e.ctx, request{target: e.under("x"), cookie: e.pin(n)}, 4)
		if err != nil {
			return err
		}
		most := int64(0)
		for _, rep := range reps {
			if rep.Status != http.StatusOK || rep.Node != n {
				return fmt.Errorf("keep-alive request to %s: got %s", n, rep)
			}
			most = max(most, rep.Answer.ConnRequests)
		}
		if most < 2 {
			return fmt.Errorf("4 requests to %s on one client connection each used a new upstream connection; want keep-alive", n)
		}
		return nil
	}},
	{name: "forwarded-headers", rule: "9", run: func(e *env) error {
		if e.public.tls {
			return e.forwarded(e.public, "https")
		}
		return e.forwarded(e.public, "http")
	}},
	{name: "forwarded-headers-tls", rule: "9", needs: func(e *env) string {
		if e.tls == nil {
			return "cluster has no public TLS listener"
		}
		return ""
	}, run: func(e *env) error {
		return e.forwarded(e.tls, "https")
	}},
	{name: "upstream-scheme", rule: "tls", run: func(e *env) error {
		// tls.upstream: plain reaches nodes over HTTP, tls over HTTPS, match
		// over the scheme the client used.
		for _, c := range e.listeners() {
			rep, err := c.do(e.ctx, request{target: e.under("s"), cookie: e.pin(e.active[0])})
			if err != nil {
				return err
			}
			mode := e.c().UpstreamMode()
			want := mode == model.UpstreamTLS || (mode == model.UpstreamMatch && c.tls)
			if rep.Status != http.StatusOK || rep.Node != e.active[0] || rep.Answer.TLS != want {
				return fmt.Errorf("%s listener, tls.upstream %s: got %s, TLS to the node %v, want 200 from %s with TLS %v", c.kind(), mode, rep, rep.Answer.TLS, e.active[0], want)
			}
		}
		return nil
	}},
	{name: "admin-page", rule: "admin", needs: func(e *env) string {
		if e.c().Admin == nil {
			return "cluster has no admin page"
		}
		if _, ok := adminPaths[e.runner]; !ok {
			return e.runner + " renders no admin page"
		}
		return ""
	}, run: func(e *env) error {
		c := &client{addr: e.c().Admin.Addr, sandbox: e.s}
		target := adminPaths[e.runner]
		for _, from := range []string{"", "127.0.0.2"} {
			want := http.StatusOK
			if from != "" {
				want = http.StatusForbidden
			}
			rep, err := c.do(e.ctx, request{target: target, from: from})
			if err != nil {
				return err
			}
			if rep.Status != want || rep.Node != "" {
				return fmt.Errorf("admin page %s from %s: got %s, want %d", target, orLocal(from), rep, want)
			}
		}
		return nil
	}},
	{name: "raw-uri", rule: "9", run: func(e *env) error {
		for _, target := range []string{e.under("a%20b/c%2Fd?x=%26y&z"), e.under("plain"), e.under("p;x=1/%7Euser"), e.under("q?"), e.under("sp%C3%A9cial?%2F=%3F")} {
			rep, err := e.get(request{target: target, cookie: e.pin(e.active[0])})
			if err != nil {
				return err
			}
			if rep.Status != http.StatusOK || rep.Answer.URI != target {
				return fmt.Errorf("sent %s: node saw %q (%s)", target, rep.Answer.URI, rep)
			}
		}
		return nil
	}},
	{name: "internal-path-public-403", rule: "10", needs: needInternalPaths, run: func(e *env) error {
		// Parameters that do not hide an internal path still reach a node,
		// with the URI as sent.
		passed := []string{e.under("x;jsessionid=1"), e.under("x;jsessionid=1/y"), e.under(";jsessionid=1")}
		for _, ip := range e.c().InternalPaths {
			targets := []string{ip, ip + "/x", ip + "/x?y=1", strings.Replace(ip, "/", "//", 1) + "/x", dotted(ip), encoded(ip)}
			for _, target := range append(targets, withParams(ip)...) {
				rep, err := e.get(request{target: target})
				if err != nil {
					return err
				}
				if rep.Status != http.StatusForbidden || rep.Node != "" {
					return fmt.Errorf("public %s: got %s, want 403", target, rep)
				}
			}
			if p := e.c().Path; p == "/" || strings.HasPrefix(ip, p+"/") {
				passed = append(passed, ip+"x;y")
			}
		}
		for _, target := range passed {
			rep, err := e.get(request{target: target})
			if err != nil {
				return err
			}
			if rep.Status != http.StatusOK || rep.Node == "" || rep.Answer.URI != target {
				return fmt.Errorf("public %s: got %s with URI %q at the node, want 200 from a node", target, rep, rep.Answer.URI)
			}
		}
		return nil
	}},
	{name: "ambiguous-segment-400", rule: "10", run: func(e *env) error {
		// A segment with path parameters that is empty, "." or ".."
		// without them is resolved by a servlet container after it drops
		// them, where the balancer cannot see it: /cobrowse/..;/manager/html
		// is /manager/html to Tomcat. 400 on every listener, also for
		// clients outside an allow list and ahead of the internal-path 403;
		// a last such segment, parameters on other segments and a plain
		// // or .. still reach a node as sent.
		refused := []string{e.under("..;/manager/html"), e.under("x/..;/y"), e.under(".;/y"), e.under(";x/y"),
			e.under("x/%2e%2E%3b/y"), e.under("x/..%3B/y")}
		for _, ip := range e.c().InternalPaths {
			refused = append(refused, ambiguousBefore(ip)...)
		}
		slashes := e.c().Path + "//y"
		if e.c().Path == "/" {
			// Apache sends a leading // as / there (docs/targets.md, Apache).
			slashes = "/x//y"
		}
		passed := []string{e.under(";jsessionid=1"), e.under("x;jsessionid=1/y"), e.under("x/../y"), slashes}
		for _, c := range e.listeners() {
			for _, target := range refused {
				for _, from := range []string{"", "127.0.0.2"} {
					rep, err := c.do(e.ctx, request{target: target, from: from})
					if err != nil {
						return err
					}
					if rep.Status != http.StatusBadRequest || rep.Node != "" {
						return fmt.Errorf("%s %s from %s: got %s, want 400", c.kind(), target, orLocal(from), rep)
					}
				}
			}
			for _, target := range passed {
				rep, err := c.do(e.ctx, request{target: target})
				if err != nil {
					return err
				}
				if rep.Status != http.StatusOK || rep.Node == "" || rep.Answer.URI != target {
					return fmt.Errorf("%s %s: got %s with URI %q at the node, want 200 from a node", c.kind(), target, rep, rep.Answer.URI)
				}
			}
		}
		return nil
	}},
	{name: "internal-listener", rule: "10", needs: func(e *env) string {
		if e.internal == nil {
			return "cluster has no internal listener"
		}
		return ""
	}, run: func(e *env) error {
		targets := []string{e.under("x")}
		for _, ip := range e.c().InternalPaths {
			targets = append(targets, ip+"/x")
		}
		for _, target := range targets {
			rep, err := e.internal.do(e.ctx, request{target: target})
			if err != nil {
				return err
			}
			if rep.Status != http.StatusOK || rep.Node == "" {
				return fmt.Errorf("internal listener %s from an allowed client: got %s, want 200 from a node", target, rep)
			}
			rep, err = e.internal.do(e.ctx, request{target: target, from: "127.0.0.2"})
			if err != nil {
				return err
			}
			if rep.Status != http.StatusForbidden {
				return fmt.Errorf("internal listener %s from a client outside the allow list: got %s, want 403", target, rep)
			}
		}
		return nil
	}},
	{name: "outside-path-404", rule: "10", needs: func(e *env) string {
		if e.c().Path == "/" {
			return "cluster path is /"
		}
		return ""
	}, run: func(e *env) error {
		for _, target := range []string{"/elsewhere", e.c().Path + "x", e.c().Path + "x/y"} {
			rep, err := e.get(request{target: target})
			if err != nil {
				return err
			}
			if rep.Status != http.StatusNotFound {
				return fmt.Errorf("%s outside %s: got %s, want 404", target, e.c().Path, rep)
			}
		}
		return nil
	}},
	{name: "max-body", rule: "11", run: func(e *env) error {
		limit := int64(e.c().MaxBody)
		at := bytes.Repeat([]byte{'b'}, int(limit))
		over := bytes.Repeat([]byte{'b'}, int(limit)+1)
		upload := func(c *client, body []byte, chunked bool) (reply, error) {
			return c.do(e.ctx, request{method: "POST", target: e.under("upload"), cookie: e.pin(e.active[0]), body: body, chunked: chunked})
		}
		for _, c := range e.listeners() {
			rep, err := upload(c, at, false)
			if err != nil {
				return err
			}
			if rep.Status != http.StatusOK || rep.Answer.BodyLen != limit {
				return fmt.Errorf("%s listener, body of exactly max_body (%d bytes): got %s with %d bytes at the node", c.kind(), limit, rep, rep.Answer.BodyLen)
			}
			if rep, err = upload(c, over, false); err != nil {
				return fmt.Errorf("%s listener, max_body+1 bytes with Content-Length: %v", c.kind(), err)
			}
			if !e.accept("length-over-limit", statusOf(rep), "status 413") {
				return fmt.Errorf("%s listener, max_body+1 bytes with Content-Length: got %s, want 413", c.kind(), rep)
			}
			if rep, err = upload(c, over, true); err != nil {
				return fmt.Errorf("%s listener, max_body+1 bytes chunked: %v", c.kind(), err)
			}
			got := statusOf(rep)
			if rep.Status == http.StatusOK && rep.Answer.BodyLen == limit+1 {
				got += ", whole body at the node"
			}
			if !e.accept("chunked-over-limit "+kind(c), got, "status 413") {
				return fmt.Errorf("%s listener, max_body+1 bytes chunked: got %s, want 413", c.kind(), got)
			}
		}
		return nil
	}},
	{name: "health-path-proxied", rule: "12", run: func(e *env) error {
		rep, err := e.get(request{target: e.c().Health.Path})
		if err != nil {
			return err
		}
		if want := e.c().Health.ExpectStatus; rep.Status != want || rep.Node == "" {
			return fmt.Errorf("GET %s: got %s %q, want %d from a node's health endpoint", e.c().Health.Path, rep, rep.Body, want)
		}
		return nil
	}},
}

// adminPaths is where each runner that renders an admin page serves it.
var adminPaths = map[string]string{"apache": "/balancer-manager", "haproxy": "/"}

func needStandby(e *env) string {
	if len(e.standby) == 0 {
		return "cluster has no standby node"
	}
	return ""
}

func needWebSocket(e *env) string {
	if !e.c().WebSocketEnabled() {
		return "cluster has websocket: false"
	}
	return ""
}

func needInternalPaths(e *env) string {
	if len(e.c().InternalPaths) == 0 {
		return "cluster has no internal paths"
	}
	return ""
}

// dotted and encoded spell an internal path so a naive prefix match misses it.
func dotted(p string) string {
	i := strings.LastIndex(p, "/")
	return p[:i] + "/x/.." + p[i:] + "/y"
}

// withParams spells an internal path with path parameters, which servlet
// containers drop from every segment before mapping a request (%3B too,
// to be safe): all of them reach the internal path.
func withParams(p string) []string {
	first, rest, _ := strings.Cut(p[1:], "/")
	if rest != "" {
		rest = "/" + rest
	}
	return []string{
		p + ";x",
		p + ";jsessionid=1/y",
		strings.ReplaceAll(p, "/", ";a/")[2:] + ";b/y", // /cobrowse;a/rest;b/y
		"/" + first + ";a" + rest,                      // /cobrowse;a/rest
		p + "%3Bx/y",
		"/" + first + "%3ba" + rest + "/y",
	}
}

// ambiguousBefore reaches the last segment of p through a segment that
// parameters leave empty, "." or "..", which a servlet container resolves
// after dropping them: /cobrowse/x/..;/rest/y is /cobrowse/rest/y.
func ambiguousBefore(p string) []string {
	i := strings.LastIndex(p, "/")
	return []string{
		p[:i] + "/x/..;" + p[i:] + "/y",
		p[:i] + "/.;" + p[i:] + "/y",
		p[:i] + "/;x" + p[i:] + "/y",
		p[:i] + "/x/%2e%2E%3b" + p[i:] + "/y",
	}
}

func encoded(p string) string {
	i := strings.LastIndex(p, "/")
	return fmt.Sprintf("%s/%%%02X%s/y", p[:i], p[i+1], p[i+2:])
}

func (e *env) wsURL() string {
	scheme := "ws://"
	if e.public.tls {
		scheme = "wss://"
	}
	return scheme + e.public.addr + e.under("ws")
}

func (e *env) dialWS(cookie string) (*testbackend.WSConn, error) {
	ws, resp, err := testbackend.DialWebSocket(e.ctx, e.wsURL(), http.Header{"Cookie": {cookie}})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		return nil, fmt.Errorf("WebSocket upgrade: %v (status %d)", err, status)
	}
	return ws, nil
}

// websocket opens a tunnel, waits idle, then exchanges frames and checks
// which node echoes them.
func (e *env) websocket(cookie, node string, idle time.Duration) error {
	ws, err := e.dialWS(cookie)
	if err != nil {
		return err
	}
	defer ws.Close()
	time.Sleep(idle)
	for _, msg := range []string{"hello", strings.Repeat("m", 70000), "bye"} {
		ws.SetDeadline(time.Now().Add(3 * time.Second))
		if err := ws.Send(msg); err != nil {
			return fmt.Errorf("WebSocket send after %s idle: %v", idle, err)
		}
		got, err := ws.Recv()
		if err != nil {
			return fmt.Errorf("WebSocket receive after %s idle: %v", idle, err)
		}
		backend, payload, _ := strings.Cut(got, ":")
		if e.s.NodeOf(backend) != node || payload != msg {
			return fmt.Errorf("WebSocket echo came from %q, want %s", e.s.NodeOf(backend), node)
		}
	}
	return nil
}

func (e *env) forwarded(c *client, proto string) error {
	const host = "shop.example.test:8443"
	rep, err := c.do(e.ctx, request{target: e.under("h"), host: host, header: map[string]string{"X-Forwarded-For": "203.0.113.7"}})
	if err != nil {
		return err
	}
	a := rep.Answer
	want := testbackend.Answer{Host: host, XForwardedFor: "203.0.113.7, 127.0.0.1", XForwardedProto: proto, XForwardedHost: host}
	if rep.Status != http.StatusOK || a.Host != want.Host || a.XForwardedFor != want.XForwardedFor || a.XForwardedProto != want.XForwardedProto || a.XForwardedHost != want.XForwardedHost {
		return fmt.Errorf("node saw Host %q, X-Forwarded-For %q, -Proto %q, -Host %q; want %q, %q, %q, %q",
			a.Host, a.XForwardedFor, a.XForwardedProto, a.XForwardedHost, want.Host, want.XForwardedFor, want.XForwardedProto, want.XForwardedHost)
	}
	return nil
}
