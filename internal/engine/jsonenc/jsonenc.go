package jsonenc

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Append appends the JSON encoding of v to dst, as json.Marshal would
// produce it. On error (a NaN, an unsupported type) dst is returned
// unchanged with the error.
func Append(dst []byte, v any) ([]byte, error) {
	var e encoder
	out, err := e.appendValue(dst, v)
	if err != nil {
		return dst, err
	}
	return out, nil
}

// encoder remembers the sorted key lists of the objects it wrote: the
// objects of a page share their keys, so most maps reuse an order instead
// of sorting again.
type encoder struct {
	shapes []*shape
}

// shape is one remembered key list with each key already encoded, with
// the brace or comma before it and the colon after it: key i is
// quoted[ends[i-1]:ends[i]] (from 0 for the first).
type shape struct {
	keys   []string
	quoted []byte
	ends   []int
}

func newShape(keys []string) *shape {
	size := 1
	for _, k := range keys {
		size += len(k) + 3
	}
	s := &shape{keys: keys, quoted: make([]byte, 0, size), ends: make([]int, len(keys))}
	for i, k := range keys {
		if i == 0 {
			s.quoted = append(s.quoted, '{')
		} else {
			s.quoted = append(s.quoted, ',')
		}
		s.quoted = appendString(s.quoted, k)
		s.quoted = append(s.quoted, ':')
		s.ends[i] = len(s.quoted)
	}
	return s
}

// maxShapes bounds the remembered key lists (a page nests a few kinds of
// objects).
const maxShapes = 8

// promote moves sh to the front of the remembered shapes, adding it when
// it is not (or no longer) among them.
func (e *encoder) promote(sh *shape) {
	i := 0
	for i < len(e.shapes) && e.shapes[i] != sh {
		i++
	}
	if i == len(e.shapes) {
		if len(e.shapes) < maxShapes {
			e.shapes = append(e.shapes, nil)
		}
		i = len(e.shapes) - 1
	}
	// Most recently used first.
	copy(e.shapes[1:i+1], e.shapes[:i])
	e.shapes[0] = sh
}

func (e *encoder) appendValue(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		return appendString(dst, x), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case float64:
		return appendFloat(dst, x)
	case int:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case int32:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case map[string]any:
		if x == nil {
			return append(dst, "null"...), nil
		}
		return e.appendMap(dst, x)
	case []any:
		if x == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '[')
		for i, el := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = e.appendValue(dst, el); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	case []map[string]any:
		if x == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '[')
		for i, el := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = e.appendValue(dst, el); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	case map[string]string:
		if x == nil {
			return append(dst, "null"...), nil
		}
		keys := sortedKeys(x)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, k)
			dst = append(dst, ':')
			dst = appendString(dst, x[k])
		}
		return append(dst, '}'), nil
	case []string:
		if x == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '[')
		for i, el := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, el)
		}
		return append(dst, ']'), nil
	}
	// Raw messages are compacted and HTML-escaped by encoding/json, and
	// every other type has its own rules there: use them.
	b, err := json.Marshal(v)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (e *encoder) appendMap(dst []byte, m map[string]any) ([]byte, error) {
	if len(m) == 0 {
		return append(dst, '{', '}'), nil
	}
	// Try the remembered shapes of this size: writing the object checks
	// that each key is present while fetching its value, so a match costs
	// no extra lookups. A miss is undone. The candidates are copied first
	// because the values written in between reorder the shapes.
	start := len(dst)
	var cands [maxShapes]*shape
	n := copy(cands[:], e.shapes)
	for _, sh := range cands[:n] {
		if len(sh.keys) != len(m) {
			continue
		}
		out, ok, err := e.appendShaped(dst, m, sh)
		if err != nil || ok {
			if ok {
				e.promote(sh)
			}
			return out, err
		}
		dst = out[:start]
	}
	sh := newShape(sortedKeys(m))
	e.promote(sh)
	out, _, err := e.appendShaped(dst, m, sh)
	return out, err
}

// appendShaped writes m with sh's keys; ok is false, with part of the
// object written, when m lacks one of them.
func (e *encoder) appendShaped(dst []byte, m map[string]any, sh *shape) (out []byte, ok bool, err error) {
	from := 0
	for i, k := range sh.keys {
		v, ok := m[k]
		if !ok {
			return dst, false, nil
		}
		dst = append(dst, sh.quoted[from:sh.ends[i]]...)
		from = sh.ends[i]
		if dst, err = e.appendValue(dst, v); err != nil {
			return dst, false, err
		}
	}
	return append(dst, '}'), true, nil
}

// appendFloat formats like encoding/json: ES6 number syntax, exponent
// form below 1e-6 and from 1e21, no leading zero in the exponent.
func appendFloat(dst []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		_, err := json.Marshal(f) // the error encoding/json gives
		return dst, err
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, nil
}

const hexDigits = "0123456789abcdef"

// safe reports ASCII bytes written as they are: printable characters
// other than the quote, the backslash and the HTML-significant <, > and &.
func safe(b byte) bool {
	return b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&'
}

// appendString quotes s with encoding/json's HTML-safe escaping: control
// characters, <, > and & as \u00XX (\b \f \n \r \t by name), invalid
// UTF-8 as \ufffd, and U+2028 and U+2029 escaped.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if safe(b) {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
