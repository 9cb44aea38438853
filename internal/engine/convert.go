package engine

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/slug"
)

// TimeFormat is how authentik (Django REST Framework) renders date-times.
const TimeFormat = "2006-01-02T15:04:05.000000Z07:00"

// toJSON converts a stored column value to its API JSON value.
func toJSON(k registry.Kind, v any) any {
	if v == nil {
		return nil
	}
	switch x := v.(type) {
	case time.Time:
		if k == registry.KindDate {
			return x.UTC().Format("2006-01-02")
		}
		return x.UTC().Format(TimeFormat)
	case json.RawMessage:
		// Most attribute columns hold an empty object; json.Unmarshal's
		// validation and reflection cost more than the rest of their row.
		switch string(x) {
		case "{}":
			return map[string]any{}
		case "[]":
			return []any{}
		case "null":
			return nil
		}
		var out any
		if err := json.Unmarshal(x, &out); err != nil {
			return nil
		}
		return out
	case []byte:
		if k == registry.KindJSON {
			var out any
			if err := json.Unmarshal(x, &out); err == nil {
				return out
			}
		}
		return string(x)
	case int64:
		if k == registry.KindFloat {
			return float64(x)
		}
		return v // boxing x again would allocate
	}
	return v
}

// fromJSON converts an API value (already schema-validated) to the Go value
// stored in a column of kind k. field names the field in error messages.
func fromJSON(k registry.Kind, v any) (any, string) {
	if v == nil {
		return nil, ""
	}
	switch k {
	case registry.KindString, registry.KindDate:
		switch x := v.(type) {
		case string:
			return x, ""
		case float64:
			return strconv.FormatFloat(x, 'f', -1, 64), ""
		case bool:
			return strconv.FormatBool(x), ""
		}
		return nil, "Not a valid string."
	case registry.KindUUID:
		s, ok := v.(string)
		if !ok {
			return nil, "Must be a valid UUID."
		}
		u, err := uuid.Parse(s)
		if err != nil {
			return nil, "Must be a valid UUID."
		}
		return u.String(), ""
	case registry.KindInt:
		switch x := v.(type) {
		case float64:
			if x != math.Trunc(x) {
				return nil, "A valid integer is required."
			}
			return int64(x), ""
		case int64:
			return x, ""
		case int:
			return int64(x), ""
		case json.Number:
			i, err := x.Int64()
			if err != nil {
				return nil, "A valid integer is required."
			}
			return i, ""
		case string:
			i, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
			if err != nil {
				return nil, "A valid integer is required."
			}
			return i, ""
		}
		return nil, "A valid integer is required."
	case registry.KindFloat:
		switch x := v.(type) {
		case float64:
			return x, ""
		case int64:
			return float64(x), ""
		case string:
			f, err := strconv.ParseFloat(x, 64)
			if err != nil {
				return nil, "A valid number is required."
			}
			return f, ""
		}
		return nil, "A valid number is required."
	case registry.KindBool:
		switch x := v.(type) {
		case bool:
			return x, ""
		case string:
			switch strings.ToLower(x) {
			case "true", "1", "yes", "on":
				return true, ""
			case "false", "0", "no", "off":
				return false, ""
			}
		}
		return nil, "Must be a valid boolean."
	case registry.KindTime:
		switch x := v.(type) {
		case string:
			t, err := ParseTime(x)
			if err != nil {
				return nil, "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
			}
			return t, ""
		case time.Time:
			return x.UTC(), ""
		}
		return nil, "Datetime has wrong format."
	case registry.KindJSON:
		if raw, ok := v.(json.RawMessage); ok {
			return raw, ""
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Sprintf("Value is not JSON: %v", err)
		}
		return json.RawMessage(b), ""
	}
	return v, ""
}

// ParseTime accepts the ISO 8601 forms DRF accepts.
func ParseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid date-time %q", s)
}

// Slugify is slug.Make, kept for the engine's many callers.
func Slugify(s string) string { return slug.Make(s) }
