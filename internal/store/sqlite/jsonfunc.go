package sqlite

import (
	"bytes"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// SQLite has no JSONB containment operator, and json_extract returns SQL
// values (true becomes 1) where PostgreSQL's #>> returns text. These two
// functions reproduce the PostgreSQL semantics exactly so conditions match
// the same rows on both backends.

// decodeJSON parses a JSON text keeping numbers exact.
func decodeJSON(v driver.Value) (any, bool, error) {
	var raw []byte
	switch x := v.(type) {
	case nil:
		return nil, false, nil
	case string:
		raw = []byte(x)
	case []byte:
		raw = x
	default:
		return nil, false, fmt.Errorf("json argument of type %T", v)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, false, err
	}
	return out, true, nil
}

// jsonContainsFunc is akgo_json_contains(doc, tmpl): 1 when doc @> tmpl,
// 0 when not, NULL when either side is NULL (like the operator).
func jsonContainsFunc(args []driver.Value) (driver.Value, error) {
	doc, ok, err := decodeJSON(args[0])
	if err != nil || !ok {
		return nil, err
	}
	tmpl, ok, err := decodeJSON(args[1])
	if err != nil || !ok {
		return nil, err
	}
	if JSONContains(doc, tmpl) {
		return int64(1), nil
	}
	return int64(0), nil
}

// JSONContains implements PostgreSQL's jsonb @> on decoded values (numbers
// as json.Number). At the top level an array also contains a bare scalar
// that equals one of its elements, and a scalar contains an equal scalar;
// below the top level, values must have the same kind.
func JSONContains(doc, tmpl any) bool {
	switch t := tmpl.(type) {
	case map[string]any:
		d, ok := doc.(map[string]any)
		return ok && containsObject(d, t)
	case []any:
		d, ok := doc.([]any)
		return ok && containsArray(d, t)
	default:
		if d, ok := doc.([]any); ok {
			for _, e := range d {
				if isScalar(e) && scalarEqual(e, t) {
					return true
				}
			}
			return false
		}
		return isScalar(doc) && scalarEqual(doc, t)
	}
}

func containsObject(doc, tmpl map[string]any) bool {
	for k, tv := range tmpl {
		dv, ok := doc[k]
		if !ok || !containsValue(dv, tv) {
			return false
		}
	}
	return true
}

func containsArray(doc, tmpl []any) bool {
	for _, tv := range tmpl {
		found := false
		for _, dv := range doc {
			if containsValue(dv, tv) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// containsValue is containment below the top level: same kind required.
func containsValue(doc, tmpl any) bool {
	switch t := tmpl.(type) {
	case map[string]any:
		d, ok := doc.(map[string]any)
		return ok && containsObject(d, t)
	case []any:
		d, ok := doc.([]any)
		return ok && containsArray(d, t)
	default:
		return isScalar(doc) && scalarEqual(doc, t)
	}
}

func isScalar(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return false
	}
	return true
}

func scalarEqual(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		if x == y {
			return true
		}
		// jsonb compares numbers as numeric: 1 = 1.0 = 1e0.
		rx, ok1 := new(big.Rat).SetString(string(x))
		ry, ok2 := new(big.Rat).SetString(string(y))
		return ok1 && ok2 && rx.Cmp(ry) == 0
	}
	return false
}

// jsonTextFunc is akgo_json_text(doc, path): PostgreSQL's doc #>> path,
// with path given as a JSON array of strings. Array elements are addressed
// by (possibly negative) decimal indexes.
func jsonTextFunc(args []driver.Value) (driver.Value, error) {
	doc, ok, err := decodeJSON(args[0])
	if err != nil || !ok {
		return nil, err
	}
	p, ok := args[1].(string)
	if !ok {
		return nil, errors.New("akgo_json_text: path must be text")
	}
	var path []string
	if err := json.Unmarshal([]byte(p), &path); err != nil {
		return nil, fmt.Errorf("akgo_json_text: path: %w", err)
	}
	v, found := JSONPathValue(doc, path)
	if !found {
		return nil, nil
	}
	return JSONText(v)
}

// JSONPathValue walks path through doc.
func JSONPathValue(doc any, path []string) (any, bool) {
	cur := doc
	for _, k := range path {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[k]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(strings.TrimSpace(k))
			if err != nil {
				return nil, false
			}
			if i < 0 {
				i += len(c)
			}
			if i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// JSONText renders a value the way #>> does: strings unquoted, JSON null as
// SQL NULL, numbers without exponent, containers as JSON text.
func JSONText(v any) (driver.Value, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case json.Number:
		s := string(x)
		if strings.ContainsAny(s, "eE") {
			if r, ok := new(big.Rat).SetString(s); ok {
				if r.IsInt() {
					return r.Num().String(), nil
				}
				f, _ := r.Float64()
				return strconv.FormatFloat(f, 'f', -1, 64), nil
			}
		}
		return s, nil
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return nil, err
		}
		return string(b), nil
	}
}
