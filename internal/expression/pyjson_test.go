package expression

import (
	"context"
	"strings"
	"testing"
)

func TestPythonJSON(t *testing.T) {
	cases := []struct {
		name   string
		src    string
		indent int
		want   string
		err    string
	}{
		{"separators and order", `return {"b": 1, "a": [1, 2.5, None, True]}`, 0, `{"b": 1, "a": [1, 2.5, null, true]}`, ""},
		{"indent", `return {"a": [1], "e": {}, "l": []}`, 4, "{\n    \"a\": [\n        1\n    ],\n    \"e\": {},\n    \"l\": []\n}", ""},
		{"ascii escaping", `return "é\n\"😀"`, 0, `"\u00e9\n\"\ud83d\ude00"`, ""},
		{"floats", `return [1.0, 1e16, 0.0001, 1e-05, 123456789.125]`, 0, `[1.0, 1e+16, 0.0001, 1e-05, 123456789.125]`, ""},
		{"tuple and keys", `return {1: (1, 2), None: False, True: "x"}`, 0, `{"1": [1, 2], "null": false, "true": "x"}`, ""},
		{"not serializable", `return request.user`, 0, "", "Object of type User is not JSON serializable"},
		{"set not serializable", `return set([1])`, 0, "", "Object of type set is not JSON serializable"},
		{"bad key", `return {(1,): 2}`, 0, "", "keys must be str, int, float, bool or None, not tuple"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, admin, _ := newFixture()
			out, err := newEvaluator(d).Run(context.Background(), Call{Source: tc.src, Vars: map[string]any{"request": &Request{User: admin}}})
			if err != nil {
				t.Fatal(err)
			}
			got, err := out.JSON(tc.indent)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q (%v), want %q", got, err, tc.want)
			}
		})
	}
}

func TestPythonStrRepr(t *testing.T) {
	runCases(t, []exprCase{
		{"str of list", `return str(["a", 1, None, True, 1.5])`, `"['a', 1, None, True, 1.5]"`, ""},
		{"repr of string with quote", `return repr("it's")`, `"\"it's\""`, ""},
		{"str of dict and tuple", `return str({"k": (1,)})`, `"{'k': (1,)}"`, ""},
		{"f-string of list", `return f"{[g.name for g in request.user.ak_groups.all()]}"`, `"['editors']"`, ""},
		{"repr of user", `return repr(request.user)`, `"<User: akadmin>"`, ""},
		{"format helpers", `return [f"{-3.5:+.1f}", f"{255:#x}", f"{0.25:.0%}", f"{'x':*^5}", f"{1e20:g}", f"{12:b}"]`,
			`["-3.5", "0xff", "25%", "**x**", "1e+20", "1100"]`, ""},
		{"bad format spec", `return f"{'x':d}"`, "", "Unknown format code 'd'"},
	})
}
