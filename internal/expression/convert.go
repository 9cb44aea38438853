package expression

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"net/netip"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/akgo/akgo/internal/pyrepr"
	"go.starlark.net/starlark"
)

// toValue converts a Go value into a Starlark value for this evaluation.
// A map[string]any becomes one dict per map (remembered, so the same map
// reached twice is the same dict and its changes are written back).
func (en *env) toValue(v any) starlark.Value {
	switch x := v.(type) {
	case nil:
		return starlark.None
	case starlark.Value:
		return x
	case bool:
		return starlark.Bool(x)
	case int:
		return starlark.MakeInt(x)
	case int32:
		return starlark.MakeInt64(int64(x))
	case int64:
		return starlark.MakeInt64(x)
	case uint64:
		return starlark.MakeUint64(x)
	case float32:
		return floatValue(float64(x))
	case float64:
		return floatValue(x)
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return starlark.MakeInt64(i)
		}
		f, _ := x.Float64()
		return starlark.Float(f)
	case string:
		return starlark.String(x)
	case []byte:
		return starlark.Bytes(x)
	case json.RawMessage:
		v, err := decodeJSON(x)
		if err != nil {
			return starlark.String(string(x))
		}
		return v
	case map[string]any:
		return en.dict(x)
	case []any:
		elems := make([]starlark.Value, len(x))
		for i, e := range x {
			elems[i] = en.toValue(e)
		}
		return starlark.NewList(elems)
	case []string:
		elems := make([]starlark.Value, len(x))
		for i, e := range x {
			elems[i] = starlark.String(e)
		}
		return starlark.NewList(elems)
	case []map[string]any:
		elems := make([]starlark.Value, len(x))
		for i, e := range x {
			elems[i] = en.dict(e)
		}
		return starlark.NewList(elems)
	case *User:
		if x == nil {
			return starlark.None
		}
		return &userValue{u: x, en: en}
	case *Group:
		if x == nil {
			return starlark.None
		}
		return &groupValue{g: x, en: en}
	case []*Group:
		return &groupQuery{en: en, groups: x}
	case *Request:
		if x == nil {
			return starlark.None
		}
		if x.Context == nil {
			x.Context = map[string]any{}
		}
		return &requestValue{r: x, en: en}
	case *HTTPRequest:
		if x == nil {
			return starlark.None
		}
		return &httpRequestValue{r: x, en: en}
	case *FlowPlan:
		if x == nil {
			return starlark.None
		}
		if x.Context == nil {
			x.Context = map[string]any{}
		}
		return &flowPlanValue{p: x, en: en}
	case *PolicyResult:
		if x == nil {
			return starlark.None
		}
		return &policyResultValue{r: x}
	case netip.Addr:
		return ipValue{x}
	case netip.Prefix:
		return networkValue{x}
	case time.Time:
		return starlark.String(x.Format("2006-01-02T15:04:05.999999Z07:00"))
	case fmt.Stringer:
		return starlark.String(x.String())
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		elems := make([]starlark.Value, rv.Len())
		for i := range elems {
			elems[i] = en.toValue(rv.Index(i).Interface())
		}
		return starlark.NewList(elems)
	case reflect.Map:
		d := starlark.NewDict(rv.Len())
		keys := rv.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
		for _, k := range keys {
			_ = d.SetKey(starlark.String(fmt.Sprint(k.Interface())), en.toValue(rv.MapIndex(k).Interface()))
		}
		return d
	case reflect.Pointer:
		if rv.IsNil() {
			return starlark.None
		}
	}
	return starlark.String(fmt.Sprint(v))
}

// floatValue keeps whole numbers decoded from JSON (float64) as ints, as
// Python's json.loads would have produced them.
func floatValue(f float64) starlark.Value {
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return starlark.MakeInt64(int64(f))
	}
	return starlark.Float(f)
}

// dict returns the dict standing for a Go map, creating it on first use.
func (en *env) dict(m map[string]any) *starlark.Dict {
	if m == nil {
		return starlark.NewDict(0)
	}
	ptr := reflect.ValueOf(m).Pointer()
	if d, ok := en.dicts[ptr]; ok {
		return d
	}
	if en.dicts == nil {
		en.dicts = map[uintptr]*starlark.Dict{}
		en.origin = map[*starlark.Dict]map[string]any{}
	}
	d := starlark.NewDict(len(m))
	en.dicts[ptr] = d
	en.origin[d] = m
	en.maps = append(en.maps, mapPair{m, d})
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		_ = d.SetKey(starlark.String(k), en.toValue(m[k]))
	}
	return d
}

// toGo converts a Starlark value into plain Go values: nil, bool, int64
// (or *big.Int), float64, string, []any, map[string]any, and the host types
// (*User, *Group, *Request, *FlowPlan, netip.Addr, ...). A dict that came
// from a Go map converts back to that map (en may be nil).
func toGo(v starlark.Value, en *env) any {
	switch x := v.(type) {
	case starlark.NoneType:
		return nil
	case starlark.Bool:
		return bool(x)
	case starlark.Int:
		if i, ok := x.Int64(); ok {
			return i
		}
		return new(big.Int).Set(x.BigInt())
	case starlark.Float:
		return float64(x)
	case starlark.String:
		return string(x)
	case starlark.Bytes:
		return string(x)
	case *starlark.List:
		out := make([]any, x.Len())
		for i := range out {
			out[i] = toGo(x.Index(i), en)
		}
		return out
	case starlark.Tuple:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = toGo(e, en)
		}
		return out
	case *starlark.Set:
		out := make([]any, 0, x.Len())
		it := x.Iterate()
		defer it.Done()
		var e starlark.Value
		for it.Next(&e) {
			out = append(out, toGo(e, en))
		}
		return out
	case *starlark.Dict:
		if en != nil {
			if m, ok := en.origin[x]; ok {
				return m
			}
		}
		out := make(map[string]any, x.Len())
		for _, item := range x.Items() {
			out[keyString(item[0])] = toGo(item[1], en)
		}
		return out
	case *userValue:
		return x.u
	case *groupValue:
		return x.g
	case *groupQuery:
		return x.groups
	case *requestValue:
		return x.r
	case *httpRequestValue:
		return x.r
	case *flowPlanValue:
		return x.p
	case *policyResultValue:
		return x.r
	case ipValue:
		return x.a
	case networkValue:
		return x.p
	case *exceptionValue:
		return x.msg
	}
	return v.String()
}

// ToGo converts a Starlark value to Go values; see toGo.
func ToGo(v starlark.Value) any { return toGo(v, nil) }

// keyString renders a dict key as Python's str() would.
func keyString(k starlark.Value) string {
	if s, ok := k.(starlark.String); ok {
		return string(s)
	}
	return pyStr(k)
}

// pyStr is Python's str(x): strings as they are, containers in Python's
// syntax, host objects as their __str__.
func pyStr(v starlark.Value) string {
	switch x := v.(type) {
	case starlark.String:
		return string(x)
	case starlark.Float:
		return pyFloat(float64(x))
	case starlark.NoneType, starlark.Bool, starlark.Int, *starlark.List, starlark.Tuple, *starlark.Dict, *starlark.Set, starlark.Bytes:
		return pyRepr(v)
	}
	return v.String()
}

// decodeJSON decodes JSON into Starlark values, keeping object key order.
func decodeJSON(data []byte) (starlark.Value, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeJSONValue(dec)
	if err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("extra data after JSON value")
	}
	return v, nil
}

func decodeJSONValue(dec *json.Decoder) (starlark.Value, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			d := starlark.NewDict(0)
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				val, err := decodeJSONValue(dec)
				if err != nil {
					return nil, err
				}
				_ = d.SetKey(starlark.String(kt.(string)), val)
			}
			_, err := dec.Token()
			return d, err
		case '[':
			var elems []starlark.Value
			for dec.More() {
				val, err := decodeJSONValue(dec)
				if err != nil {
					return nil, err
				}
				elems = append(elems, val)
			}
			_, err := dec.Token()
			return starlark.NewList(elems), err
		}
	case string:
		return starlark.String(t), nil
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return starlark.MakeInt64(i), nil
		}
		if bi, ok := new(big.Int).SetString(t.String(), 10); ok {
			return starlark.MakeBigInt(bi), nil
		}
		f, err := t.Float64()
		return starlark.Float(f), err
	case bool:
		return starlark.Bool(t), nil
	case nil:
		return starlark.None, nil
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok)
}

// pyRepr is Python's repr(x): single-quoted strings, True/False/None,
// Python's container syntax.
func pyRepr(v starlark.Value) string {
	var b strings.Builder
	writeRepr(&b, v, 0)
	return b.String()
}

func writeRepr(b *strings.Builder, v starlark.Value, depth int) {
	if depth > 50 {
		b.WriteString("...")
		return
	}
	switch x := v.(type) {
	case starlark.String:
		b.WriteString(QuotePython(string(x)))
	case starlark.Bytes:
		b.WriteString("b" + QuotePython(string(x)))
	case starlark.Float:
		b.WriteString(pyFloat(float64(x)))
	case *starlark.List:
		b.WriteByte('[')
		for i := 0; i < x.Len(); i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, x.Index(i), depth+1)
		}
		b.WriteByte(']')
	case starlark.Tuple:
		b.WriteByte('(')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, e, depth+1)
		}
		if len(x) == 1 {
			b.WriteByte(',')
		}
		b.WriteByte(')')
	case *starlark.Dict:
		b.WriteByte('{')
		for i, item := range x.Items() {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, item[0], depth+1)
			b.WriteString(": ")
			writeRepr(b, item[1], depth+1)
		}
		b.WriteByte('}')
	case *starlark.Set:
		if x.Len() == 0 {
			b.WriteString("set()")
			return
		}
		b.WriteByte('{')
		it := x.Iterate()
		defer it.Done()
		var e starlark.Value
		for i := 0; it.Next(&e); i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, e, depth+1)
		}
		b.WriteByte('}')
	case *userValue, *groupValue:
		b.WriteString("<" + v.Type() + ": " + v.String() + ">")
	case *exceptionValue:
		b.WriteString(x.kind + "(" + QuotePython(x.msg) + ")")
	default:
		b.WriteString(v.String())
	}
}

// QuotePython quotes a string as Python's repr does (see pyrepr.Quote).
func QuotePython(s string) string { return pyrepr.Quote(s) }

// PyStr is Python's str() of a Go value (as an expression would see it).
func PyStr(v any) string {
	en := &env{ctx: context.Background(), ev: &Evaluator{}, call: &Call{}}
	return pyStr(en.toValue(v))
}
