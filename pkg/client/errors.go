package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// APIError is a response with a non-2xx status. It carries authentik's
// error shapes decoded: GenericError's detail (403, 404, ...) and
// ValidationError's field and non-field messages (400).
type APIError struct {
	// Operation is the operationId called ("" for Client.Do).
	Operation string
	// Method and Path are the request's, Path relative to the API root.
	Method, Path string
	// StatusCode is the HTTP status, e.g. 400.
	StatusCode int
	// Detail is the body's "detail" message, when it has one.
	Detail string
	// Code is the body's "code", when it has one (authentik sends it for
	// some errors, e.g. "not_authenticated").
	Code string
	// Fields holds the messages per field of a validation error. Errors of
	// nested objects and lists are flattened with dots: "attributes.key",
	// "fields.0.name".
	Fields map[string][]string
	// NonField holds a validation error's non_field_errors.
	NonField []string
	// Body is the raw response body (at most 1 MiB of it).
	Body []byte
}

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 1 << 20

// Error summarises the error in one line: status, detail and messages.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "authentik: %s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	parts := []string{}
	if e.Detail != "" {
		parts = append(parts, e.Detail)
	}
	if len(e.NonField) > 0 {
		parts = append(parts, strings.Join(e.NonField, " "))
	}
	names := make([]string, 0, len(e.Fields))
	for name := range e.Fields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		parts = append(parts, name+": "+strings.Join(e.Fields[name], " "))
	}
	if len(parts) == 0 && len(e.Body) > 0 {
		body := strings.TrimSpace(string(e.Body))
		if len(body) > 200 {
			body = body[:200] + "..."
		}
		parts = append(parts, body)
	}
	if len(parts) > 0 {
		b.WriteString(": " + strings.Join(parts, "; "))
	}
	return b.String()
}

// IsNotFound reports whether err is (or wraps) a 404 APIError.
func IsNotFound(err error) bool { return hasStatus(err, http.StatusNotFound) }

// IsValidation reports whether err is (or wraps) a 400 APIError, which
// authentik returns with a ValidationError body.
func IsValidation(err error) bool { return hasStatus(err, http.StatusBadRequest) }

// IsForbidden reports whether err is (or wraps) a 403 APIError: a missing
// or invalid token, or a missing permission.
func IsForbidden(err error) bool { return hasStatus(err, http.StatusForbidden) }

func hasStatus(err error, status int) bool {
	var e *APIError
	return errors.As(err, &e) && e.StatusCode == status
}

// readAPIError builds the APIError of a failed response and closes its
// body.
func readAPIError(resp *http.Response, r *request) *APIError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_ = resp.Body.Close()
	e := &APIError{Operation: r.op, Method: r.method, Path: r.path, StatusCode: resp.StatusCode, Body: body}
	e.decode(body)
	return e
}

// decode fills the messages from a JSON body; other bodies (an HTML error
// page from a proxy) stay only in Body.
func (e *APIError) decode(body []byte) {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return
	}
	switch v := v.(type) {
	case string:
		e.Detail = v
	case []any:
		e.NonField = messages(v)
	case map[string]any:
		for key, val := range v {
			switch s, isString := val.(string); {
			case key == "detail" && isString:
				e.Detail = s
			case key == "code" && isString:
				e.Code = s
			case key == "non_field_errors":
				e.NonField = append(e.NonField, messages(val)...)
			default:
				e.addField(key, val)
			}
		}
	}
}

// addField flattens the errors of one field into Fields.
func (e *APIError) addField(name string, v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, sub := range v {
			e.addField(name+"."+k, sub)
		}
	case []any:
		for i, item := range v {
			switch item.(type) {
			case map[string]any, []any:
				e.addField(name+"."+strconv.Itoa(i), item)
			default:
				e.addField(name, item)
			}
		}
	case nil:
	default:
		if e.Fields == nil {
			e.Fields = map[string][]string{}
		}
		e.Fields[name] = append(e.Fields[name], fmt.Sprint(v))
	}
}

// messages flattens a list of messages (or one message) to strings.
func messages(v any) []string {
	switch v := v.(type) {
	case []any:
		var out []string
		for _, item := range v {
			out = append(out, messages(item)...)
		}
		return out
	case nil:
		return nil
	case string:
		return []string{v}
	}
	return []string{fmt.Sprint(v)}
}
