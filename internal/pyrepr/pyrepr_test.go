package pyrepr

import "testing"

// The wants are what CPython 3.11 prints for repr() of the same string.
func TestQuote(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "abc", `'abc'`},
		{"empty", "", `''`},
		{"single quote switches to double", "it's", `"it's"`},
		{"both quotes keep single and escape it", `it's "x"`, `'it\'s "x"'`},
		{"backslash", `a\b`, `'a\\b'`},
		{"newline tab return", "a\nb\tc\rd", `'a\nb\tc\rd'`},
		{"control characters", "\x00\x1f\x7f", `'\x00\x1f\x7f'`},
		{"latin-1 non-printable", "\u0085", `'\x85'`},
		{"printable non-ASCII kept", "héllo ✓", `'héllo ✓'`},
		{"BMP non-printable", "\u2028", `'\u2028'`},
		{"astral non-printable", "\U000e0001", `'\U000e0001'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Quote(tt.in); got != tt.want {
				t.Errorf("Quote(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}
