package sqldb

import "testing"

// TestIdentQuotesLikeQuote: the builder's in-place quoting writes what
// Quote returns, an embedded quote doubled included.
func TestIdentQuotesLikeQuote(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "authentik_core_user", `"authentik_core_user"`},
		{"empty", "", `""`},
		{"embedded quote", `a"b`, `"a""b"`},
		{"non-ASCII", "héllo", `"héllo"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b builder
			b.ident(tc.in)
			if got := b.buf.String(); got != tc.want || got != Quote(tc.in) {
				t.Fatalf("ident(%q) = %s, Quote = %s, want %s", tc.in, got, Quote(tc.in), tc.want)
			}
		})
	}
}
