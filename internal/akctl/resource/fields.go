package resource

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/akgo/akgo/internal/registry"
)

// WritableFields lists the fields a request may set, sorted.
func (r *Resource) WritableFields() []string {
	var out []string
	for i := range r.Model.Fields {
		f := &r.Model.Fields[i]
		if !f.ReadOnly && !f.Hidden {
			out = append(out, f.Name)
		}
	}
	slices.Sort(out)
	return out
}

// FieldError is a --set that does not fit the model.
type FieldError struct{ Msg string }

func (e *FieldError) Error() string { return e.Msg }

// SetField applies one --set key=value to a request body: the value is
// converted to the field's kind (numbers, booleans, null, JSON for
// objects and lists, comma-separated lists for many-to-many sets), and
// "attributes.a.b=v" sets a key inside a JSON field.
func (r *Resource) SetField(body map[string]any, assignment string) error {
	key, value, ok := strings.Cut(assignment, "=")
	if !ok || key == "" {
		return &FieldError{fmt.Sprintf("--set %q: want FIELD=VALUE", assignment)}
	}
	top, rest, nested := strings.Cut(key, ".")
	f, known := r.Model.Field(top)
	if !known || f.Hidden {
		return &FieldError{fmt.Sprintf("--set %s: %s has no field %q; writable fields: %s", key, r.Name, top, strings.Join(r.WritableFields(), ", "))}
	}
	if f.ReadOnly {
		return &FieldError{fmt.Sprintf("--set %s: field %q of %s is read-only; writable fields: %s", key, top, r.Name, strings.Join(r.WritableFields(), ", "))}
	}
	if nested {
		if f.Kind != registry.KindJSON || f.Array {
			return &FieldError{fmt.Sprintf("--set %s: field %q is a %s, not an object", key, top, f.Kind)}
		}
		obj, _ := body[top].(map[string]any)
		if obj == nil {
			obj = map[string]any{}
			body[top] = obj
		}
		keys := strings.Split(rest, ".")
		for _, k := range keys[:len(keys)-1] {
			next, ok := obj[k].(map[string]any)
			if !ok {
				next = map[string]any{}
				obj[k] = next
			}
			obj = next
		}
		obj[keys[len(keys)-1]] = guessJSON(value)
		return nil
	}
	v, err := r.convertField(f, value)
	if err != nil {
		return &FieldError{fmt.Sprintf("--set %s: %v", key, err)}
	}
	body[top] = v
	return nil
}

func (r *Resource) convertField(f *registry.Field, s string) (any, error) {
	if s == "null" && (f.Nullable || f.Ref != "") {
		return nil, nil
	}
	if f.M2M != "" || f.Array {
		if strings.HasPrefix(strings.TrimSpace(s), "[") {
			var arr []any
			if err := json.Unmarshal([]byte(s), &arr); err != nil {
				return nil, fmt.Errorf("want a JSON list or comma-separated values: %v", err)
			}
			return arr, nil
		}
		if s == "" {
			return []any{}, nil
		}
		kind := registry.KindString
		if f.M2M != "" {
			kind = registry.KindInt
			if t, ok := r.catalogModelKind(f.M2M); ok {
				kind = t
			}
		}
		var out []any
		for part := range strings.SplitSeq(s, ",") {
			v, err := scalar(kind, nil, strings.TrimSpace(part))
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	if f.Kind == registry.KindJSON {
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return nil, fmt.Errorf("want JSON, got %q: %v", s, err)
		}
		return v, nil
	}
	return scalar(f.Kind, f.Enum, s)
}

// catalogModelKind is the pk kind of a model, for many-to-many values.
func (r *Resource) catalogModelKind(model string) (registry.Kind, bool) {
	if r.registry == nil {
		return "", false
	}
	m, ok := r.registry.Model(model)
	if !ok {
		return "", false
	}
	return m.PKKind, true
}

func scalar(kind registry.Kind, enum []string, s string) (any, error) {
	switch kind {
	case registry.KindInt:
		if _, err := strconv.ParseInt(s, 10, 64); err != nil {
			return nil, fmt.Errorf("want an integer, got %q", s)
		}
		return json.Number(s), nil
	case registry.KindFloat:
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return nil, fmt.Errorf("want a number, got %q", s)
		}
		return json.Number(s), nil
	case registry.KindBool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Errorf("want true or false, got %q", s)
		}
		return b, nil
	}
	if len(enum) > 0 && !slices.Contains(enum, s) {
		return nil, fmt.Errorf("want one of %s, got %q", strings.Join(enum, ", "), s)
	}
	return s, nil
}

func guessJSON(s string) any {
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return json.Number(s)
	}
	var v any
	if err := json.Unmarshal([]byte(s), &v); err == nil {
		return v
	}
	return s
}
