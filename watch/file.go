package watch

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// watchFile sends the content of path each time it differs from the last
// content seen, starting from initial, until ctx ends. It watches the
// file's directory rather than the file, so an editor's rename-over and a
// Kubernetes ConfigMap's symlink swap (a rename of "..data") count as
// changes; events are merged for the debounce time, so a burst of writes
// is read once. A slow poll catches what a file system does not report.
// A missing or unreadable file is skipped: a swap in progress.
func watchFile(ctx context.Context, path string, initial []byte, debounce, poll time.Duration, out chan<- []byte) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	if err := w.Add(filepath.Dir(path)); err != nil {
		return err
	}
	last := initial
	settle := time.NewTimer(debounce)
	settle.Stop()
	tick := time.NewTicker(poll)
	defer tick.Stop()
	read := func() {
		data, err := os.ReadFile(path)
		if err != nil || bytes.Equal(data, last) {
			return
		}
		last = data
		select {
		case out <- data:
		case <-ctx.Done():
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-w.Events:
			settle.Reset(debounce)
		case <-w.Errors:
			// An overflowed event queue: read the file to be sure.
			settle.Reset(debounce)
		case <-settle.C:
			read()
		case <-tick.C:
			read()
		}
	}
}
