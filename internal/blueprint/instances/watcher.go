package instances

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// DefaultDebounce is how long the watcher waits after the last change
// before it runs discovery: editors and ConfigMap updates write a file in
// several steps.
const DefaultDebounce = 500 * time.Millisecond

// Watcher runs a callback after changes under the blueprint directory.
type Watcher struct {
	w    *fsnotify.Watcher
	dir  string
	done chan struct{}
	stop context.CancelFunc
}

// Watch starts watching dir and every folder below it (new folders are
// added as they appear) and calls onChange once changes have settled for
// debounce. Create, write, remove and rename events all count, so a
// deleted file is noticed too (discovery marks its instance orphaned), as
// are Kubernetes ConfigMap updates, which swap a symbolic link.
// A missing dir is an error; the caller decides whether that matters.
func Watch(ctx context.Context, dir string, debounce time.Duration, onChange func(context.Context)) (*Watcher, error) {
	if debounce <= 0 {
		debounce = DefaultDebounce
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", dir, err)
	}
	if err := addTree(fw, dir); err != nil {
		fw.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	w := &Watcher{w: fw, dir: dir, done: make(chan struct{}), stop: cancel}
	go w.loop(ctx, debounce, onChange)
	return w, nil
}

// addTree watches dir and its folders; hidden ones are watched too, since
// a ConfigMap's ..data folder is where the content really changes.
func addTree(fw *fsnotify.Watcher, dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir {
				return err
			}
			return nil
		}
		if d.IsDir() {
			if err := fw.Add(p); err != nil {
				return fmt.Errorf("watch %s: %w", p, err)
			}
		}
		return nil
	})
}

func (w *Watcher) loop(ctx context.Context, debounce time.Duration, onChange func(context.Context)) {
	defer close(w.done)
	timer := time.NewTimer(debounce)
	timer.Stop()
	finished := make(chan struct{})
	busy, dirty := false, false
	defer func() {
		timer.Stop()
		if busy {
			<-finished
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.w.Events:
			if !ok {
				return
			}
			if ev.Has(fsnotify.Create) {
				if st, err := os.Stat(ev.Name); err == nil && st.IsDir() {
					_ = addTree(w.w, ev.Name)
				}
			}
			if ev.Op == fsnotify.Chmod {
				continue // metadata only
			}
			timer.Reset(debounce)
		case <-timer.C:
			if busy {
				dirty = true // run again once the current run ends
				continue
			}
			busy = true
			go func() {
				defer func() { finished <- struct{}{} }()
				onChange(ctx)
			}()
		case <-finished:
			busy = false
			if dirty {
				dirty = false
				timer.Reset(debounce)
			}
		case _, ok := <-w.w.Errors:
			if !ok {
				return
			}
			// Events may have been lost (inotify's queue overflows under a
			// burst of changes), among them the creation of a folder that
			// is then not watched: watch the tree again and rescan, as
			// discovery reads every file anyway.
			_ = addTree(w.w, w.dir)
			timer.Reset(debounce)
		}
	}
}

// Close stops the watcher and waits for a running callback.
func (w *Watcher) Close() error {
	if w == nil {
		return nil
	}
	w.stop()
	err := w.w.Close()
	<-w.done
	if errors.Is(err, fsnotify.ErrClosed) {
		return nil
	}
	return err
}
