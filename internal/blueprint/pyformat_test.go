package blueprint

import (
	"math"
	"testing"
)

// TestPyPercent compares with what CPython's "fmt % tuple(args)" prints.
func TestPyPercent(t *testing.T) {
	cases := []struct {
		name   string
		format string
		args   []any
		want   string
		err    string
	}{
		{"strings", "%s-%s", []any{"a", int64(1)}, "a-1", ""},
		{"none and bools", "%s %s %r", []any{nil, true, false}, "None True False", ""},
		{"repr quotes", "%r %r %r", []any{"it's", `say "hi"`, "both ' \""}, `"it's" 'say "hi"' 'both \' "'`, ""},
		{"width and precision", "[%5s][%-5s][%.2s]", []any{"ab", "ab", "abc"}, "[   ab][ab   ][ab]", ""},
		{"ints", "%d %i %05d %+d % d %x %X %#o", []any{int64(-3), int64(4), int64(42), int64(5), int64(6), int64(255), int64(255), int64(8)}, "-3 4 00042 +5  6 ff FF 0o10", ""},
		{"int from float and bool", "%d %d", []any{3.9, true}, "3 1", ""},
		{"floats", "%f %.1f %e %g %g %G", []any{1.5, 2.25, 0.000123, 1e-5, 123456789.0, 1e20}, "1.500000 2.2 1.230000e-04 1e-05 1.23457e+08 1E+20", ""},
		{"float str", "%s %s %s %s %s", []any{1.0, 0.1, 1e16, 1e-5, 123.456}, "1.0 0.1 1e+16 1e-05 123.456", ""},
		{"inf nan", "%s %f %s", []any{math.Inf(1), math.Inf(-1), math.NaN()}, "inf -inf nan", ""},
		{"collections", "%s %s", []any{[]any{"a", int64(1), nil}, map[string]any{"k": []any{true}}}, "['a', 1, None] {'k': [True]}", ""},
		{"percent", "100%%", nil, "100%", ""},
		{"char", "%c%c", []any{int64(65), "b"}, "Ab", ""},
		{"star width", "[%*d]", []any{int64(4), int64(7)}, "[   7]", ""},
		{"too few", "%s %s", []any{"a"}, "", "not enough arguments for format string"},
		{"too many", "%s", []any{"a", "b"}, "", "not all arguments converted during string formatting"},
		{"number wanted", "%d", []any{"x"}, "", "%d format: a real number is required, not str"},
		{"integer wanted", "%x", []any{1.5}, "", "%x format: an integer is required, not float"},
		{"real wanted", "%f", []any{"x"}, "", "must be real number, not str"},
		{"mapping key", "%(a)s", []any{"x"}, "", "format requires a mapping"},
		{"bad char", "%y", []any{"x"}, "", "unsupported format character 'y' (0x79)"},
		{"incomplete", "abc%", nil, "", "incomplete format"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := pyPercent(tc.format, tc.args)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// TestResolvePlain checks YAML 1.1 typing of plain scalars (PyYAML).
func TestResolvePlain(t *testing.T) {
	cases := map[string]any{
		"": nil, "~": nil, "null": nil, "Null": nil, "NULL": nil, "nil": "nil",
		"yes": true, "No": false, "ON": true, "off": false, "y": "y", "True": true, "false": false,
		"0": int64(0), "-12": int64(-12), "+7": int64(7), "010": int64(8), "0x1F": int64(31), "0b101": int64(5), "1_000": int64(1000), "1:30": int64(90),
		"1.5": 1.5, "-.5": "-.5", ".5": 0.5, "1.5e+3": 1500.0, "1e3": "1e3", "1.0e3": "1.0e3", ".inf": math.Inf(1), "-.Inf": math.Inf(-1),
		"2023-10-01": "2023-10-01", "slug-1": "slug-1", "09": "09",
	}
	for in, want := range cases {
		got := resolvePlain(in)
		if canon(got) != canon(want) || pyTypeName(got) != pyTypeName(want) {
			t.Errorf("%q: got %#v, want %#v", in, got, want)
		}
	}
}

// TestAllowedModels: the allow-list is authentik 2023.10.4's 75 models
// (the meta model included), and the registry knows every other one.
func TestAllowedModels(t *testing.T) {
	names := AllowedModels()
	if len(names) != 75 {
		t.Errorf("%d allowed models, want 75", len(names))
	}
	for _, n := range names {
		if n != MetaApplyBlueprint && (info(n) == nil || info(n).m.Abstract) {
			t.Errorf("%s: not a concrete registry model", n)
		}
	}
}
