package sqldb

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/akgo/akgo/internal/store"
)

// builder renders one statement. Identifiers come from registered
// descriptors and are checked against them before being quoted; every value
// is bound.
type builder struct {
	d    Dialect
	sch  *Schema
	buf  strings.Builder
	args []any
	// nest, when set, writes columns after the next SELECT's own and
	// makes its table known as nestAlias (see folds).
	nest func() error
}

func (b *builder) w(s string) { b.buf.WriteString(s) }

// ident writes name quoted as Quote does, without building the quoted
// string: the quoted names of every statement were a twentieth of a
// retrieve's CPU on PostgreSQL, in allocations.
func (b *builder) ident(name string) {
	if strings.Contains(name, `"`) {
		b.w(Quote(name))
		return
	}
	b.buf.WriteByte('"')
	b.buf.WriteString(name)
	b.buf.WriteByte('"')
}

func (b *builder) bind(v any) string {
	b.args = append(b.args, v)
	return b.d.Placeholder(len(b.args))
}

func (b *builder) table(name string) (*store.Table, error) {
	t, ok := b.sch.Table(name)
	if !ok {
		return nil, fmt.Errorf("store: unknown table %q (not created by the migrations passed to Migrate)", name)
	}
	return t, nil
}

func column(t *store.Table, name string) (*store.Column, error) {
	c, ok := t.Column(name)
	if !ok {
		return nil, fmt.Errorf("store: table %s has no column %q", t.Name, name)
	}
	return c, nil
}

// value converts v for column c and binds it.
func (b *builder) value(c *store.Column, v any) (string, error) {
	cv, err := canonical(c.Type, v)
	if err != nil {
		return "", fmt.Errorf("store: column %s: %w", c.Name, err)
	}
	return b.bind(b.d.Bind(c.Type, cv)), nil
}

// selectCols resolves the requested columns (all when nil).
func selectCols(t *store.Table, names []string) ([]*store.Column, error) {
	if len(names) == 0 {
		cols := make([]*store.Column, len(t.Columns))
		for i := range t.Columns {
			cols[i] = &t.Columns[i]
		}
		return cols, nil
	}
	cols := make([]*store.Column, len(names))
	for i, n := range names {
		c, err := column(t, n)
		if err != nil {
			return nil, err
		}
		cols[i] = c
	}
	return cols, nil
}

// columns writes the quoted names of cols; all says they are every
// column of t, whose list the schema keeps ready.
func (b *builder) columns(t *store.Table, cols []*store.Column, all bool) {
	if list, ok := b.sch.allColumns[t.Name]; ok && all {
		b.w(list)
		return
	}
	for i, c := range cols {
		if i > 0 {
			b.w(", ")
		}
		b.ident(c.Name)
	}
}

// query renders a SELECT and returns the descriptors of its result columns.
func (b *builder) query(q *store.Query) ([]*store.Column, error) {
	t, err := b.table(q.Table)
	if err != nil {
		return nil, err
	}
	cols, err := selectCols(t, q.Columns)
	if err != nil {
		return nil, err
	}
	b.w("SELECT ")
	if q.Distinct {
		b.w("DISTINCT ")
	}
	b.columns(t, cols, len(q.Columns) == 0)
	nest := b.nest
	if nest != nil {
		b.nest = nil
		if err := nest(); err != nil {
			return nil, err
		}
	}
	src, inCol, rest, err := b.inJoin(t, q)
	if err != nil {
		return nil, err
	}
	b.w(" FROM ")
	if src != "" {
		b.w(src)
		b.w(" CROSS JOIN ")
	}
	b.ident(t.Name)
	if nest != nil {
		b.w(" AS ")
		b.ident(nestAlias)
	}
	if src != "" {
		b.w(" WHERE ")
		b.ident(inCol.Name)
		b.w(" = ")
		b.ident(InJoinColumn)
		for _, c := range rest {
			b.w(" AND (")
			if err := b.cond(t, c); err != nil {
				return nil, err
			}
			b.w(")")
		}
	} else if err := b.where(t, q.Where); err != nil {
		return nil, err
	}
	if err := b.orderBy(t, q.OrderBy); err != nil {
		return nil, err
	}
	if q.Limit < 0 || q.Offset < 0 {
		return nil, errors.New("store: negative limit or offset")
	}
	b.w(b.d.LimitOffset(q.Limit, q.Offset, b.bind))
	return cols, nil
}

// orderBy writes the ORDER BY clause of order, if any.
func (b *builder) orderBy(t *store.Table, order []store.Order) error {
	for i, o := range order {
		c, err := column(t, o.Column)
		if err != nil {
			return err
		}
		if i == 0 {
			b.w(" ORDER BY ")
		} else {
			b.w(", ")
		}
		b.ident(c.Name)
		if o.Desc {
			b.w(" DESC")
		} else {
			b.w(" ASC")
		}
		if c.Nullable {
			b.w(b.d.NullsOrder(o.Desc))
		}
	}
	return nil
}

func (b *builder) where(t *store.Table, c store.Cond) error {
	if c == nil {
		return nil
	}
	if _, ok := c.(store.TrueCond); ok {
		return nil
	}
	b.w(" WHERE ")
	return b.cond(t, c)
}

var cmpOps = map[string]string{"=": "=", "!=": "<>", "<>": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}

func (b *builder) cond(t *store.Table, c store.Cond) error {
	switch c := c.(type) {
	case nil, store.TrueCond:
		b.w("1=1")
	case store.FalseCond:
		b.w("1=0")
	case store.AndCond:
		return b.junction(t, []store.Cond(c), " AND ", "1=1")
	case store.OrCond:
		return b.junction(t, []store.Cond(c), " OR ", "1=0")
	case store.NotCond:
		b.w("NOT (")
		if err := b.cond(t, c.Cond); err != nil {
			return err
		}
		b.w(")")
	case store.CmpCond:
		return b.cmp(t, c)
	case store.InCond:
		return b.in(t, c)
	case store.InQueryCond:
		col, err := column(t, c.Column)
		if err != nil {
			return err
		}
		if len(c.Query.Columns) != 1 {
			return fmt.Errorf("store: InQuery on %s needs a subquery selecting exactly one column", c.Column)
		}
		b.ident(col.Name)
		b.w(" IN (")
		if _, err := b.query(&c.Query); err != nil {
			return err
		}
		b.w(")")
	case store.LikeCond:
		col, err := column(t, c.Column)
		if err != nil {
			return err
		}
		switch c.Mode {
		case "contains", "prefix", "suffix", "exact":
		default:
			return fmt.Errorf("store: unknown like mode %q", c.Mode)
		}
		b.w(b.d.Like(Quote(col.Name), col.Type, c.Mode, c.Fold, c.Pattern, b.bind))
	case store.NullCond:
		col, err := column(t, c.Column)
		if err != nil {
			return err
		}
		b.ident(col.Name)
		if c.IsNull {
			b.w(" IS NULL")
		} else {
			b.w(" IS NOT NULL")
		}
	case store.JSONContainsCond:
		col, err := column(t, c.Column)
		if err != nil {
			return err
		}
		if col.Type != store.TypeJSON {
			return fmt.Errorf("store: JSONContains on non-JSON column %s", c.Column)
		}
		doc, err := canonicalJSON(c.Value)
		if err != nil {
			return fmt.Errorf("store: JSONContains on %s: %w", c.Column, err)
		}
		if doc == nil {
			doc = "null"
		}
		b.w(b.d.JSONContains(Quote(col.Name), doc.(string), b.bind))
	case store.JSONPathCond:
		col, err := column(t, c.Column)
		if err != nil {
			return err
		}
		if col.Type != store.TypeJSON {
			return fmt.Errorf("store: JSONPath on non-JSON column %s", c.Column)
		}
		b.w(b.d.JSONPath(Quote(col.Name), c.Path, c.Value, b.bind))
	default:
		return fmt.Errorf("store: unsupported condition %T", c)
	}
	return nil
}

func (b *builder) junction(t *store.Table, cs []store.Cond, op, empty string) error {
	if len(cs) == 0 {
		b.w(empty)
		return nil
	}
	b.w("(")
	for i, c := range cs {
		if i > 0 {
			b.w(op)
		}
		if err := b.cond(t, c); err != nil {
			return err
		}
	}
	b.w(")")
	return nil
}

func (b *builder) cmp(t *store.Table, c store.CmpCond) error {
	col, err := column(t, c.Column)
	if err != nil {
		return err
	}
	op, ok := cmpOps[c.Op]
	if !ok {
		return fmt.Errorf("store: unknown comparison %q", c.Op)
	}
	cv, err := canonical(col.Type, c.Value)
	switch {
	case errors.Is(err, errInvalidUUID) && op == "=":
		// No stored UUID can equal a malformed one; PostgreSQL would reject
		// the literal instead, so answer the question without asking it.
		b.w("1=0")
		return nil
	case errors.Is(err, errInvalidUUID) && op == "<>":
		b.ident(col.Name)
		b.w(" IS NOT NULL")
		return nil
	case err != nil:
		return fmt.Errorf("store: column %s: %w", col.Name, err)
	}
	if cv == nil {
		switch op {
		case "=":
			b.ident(col.Name)
			b.w(" IS NULL")
		case "<>":
			b.ident(col.Name)
			b.w(" IS NOT NULL")
		default:
			return fmt.Errorf("store: %s %s nil", col.Name, c.Op)
		}
		return nil
	}
	b.ident(col.Name)
	b.w(" ")
	b.w(op)
	b.w(" ")
	b.w(b.bind(b.d.Bind(col.Type, cv)))
	return nil
}

// inJoinMax bounds the lists a SELECT joins (see InJoiner): past it, one
// scan of the table probing the list may be the cheaper plan, and only the
// IN form leaves SQLite's planner free to choose it.
const inJoinMax = 1000

// inJoin picks the list of a SELECT that can drive the join of an
// InJoiner dialect: an InCond that is the WHERE or one of its top-level
// conjuncts, on the first column of an index (a foreign key always has
// one; without an index each value would scan the table), of between
// inArrayMin and inJoinMax distinct values, in a query without LIMIT or
// OFFSET (a page walks its ORDER BY index and stops early, which a join
// driven by the list cannot). The values are sorted and deduplicated: the
// join then yields each row once, in the order the IN form's temporary
// index gave. It returns the FROM item, the list's column and the other
// conjuncts, or src "" to keep the IN form.
func (b *builder) inJoin(t *store.Table, q *store.Query) (src string, col *store.Column, rest []store.Cond, err error) {
	j, ok := b.d.(InJoiner)
	if !ok || q.Limit != 0 || q.Offset != 0 {
		return "", nil, nil, nil
	}
	var conds []store.Cond
	switch w := q.Where.(type) {
	case store.InCond:
		conds = []store.Cond{w}
	case store.AndCond:
		conds = w
	default:
		return "", nil, nil, nil
	}
	for i, c := range conds {
		in, ok := c.(store.InCond)
		if !ok || len(in.Values) < inArrayMin || len(in.Values) > inJoinMax {
			continue
		}
		col, err := column(t, in.Column)
		if err != nil {
			return "", nil, nil, err
		}
		if (col.Type != store.TypeText && col.Type != store.TypeUUID && col.Type != store.TypeInt) || (col.Ref == nil && !leadsIndex(t, col.Name)) {
			continue
		}
		vals, err := inValues(col, in)
		if err != nil {
			return "", nil, nil, err
		}
		vals, ok = sortedDistinct(vals)
		if !ok || len(vals) < inArrayMin {
			continue
		}
		src := j.InJoinSource(col.Type, vals, b.bind)
		if src == "" {
			continue
		}
		rest := make([]store.Cond, 0, len(conds)-1)
		rest = append(rest, conds[:i]...)
		rest = append(rest, conds[i+1:]...)
		return src, col, rest, nil
	}
	return "", nil, nil, nil
}

// sortedDistinct sorts canonical int64 or string values in place the way
// SQLite compares them (numerically, byte-wise) and drops repeats; false
// when the values are of another or of mixed types.
func sortedDistinct(vals []any) ([]any, bool) {
	if len(vals) == 0 {
		return vals, true
	}
	switch vals[0].(type) {
	case string:
		for _, v := range vals {
			if _, ok := v.(string); !ok {
				return nil, false
			}
		}
		slices.SortFunc(vals, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
	case int64:
		for _, v := range vals {
			if _, ok := v.(int64); !ok {
				return nil, false
			}
		}
		slices.SortFunc(vals, func(a, b any) int { return cmp.Compare(a.(int64), b.(int64)) })
	default:
		return nil, false
	}
	return slices.Compact(vals), true
}

// inArrayMin is the number of values from which an IN list is bound as
// one array (a page's worth of keys); short lists keep their placeholders,
// which give the planner the values.
const inArrayMin = 8

// inValues returns the canonical values an InCond can match: NULL and
// malformed UUIDs match nothing, so they are dropped.
func inValues(col *store.Column, c store.InCond) ([]any, error) {
	vals := make([]any, 0, len(c.Values))
	for _, v := range c.Values {
		cv, err := canonical(col.Type, v)
		if errors.Is(err, errInvalidUUID) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("store: column %s: %w", col.Name, err)
		}
		if cv == nil {
			continue // NULL is never IN anything
		}
		vals = append(vals, cv)
	}
	return vals, nil
}

func (b *builder) in(t *store.Table, c store.InCond) error {
	col, err := column(t, c.Column)
	if err != nil {
		return err
	}
	vals, err := inValues(col, c)
	if err != nil {
		return err
	}
	if len(vals) == 0 {
		b.w("1=0")
		return nil
	}
	if len(vals) >= inArrayMin && (col.Type == store.TypeText || col.Type == store.TypeUUID || col.Type == store.TypeInt) {
		if sql := b.d.InArray(Quote(col.Name), col.Type, vals, b.bind); sql != "" {
			b.w(sql)
			return nil
		}
	}
	marks := make([]string, len(vals))
	for i, cv := range vals {
		marks[i] = b.bind(b.d.Bind(col.Type, cv))
	}
	b.ident(col.Name)
	b.w(" IN (")
	b.w(strings.Join(marks, ", "))
	b.w(")")
	return nil
}
