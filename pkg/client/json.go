package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// marshalWithExtra encodes a struct and adds the extra properties beside
// its own; a named property wins over an extra one of the same name.
func marshalWithExtra(known any, extra map[string]any) ([]byte, error) {
	data, err := json.Marshal(known)
	if err != nil || len(extra) == 0 {
		return data, err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, fmt.Errorf("merge additional properties: %w", err)
	}
	for k, v := range extra {
		if _, named := obj[k]; named {
			continue
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("additional property %q: %w", k, err)
		}
		obj[k] = raw
	}
	return json.Marshal(obj)
}

// unmarshalWithExtra decodes data into known and returns the properties
// not among names.
func unmarshalWithExtra(data []byte, known any, names []string) (map[string]any, error) {
	if err := json.Unmarshal(data, known); err != nil {
		return nil, err
	}
	var obj map[string]any
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, err
	}
	for _, n := range names {
		delete(obj, n)
	}
	if len(obj) == 0 {
		return nil, nil
	}
	return obj, nil
}

// errNoValue is returned when a polymorphic value is decoded before it
// was set.
var errNoValue = errors.New("polymorphic value is empty")

// marshalRaw writes a polymorphic value's JSON, null when unset.
func marshalRaw(raw json.RawMessage) ([]byte, error) {
	if len(raw) == 0 {
		return []byte("null"), nil
	}
	return raw, nil
}

// decodeRaw decodes a polymorphic value into out.
func decodeRaw(raw json.RawMessage, out any) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		return errNoValue
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("decode %T: %w", out, err)
	}
	return nil
}

// discriminatorOf reads the property naming a polymorphic value's type.
func discriminatorOf(raw json.RawMessage, prop string) (string, error) {
	var obj map[string]json.RawMessage
	if err := decodeRaw(raw, &obj); err != nil {
		return "", err
	}
	var key string
	if v, ok := obj[prop]; !ok || json.Unmarshal(v, &key) != nil {
		return "", fmt.Errorf("polymorphic value has no string %q property", prop)
	}
	return key, nil
}

// decodeVariant decodes a polymorphic value into the type its
// discriminator names.
func decodeVariant(raw json.RawMessage, prop string, variants map[string]func() any) (any, error) {
	key, err := discriminatorOf(raw, prop)
	if err != nil {
		return nil, err
	}
	mk, ok := variants[key]
	if !ok {
		return nil, fmt.Errorf("unknown %s %q", prop, key)
	}
	out := mk()
	if err := decodeRaw(raw, out); err != nil {
		return nil, err
	}
	return out, nil
}

// encodeVariant encodes a variant and, when key is known and the variant
// left the discriminator empty, fills it in, so a caller need not repeat
// what the Go type already says.
func encodeVariant(variant any, prop, key string) (json.RawMessage, error) {
	data, err := json.Marshal(variant)
	if err != nil {
		return nil, fmt.Errorf("encode %T: %w", variant, err)
	}
	if key == "" {
		return data, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, fmt.Errorf("encode %T: not an object: %w", variant, err)
	}
	var cur string
	if v, ok := obj[prop]; ok && json.Unmarshal(v, &cur) == nil && cur != "" {
		return data, nil
	}
	obj[prop], _ = json.Marshal(key)
	return json.Marshal(obj)
}
