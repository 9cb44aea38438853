package app

import (
	"runtime/debug"
	"testing"
)

func TestSetGCPercent(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	cases := []struct {
		name    string
		percent int
		env     map[string]string
		want    int
	}{
		{name: "applied", percent: 400, want: 400},
		{name: "GOGC wins", percent: 400, env: map[string]string{"GOGC": "150"}, want: 100},
		{name: "empty GOGC is unset", percent: 300, env: map[string]string{"GOGC": ""}, want: 300},
		{name: "zero leaves it alone", percent: 0, want: 100},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// What the runtime would have taken from GOGC, or its default.
			debug.SetGCPercent(100)
			env := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
			if got := SetGCPercent(tc.percent, env); got != tc.want {
				t.Errorf("SetGCPercent = %d, want %d", got, tc.want)
			}
			if got := debug.SetGCPercent(100); got != tc.want {
				t.Errorf("runtime target %d, want %d", got, tc.want)
			}
		})
	}
}
