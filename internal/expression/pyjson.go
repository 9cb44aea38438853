package expression

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"

	"go.starlark.net/starlark"
)

// pythonClass names host values as Python would in a TypeError.
func pythonClass(v starlark.Value) string {
	switch v.(type) {
	case *starlark.Set:
		return "set"
	case *starlark.Function, *starlark.Builtin:
		return "function"
	}
	return v.Type()
}

// PythonJSON is json.dumps(v) (indent > 0: json.dumps(v, indent=indent)):
// the same separators, ASCII escaping, float and key rendering, and the
// same TypeError message for values JSON cannot hold.
func PythonJSON(v starlark.Value, indent int) (string, error) {
	var b strings.Builder
	if err := writeJSON(&b, v, indent, 0); err != nil {
		return "", err
	}
	return b.String(), nil
}

func writeJSON(b *strings.Builder, v starlark.Value, indent, depth int) error {
	if depth > 100 {
		return fmt.Errorf("Circular reference detected")
	}
	newline := func(d int) {
		if indent > 0 {
			b.WriteByte('\n')
			b.WriteString(strings.Repeat(" ", indent*d))
		}
	}
	itemSep := ", "
	if indent > 0 {
		itemSep = ","
	}
	switch x := v.(type) {
	case starlark.NoneType:
		b.WriteString("null")
	case starlark.Bool:
		b.WriteString(map[bool]string{true: "true", false: "false"}[bool(x)])
	case starlark.Int:
		b.WriteString(x.String())
	case starlark.Float:
		b.WriteString(jsonFloat(float64(x)))
	case starlark.String:
		writeJSONString(b, string(x))
	case *starlark.List, starlark.Tuple:
		seq := x.(starlark.Indexable)
		if seq.Len() == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteByte('[')
		for i := 0; i < seq.Len(); i++ {
			if i > 0 {
				b.WriteString(itemSep)
			}
			newline(depth + 1)
			if err := writeJSON(b, seq.Index(i), indent, depth+1); err != nil {
				return err
			}
		}
		newline(depth)
		b.WriteByte(']')
	case *starlark.Dict:
		items := x.Items()
		if len(items) == 0 {
			b.WriteString("{}")
			return nil
		}
		b.WriteByte('{')
		for i, item := range items {
			if i > 0 {
				b.WriteString(itemSep)
			}
			newline(depth + 1)
			key, err := jsonKey(item[0])
			if err != nil {
				return err
			}
			writeJSONString(b, key)
			b.WriteString(": ")
			if err := writeJSON(b, item[1], indent, depth+1); err != nil {
				return err
			}
		}
		newline(depth)
		b.WriteByte('}')
	default:
		return fmt.Errorf("Object of type %s is not JSON serializable", pythonClass(v))
	}
	return nil
}

func jsonKey(k starlark.Value) (string, error) {
	switch x := k.(type) {
	case starlark.String:
		return string(x), nil
	case starlark.Int:
		return x.String(), nil
	case starlark.Float:
		return jsonFloat(float64(x)), nil
	case starlark.Bool:
		return map[bool]string{true: "true", false: "false"}[bool(x)], nil
	case starlark.NoneType:
		return "null", nil
	}
	return "", fmt.Errorf("keys must be str, int, float, bool or None, not %s", pythonClass(k))
}

func jsonFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return pyFloat(f)
}

// writeJSONString escapes as Python's json module with ensure_ascii=True.
func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r >= 0x20 && r < 0x7f:
				b.WriteRune(r)
			case r > 0xffff:
				r1, r2 := utf16.EncodeRune(r)
				b.WriteString(`\u` + hex4(r1) + `\u` + hex4(r2))
			default:
				b.WriteString(`\u` + hex4(r))
			}
		}
	}
	b.WriteByte('"')
}

func hex4(r rune) string {
	s := strconv.FormatInt(int64(r), 16)
	return strings.Repeat("0", 4-len(s)) + s
}
