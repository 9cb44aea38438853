package app

import "runtime/debug"

// SetMemoryLimit makes limit (AKGO_MEMORY_LIMIT, bytes) the Go runtime's
// soft memory limit, unless GOMEMLIMIT is set: the runtime applied that
// one at start and it wins. 0 leaves the limit alone. It returns the
// limit in effect (math.MaxInt64 when there is none).
func SetMemoryLimit(limit int64, env func(string) (string, bool)) int64 {
	if v, ok := env("GOMEMLIMIT"); (ok && v != "") || limit <= 0 {
		return debug.SetMemoryLimit(-1)
	}
	debug.SetMemoryLimit(limit)
	return limit
}
