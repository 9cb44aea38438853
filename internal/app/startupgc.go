package app

import (
	"runtime/debug"
	"sync"
)

// startupGCPercent is the garbage collector's target during Open. Parsing
// the API schema and building the first objects allocate a lot of
// short-lived memory; at GOGC=100 collecting it was about a third of the
// CPU start-up took. The heap may grow further meanwhile (the soft memory
// limit still applies), and Open hands the memory back to the OS once it
// is ready.
const startupGCPercent = 400

// startupGC counts the Opens in progress, so overlapping ones (tests)
// restore the setting that was in effect before the first.
var startupGC struct {
	sync.Mutex
	active int
	prev   int
}

// relaxGC raises the collector's target for start-up to at least
// startupGCPercent, unless GOGC was set explicitly, and returns the
// function that restores it (idempotent). akserver's own target
// (AKGO_GC_PERCENT, 400 by default) is usually as high already; processes
// that embed the server (tests) run at Go's default otherwise.
func relaxGC(getenv func(string) string) (restore func()) {
	if getenv("GOGC") != "" {
		return func() {}
	}
	startupGC.Lock()
	if startupGC.active == 0 {
		startupGC.prev = debug.SetGCPercent(startupGCPercent)
		if startupGC.prev > startupGCPercent {
			debug.SetGCPercent(startupGC.prev) // already more relaxed (AKGO_GC_PERCENT)
		}
	}
	startupGC.active++
	startupGC.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			startupGC.Lock()
			defer startupGC.Unlock()
			if startupGC.active--; startupGC.active == 0 {
				debug.SetGCPercent(startupGC.prev)
			}
		})
	}
}
