package blueprint

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Error is one problem with a blueprint, located as precisely as it is
// known: the file and line, the entry (index and id), its model and the
// field. Parse, Validate, Plan and Apply all report problems as *Error (or
// Errors of them), so a CLI can print "file:line" and a server can map
// errors to entries.
type Error struct {
	File string
	// Line is 1-based; 0 when the problem has no line (a server error).
	Line int
	// Entry is the entry's index in its file; -1 when the problem is not
	// about one entry (the file itself, a prune).
	Entry int
	ID    string
	Model string
	// Field names the part of the entry: "attrs.name", "identifiers.slug",
	// "conditions[0]", "state", or a server-side field name ("name").
	Field string
	Msg   string
	// Err is the underlying error, if any (a Target's error).
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteString(":" + strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	}
	if e.Entry >= 0 {
		fmt.Fprintf(&b, "entries[%d]", e.Entry)
		var parts []string
		if e.ID != "" {
			parts = append(parts, "id "+e.ID)
		}
		if e.Model != "" {
			parts = append(parts, e.Model)
		}
		if len(parts) > 0 {
			b.WriteString(" (" + strings.Join(parts, ", ") + ")")
		}
		b.WriteString(": ")
	} else if e.Model != "" {
		b.WriteString(e.Model + ": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	msg := e.Msg
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	b.WriteString(msg)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errors is several problems found at once (validation reports all of them,
// not only the first). It is never returned empty.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes the individual errors to errors.Is and errors.As.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// sorted orders errors by file, line and entry, and drops exact duplicates
// (the same problem found through two paths).
func (es Errors) sorted() Errors {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Entry < b.Entry
	})
	out := es[:0]
	seen := map[string]bool{}
	for _, e := range es {
		k := e.Error()
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, e)
	}
	return out
}

// err returns es as an error, or nil when empty.
func (es Errors) err() error {
	if len(es) == 0 {
		return nil
	}
	return es.sorted()
}

// AsErrors flattens any error into located errors: Errors and *Error as
// they are, anything else as one Error with only a message.
func AsErrors(err error) Errors {
	if err == nil {
		return nil
	}
	var es Errors
	if errors.As(err, &es) {
		return es
	}
	var e *Error
	if errors.As(err, &e) {
		return Errors{e}
	}
	return Errors{{Entry: -1, Msg: err.Error(), Err: err}}
}

// FieldErrorer is implemented by Target errors that carry per-field
// validation messages (an HTTP 400 ValidationError, the engine's
// validation error). The applier attaches each message to the entry and
// the field it names.
type FieldErrorer interface {
	error
	// FieldErrors returns messages per field ("" for non-field errors).
	FieldErrors() map[string][]string
}

// ErrNotFound is what a Target's Update or Delete returns (wrapped) when
// the object does not exist. The applier treats a delete of a missing
// object as done: a cascade got there first.
var ErrNotFound = errors.New("object not found")
