package proxy

import (
	"strings"
	"testing"

	"github.com/lbgen/lbgen/health"
	"github.com/lbgen/lbgen/model"
)

func spec(name string, weight int, state string) model.Node {
	return model.Node{Name: name, Host: "127.0.0.1", Port: 1, Weight: weight, State: state}
}

// picks returns the names round robin chooses in n requests without route.
func picks(p *pool, n int) string {
	var names []string
	for range n {
		got, _ := p.pick("")
		if got == nil {
			names = append(names, "-")
			continue
		}
		names = append(names, got.Name)
	}
	return strings.Join(names, " ")
}

func TestRoundRobinIsSmoothAndWeighted(t *testing.T) {
	p := newPool([]model.Node{spec("A", 1, model.StateActive), spec("B", 3, model.StateActive)}, model.Health{}, model.StyleRoute)
	// nginx's smooth weighted round robin spreads B's turns around A's.
	if got, want := picks(p, 8), "B A B B B A B B"; got != want {
		t.Errorf("order = %s, want %s", got, want)
	}
}

func TestRoundRobinStartsFromNodesSortedByName(t *testing.T) {
	p := newPool([]model.Node{spec("C", 1, model.StateActive), spec("A", 1, model.StateActive), spec("B", 1, model.StateActive)}, model.Health{}, model.StyleRoute)
	if got, want := picks(p, 6), "A B C A B C"; got != want {
		t.Errorf("order = %s, want %s", got, want)
	}
}

func TestPick(t *testing.T) {
	a := spec("A", 1, model.StateActive)
	b := spec("B", 1, model.StateActive)
	d := spec("D", 1, model.StateDrain)
	s := spec("S", 1, model.StateStandby)
	x := spec("X", 1, model.StateDown)
	tests := []struct {
		name       string
		nodes      []model.Node
		down       []string // nodes the health view holds down
		route      string
		want       string // node name, "" for none
		wantReason string
	}{
		{"no route", []model.Node{a, b}, nil, "", "A", reasonNoRoute},
		{"sticky", []model.Node{a, b}, nil, "B", "B", reasonSticky},
		{"unknown route", []model.Node{a, b}, nil, "Z", "A", reasonUnknownRoute},
		{"route case differs", []model.Node{a, b}, nil, "b", "A", reasonUnknownRoute},
		{"routed node down", []model.Node{a, b}, []string{"B"}, "B", "A", reasonRouteDown},
		{"routed node in state down", []model.Node{a, x}, nil, "X", "A", reasonRouteDown},
		{"drain keeps its sessions", []model.Node{a, d}, nil, "D", "D", reasonSticky},
		{"drain takes no new session", []model.Node{d, a}, nil, "", "A", reasonNoRoute},
		{"drain alone takes no new session", []model.Node{a, d}, []string{"A"}, "", "", reasonNoRoute},
		{"drain down", []model.Node{a, d}, []string{"D"}, "D", "A", reasonRouteDown},
		{"standby idle while an active node is up", []model.Node{a, s}, nil, "", "A", reasonNoRoute},
		{"standby sticky ignored while not serving", []model.Node{a, s}, nil, "S", "A", reasonRouteStandby},
		{"standby serves when no active node is up", []model.Node{a, s}, []string{"A"}, "", "S", reasonStandby},
		{"standby sticky while serving", []model.Node{a, s}, []string{"A"}, "S", "S", reasonSticky},
		{"unknown route while standby serves", []model.Node{a, s}, []string{"A"}, "Z", "S", reasonStandby},
		{"drain sticky while standby serves", []model.Node{a, d, s}, []string{"A"}, "D", "D", reasonSticky},
		{"nothing up", []model.Node{a, s}, []string{"A", "S"}, "A", "", reasonRouteDown},
		{"state down never picked", []model.Node{x}, nil, "", "", reasonNoRoute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPool(tt.nodes, model.Health{}, model.StyleRoute)
			for _, name := range tt.down {
				p.byName[name].health.Down()
			}
			n, reason := p.pick(tt.route)
			got := ""
			if n != nil {
				got = n.Name
			}
			if got != tt.want || reason != tt.wantReason {
				t.Errorf("pick(%q) = %q, %s; want %q, %s", tt.route, got, reason, tt.want, tt.wantReason)
			}
		})
	}
}

func TestDrainNeverTakesNewSessions(t *testing.T) {
	p := newPool([]model.Node{spec("A", 1, model.StateActive), spec("D", 5, model.StateDrain)}, model.Health{}, model.StyleRoute)
	if got := picks(p, 10); strings.Contains(got, "D") {
		t.Errorf("round robin picked the drain node: %s", got)
	}
}

func TestStandbyRoundRobin(t *testing.T) {
	p := newPool([]model.Node{spec("A", 1, model.StateActive), spec("S1", 1, model.StateStandby), spec("S2", 2, model.StateStandby)}, model.Health{}, model.StyleRoute)
	p.byName["A"].health.Down()
	if got, want := picks(p, 6), "S2 S1 S2 S2 S1 S2"; got != want {
		t.Errorf("order = %s, want %s", got, want)
	}
	p.byName["A"].health = health.NewCounter(model.Health{}, true)
	if got, want := picks(p, 2), "A A"; got != want {
		t.Errorf("with A back: order = %s, want %s", got, want)
	}
}
