package sqldb

import (
	"bytes"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"time"

	"github.com/akgo/akgo/internal/store"
)

// TimeLayout is the fixed-width UTC text form used where a backend has no
// native timestamp type: every value has the same length, so comparing the
// text compares the instants.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// errInvalidUUID lets conditions treat a malformed UUID as "matches
// nothing" instead of failing the whole query, while writes still reject it.
var errInvalidUUID = errors.New("invalid uuid")

// canonical converts a caller value for a column of type ct into the single
// Go representation sqldb works with: string (text, uuid, json text), int64,
// float64, bool, time.Time (UTC, microseconds) or []byte. nil means NULL.
// Dialects then map that representation to what their driver binds.
func canonical(ct store.ColumnType, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	// json.RawMessage must be seen before the generic unwrapping below, which
	// would otherwise treat it as plain bytes.
	if ct == store.TypeJSON {
		return canonicalJSON(v)
	}
	// The common cases keep the caller's interface: converting and boxing
	// again allocated for every key of every IN list.
	switch x := v.(type) {
	case string:
		if ct == store.TypeText || ct == store.TypeUUID && isCanonicalUUID(x) {
			return v, nil
		}
	case int64:
		if ct == store.TypeInt {
			return v, nil
		}
	}
	v, err := unwrap(v)
	if err != nil || v == nil {
		return nil, err
	}
	switch ct {
	case store.TypeText:
		if s, ok := asString(v); ok {
			return s, nil
		}
	case store.TypeInt:
		if n, ok := asInt(v); ok {
			return n, nil
		}
	case store.TypeFloat:
		if f, ok := asFloat(v); ok {
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, fmt.Errorf("float %v cannot be stored portably", f)
			}
			return f, nil
		}
	case store.TypeBool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Bool {
			return rv.Bool(), nil
		}
	case store.TypeUUID:
		if s, ok := asString(v); ok {
			return CanonicalUUID(s)
		}
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Array && rv.Len() == 16 && rv.Type().Elem().Kind() == reflect.Uint8 {
			var b [16]byte
			reflect.Copy(reflect.ValueOf(b[:]), rv)
			return formatUUID(b), nil
		}
		if s, ok := v.(fmt.Stringer); ok {
			return CanonicalUUID(s.String())
		}
	case store.TypeTime:
		switch t := v.(type) {
		case time.Time:
			return store.NowUTC(t), nil
		case string:
			parsed, err := ParseTime(t)
			if err != nil {
				return nil, err
			}
			return parsed, nil
		}
	case store.TypeBytes:
		switch b := v.(type) {
		case []byte:
			return b, nil
		case string:
			return []byte(b), nil
		}
	default:
		return nil, fmt.Errorf("unknown column type %q", ct)
	}
	return nil, fmt.Errorf("cannot store %T in a %s column", v, ct)
}

// unwrap dereferences pointers and resolves driver.Valuer (uuid.UUID,
// sql.NullString, ...) so callers can pass the types they already have.
func unwrap(v any) (any, error) {
	for i := 0; i < 8; i++ {
		switch x := v.(type) {
		case nil:
			return nil, nil
		case time.Time, []byte, string, int64, float64, bool:
			return v, nil
		case driver.Valuer:
			rv := reflect.ValueOf(v)
			if rv.Kind() == reflect.Pointer && rv.IsNil() {
				return nil, nil
			}
			nv, err := x.Value()
			if err != nil {
				return nil, err
			}
			v = nv
			continue
		}
		rv := reflect.ValueOf(v)
		if rv.Kind() != reflect.Pointer {
			return v, nil
		}
		if rv.IsNil() {
			return nil, nil
		}
		v = rv.Elem().Interface()
	}
	return v, nil
}

func asString(v any) (string, bool) {
	if s, ok := v.(string); ok {
		return s, true
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.String {
		return rv.String(), true
	}
	return "", false
}

func asInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		return int64(u), u <= math.MaxInt64
	case reflect.Float32, reflect.Float64:
		// Decoded JSON hands every number over as float64; accept it when it
		// is integral so the engine need not convert request bodies.
		f := rv.Float()
		if f == math.Trunc(f) && f >= -(1<<63) && f < 1<<63 {
			return int64(f), true
		}
	}
	return 0, false
}

func asFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Float32, reflect.Float64:
		return rv.Float(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(rv.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(rv.Uint()), true
	}
	return 0, false
}

// canonicalJSON returns compact JSON text. HTML escaping is off so the text
// SQLite keeps is the same document PostgreSQL would return.
func canonicalJSON(v any) (any, error) {
	var raw []byte
	switch x := v.(type) {
	case json.RawMessage:
		if x == nil {
			return nil, nil
		}
		raw = x
	case *json.RawMessage:
		if x == nil || *x == nil {
			return nil, nil
		}
		raw = *x
	default:
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return nil, err
		}
		return string(bytes.TrimRight(buf.Bytes(), "\n")), nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	return buf.String(), nil
}

// CanonicalUUID accepts the hyphenated or plain hex form in any case and
// returns the lowercase 8-4-4-4-12 form both backends compare equal.
func CanonicalUUID(s string) (string, error) {
	if isCanonicalUUID(s) {
		// Keys read back from the database are already canonical and are
		// bound again a page at a time (IN lists): no copy needed.
		return s, nil
	}
	var hex []byte
	switch len(s) {
	case 36:
		if s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
			return "", fmt.Errorf("%w %q", errInvalidUUID, s)
		}
		hex = make([]byte, 0, 32)
		hex = append(hex, s[0:8]...)
		hex = append(hex, s[9:13]...)
		hex = append(hex, s[14:18]...)
		hex = append(hex, s[19:23]...)
		hex = append(hex, s[24:36]...)
	case 32:
		hex = []byte(s)
	default:
		return "", fmt.Errorf("%w %q", errInvalidUUID, s)
	}
	var b [16]byte
	for i := 0; i < 16; i++ {
		hi, ok1 := fromHex(hex[2*i])
		lo, ok2 := fromHex(hex[2*i+1])
		if !ok1 || !ok2 {
			return "", fmt.Errorf("%w %q", errInvalidUUID, s)
		}
		b[i] = hi<<4 | lo
	}
	return formatUUID(b), nil
}

// isCanonicalUUID reports the lowercase 8-4-4-4-12 form CanonicalUUID
// returns.
func isCanonicalUUID(s string) bool {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return false
	}
	for i := 0; i < 36; i++ {
		if !lowerHex[s[i]] && i != 8 && i != 13 && i != 18 && i != 23 {
			return false
		}
	}
	return true
}

// lowerHex marks the digits of the canonical UUID form.
var lowerHex = [256]bool{'0': true, '1': true, '2': true, '3': true, '4': true, '5': true, '6': true, '7': true,
	'8': true, '9': true, 'a': true, 'b': true, 'c': true, 'd': true, 'e': true, 'f': true}

func fromHex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func formatUUID(b [16]byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// ParseTime reads the fixed-width form and, for values written by hand
// (defaults, raw SQL), any RFC 3339 timestamp.
func ParseTime(s string) (time.Time, error) {
	if t, ok := parseFixed(s); ok {
		return t, nil
	}
	t, err := time.Parse(TimeLayout, s)
	if err != nil {
		t, err = time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, fmt.Errorf("invalid time %q: %w", s, err)
		}
	}
	return store.NowUTC(t), nil
}

// parseFixed reads TimeLayout without time.Parse's generality: every time
// column of every SQLite row goes through here.
func parseFixed(s string) (time.Time, bool) {
	if len(s) != len(TimeLayout) || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
		s[13] != ':' || s[16] != ':' || s[19] != '.' || s[26] != 'Z' {
		return time.Time{}, false
	}
	num := func(from, to int) (int, bool) {
		n := 0
		for i := from; i < to; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	year, ok1 := num(0, 4)
	month, ok2 := num(5, 7)
	day, ok3 := num(8, 10)
	hour, ok4 := num(11, 13)
	minute, ok5 := num(14, 16)
	sec, ok6 := num(17, 19)
	micro, ok7 := num(20, 26)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || month < 1 || month > 12 || day < 1 || day > 31 ||
		hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, micro*1000, time.UTC)
	if t.Day() != day { // 31 February and the like
		return time.Time{}, false
	}
	return t, true
}

// FormatTime renders t in TimeLayout.
func FormatTime(t time.Time) string { return store.NowUTC(t).Format(TimeLayout) }

// decode turns what a driver returned for a column of type ct into the Go
// type documented on store.ColumnType. Both drivers' representations are
// accepted so the dialects need no decoding hooks.
func decode(ct store.ColumnType, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	// A value already of the wanted type is returned as the interface it
	// came in: unpacking and boxing it again allocated a copy of every
	// string and integer of every row read.
	switch ct {
	case store.TypeText, store.TypeUUID:
		switch x := v.(type) {
		case string:
			return v, nil
		case []byte:
			return string(x), nil
		}
	case store.TypeInt:
		switch x := v.(type) {
		case int64:
			return v, nil
		case float64:
			return int64(x), nil
		}
	case store.TypeFloat:
		switch x := v.(type) {
		case float64:
			return v, nil
		case int64:
			return float64(x), nil
		}
	case store.TypeBool:
		switch x := v.(type) {
		case bool:
			return v, nil
		case int64:
			return x != 0, nil
		}
	case store.TypeTime:
		switch x := v.(type) {
		case time.Time:
			return x.UTC(), nil
		case string:
			return ParseTime(x)
		case []byte:
			return ParseTime(string(x))
		}
	case store.TypeJSON:
		switch x := v.(type) {
		case string:
			return json.RawMessage(x), nil
		case []byte:
			return json.RawMessage(x), nil
		}
	case store.TypeBytes:
		switch x := v.(type) {
		case []byte:
			if x == nil {
				// SQL NULL arrived as untyped nil above; a nil slice is how
				// a driver hands over an empty value.
				return []byte{}, nil
			}
			return x, nil
		case string:
			return []byte(x), nil
		}
	}
	return nil, fmt.Errorf("cannot read %T as %s", v, ct)
}
