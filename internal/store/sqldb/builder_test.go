package sqldb

import (
	"math"
	"reflect"
	"testing"

	"github.com/akgo/akgo/internal/store"
)

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

// TestSameCondIsDeepEqual: the fold's condition comparison answers as
// reflect.DeepEqual does.
func TestSameCondIsDeepEqual(t *testing.T) {
	eq := store.Eq
	tests := []struct {
		name string
		a, b store.Cond
	}{
		{"same comparison", eq("slug", "x"), eq("slug", "x")},
		{"other value", eq("slug", "x"), eq("slug", "y")},
		{"other column", eq("slug", "x"), eq("name", "x")},
		{"other operator", store.CmpCond{Column: "id", Op: "=", Value: int64(1)}, store.CmpCond{Column: "id", Op: "<", Value: int64(1)}},
		{"int and int64", eq("id", 1), eq("id", int64(1))},
		{"NaN", eq("f", math.NaN()), eq("f", math.NaN())},
		{"nil values", eq("f", nil), eq("f", nil)},
		{"slice values", store.CmpCond{Column: "j", Op: "=", Value: []any{"a"}}, store.CmpCond{Column: "j", Op: "=", Value: []any{"a"}}},
		{"conjunctions", store.AndCond{eq("id", int64(2)), store.NotCond{Cond: eq("username", "AnonymousUser")}},
			store.AndCond{eq("id", int64(2)), store.NotCond{Cond: eq("username", "AnonymousUser")}}},
		{"conjunctions differing inside a negation", store.AndCond{store.NotCond{Cond: eq("a", "x")}}, store.AndCond{store.NotCond{Cond: eq("a", "y")}}},
		{"nil and empty conjunction", store.AndCond(nil), store.AndCond{}},
		{"different kinds", eq("a", "x"), store.NotCond{Cond: eq("a", "x")}},
		{"other conditions", store.InCond{Column: "a", Values: []any{"x"}}, store.InCond{Column: "a", Values: []any{"x"}}},
		{"nil conditions", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := sameCond(tc.a, tc.b), reflect.DeepEqual(tc.a, tc.b); got != want {
				t.Fatalf("sameCond = %v, reflect.DeepEqual = %v", got, want)
			}
		})
	}
}
