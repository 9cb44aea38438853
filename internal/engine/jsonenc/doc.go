// Package jsonenc writes API objects as JSON, byte for byte as
// encoding/json's Encoder does (sorted map keys, HTML-safe escaping,
// ES6-style numbers), but without reflection for the types the engine
// builds objects from: map[string]any, []any, strings, numbers, booleans
// and nil. Encoding list pages through encoding/json was a third of a
// list request's CPU, most of it reflection and sorting map keys through
// reflect.Value. Any other type is handed to encoding/json, so the output
// never differs.
package jsonenc
