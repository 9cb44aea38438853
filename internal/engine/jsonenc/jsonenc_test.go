package jsonenc

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

type label string

// same fails unless Append writes what json.Marshal writes for v.
func same(t *testing.T, v any) {
	t.Helper()
	want, wantErr := json.Marshal(v)
	got, err := Append([]byte("prefix"), v)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("%#v: error %v, encoding/json %v", v, err, wantErr)
	}
	if err != nil {
		if string(got) != "prefix" {
			t.Fatalf("%#v: failed encoding left %q", v, got)
		}
		return
	}
	if string(got) != "prefix"+string(want) {
		t.Fatalf("%#v:\n got %s\nwant %s", v, got[len("prefix"):], want)
	}
}

func TestAppendMatchesEncodingJSON(t *testing.T) {
	var allASCII strings.Builder
	for b := 0; b < 128; b++ {
		allASCII.WriteByte(byte(b))
	}
	cases := []struct {
		name string
		v    any
	}{
		{"nil", nil},
		{"strings", []any{"", "plain", allASCII.String(), "<script>&amp;</script>", "é ü 日本 🎉", "\u2028\u2029", "bad \xff\xfe utf8", "\x00\x1f\x7f"}},
		{"numbers", []any{0.0, math.Copysign(0, -1), 1.0, -1.5, 123.456, 1e-6, 1e-7, 9.99e-7, 1e20, 1e21, 1.5e300, -2.5e-300, 12345678901234567.0, math.MaxFloat64, math.SmallestNonzeroFloat64}},
		{"ints", []any{0, -1, math.MaxInt64, int64(math.MinInt64), int32(-7), int64(42)}},
		{"booleans", []any{true, false}},
		{"maps sort their keys", map[string]any{"b": 1.0, "a": "x", "A": nil, "aa": []any{}, "<": true, "é": false, "": "empty"}},
		{"nested", map[string]any{"results": []any{map[string]any{"pk": "x", "groups_obj": []any{map[string]any{"name": "g"}}, "attributes": map[string]any{}}}}},
		{"objects of one size with other keys", []any{map[string]any{"a": 1, "b": map[string]any{"x": 1, "y": 2}}, map[string]any{"a": 1, "c": 2},
			map[string]any{"a": map[string]any{"a": 1, "c": 2}, "b": 3}, map[string]any{"b": 1, "a": []any{map[string]any{"a": 1, "d": 2}}}, map[string]any{"x": 1, "y": 2}}},
		{"more shapes than remembered", []any{map[string]any{"a": 1}, map[string]any{"b": 1}, map[string]any{"c": 1}, map[string]any{"d": 1}, map[string]any{"e": 1},
			map[string]any{"f": 1}, map[string]any{"g": 1}, map[string]any{"h": 1}, map[string]any{"i": 1}, map[string]any{"a": 1}, map[string]any{"i": 2}}},
		{"nil containers", map[string]any{"m": map[string]any(nil), "s": []any(nil), "ms": map[string]string(nil), "ss": []string(nil)}},
		{"typed containers", map[string]any{"ms": map[string]string{"z": "<", "a": "b"}, "ss": []string{"x", "&"},
			"objects": []map[string]any{{"b": 1, "a": nil}, nil}, "no objects": []map[string]any(nil)}},
		{"raw messages are compacted and escaped", map[string]any{"raw": json.RawMessage(`{"a": [1, 2],  "b": "<x>"}`), "null": json.RawMessage(nil)}},
		{"invalid raw message", json.RawMessage(`{"a":`)},
		{"other types go to encoding/json", map[string]any{"t": time.Date(2024, 1, 2, 3, 4, 5, 6000, time.UTC), "l": label("x<"), "n": json.Number("1.50"), "f32": float32(0.1), "u": uint8(7)}},
		{"NaN fails", map[string]any{"a": []any{math.NaN()}}},
		{"infinity fails", math.Inf(1)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { same(t, tc.v) })
	}
}

// TestAppendRandom compares random documents built from the types the
// engine uses.
func TestAppendRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune("aZ09 \"\\/<>&\n\t\x01\x7fé日🎉\u2028")
	str := func() string {
		n := r.IntN(12)
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteRune(alphabet[r.IntN(len(alphabet))])
		}
		if r.IntN(20) == 0 {
			b.WriteString("\xc3") // a truncated sequence
		}
		return b.String()
	}
	var value func(depth int) any
	value = func(depth int) any {
		k := r.IntN(9)
		if depth > 3 && k >= 6 {
			k = r.IntN(6)
		}
		switch k {
		case 0:
			return nil
		case 1:
			return str()
		case 2:
			return r.IntN(2) == 0
		case 3:
			return (r.Float64() - 0.5) * math.Pow(10, float64(r.IntN(50)-25))
		case 4:
			return r.Int64() >> r.IntN(64)
		case 5:
			return float64(r.IntN(1000))
		case 6:
			m := map[string]any{}
			for i := r.IntN(6); i > 0; i-- {
				m[str()] = value(depth + 1)
			}
			return m
		case 7:
			s := []any{}
			for i := r.IntN(6); i > 0; i-- {
				s = append(s, value(depth+1))
			}
			return s
		default:
			return map[string]string{str(): str(), str(): str()}
		}
	}
	for i := 0; i < 3000; i++ {
		same(t, value(0))
	}
}

func BenchmarkPage(b *testing.B) {
	page := []any{}
	for i := 0; i < 100; i++ {
		page = append(page, map[string]any{"pk": float64(i), "username": "bench-user", "name": "User <x>", "is_active": true,
			"groups": []any{}, "attributes": map[string]any{}, "email": "", "uid": strings.Repeat("ab", 32), "path": "users", "type": "internal"})
	}
	v := map[string]any{"pagination": map[string]any{"count": 10000, "next": 2}, "results": page}
	b.Run("jsonenc", func(b *testing.B) {
		for b.Loop() {
			_, _ = Append(nil, v)
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			_, _ = json.Marshal(v)
		}
	})
}
