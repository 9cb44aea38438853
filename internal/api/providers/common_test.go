package providers

import "testing"

func TestSlugify(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"spaces and case", "My SCIM Provider", "my-scim-provider"},
		{"punctuation dropped", "Prod (EU) / #1!", "prod-eu-1"},
		{"accents folded", "Crème Brûlée", "creme-brulee"},
		{"non-latin dropped", "日本 sync", "sync"},
		{"runs collapsed, ends trimmed", "  --a  _b--  ", "a-_b"},
		{"underscores kept", "ldap_source", "ldap_source"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := slugify(tc.in); got != tc.want {
				t.Errorf("slugify(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
