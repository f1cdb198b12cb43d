package servers

import (
	"os"
	"strings"
	"syscall"
)

var nginxServer = server{
	binaries: []string{"nginx"},
	checkArgs: func(dir, name string) []string {
		return []string{"-t", "-p", dir + "/", "-c", name, "-e", "stderr"}
	},
	runArgs: func(dir, file string) []string {
		global := "daemon off;"
		if os.Geteuid() == 0 {
			// As root nginx runs workers as nobody, who cannot enter a
			// directory under a 0700 parent such as os.MkdirTemp's; keep
			// them as the directory's owner.
			global += " user root;"
		}
		return []string{"-p", dir + "/", "-c", file, "-e", "stderr", "-g", global}
	},
	reload: syscall.SIGHUP, // what nginx -s reload sends
	// Open-source nginx has no active health checks.
	checksNodes: false,
	rootWorkers: "nobody",
	// nginx retitles a worker that began to shut down.
	stillAccepts: func(pid int) bool {
		title := title(pid)
		return title != "" && !strings.Contains(title, "shutting down")
	},
}
