package zxcvbn_test

import (
	"reflect"
	"testing"

	upstream "github.com/trustelem/zxcvbn"

	"github.com/akgo/akgo/internal/policies/zxcvbn"
)

// TestSameAsUpstream: the copy with lazily built dictionaries scores and
// explains passwords exactly as upstream does.
func TestSameAsUpstream(t *testing.T) {
	cases := []struct {
		password string
		inputs   []string
	}{
		{"", nil},
		{"password", nil},
		{"P@ssw0rd!", nil},
		{"correcthorsebatterystaple", nil},
		{"qwertyuiop", nil},
		{"zxcvbn", nil},
		{"1234567890", nil},
		{"abcabcabcabc", nil},
		{"aaaaaaaaaaa", nil},
		{"19880812", nil},
		{"12/25/1991", nil},
		{"Tr0ub4dour&3", nil},
		{"dr4g0nbAll1992", nil},
		{"akadmin2024", []string{"akadmin", "admin@example.org"}},
		{"jane.doe.secret", []string{"jane", "doe", "jane.doe@example.org"}},
		{"coRrecth0rseba++ery9.23.2007staple$", nil},
		{"ÄÖÜäöüß-unicode-Passwort", nil},
		{"\xff\xfe invalid utf8", nil},
		{"x9$Lq!2vR#8mZ@4w", nil},
	}
	for _, tc := range cases {
		t.Run(tc.password, func(t *testing.T) {
			got := zxcvbn.PasswordStrength(tc.password, tc.inputs)
			want := upstream.PasswordStrength(tc.password, tc.inputs)
			if got.Score != want.Score || got.Guesses != want.Guesses {
				t.Fatalf("score %d guesses %v, upstream %d %v", got.Score, got.Guesses, want.Score, want.Guesses)
			}
			if !reflect.DeepEqual(got.Sequence, want.Sequence) {
				t.Fatalf("sequence differs from upstream")
			}
		})
	}
}
