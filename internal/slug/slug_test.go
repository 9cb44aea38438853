package slug_test

import (
	"testing"

	"github.com/akgo/akgo/internal/slug"
)

func TestMake(t *testing.T) {
	// Expected values are Django's slugify(value) (allow_unicode=False).
	cases := []struct{ name, in, want string }{
		{"spaces and case", "My Default Flow", "my-default-flow"},
		{"punctuation dropped", "Prod (EU) / #1!", "prod-eu-1"},
		{"runs collapsed", "a  - -b", "a-b"},
		{"leading and trailing stripped", "  -a b-  ", "a-b"},
		{"trailing underscore stripped", "ldap_source_", "ldap_source"},
		{"underscores and hyphens stripped at both ends", "_-a-_", "a"},
		{"inner underscores kept", "a--b__c", "a-b__c"},
		{"underscore between separators kept", "x -_- y", "x-_-y"},
		{"accents folded, other scripts dropped", "Crème 日本", "creme"},
		{"umlauts folded, sharp s dropped", "Ünïcödé Straße", "unicode-strae"},
		{"compatibility ligature decomposed", "\ufb01 ligature", "fi-ligature"},
		{"every ASCII whitespace separates", "a\tb\x1cc", "a-b-c"},
		{"empty", "", ""},
		{"nothing left", "日本!", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := slug.Make(tc.in); got != tc.want {
				t.Errorf("Make(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
