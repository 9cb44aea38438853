package sqldb

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/akgo/akgo/internal/store"
)

// ArrayNester is implemented by dialects that can give the one column a
// correlated subquery selects as one array value of the outer row
// (PostgreSQL's ARRAY(SELECT ...)). The driver returns such a column as
// an []any of the values a plain read of the column gives (NULL elements
// as nil).
//
// ReadMany then folds reads keyed by a lookup's own rows into the
// lookup's statement. A retrieve sends its object's lookup and, keyed by
// it, a read per computed set (a flow's stages and policies): three
// statements in one pipeline, each with its protocol (parse, bind,
// describe, execute) on both ends. With the sets as array columns of the
// lookup, akserver's retrieve of a flow ran 6–35% faster under wrk
// (docs/benchmarks.md, seventh round).
type ArrayNester interface {
	// ArraySubquery gives what goes before and after the subquery.
	ArraySubquery() (open, close string)
}

// nestAlias names the lookup's table inside a folded statement, so the
// nested reads can refer to its row even when they read the same table;
// no table is called that.
const nestAlias = "akgo_outer"

// fold is a read ReadMany answers from an array column of the lookup
// (reads[0]) instead of a statement of its own: a read of two columns
// (named, or all of a two-column table), key and val, whose only link to
// the lookup is "key IN (the lookup's own query, selecting outer)".
type fold struct {
	read  int
	table *store.Table // the read's
	key   *store.Column
	outer *store.Column
	val   *store.Column
	rest  []store.Cond
}

// folds returns the reads after the first that can be answered inside the
// first, when the dialect nests arrays and the first read is a lookup
// (LIMIT 1 or 2: a retrieve reads two rows to tell a duplicate). The
// answer is only the one the reads give on their own while the lookup
// finds at most one row; ReadMany reads again without folding when it
// finds more.
func (b *builder) folds(reads []store.Read) ([]fold, error) {
	if _, ok := b.d.(ArrayNester); !ok || len(reads) < 2 {
		return nil, nil
	}
	main := reads[0]
	if main.Count || main.Query.Limit < 1 || main.Query.Limit > 2 {
		return nil, nil
	}
	mt, err := b.table(main.Query.Table)
	if err != nil {
		return nil, err
	}
	var out []fold
	for i := 1; i < len(reads); i++ {
		f, ok, err := b.foldOf(mt, main.Query, reads[i].Query)
		if err != nil {
			return nil, err
		}
		if ok && !reads[i].Count {
			f.read = i
			out = append(out, f)
		}
	}
	return out, nil
}

// foldOf reports whether q is keyed by main's rows the way folds needs.
func (b *builder) foldOf(mt *store.Table, main, q store.Query) (fold, bool, error) {
	if q.Limit != 0 || q.Offset != 0 || q.Distinct {
		return fold{}, false, nil
	}
	t, err := b.table(q.Table)
	if err != nil {
		return fold{}, false, err
	}
	// A many-to-many table's read selects all of its two columns.
	cols := q.Columns
	if cols == nil && len(t.Columns) == 2 {
		cols = []string{t.Columns[0].Name, t.Columns[1].Name}
	}
	if len(cols) != 2 || cols[0] == cols[1] {
		return fold{}, false, nil
	}
	conds := []store.Cond{q.Where}
	if and, ok := q.Where.(store.AndCond); ok {
		conds = and
	}
	link := -1
	var in store.InQueryCond
	for i, c := range conds {
		if iq, ok := c.(store.InQueryCond); ok && sameLookup(main, iq.Query) {
			link, in = i, iq
			break
		}
	}
	if link < 0 {
		return fold{}, false, nil
	}
	valName := cols[0]
	if valName == in.Column {
		valName = cols[1]
	} else if cols[1] != in.Column {
		return fold{}, false, nil
	}
	if main.Columns != nil && !slices.Contains(main.Columns, in.Query.Columns[0]) {
		return fold{}, false, nil
	}
	key, err := column(t, in.Column)
	if err != nil {
		return fold{}, false, err
	}
	val, err := column(t, valName)
	if err != nil {
		return fold{}, false, err
	}
	outer, err := column(mt, in.Query.Columns[0])
	if err != nil {
		return fold{}, false, err
	}
	switch val.Type {
	case store.TypeText, store.TypeUUID, store.TypeInt:
	default:
		return fold{}, false, nil
	}
	if key.Type != outer.Type {
		return fold{}, false, nil
	}
	rest := slices.Concat(conds[:link], conds[link+1:])
	return fold{table: t, key: key, outer: outer, val: val, rest: rest}, true, nil
}

// sameLookup reports whether sub is main's own query selecting one column.
func sameLookup(main, sub store.Query) bool {
	return len(sub.Columns) == 1 && sub.Table == main.Table && sub.Limit == main.Limit &&
		sub.Offset == main.Offset && sub.Distinct == main.Distinct && slices.Equal(sub.OrderBy, main.OrderBy) &&
		sameCond(sub.Where, main.Where)
}

// sameCond is reflect.DeepEqual for conditions, without reflection for
// the comparisons, conjunctions and negations lookups are made of:
// reflecting on a retrieve's condition was 4% of its CPU on PostgreSQL.
func sameCond(a, b store.Cond) bool {
	switch x := a.(type) {
	case store.CmpCond:
		y, ok := b.(store.CmpCond)
		return ok && x.Column == y.Column && x.Op == y.Op && sameValue(x.Value, y.Value)
	case store.AndCond:
		y, ok := b.(store.AndCond)
		return ok && (x == nil) == (y == nil) && slices.EqualFunc(x, y, sameCond)
	case store.NotCond:
		y, ok := b.(store.NotCond)
		return ok && sameCond(x.Cond, y.Cond)
	}
	return reflect.DeepEqual(a, b)
}

// sameValue is reflect.DeepEqual for a condition's value.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case string:
		return equalTo(x, b)
	case int64:
		return equalTo(x, b)
	case int:
		return equalTo(x, b)
	case bool:
		return equalTo(x, b)
	}
	return reflect.DeepEqual(a, b)
}

// equalTo reports whether b is a T equal to x.
func equalTo[T comparable](x T, b any) bool {
	y, ok := b.(T)
	return ok && x == y
}

// nested writes, after the lookup's columns, one array column per fold:
// the fold's values for the lookup's row, in the read's order.
func (b *builder) nested(folds []fold, reads []store.Read) error {
	n := b.d.(ArrayNester)
	for _, f := range folds {
		t := f.table
		open, close := n.ArraySubquery()
		b.w(", ")
		b.w(open)
		b.w("SELECT ")
		b.ident(f.val.Name)
		b.w(" FROM ")
		b.ident(t.Name)
		b.w(" WHERE ")
		b.ident(t.Name)
		b.w(".")
		b.ident(f.key.Name)
		b.w(" = ")
		b.ident(nestAlias)
		b.w(".")
		b.ident(f.outer.Name)
		for _, c := range f.rest {
			b.w(" AND (")
			if err := b.cond(t, c); err != nil {
				return err
			}
			b.w(")")
		}
		if err := b.orderBy(t, reads[f.read].Query.OrderBy); err != nil {
			return err
		}
		b.w(close)
	}
	return nil
}

// unfold turns the array column of f in the lookup's row into the rows the
// read gives on its own: the key (the lookup row's outer value) and each
// value.
func (f fold) unfold(outerVal any, arr any) ([]store.Row, error) {
	if arr == nil {
		return []store.Row{}, nil
	}
	vals, ok := arr.([]any)
	if !ok {
		return nil, fmt.Errorf("store: %s.%s: nested read returned %T, not an array", f.table.Name, f.val.Name, arr)
	}
	rows := make([]store.Row, len(vals))
	for i, v := range vals {
		dv, err := decode(f.val.Type, v)
		if err != nil {
			return nil, fmt.Errorf("store: %s.%s: %w", f.table.Name, f.val.Name, err)
		}
		rows[i] = store.Row{f.key.Name: outerVal, f.val.Name: dv}
	}
	return rows, nil
}
