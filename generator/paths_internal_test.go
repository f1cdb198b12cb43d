package generator

import (
	"regexp"
	"testing"
)

// TestInternalPathRegex checks the patterns the targets share against the
// rules of the reference proxy (proxy/access.go): an internal path matches
// with path parameters after any of its segments, segment-wise, and a
// segment with parameters that they leave empty, "." or ".." is found in
// the raw path when another segment follows it (refused with 400 on every
// listener); a plain //, /./ or /../ is not.
func TestInternalPathRegex(t *testing.T) {
	internal := regexp.MustCompile(internalPathRegex("/cobrowse/rest", "/", "[^/]"))
	for path, want := range map[string]bool{
		"/cobrowse/rest":         true,
		"/cobrowse/rest/x":       true,
		"/cobrowse/rest;x":       true,
		"/cobrowse/rest;x/y":     true,
		"/cobrowse;a/rest;b/y":   true,
		"/cobrowse;a/rest":       true,
		"/cobrowse/rest/;x":      true,
		"/cobrowse/restx":        false,
		"/cobrowse/restx;y":      false,
		"/cobrowse/x;rest":       false,
		"/cobrowse/;x/rest":      false, // ambiguous: refused before
		"/cobrowse;a/b/rest":     false,
		"/cobrowsex/rest":        false,
		"/x/cobrowse/rest":       false,
		"/cobrowse/rest.;x":      false,
		"/cobrowse/x;jsession=1": false,
	} {
		if got := internal.MatchString(path); got != want {
			t.Errorf("%s matches %s: %v, want %v", internal, path, got, want)
		}
	}
	ambiguous := regexp.MustCompile("^" + ambiguousSegmentRegex("[^?]"))
	for path, want := range map[string]bool{
		"/cobrowse/..;/manager/html":    true,
		"/..;/manager/html":             true,
		"/cobrowse/x/..;/rest":          true,
		"/cobrowse/x/..%3b/rest":        true,
		"/cobrowse/x/%2E%2e;/rest":      true,
		"/cobrowse/%2e;/rest":           true,
		"/cobrowse/x/..;y/rest":         true,
		"/cobrowse/.;/rest":             true,
		"/cobrowse/;x/rest":             true,
		"/cobrowse//;x/rest":            true,
		"/;x/cobrowse":                  true,
		"/cobrowse/x/%2e%2E%3b/rest":    true,
		"/cobrowse/x/..%3B/rest":        true,
		"/cobrowse/x%2F..;%2Frest":      true,
		"/cobrowse/x/..;":               false, // resolved toward the root only
		"/cobrowse/x/../rest":           false, // plain: resolved alike everywhere
		"/cobrowse/./rest":              false,
		"/cobrowse//rest":               false,
		"/cobrowse/x/%2e%2e/rest":       false,
		"/cobrowse/;jsessionid=1":       false,
		"/cobrowse/;jsessionid=1?a=/b":  false,
		"/cobrowse/x?..;/rest/":         false,
		"/cobrowse/...;/rest":           false,
		"/cobrowse/a.;/rest":            false,
		"/cobrowse/rest;x/y":            false,
		"/cobrowse/x;jsessionid=1/rest": false,
	} {
		if got := ambiguous.MatchString(path); got != want {
			t.Errorf("%s matches %s: %v, want %v", ambiguous, path, got, want)
		}
	}
}
