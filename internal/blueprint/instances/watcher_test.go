package instances

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
)

// The watcher reacts to wall-clock time, and a loaded machine can stall
// any goroutine for longer than a short debounce. These tests therefore
// wait for conditions with a deadline that only a broken watcher reaches,
// and never sleep a fixed time to let it catch up.
const callbackDeadline = 30 * time.Second

// callbacks records each run of onChange with what it saw under dir, as
// discovery would: a change is noticed when a run sees it.
type callbacks struct {
	dir  string
	runs chan []string
}

func newCallbacks(dir string) *callbacks {
	return &callbacks{dir: dir, runs: make(chan []string, 100)}
}

func (c *callbacks) onChange(context.Context) {
	var seen []string
	_ = filepath.WalkDir(c.dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && p != c.dir {
			rel, _ := filepath.Rel(c.dir, p)
			seen = append(seen, filepath.ToSlash(rel))
		}
		return nil
	})
	c.runs <- seen
}

// waitFor fails the test unless a run that sees want comes before the
// deadline ("-name" wants name gone). Earlier runs, late ones of a
// previous change on a stalled machine, are skipped.
func (c *callbacks) waitFor(t *testing.T, after, want string) {
	t.Helper()
	deadline := time.After(callbackDeadline)
	for {
		select {
		case seen := <-c.runs:
			if name, gone := want[1:], want[0] == '-'; gone && !slices.Contains(seen, name) ||
				!gone && slices.Contains(seen, want) {
				return
			}
		case <-deadline:
			t.Fatalf("no callback saw %s after %s", want, after)
		}
	}
}

// quiet reports whether no run starts for d.
func (c *callbacks) quiet(d time.Duration) bool {
	select {
	case <-c.runs:
		return false
	case <-time.After(d):
		return true
	}
}

func writeFile(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("version: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestWatcher(t *testing.T) {
	dir := t.TempDir()

	// Several writes in quick succession, right after the watcher starts,
	// are one callback. "Quick" means within the debounce, which a stalled
	// machine can exceed; a split burst is retried with a longer debounce,
	// so an idle machine runs this once and a broken debounce still fails.
	var (
		w       *Watcher
		changes *callbacks
		err     error
	)
	for debounce := 50 * time.Millisecond; ; debounce *= 2 {
		changes = newCallbacks(dir)
		if w, err = Watch(context.Background(), dir, debounce, changes.onChange); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			writeFile(t, filepath.Join(dir, "a.yaml"))
		}
		changes.waitFor(t, "writes", "a.yaml")
		if changes.quiet(4 * debounce) {
			break
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if debounce >= 800*time.Millisecond {
			t.Fatalf("writes were not debounced into one callback, even with a %v debounce", debounce)
		}
		t.Logf("writes gave several callbacks with a %v debounce (machine stalled?); retrying with a longer one", debounce)
	}
	defer w.Close()

	// New folders are watched as they appear: the run that sees the folder
	// starts after the watcher added it, so the write that follows is seen.
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	changes.waitFor(t, "mkdir", "sub")
	writeFile(t, filepath.Join(dir, "sub", "b.yaml"))
	changes.waitFor(t, "a write in a new folder", "sub/b.yaml")

	if err := os.Remove(filepath.Join(dir, "a.yaml")); err != nil {
		t.Fatal(err)
	}
	changes.waitFor(t, "a removal", "-a.yaml")

	if _, err := Watch(context.Background(), filepath.Join(dir, "missing"), 0, func(context.Context) {}); err == nil {
		t.Errorf("watching a missing directory succeeded")
	}
}

// TestWatcherLostEvents: when the kernel drops events (its queue
// overflowed), the watcher cannot know what changed, so it rescans and
// watches the folders created meanwhile.
func TestWatcherLostEvents(t *testing.T) {
	dir := t.TempDir()
	changes := newCallbacks(dir)
	w, err := Watch(context.Background(), dir, 10*time.Millisecond, changes.onChange)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	// A folder the watcher no longer watches stands for one whose
	// creation event was lost; the overflow report comes after it.
	if err := os.Mkdir(filepath.Join(dir, "lost"), 0o755); err != nil {
		t.Fatal(err)
	}
	changes.waitFor(t, "mkdir", "lost")
	if err := w.w.Remove(filepath.Join(dir, "lost")); err != nil {
		t.Fatal(err)
	}
	w.w.Errors <- fsnotify.ErrEventOverflow
	changes.waitFor(t, "an overflow", "lost")
	writeFile(t, filepath.Join(dir, "lost", "c.yaml"))
	changes.waitFor(t, "a write in a folder created while events were lost", "lost/c.yaml")
}
