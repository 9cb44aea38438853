package notify

import (
	"encoding/json"
	"fmt"
	"github.com/akgo/akgo/internal/expression"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Summary is the notification body authentik derives from an event: the
// context's "message" when there is one, else "action: <context>" with the
// context rendered as Python prints a dict. Receivers parse that text
// (webhook bridges split on the first ": "), so the rendering follows
// Python's repr and PostgreSQL's jsonb key order, which is what authentik
// reads the context back with.
func (e *Event) Summary() string {
	if msg, ok := e.Context["message"]; ok {
		if s, ok := msg.(string); ok {
			return s
		}
		return PyRepr(msg)
	}
	return e.Action + ": " + PyRepr(e.Context)
}

// JSONBKeys orders object keys as PostgreSQL's jsonb stores them: shorter
// keys first, then bytewise.
func JSONBKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if len(keys[i]) != len(keys[j]) {
			return len(keys[i]) < len(keys[j])
		}
		return keys[i] < keys[j]
	})
	return keys
}

// PyRepr renders a decoded JSON value as Python's repr() renders the value
// json.loads would produce.
func PyRepr(v any) string {
	var b strings.Builder
	pyRepr(&b, v)
	return b.String()
}

func pyRepr(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("None")
	case bool:
		if x {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case string:
		b.WriteString(expression.QuotePython(x))
	case json.Number:
		b.WriteString(pyNumber(string(x)))
	case float64:
		b.WriteString(pyFloat(x))
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			pyRepr(b, e)
		}
		b.WriteByte(']')
	case map[string]any:
		b.WriteByte('{')
		for i, k := range JSONBKeys(x) {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(expression.QuotePython(k))
			b.WriteString(": ")
			pyRepr(b, x[k])
		}
		b.WriteByte('}')
	default:
		b.WriteString(expression.QuotePython(fmt.Sprint(x)))
	}
}

// pyNumber renders a JSON number as Python does after json.loads: integers
// stay integers, anything with a fraction or exponent becomes a float.
func pyNumber(s string) string {
	if !strings.ContainsAny(s, ".eE") {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	return pyFloat(f)
}

// pyFloat is Python's float repr: the shortest round-tripping digits,
// positional between 1e-4 and 1e16, scientific outside, always with a
// fraction or exponent.
func pyFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	if f != 0 {
		exp := math.Floor(math.Log10(math.Abs(f)))
		if exp < -4 || exp >= 16 {
			// Go writes at least two exponent digits, as Python does.
			return strconv.FormatFloat(f, 'e', -1, 64)
		}
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}
