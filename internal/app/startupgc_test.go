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
		wantDuring int
	}{
		{name: "raised", wantDuring: startupGCPercent},
		{name: "nested opens restore after the last", nested: true, wantDuring: startupGCPercent},
		{name: "explicit GOGC is left alone", gogc: "50", wantDuring: 100},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := debug.SetGCPercent(100)
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
			if got := debug.SetGCPercent(-1); got != 100 {
				t.Errorf("GC percent after start-up %d, want 100", got)
			}
		})
	}
}
