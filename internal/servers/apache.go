package servers

import (
	"path/filepath"
	"regexp"
	"syscall"
)

var apacheServer = server{
	// Debian names Apache apache2, other systems httpd.
	binaries: []string{"apache2", "httpd"},
	checkArgs: func(dir, name string) []string {
		return []string{"-d", dir, "-f", filepath.Join(dir, name), "-t"}
	},
	runArgs: func(dir, file string) []string {
		return []string{"-d", dir, "-f", filepath.Join(dir, file), "-DFOREGROUND"}
	},
	reload:      syscall.SIGUSR1, // graceful restart, as apachectl graceful sends
	checksNodes: true,            // mod_proxy_hcheck
	probeListeners: func(live []byte) []string {
		var addrs []string
		for _, m := range apacheListen.FindAllSubmatch(live, -1) {
			addrs = append(addrs, string(m[1]))
		}
		return addrs
	},
}

// apacheListen matches the Listen lines of a rendered httpd.conf.
var apacheListen = regexp.MustCompile(`(?m)^Listen (\S+)`)
