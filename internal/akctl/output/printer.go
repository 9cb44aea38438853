package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/akgo/akgo/internal/akctl/iostreams"
)

// Printer is the exporter every command prints through.
type Printer struct {
	IO   *iostreams.IOStreams
	Opts *Options
}

// NewPrinter returns a printer for validated options.
func NewPrinter(ios *iostreams.IOStreams, opts *Options) *Printer {
	if opts.Format == "" {
		opts.Format = opts.defaultFormat()
	}
	return &Printer{IO: ios, Opts: opts}
}

// View says how objects of a kind look in a table and as a name.
type View struct {
	Columns []Column
	// Name renders an object for -o name ("flow/default-authentication-flow").
	Name func(obj map[string]any) string
	// Empty is printed to stderr on a terminal when a list is empty
	// ("No flows found.").
	Empty string
}

// ListWriter prints a list one object at a time.
type ListWriter struct {
	p     *Printer
	view  View
	n     int
	table *TableWriter
	jq    []any
	err   error
}

// List starts printing a list.
func (p *Printer) List(view View) *ListWriter {
	lw := &ListWriter{p: p, view: view}
	switch {
	case p.Opts.query != nil:
		lw.jq = []any{}
	case p.Opts.Format == Table || p.Opts.Format == Wide:
		lw.table = NewTable(p.IO, headers(view.Columns, p.Opts.Format == Wide)...)
	}
	return lw
}

func headers(cols []Column, wide bool) []string {
	var out []string
	for _, c := range cols {
		if !c.Wide || wide {
			out = append(out, c.Header)
		}
	}
	return out
}

func cells(cols []Column, wide bool, obj map[string]any) []string {
	var out []string
	for _, c := range cols {
		if !c.Wide || wide {
			out = append(out, c.Cell(obj))
		}
	}
	return out
}

// Add prints (or, for a terminal table and --jq, keeps) one object.
func (lw *ListWriter) Add(raw json.RawMessage) error {
	if lw.err != nil {
		return lw.err
	}
	lw.err = lw.add(raw)
	lw.n++
	return lw.err
}

func (lw *ListWriter) add(raw json.RawMessage) error {
	w := lw.p.IO.Out
	switch {
	case lw.jq != nil:
		v, err := Decode(raw)
		if err != nil {
			return fmt.Errorf("decode object: %w", err)
		}
		lw.jq = append(lw.jq, v)
		return nil
	case lw.table != nil, lw.p.Opts.Format == Name:
		v, err := Decode(raw)
		if err != nil {
			return fmt.Errorf("decode object: %w", err)
		}
		obj, _ := v.(map[string]any)
		if lw.table != nil {
			lw.table.Row(cells(lw.view.Columns, lw.p.Opts.Format == Wide, obj)...)
			return nil
		}
		_, err = fmt.Fprintln(w, lw.view.Name(obj))
		return err
	case lw.p.Opts.Format == JSON:
		sep := ",\n  "
		if lw.n == 0 {
			sep = "[\n  "
		}
		if _, err := io.WriteString(w, sep); err != nil {
			return err
		}
		return Indent(w, raw, "  ")
	case lw.p.Opts.Format == YAML:
		n, err := YAMLNode(raw)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := EncodeYAML(&buf, n); err != nil {
			return err
		}
		// One element of a sequence: "- " before the first line, two
		// spaces before the others.
		var out strings.Builder
		first := true
		for line := range strings.Lines(buf.String()) {
			if first {
				out.WriteString("- " + line)
				first = false
			} else if line == "\n" {
				out.WriteString(line)
			} else {
				out.WriteString("  " + line)
			}
		}
		_, err = io.WriteString(w, out.String())
		return err
	}
	return fmt.Errorf("unknown output format %q", lw.p.Opts.Format)
}

// Count is the number of objects added.
func (lw *ListWriter) Count() int { return lw.n }

// Close ends the list: closes the JSON array, renders a terminal table,
// or runs --jq.
func (lw *ListWriter) Close() error {
	if lw.err != nil {
		return lw.err
	}
	w := lw.p.IO.Out
	switch {
	case lw.jq != nil:
		return lw.p.runJQ(lw.jq)
	case lw.table != nil:
		if lw.n == 0 {
			if lw.p.IO.IsStdoutTTY() && lw.view.Empty != "" {
				fmt.Fprintln(lw.p.IO.ErrOut, lw.view.Empty)
			}
			return nil
		}
		return lw.table.Close()
	case lw.p.Opts.Format == JSON:
		if lw.n == 0 {
			_, err := io.WriteString(w, "[]\n")
			return err
		}
		_, err := io.WriteString(w, "\n]\n")
		return err
	case lw.p.Opts.Format == YAML:
		if lw.n == 0 {
			_, err := io.WriteString(w, "[]\n")
			return err
		}
	}
	return nil
}

// Object prints one object: the object itself in JSON and YAML, a
// one-row table, or its name.
func (p *Printer) Object(raw json.RawMessage, view View) error {
	switch {
	case p.Opts.query != nil:
		v, err := Decode(raw)
		if err != nil {
			return fmt.Errorf("decode response: %w", err)
		}
		return p.runJQ(v)
	case p.Opts.Format == JSON:
		if err := Indent(p.IO.Out, raw, ""); err != nil {
			return err
		}
		_, err := io.WriteString(p.IO.Out, "\n")
		return err
	case p.Opts.Format == YAML:
		n, err := YAMLNode(raw)
		if err != nil {
			return err
		}
		return EncodeYAML(p.IO.Out, n)
	}
	lw := p.List(view)
	if err := lw.Add(raw); err != nil {
		return err
	}
	return lw.Close()
}

// JSON prints any JSON response (custom actions): as JSON unless YAML or
// --jq is asked for. Bodies that are not JSON are written unchanged.
func (p *Printer) JSON(raw []byte) error {
	if !json.Valid(raw) {
		if p.Opts.query != nil {
			return fmt.Errorf("--jq: the response is not JSON")
		}
		_, err := p.IO.Out.Write(raw)
		return err
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	switch {
	case p.Opts.query != nil:
		v, err := Decode(raw)
		if err != nil {
			return err
		}
		return p.runJQ(v)
	case p.Opts.Format == YAML:
		n, err := YAMLNode(raw)
		if err != nil {
			return err
		}
		return EncodeYAML(p.IO.Out, n)
	}
	if err := Indent(p.IO.Out, raw, ""); err != nil {
		return err
	}
	_, err := io.WriteString(p.IO.Out, "\n")
	return err
}

// runJQ prints the results of --jq over v: strings raw, other values as
// indented JSON.
func (p *Printer) runJQ(v any) error {
	iter := p.Opts.query.Run(v)
	for {
		r, ok := iter.Next()
		if !ok {
			return nil
		}
		if err, isErr := r.(error); isErr {
			if h, halt := err.(interface{ IsHaltError() bool }); halt && h.IsHaltError() {
				return nil
			}
			return &JQError{Expr: p.Opts.JQ, Err: err}
		}
		if s, isStr := r.(string); isStr {
			if _, err := fmt.Fprintln(p.IO.Out, s); err != nil {
				return err
			}
			continue
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return &JQError{Expr: p.Opts.JQ, Err: err}
		}
		if _, err := p.IO.Out.Write(buf.Bytes()); err != nil {
			return err
		}
	}
}

// JQError is a failure of a --jq expression at run time.
type JQError struct {
	Expr string
	Err  error
}

func (e *JQError) Error() string { return fmt.Sprintf("--jq %q: %v", e.Expr, e.Err) }
func (e *JQError) Unwrap() error { return e.Err }
