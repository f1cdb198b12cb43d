package main

import (
	"runtime/debug"
	"testing"
)

func TestDescribeBuild(t *testing.T) {
	build := func(version string, settings ...debug.BuildSetting) *debug.BuildInfo {
		return &debug.BuildInfo{Main: debug.Module{Version: version}, Settings: settings}
	}
	revision := debug.BuildSetting{Key: "vcs.revision", Value: "4022626224a34a0f3e97c11574fc63fd223203ff"}
	clean := debug.BuildSetting{Key: "vcs.modified", Value: "false"}
	edited := debug.BuildSetting{Key: "vcs.modified", Value: "true"}
	for _, tc := range []struct {
		name    string
		ldflags string
		info    *debug.BuildInfo
		want    string
	}{
		{"no build info", "", nil, "devel"},
		{"go build outside a repository", "", build("(devel)"), "devel"},
		{"go build in a clone", "", build("v0.0.0-20261203081636-4022626224a3", revision, clean),
			"v0.0.0-20261203081636-4022626224a3 (commit 4022626224a3)"},
		{"go build with edits", "", build("v0.0.0-20261203081636-4022626224a3+dirty", revision, edited),
			"v0.0.0-20261203081636-4022626224a3+dirty (commit 4022626224a3, modified)"},
		{"revision without a module version", "", build("(devel)", revision, clean), "devel (commit 4022626224a3)"},
		{"go install of a release", "", build("v1.2.0"), "v1.2.0"},
		{"make build", "v1.2.0-3-g4022626", build("(devel)", revision, clean), "v1.2.0-3-g4022626 (commit 4022626224a3)"},
	} {
		if got := describeBuild(tc.ldflags, tc.info); got != tc.want {
			t.Errorf("%s: describeBuild = %q, want %q", tc.name, got, tc.want)
		}
	}
}
