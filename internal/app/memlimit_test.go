package app

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestSetMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(before)
	cases := []struct {
		name  string
		limit int64
		env   map[string]string
		want  int64
	}{
		{name: "applied", limit: 400 << 20, want: 400 << 20},
		{name: "GOMEMLIMIT wins", limit: 400 << 20, env: map[string]string{"GOMEMLIMIT": "1GiB"}, want: math.MaxInt64},
		{name: "empty GOMEMLIMIT is unset", limit: 300 << 20, env: map[string]string{"GOMEMLIMIT": ""}, want: 300 << 20},
		{name: "off", limit: 0, want: math.MaxInt64},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetMemoryLimit(math.MaxInt64)
			env := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
			if got := SetMemoryLimit(tc.limit, env); got != tc.want {
				t.Errorf("SetMemoryLimit = %d, want %d", got, tc.want)
			}
			if got := debug.SetMemoryLimit(-1); got != tc.want {
				t.Errorf("runtime limit %d, want %d", got, tc.want)
			}
		})
	}
}
