package app

import "runtime/debug"

// SetGCPercent makes percent (AKGO_GC_PERCENT) the garbage collector's
// target, unless GOGC is set: the runtime applied that one at start and
// it wins. It returns the target in effect.
func SetGCPercent(percent int, env func(string) (string, bool)) int {
	if v, ok := env("GOGC"); (ok && v != "") || percent <= 0 {
		prev := debug.SetGCPercent(100)
		debug.SetGCPercent(prev)
		return prev
	}
	debug.SetGCPercent(percent)
	return percent
}
