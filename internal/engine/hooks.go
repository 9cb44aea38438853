package engine

import (
	"context"

	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// ComputeFunc produces a computed read-only field for one object. row is the
// stored row of the concrete model (or of the family base in polymorphic
// listings), obj the object built so far.
type ComputeFunc func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj Object) (any, error)

// BatchComputeFunc produces a computed field for all rows of a page at
// once and returns one value per row (rows and objs are parallel). A list
// page then costs one query per field instead of one per row and field.
// When a key has both forms, the batch form is used.
type BatchComputeFunc func(ctx context.Context, tx store.Tx, m *registry.Model, rows []store.Row, objs []Object) ([]any, error)

// PageQuery is a computed field whose values come from one read keyed by
// a column of the page's rows. Query gives that read; in it, match(col)
// is the condition selecting the rows whose col holds one of the page
// rows' RowColumn values (a list of values, or on PostgreSQL a subquery
// of the page's own lookup). Values turns the read's result into one
// value per row. A projection sends the reads of all such fields, and of
// the many-to-many sets it shows, together through store.Tx.ReadMany: one
// round trip on PostgreSQL where each field's own query took one each,
// and a retrieve sends them with the object's own read.
type PageQuery struct {
	RowColumn func(m *registry.Model) string
	Query     func(m *registry.Model, match func(col string) store.Cond) store.Query
	Values    func(m *registry.Model, rows []store.Row, result []store.Row) ([]any, error)
}

// batch is the field's hook run on its own.
func (pq PageQuery) batch() BatchComputeFunc {
	return func(ctx context.Context, tx store.Tx, m *registry.Model, rows []store.Row, _ []Object) ([]any, error) {
		var result []store.Row
		if keys := DistinctValues(rows, pq.RowColumn(m)); len(keys) > 0 {
			q := pq.Query(m, func(col string) store.Cond { return store.InCond{Column: col, Values: keys} })
			var err error
			if result, err = tx.Select(ctx, q); err != nil {
				return nil, err
			}
		}
		return pq.Values(m, rows, result)
	}
}

// DistinctValues returns the non-NULL values of col in rows, each once,
// in first-seen order.
func DistinctValues(rows []store.Row, col string) []any {
	seen := make(map[any]bool, len(rows))
	out := make([]any, 0, len(rows))
	for _, r := range rows {
		if v := r[col]; v != nil && !seen[matchKey(v)] {
			seen[matchKey(v)] = true
			out = append(out, v)
		}
	}
	return out
}

// AddPageQuery registers a computed field in its PageQuery form under key
// (as ComputeBatch keys go); it also serves as the key's batch hook.
func (h *Hooks) AddPageQuery(key string, pq PageQuery) {
	if h.PageQueries == nil {
		h.PageQueries = map[string]PageQuery{}
	}
	h.PageQueries[key] = pq
	h.ComputeBatch[key] = pq.batch()
}

// WriteFunc adjusts a row before it is written: fill server-generated
// values, hash secrets, check cross-field rules. old is nil on create.
type WriteFunc func(ctx context.Context, tx store.Tx, m *registry.Model, old, row store.Row, body Object) error

// AfterWriteFunc observes a committed-to-be write inside its transaction:
// op is "create", "update" or "delete"; before is nil on create, after nil
// on delete.
type AfterWriteFunc func(ctx context.Context, tx store.Tx, op string, m *registry.Model, before, after store.Row) error

// FilterFunc turns a custom list parameter into a condition on the table of
// the endpoint's model.
type FilterFunc func(ctx context.Context, m *registry.Model, values []string) (store.Cond, error)

// Hooks holds the model-specific behaviour the generic engine calls.
// Keys are "model.field" (or "*.field" for every model) for Compute,
// the model name (or "*") for BeforeWrite, and "endpoint path:param" for
// Filters.
type Hooks struct {
	// Display renders an object as Django's __str__ does (used_by names),
	// keyed by model name; a model without one uses its nearest ancestor's.
	Display map[string]func(m *registry.Model, row store.Row) string
	Compute map[string]ComputeFunc
	// ComputeBatch holds batch forms, under the same keys as Compute.
	ComputeBatch map[string]BatchComputeFunc
	// PageQueries holds the PageQuery forms AddPageQuery registered, under
	// the same keys (each also has its ComputeBatch entry).
	PageQueries map[string]PageQuery
	// Reads names, under the same keys as Compute, the fields of the row a
	// computed field's hook reads besides the pk (and the parent and model
	// columns). A list then selects only the columns its schema shows;
	// while one hook of the schema has no entry, it selects them all.
	Reads       map[string][]string
	BeforeWrite map[string][]WriteFunc
	AfterWrite  []AfterWriteFunc
	// Hidden rows of a model are never listed or found through the API
	// (authentik's AnonymousUser).
	HiddenRows map[string]store.Cond
	Filters    map[string]FilterFunc
}

// NewHooks returns empty hook tables.
func NewHooks() *Hooks {
	return &Hooks{HiddenRows: map[string]store.Cond{}, Display: map[string]func(*registry.Model, store.Row) string{}, Compute: map[string]ComputeFunc{}, ComputeBatch: map[string]BatchComputeFunc{}, Reads: map[string][]string{}, BeforeWrite: map[string][]WriteFunc{}, Filters: map[string]FilterFunc{}}
}

// compute finds the hook of a field: by "Schema.field" (a field one
// serializer renders differently), "model.field", the hook name the
// registry gives the field, then "*.field". At each key a batch form wins
// over a per-row one; a per-row hook is returned as a batch that loops.
func (h *Hooks) compute(schema, model string, f *registry.Field, field string) BatchComputeFunc {
	var buf [160]byte
	fn, _ := h.find(&buf, schema, model, f, field)
	return fn
}

// computeKey is compute that also returns the key the hook was found under.
func (h *Hooks) computeKey(schema, model string, f *registry.Field, field string) (BatchComputeFunc, string) {
	var buf [160]byte
	fn, k := h.find(&buf, schema, model, f, field)
	return fn, string(k)
}

// find looks the keys up in order and returns the hook with its key.
func (h *Hooks) find(buf *[160]byte, schema, model string, f *registry.Field, field string) (BatchComputeFunc, []byte) {
	// The keys are built in one stack buffer: looking a map up with
	// string(bytes) does not allocate.
	key := func(prefix string) []byte { return append(append(append(buf[:0], prefix...), '.'), field...) }
	lookup := func(k []byte) BatchComputeFunc {
		if fn, ok := h.ComputeBatch[string(k)]; ok {
			return fn
		}
		if fn, ok := h.Compute[string(k)]; ok {
			return perRow(fn)
		}
		return nil
	}
	if schema != "" {
		if k := key(schema); lookup(k) != nil {
			return lookup(k), k
		}
	}
	if k := key(model); lookup(k) != nil {
		return lookup(k), k
	}
	if f != nil && f.Computed != "" && f.Computed != "auto" {
		if k := append(buf[:0], f.Computed...); lookup(k) != nil {
			return lookup(k), k
		}
	}
	if k := key("*"); lookup(k) != nil {
		return lookup(k), k
	}
	return nil, nil
}

// perRow runs a per-row hook as a batch.
func perRow(fn ComputeFunc) BatchComputeFunc {
	return func(ctx context.Context, tx store.Tx, m *registry.Model, rows []store.Row, objs []Object) ([]any, error) {
		out := make([]any, len(rows))
		for i, r := range rows {
			v, err := fn(ctx, tx, m, r, objs[i])
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
}
