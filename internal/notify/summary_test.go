package notify_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/notify"
)

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return m
}

func TestPyRepr(t *testing.T) {
	cases := []struct {
		name string
		json string
		want string
	}{
		{"jsonb key order", `{"model_name": "flow", "pk": "ab", "app": "authentik_flows", "name": "x"}`,
			`{'pk': 'ab', 'app': 'authentik_flows', 'name': 'x', 'model_name': 'flow'}`},
		{"scalars", `{"t": true, "f": false, "n": null, "i": 5, "x": 5.0, "e": 1e20, "s": 0.00001}`,
			`{'e': 1e+20, 'f': False, 'i': 5, 'n': None, 's': 1e-05, 't': True, 'x': 5.0}`},
		{"nested list", `{"l": [1, "a", {"b": []}]}`, `{'l': [1, 'a', {'b': []}]}`},
		{"quote switching", `{"a": "it's", "b": "say \"hi\"", "c": "both ' and \""}`,
			`{'a': "it's", 'b': 'say "hi"', 'c': 'both \' and "'}`},
		{"escapes", `{"a": "line\nbreak\ttab\\slash\u0001"}`, `{'a': 'line\nbreak\ttab\\slash\x01'}`},
		{"unicode kept", `{"a": "héllo ✓"}`, `{'a': 'héllo ✓'}`},
		{"empty", `{}`, `{}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := notify.PyRepr(decode(t, tc.json)); got != tc.want {
				t.Fatalf("PyRepr = %s\nwant      %s", got, tc.want)
			}
		})
	}
}

func TestSummary(t *testing.T) {
	cases := []struct {
		name    string
		action  string
		context string
		want    string
	}{
		{"message wins", "login_failed", `{"message": "Invalid credentials", "username": "x"}`, "Invalid credentials"},
		{"action and context", "model_created", `{"model": {"app": "authentik_core", "pk": 1}}`,
			"model_created: {'model': {'pk': 1, 'app': 'authentik_core'}}"},
		{"empty context", "logout", `{}`, "logout: {}"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := &notify.Event{Action: tc.action, Context: decode(t, tc.context)}
			if got := ev.Summary(); got != tc.want {
				t.Fatalf("Summary = %q, want %q", got, tc.want)
			}
		})
	}
}
