package app

import (
	"runtime/debug"
	"testing"
)

func TestRelaxGC(t *testing.T) {
	cases := []struct {
		name       string
		gogc       string
		nested     bool
		before     int // the target before start-up; 0: 100
		wantDuring int
	}{
		{name: "raised", wantDuring: startupGCPercent},
		{name: "nested opens restore after the last", nested: true, wantDuring: startupGCPercent},
		{name: "explicit GOGC is left alone", gogc: "50", wantDuring: 100},
		{name: "a higher target is kept", before: 800, wantDuring: 800},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := 100
			if tc.before != 0 {
				start = tc.before
			}
			before := debug.SetGCPercent(start)
			defer debug.SetGCPercent(before)
			getenv := func(k string) string {
				if k == "GOGC" {
					return tc.gogc
				}
				return ""
			}
			restore := relaxGC(getenv)
			if got := debug.SetGCPercent(-1); got != tc.wantDuring {
				t.Errorf("GC percent during start-up %d, want %d", got, tc.wantDuring)
			}
			debug.SetGCPercent(tc.wantDuring)
			if tc.nested {
				inner := relaxGC(getenv)
				restore()
				restore() // idempotent: must not end the inner one
				if got := debug.SetGCPercent(-1); got != startupGCPercent {
					t.Errorf("GC percent while another Open runs %d, want %d", got, startupGCPercent)
				}
				debug.SetGCPercent(startupGCPercent)
				restore = inner
			}
			restore()
			if got := debug.SetGCPercent(-1); got != start {
				t.Errorf("GC percent after start-up %d, want %d", got, start)
			}
		})
	}
}
