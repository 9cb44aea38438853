package client

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Nullable is a field that is optional and may also be null, so it has
// three states: unset (not sent; the zero value), null, and a value.
// Optional nullable fields of the generated types use it with the
// omitzero tag option, which lets a PATCH send exactly the fields set,
// null included.
type Nullable[T any] struct {
	value T
	state nullState
}

type nullState uint8

const (
	nullUnset nullState = iota
	nullNull
	nullValue
)

// NewNullable returns a Nullable holding v.
func NewNullable[T any](v T) Nullable[T] { return Nullable[T]{value: v, state: nullValue} }

// Null returns a Nullable that is sent as null.
func Null[T any]() Nullable[T] { return Nullable[T]{state: nullNull} }

// Get returns the value and true, or the zero value and false when n is
// null or unset.
func (n Nullable[T]) Get() (T, bool) { return n.value, n.state == nullValue }

// IsNull reports whether n is null (set, without a value).
func (n Nullable[T]) IsNull() bool { return n.state == nullNull }

// IsSet reports whether n is null or has a value, that is, whether it is
// sent.
func (n Nullable[T]) IsSet() bool { return n.state != nullUnset }

// IsZero reports whether n is unset; encoding/json's omitzero uses it to
// leave unset fields out.
func (n Nullable[T]) IsZero() bool { return n.state == nullUnset }

// MarshalJSON writes the value, or null when n is null or unset.
func (n Nullable[T]) MarshalJSON() ([]byte, error) {
	if n.state != nullValue {
		return []byte("null"), nil
	}
	return json.Marshal(n.value)
}

// UnmarshalJSON reads null or a value. A field that is absent from the
// JSON stays unset, because encoding/json does not call UnmarshalJSON
// for it.
func (n *Nullable[T]) UnmarshalJSON(data []byte) error {
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		var zero T
		n.value, n.state = zero, nullNull
		return nil
	}
	if err := json.Unmarshal(data, &n.value); err != nil {
		return fmt.Errorf("nullable value: %w", err)
	}
	n.state = nullValue
	return nil
}

// String formats n for logs and test output: "<unset>", "<null>" or the
// value.
func (n Nullable[T]) String() string {
	switch n.state {
	case nullNull:
		return "<null>"
	case nullValue:
		return fmt.Sprint(n.value)
	}
	return "<unset>"
}

// Ptr returns a pointer to v, for optional fields and parameters:
// FlowRequest{Layout: client.Ptr(client.FlowLayoutEnumStacked)}.
func Ptr[T any](v T) *T { return &v }
