package blueprint

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Evaluated values are JSON-like: nil, bool, int64, float64, string, []any,
// map[string]any, plus *Unknown for what only an apply can tell.

// Unknown is a value known only after apply: the primary key (or, for
// policy bindings, the policy-binding-model key) of an object the plan
// creates, or anything computed from one. Renderers show it as
// "(known after apply)".
type Unknown struct {
	// Entry is the entry whose object the value comes from.
	Entry *Entry
	ref   *entryState
	field string // "" for the pk
	// derived: computed from an unknown (a !Format of it), so it cannot be
	// substituted at apply time, only re-evaluated.
	derived bool
}

func (u *Unknown) String() string { return "(known after apply)" }

// MarshalJSON renders an unknown as the text plans show.
func (u *Unknown) MarshalJSON() ([]byte, error) { return json.Marshal(u.String()) }

// truthy is Python's bool() of a value. An unknown key is always truthy:
// primary keys of created objects are never empty.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case int64:
		return x != 0
	case float64:
		return x != 0
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return true
}

// deepCopy copies maps and lists.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, it := range x {
			m[k] = deepCopy(it)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, it := range x {
			l[i] = deepCopy(it)
		}
		return l
	}
	return v
}

// deepMerge merges b into a the way authentik's deepmerge always_merger
// does: mappings merge recursively, lists concatenate, anything else (and
// a type conflict) is replaced by b. a is modified; the result is returned.
func deepMerge(a, b any) any {
	switch bx := b.(type) {
	case map[string]any:
		ax, ok := a.(map[string]any)
		if !ok {
			return deepCopy(bx)
		}
		for k, v := range bx {
			if cur, has := ax[k]; has {
				ax[k] = deepMerge(cur, v)
			} else {
				ax[k] = deepCopy(v)
			}
		}
		return ax
	case []any:
		ax, ok := a.([]any)
		if !ok {
			return deepCopy(bx)
		}
		out := make([]any, 0, len(ax)+len(bx))
		out = append(out, ax...)
		for _, v := range bx {
			out = append(out, deepCopy(v))
		}
		return out
	}
	return b
}

// mergeNodes merges context given as values over a file's context nodes
// with the same rules, keeping the file's unevaluated tags where the
// override does not replace them.
func mergeNodes(a, b *Node) *Node {
	switch {
	case a == nil:
		return b
	case b.Kind == MapNode && a.Kind == MapNode:
		out := &Node{Kind: MapNode, Line: a.Line, Column: a.Column, Pairs: append([]Pair(nil), a.Pairs...)}
		for _, p := range b.Pairs {
			found := false
			for i := range out.Pairs {
				if out.Pairs[i].Key == p.Key {
					out.Pairs[i].Value = mergeNodes(out.Pairs[i].Value, p.Value)
					found = true
				}
			}
			if !found {
				out.Pairs = append(out.Pairs, p)
			}
		}
		return out
	case b.Kind == SeqNode && a.Kind == SeqNode:
		return &Node{Kind: SeqNode, Line: a.Line, Column: a.Column, Items: append(append([]*Node(nil), a.Items...), b.Items...)}
	}
	return b
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// normalize turns values from any source (YAML, JSON decoding with
// float64 or json.Number, Go callers' ints) into the evaluated forms.
func normalize(v any) any {
	switch x := v.(type) {
	case nil, bool, string, int64, float64, *Unknown:
		return v
	case float32:
		return normalize(float64(x))
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case uint:
		return int64(x)
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return normalize(f)
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, it := range x {
			m[k] = normalize(it)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, it := range x {
			l[i] = normalize(it)
		}
		return l
	case []string:
		l := make([]any, len(x))
		for i, it := range x {
			l[i] = it
		}
		return l
	case fmt.Stringer:
		return x.String()
	}
	return v
}

// normalizeShared is normalize without copying what is normal already:
// the result shares the maps and lists of v that needed no change, and
// copied reports whether v itself was copied. Neither is modified later
// by the planner except through a copy (vmodel.set).
func normalizeShared(v any) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		var out map[string]any
		for k, it := range x {
			n, changed := normalizeShared(it)
			if changed && out == nil {
				out = maps.Clone(x)
			}
			if out != nil {
				out[k] = n
			}
		}
		if out == nil {
			return x, false
		}
		return out, true
	case []any:
		var out []any
		for i, it := range x {
			n, changed := normalizeShared(it)
			if changed && out == nil {
				out = slices.Clone(x)
			}
			if out != nil {
				out[i] = n
			}
		}
		if out == nil {
			return x, false
		}
		return out, true
	case nil, bool, string, int64, float64, *Unknown:
		return v, false
	}
	return normalize(v), true
}

// canon is a canonical text of a value for hashing and comparison: numbers
// by value (1 == 1.0), mappings in key order, unknowns by identity.
func canon(v any) string {
	var b strings.Builder
	writeCanon(&b, normalize(v))
	return b.String()
}

func writeCanon(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("n")
	case bool:
		if x {
			b.WriteString("T")
		} else {
			b.WriteString("F")
		}
	case int64:
		b.WriteString("#" + strconv.FormatInt(x, 10))
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			b.WriteString("#" + strconv.FormatInt(int64(x), 10))
		} else {
			b.WriteString("#" + strconv.FormatFloat(x, 'g', -1, 64))
		}
	case string:
		// Length-prefixed: unambiguous and much cheaper than quoting.
		b.WriteByte('s')
		b.WriteString(strconv.Itoa(len(x)))
		b.WriteByte(':')
		b.WriteString(x)
	case []any:
		b.WriteByte('[')
		for _, it := range x {
			writeCanon(b, it)
			b.WriteByte(',')
		}
		b.WriteByte(']')
	case map[string]any:
		b.WriteByte('{')
		for _, k := range sortedKeys(x) {
			writeCanon(b, k)
			writeCanon(b, x[k])
			b.WriteByte(',')
		}
		b.WriteByte('}')
	case *Unknown:
		fmt.Fprintf(b, "?%p.%s", x.ref, x.field)
	default:
		fmt.Fprintf(b, "%v", x)
	}
}

// equal compares normalised values by meaning without building their
// canonical texts (numbers by value, mappings by keys).
func equal(a, b any) bool {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case nil:
		return b == nil
	case int64:
		switch y := b.(type) {
		case int64:
			return x == y
		case float64:
			return float64(x) == y
		}
		return false
	case float64:
		switch y := b.(type) {
		case int64:
			return x == float64(y)
		case float64:
			return x == y
		}
		return false
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, has := y[k]
			if !has || !equal(v, w) {
				return false
			}
		}
		return true
	case *Unknown:
		y, ok := b.(*Unknown)
		return ok && x.ref == y.ref && x.field == y.field && !x.derived && !y.derived
	}
	return canon(a) == canon(b)
}

// hasUnknown reports whether a value holds an unknown anywhere.
func hasUnknown(v any) (found, derived bool) {
	switch x := v.(type) {
	case *Unknown:
		return true, x.derived
	case map[string]any:
		for _, it := range x {
			if f, d := hasUnknown(it); f {
				found = true
				derived = derived || d
			}
		}
	case []any:
		for _, it := range x {
			if f, d := hasUnknown(it); f {
				found = true
				derived = derived || d
			}
		}
	}
	return found, derived
}

// pkString renders a primary key for ownership records ("model:pk").
func pkString(v any) string {
	switch x := normalize(v).(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}

// parseTime reads the date-times the API and blueprints spell in several
// ways (with or without fractions, Z or an offset).
func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
