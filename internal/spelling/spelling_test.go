package spelling

import "testing"

func TestDistance(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want int
	}{
		{"equal", "flows", "flows", 0},
		{"empty left", "", "abc", 3},
		{"empty right", "abc", "", 3},
		{"one insertion", "flow", "flows", 1},
		{"one substitution", "slug", "slog", 1},
		{"transposition is two edits", "nmae", "name", 2},
		{"unrelated", "nope", "roles", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Distance(tt.a, tt.b); got != tt.want {
				t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
			if got := Distance(tt.b, tt.a); got != tt.want {
				t.Errorf("Distance(%q, %q) = %d, want %d (symmetry)", tt.b, tt.a, got, tt.want)
			}
		})
	}
}
