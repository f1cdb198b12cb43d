package proxy

import "testing"

func TestStickyRoute(t *testing.T) {
	tests := []struct {
		name    string
		query   string
		cookies []string
		param   string
		want    string // route
		wantOK  bool   // a sticky value was found
	}{
		{name: "no cookie"},
		{name: "dot name", cookies: []string{"SID=.CB_Server_1"}, want: "CB_Server_1", wantOK: true},
		{name: "prefix before dot", cookies: []string{"SID=abc.CB_Server_1"}, want: "CB_Server_1", wantOK: true},
		{name: "first dot only", cookies: []string{"SID=a.b.X"}, want: "b.X", wantOK: true},
		{name: "no dot is no route", cookies: []string{"SID=CB_Server_1"}, wantOK: true},
		{name: "empty value", cookies: []string{"SID="}, wantOK: true},
		{name: "trailing dot", cookies: []string{"SID=x."}, wantOK: true},
		{name: "among others", cookies: []string{"a=1; SID=.B; c=3"}, want: "B", wantOK: true},
		{name: "space before = belongs to the name", cookies: []string{"a=1;\t SID = .B"}},
		{name: "value trimmed", cookies: []string{"a=1;\t SID=  .B\t"}, want: "B", wantOK: true},
		{name: "first occurrence wins", cookies: []string{"SID=.A; SID=.B"}, want: "A", wantOK: true},
		{name: "first header line wins", cookies: []string{"x=1", "SID=.A", "SID=.B"}, want: "A", wantOK: true},
		{name: "empty first occurrence wins", cookies: []string{"SID=; SID=.B"}, wantOK: true},
		{name: "name is case-sensitive", cookies: []string{"sid=.A; SID=.B"}, want: "B", wantOK: true},
		{name: "only a case variant", cookies: []string{"sid=.A"}},
		{name: "longer name", cookies: []string{"SIDX=.A; XSID=.A"}},
		{name: "not unquoted", cookies: []string{`SID=".A"`}, want: `A"`, wantOK: true},
		{name: "value with =", cookies: []string{"SID=.A=1"}, want: "A=1", wantOK: true},
		{name: "junk", cookies: []string{";;; =; SID; ===; SID=\x01.\xff"}, want: "\xff", wantOK: true},
		{name: "value case kept", cookies: []string{"SID=.cb_server_1"}, want: "cb_server_1", wantOK: true},

		{name: "param wins over cookie", param: "sid", query: "sid=.P", cookies: []string{"SID=.C"}, want: "P", wantOK: true},
		{name: "param absent uses cookie", param: "sid", query: "x=1", cookies: []string{"SID=.C"}, want: "C", wantOK: true},
		{name: "empty param is present", param: "sid", query: "sid=", cookies: []string{"SID=.C"}, wantOK: true},
		{name: "param after &", param: "sid", query: "a=1&sid=.P&b=2", want: "P", wantOK: true},
		{name: "first param wins", param: "sid", query: "sid=.P&sid=.Q", want: "P", wantOK: true},
		{name: "param not decoded", param: "sid", query: "sid=%2EP", wantOK: true},
		{name: "param decoded value kept raw", param: "sid", query: "sid=.P%20Q", want: "P%20Q", wantOK: true},
		{name: "param suffix does not match", param: "sid", query: "xsid=.P", cookies: []string{"SID=.C"}, want: "C", wantOK: true},
		{name: "semicolon is no separator", param: "sid", query: "a=1;sid=.P", cookies: []string{"SID=.C"}, want: "C", wantOK: true},
		{name: "param name is case-sensitive", param: "sid", query: "SID=.P", cookies: []string{"SID=.C"}, want: "C", wantOK: true},
		{name: "param without =", param: "sid", query: "sid&x=1", cookies: []string{"SID=.C"}, want: "C", wantOK: true},
		{name: "param unset ignores query", query: "sid=.P", cookies: []string{"SID=.C"}, want: "C", wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok := stickyValue(tt.query, tt.cookies, tt.param, "SID")
			if got := routeOf(v); got != tt.want || ok != tt.wantOK {
				t.Errorf("route = %q, %v; want %q, %v (value %q)", got, ok, tt.want, tt.wantOK, v)
			}
		})
	}
}

func TestCookieValueIsTrimmedNotUnquoted(t *testing.T) {
	for line, want := range map[string]string{
		"SID= \t.A \t; x=1": ".A",
		`SID=".A"`:          `".A"`,
		"SID=":              "",
	} {
		if got, ok := cookieValue([]string{line}, "SID"); !ok || got != want {
			t.Errorf("cookieValue(%q) = %q, %v; want %q", line, got, ok, want)
		}
	}
}
