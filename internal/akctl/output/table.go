package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"sort"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/akgo/akgo/internal/akctl/iostreams"
)

// Column is one column of a table: a header and the JSON field it shows.
type Column struct {
	Header string
	// Path is a JSON field name, dotted into nested objects
	// ("provider_obj.name").
	Path string
	// Wide columns appear only with -o wide.
	Wide bool
	// Count shows the number of elements of an array field.
	Count bool
	// Key shows the given field of each object of an array field,
	// comma-separated.
	Key string
}

// maxCell bounds a cell on a terminal; piped output is never cut.
const maxCell = 60

// Lookup follows a dotted path through decoded JSON objects.
func Lookup(obj any, path string) (any, bool) {
	cur := obj
	for part := range strings.SplitSeq(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// Cell renders the column's value of an object.
func (c Column) Cell(obj map[string]any) string {
	v, ok := Lookup(obj, c.Path)
	if !ok || v == nil {
		return ""
	}
	if arr, isArr := v.([]any); isArr {
		if c.Count {
			return strconv.Itoa(len(arr))
		}
		if c.Key != "" {
			parts := make([]string, 0, len(arr))
			for _, e := range arr {
				if k, ok := Lookup(e, c.Key); ok {
					parts = append(parts, Scalar(k))
				}
			}
			return strings.Join(parts, ",")
		}
	}
	return Scalar(v)
}

// Scalar renders a JSON value on one line: strings as they are, arrays of
// scalars comma-separated, anything else as compact JSON.
func Scalar(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case bool:
		return strconv.FormatBool(t)
	case int:
		return strconv.Itoa(t)
	case int64:
		return strconv.FormatInt(t, 10)
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case json.Number:
		return t.String()
	case *big.Int:
		return t.String()
	case []any:
		parts := make([]string, len(t))
		for i, e := range t {
			switch e.(type) {
			case map[string]any, []any:
				b, _ := json.Marshal(t)
				return string(b)
			}
			parts[i] = Scalar(e)
		}
		return strings.Join(parts, ",")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// TableWriter writes rows: on a terminal an aligned table with a header,
// rendered at Close; otherwise tab-separated rows without a header,
// written as they come.
type TableWriter struct {
	ios     *iostreams.IOStreams
	headers []string
	rows    [][]string
	tty     bool
	w       io.Writer
	err     error
}

// NewTable starts a table with the given headers.
func NewTable(ios *iostreams.IOStreams, headers ...string) *TableWriter {
	return &TableWriter{ios: ios, headers: headers, tty: ios.IsStdoutTTY(), w: ios.Out}
}

// Row adds a row.
func (t *TableWriter) Row(cells ...string) {
	if t.err != nil {
		return
	}
	if t.tty {
		row := make([]string, len(cells))
		for i, c := range cells {
			row[i] = truncate(strings.ReplaceAll(oneLine(c), "\t", " "), maxCell)
		}
		t.rows = append(t.rows, row)
		return
	}
	row := make([]string, len(cells))
	for i, c := range cells {
		row[i] = strings.ReplaceAll(oneLine(c), "\t", " ")
	}
	_, t.err = io.WriteString(t.w, strings.Join(row, "\t")+"\n")
}

// Len is the number of rows buffered for a terminal.
func (t *TableWriter) Len() int { return len(t.rows) }

// Close renders a terminal table.
func (t *TableWriter) Close() error {
	if t.err != nil || !t.tty {
		return t.err
	}
	headers := t.headers
	// Rendered into a buffer to strip the padding after the last column.
	var buf bytes.Buffer
	table := tablewriter.NewTable(&buf,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenColumns: tw.Off, BetweenRows: tw.Off, ShowHeader: tw.Off},
				Lines:      tw.Lines{ShowHeaderLine: tw.Off, ShowTop: tw.Off, ShowBottom: tw.Off},
			},
		})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithPadding(tw.Padding{Left: "", Right: "   ", Overwrite: true}),
		tablewriter.WithTrimSpace(tw.Off),
	)
	table.Header(headers)
	if err := table.Bulk(t.rows); err != nil {
		return fmt.Errorf("render table: %w", err)
	}
	if err := table.Render(); err != nil {
		return fmt.Errorf("render table: %w", err)
	}
	var out strings.Builder
	for line := range strings.Lines(buf.String()) {
		out.WriteString(strings.TrimRight(line, " \n"))
		out.WriteByte('\n')
	}
	_, err := io.WriteString(t.w, out.String())
	return err
}

func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// SortedKeys returns a map's keys in order (stable output).
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
