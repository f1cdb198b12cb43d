package servers

import (
	"path/filepath"
	"syscall"
)

var haproxyServer = server{
	binaries: []string{"haproxy"},
	checkArgs: func(dir, name string) []string {
		return []string{"-c", "-f", filepath.Join(dir, name)}
	},
	runArgs: func(dir, file string) []string {
		return []string{"-f", filepath.Join(dir, file), "-db"}
	},
	reload:      syscall.SIGUSR2, // master-worker mode; SIGUSR1 would stop it
	checksNodes: true,            // option httpchk
	// An old worker, told to stop once its successor listens, closes its
	// listening sockets (seen on Linux).
	stillAccepts:                  listening,
	reportsFailedLoadOnOutputOnly: true,
}
