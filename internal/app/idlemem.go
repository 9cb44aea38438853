package app

import (
	"context"
	"net/http"
	"runtime/debug"
	"sync/atomic"
	"time"
)

// idleReleaseEvery is how often the server checks for idleness: memory a
// burst of requests used goes back to the OS between one and two periods
// after the burst ends.
const idleReleaseEvery = 2 * time.Second

// idleMemory returns the heap a busy period grew back to the OS once
// requests stop. The Go runtime keeps freed pages until its background
// scavenger gets to them (minutes), so a server that served a burst would
// otherwise sit idle at its peak size. Counting requests costs one atomic
// add each; the forced collection runs only after a whole quiet period
// that followed some requests, never while requests arrive.
type idleMemory struct {
	requests atomic.Uint64
	release  func()
}

func newIdleMemory() *idleMemory { return &idleMemory{release: debug.FreeOSMemory} }

// Wrap counts the requests next serves.
func (m *idleMemory) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.requests.Add(1)
		next.ServeHTTP(w, r)
	})
}

// Run releases memory after each tick on which no request arrived since
// the previous tick, once per quiet period, until ctx ends.
func (m *idleMemory) Run(ctx context.Context, tick <-chan time.Time) {
	// Counting from zero rather than from the count when Run starts, so
	// requests served before that still count as activity.
	var last uint64
	released := true // start-up already released its garbage
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
		n := m.requests.Load()
		if n != last {
			last, released = n, false
			continue
		}
		if !released {
			m.release()
			released = true
		}
	}
}
