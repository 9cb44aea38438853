package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/akgo/akgo/internal/store"
)

// tx implements store.Tx on a connection inside an explicit transaction.
type tx struct {
	s        *DB
	sch      *Schema
	conn     *sql.Conn
	readOnly bool
	// autocommit: a ViewCommitted's, run outside any transaction (see
	// AutocommitReader), where no read-only transaction stops what Exec
	// runs.
	autocommit bool
	// failed is the first statement error. Every later call returns it, so
	// SQLite (which keeps the transaction usable) behaves like PostgreSQL
	// (which aborts it) and callers cannot come to depend on either.
	failed error
	// touched lists tables written by Insert/UpdateWhere, where a deferred
	// foreign-key violation can come from.
	touched []string
}

var _ store.Tx = (*tx)(nil)

func (t *tx) touch(table string) {
	for _, n := range t.touched {
		if n == table {
			return
		}
	}
	t.touched = append(t.touched, table)
}

func (t *tx) touchedTables() []string { return t.touched }

func (t *tx) begin(write bool) error {
	if t.failed != nil {
		return fmt.Errorf("store: transaction already failed: %w", t.failed)
	}
	if write && t.readOnly {
		return store.ErrReadOnly
	}
	return nil
}

// fail records a database error after translating it.
func (t *tx) fail(err error) error {
	err = t.s.translate(err, t.sch)
	if t.failed == nil {
		t.failed = err
	}
	return err
}

func (t *tx) newBuilder() *builder {
	b := &builder{d: t.s.d, sch: t.sch}
	b.buf.Grow(512) // most statements fit; growing step by step cost more
	return b
}

func (t *tx) Insert(ctx context.Context, table string, row store.Row) (int64, error) {
	id, _, err := t.insert(ctx, table, row, false, false)
	return id, err
}

func (t *tx) InsertReturning(ctx context.Context, table string, row store.Row) (store.Row, error) {
	_, stored, err := t.insert(ctx, table, row, true, false)
	return stored, err
}

func (t *tx) InsertLater(ctx context.Context, table string, row store.Row) error {
	_, _, err := t.insert(ctx, table, row, false, true)
	return err
}

// insert renders and runs one INSERT. With returning, the statement's
// RETURNING clause lists every column and the row is decoded as Select
// decodes it; otherwise only a generated key is returned. With later, an
// INSERT that returns nothing is handed to a connection that can defer
// it (ExecDeferrer) instead of being run.
func (t *tx) insert(ctx context.Context, table string, row store.Row, returning, later bool) (int64, store.Row, error) {
	if err := t.begin(true); err != nil {
		return 0, nil, err
	}
	b := t.newBuilder()
	tbl, err := b.table(table)
	if err != nil {
		return 0, nil, err
	}
	var cols, marks []string
	explicitID := false
	for i := range tbl.Columns {
		c := &tbl.Columns[i]
		v, ok := row[c.Name]
		if !ok {
			continue
		}
		if tbl.AutoIncrement && c.Name == tbl.PK[0] {
			if v == nil {
				continue // let the database generate it
			}
			explicitID = true
		}
		m, err := b.value(c, v)
		if err != nil {
			return 0, nil, err
		}
		cols = append(cols, Quote(c.Name))
		marks = append(marks, m)
	}
	if err := unknownColumns(tbl, row); err != nil {
		return 0, nil, err
	}
	b.w("INSERT INTO ")
	b.ident(tbl.Name)
	if len(cols) == 0 {
		b.w(" DEFAULT VALUES")
	} else {
		b.w(" (" + strings.Join(cols, ", ") + ") VALUES (" + strings.Join(marks, ", ") + ")")
	}
	t.touch(tbl.Name)
	var id int64
	var stored store.Row
	switch {
	case returning:
		all, _ := selectCols(tbl, nil) // every column: cannot fail
		b.w(" RETURNING ")
		b.columns(tbl, all, true)
		raw := make([]any, len(all))
		ptrs := make([]any, len(all))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := t.conn.QueryRowContext(ctx, b.buf.String(), b.args...).Scan(ptrs...); err != nil {
			return 0, nil, t.fail(err)
		}
		if stored, err = decodeRow(tbl.Name, all, raw); err != nil {
			return 0, nil, err
		}
		if tbl.AutoIncrement {
			id, _ = stored[tbl.PK[0]].(int64)
		}
	case tbl.AutoIncrement:
		b.w(" RETURNING " + Quote(tbl.PK[0]))
		if err := t.conn.QueryRowContext(ctx, b.buf.String(), b.args...).Scan(&id); err != nil {
			return 0, nil, t.fail(err)
		}
	default:
		if later && !t.s.noDefer.Load() {
			deferred, err := t.deferExec(b.buf.String(), b.args)
			if err != nil {
				return 0, nil, t.fail(err)
			}
			if deferred {
				return 0, nil, nil
			}
		}
		if _, err := t.conn.ExecContext(ctx, b.buf.String(), b.args...); err != nil {
			return 0, nil, t.fail(err)
		}
		return 0, nil, nil
	}
	if explicitID {
		if q := t.s.d.AfterExplicitID(tbl.Name, tbl.PK[0]); q != "" {
			if _, err := t.conn.ExecContext(ctx, q); err != nil {
				return 0, nil, t.fail(err)
			}
		}
	}
	return id, stored, nil
}

// insertManyParams bounds the parameters of one InsertMany statement,
// far below SQLite's (32,766) and PostgreSQL's (65,535) limits.
const insertManyParams = 1000

func (t *tx) InsertMany(ctx context.Context, table string, rows []store.Row) error {
	if len(rows) == 0 {
		return nil
	}
	if err := t.begin(true); err != nil {
		return err
	}
	probe := t.newBuilder()
	tbl, err := probe.table(table)
	if err != nil {
		return err
	}
	if err := unknownColumns(tbl, rows[0]); err != nil {
		return err
	}
	var cols []*store.Column
	explicitID := false
	for i := range tbl.Columns {
		c := &tbl.Columns[i]
		if _, ok := rows[0][c.Name]; ok {
			cols = append(cols, c)
			explicitID = explicitID || tbl.AutoIncrement && c.Name == tbl.PK[0]
		}
	}
	if len(cols) == 0 {
		return fmt.Errorf("store: insert many into %s: rows give no columns", tbl.Name)
	}
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = Quote(c.Name)
	}
	head := "INSERT INTO " + Quote(tbl.Name) + " (" + strings.Join(quoted, ", ") + ") VALUES "
	per := max(1, insertManyParams/len(cols))
	t.touch(tbl.Name)
	for len(rows) > 0 {
		n := min(len(rows), per)
		b := t.newBuilder()
		b.w(head)
		for i, row := range rows[:n] {
			if len(row) != len(cols) {
				return fmt.Errorf("store: insert many into %s: row %d gives %d columns, the first gives %d", tbl.Name, i, len(row), len(cols))
			}
			if i > 0 {
				b.w(", ")
			}
			b.w("(")
			for j, c := range cols {
				v, ok := row[c.Name]
				if !ok {
					return fmt.Errorf("store: insert many into %s: row %d lacks column %s", tbl.Name, i, c.Name)
				}
				m, err := b.value(c, v)
				if err != nil {
					return err
				}
				if j > 0 {
					b.w(", ")
				}
				b.w(m)
			}
			b.w(")")
		}
		if _, err := t.conn.ExecContext(ctx, b.buf.String(), b.args...); err != nil {
			return t.fail(err)
		}
		rows = rows[n:]
	}
	if explicitID {
		if q := t.s.d.AfterExplicitID(tbl.Name, tbl.PK[0]); q != "" {
			if _, err := t.conn.ExecContext(ctx, q); err != nil {
				return t.fail(err)
			}
		}
	}
	return nil
}

// decodeRow converts one scanned result row of the given columns, the
// same way for Select and InsertReturning so both hand out equal rows.
func decodeRow(table string, cols []*store.Column, raw []any) (store.Row, error) {
	r := make(store.Row, len(cols))
	for i, c := range cols {
		v, err := decode(c.Type, raw[i])
		if err != nil {
			return nil, fmt.Errorf("store: %s.%s: %w", table, c.Name, err)
		}
		r[c.Name] = v
	}
	return r, nil
}

func unknownColumns(tbl *store.Table, row store.Row) error {
	for k := range row {
		if _, ok := tbl.Column(k); !ok {
			return fmt.Errorf("store: table %s has no column %q", tbl.Name, k)
		}
	}
	return nil
}

func (t *tx) UpdateWhere(ctx context.Context, table string, where store.Cond, set store.Row) (int64, error) {
	if err := t.begin(true); err != nil {
		return 0, err
	}
	if len(set) == 0 {
		return t.Count(ctx, store.Query{Table: table, Where: where})
	}
	b := t.newBuilder()
	tbl, err := b.table(table)
	if err != nil {
		return 0, err
	}
	if err := unknownColumns(tbl, set); err != nil {
		return 0, err
	}
	b.w("UPDATE " + Quote(tbl.Name) + " SET ")
	n := 0
	for i := range tbl.Columns {
		c := &tbl.Columns[i]
		v, ok := set[c.Name]
		if !ok {
			continue
		}
		if n > 0 {
			b.w(", ")
		}
		n++
		m, err := b.value(c, v)
		if err != nil {
			return 0, err
		}
		b.w(Quote(c.Name) + " = " + m)
	}
	if err := b.where(tbl, where); err != nil {
		return 0, err
	}
	t.touch(tbl.Name)
	res, err := t.conn.ExecContext(ctx, b.buf.String(), b.args...)
	if err != nil {
		return 0, t.fail(err)
	}
	return res.RowsAffected()
}

func (t *tx) DeleteWhere(ctx context.Context, table string, where store.Cond) (int64, error) {
	if err := t.begin(true); err != nil {
		return 0, err
	}
	b := t.newBuilder()
	tbl, err := b.table(table)
	if err != nil {
		return 0, err
	}
	for _, ref := range t.sch.ReferencesTo(tbl.Name) {
		if onDelete(&ref.Ref) == store.SetDefault {
			// The default a row falls back to may itself be dangling, which
			// is only noticed at COMMIT.
			t.touch(ref.Table)
		}
	}
	b.w("DELETE FROM " + Quote(tbl.Name))
	if err := b.where(tbl, where); err != nil {
		return 0, err
	}
	res, err := t.conn.ExecContext(ctx, b.buf.String(), b.args...)
	if err != nil {
		err = t.s.translate(err, t.sch)
		var fk *store.ForeignKeyError
		if errors.As(err, &fk) && fk.Table == "" {
			// Only RESTRICT fails at the DELETE itself (the other checks are
			// deferred); find which reference blocked it while the
			// transaction still can answer.
			fk.Table, fk.Column = t.blockingReference(ctx, tbl, where)
		}
		return 0, t.fail(err)
	}
	return res.RowsAffected()
}

// blockingReference looks for a RESTRICT reference to one of the rows
// matched by where. It is only reached on backends that keep the
// transaction usable after a failed statement.
func (t *tx) blockingReference(ctx context.Context, tbl *store.Table, where store.Cond) (string, string) {
	for _, ref := range t.sch.ReferencesTo(tbl.Name) {
		if onDelete(&ref.Ref) != store.Restrict {
			continue
		}
		b := t.newBuilder()
		b.w("SELECT 1 FROM " + Quote(ref.Table) + " WHERE " + Quote(ref.Column) + " IN (SELECT " + Quote(ref.Ref.Column) + " FROM " + Quote(tbl.Name))
		if err := b.where(tbl, where); err != nil {
			continue
		}
		b.w(") LIMIT 1")
		var one int
		if err := t.conn.QueryRowContext(ctx, b.buf.String(), b.args...).Scan(&one); err == nil {
			return ref.Table, ref.Column
		}
	}
	return "", ""
}

func (t *tx) Select(ctx context.Context, q store.Query) ([]store.Row, error) {
	if err := t.begin(false); err != nil {
		return nil, err
	}
	b := t.newBuilder()
	cols, err := b.query(&q)
	if err != nil {
		return nil, err
	}
	rows, err := t.conn.QueryContext(ctx, b.buf.String(), b.args...)
	if err != nil {
		return nil, t.fail(err)
	}
	defer rows.Close()
	raw := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	// A page's rows arrive in one go: sized for them up front instead of
	// growing the slice seven times on the way to 100.
	out := make([]store.Row, 0, min(max(q.Limit, 0), 1000))
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, t.fail(err)
		}
		r, err := decodeRow(q.Table, cols, raw)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, t.fail(err)
	}
	return out, nil
}

func (t *tx) Count(ctx context.Context, q store.Query) (int64, error) {
	if err := t.begin(false); err != nil {
		return 0, err
	}
	b := t.newBuilder()
	if err := b.count(q); err != nil {
		return 0, err
	}
	var n int64
	if err := t.conn.QueryRowContext(ctx, b.buf.String(), b.args...).Scan(&n); err != nil {
		return 0, t.fail(err)
	}
	return n, nil
}

// count renders the statement Count runs for q.
func (b *builder) count(q store.Query) error {
	if q.Distinct || q.Limit > 0 || q.Offset > 0 {
		// The count must see the same rows Select would return.
		q.OrderBy = nil
		if !q.Distinct {
			tbl, err := b.table(q.Table)
			if err != nil {
				return err
			}
			q.Columns = tbl.PK
		}
		b.w("SELECT COUNT(*) FROM (")
		if _, err := b.query(&q); err != nil {
			return err
		}
		b.w(") AS " + Quote("counted"))
		return nil
	}
	tbl, err := b.table(q.Table)
	if err != nil {
		return err
	}
	if c, ok := excludedValue(tbl, q.Where); ok {
		// All rows but those holding one value of a NOT NULL column
		// (the hidden anonymous user): the whole table's count comes
		// from the b-tree in SQLite without reading a row, and the
		// excluded rows from an index, where the condition as written
		// would be checked on every row.
		b.w("SELECT ")
		b.wholeCount(tbl.Name)
		b.w(" - (SELECT COUNT(*) FROM ")
		b.ident(tbl.Name)
		b.w(" WHERE ")
		if err := b.cmp(tbl, c); err != nil {
			return err
		}
		b.w(")")
		return nil
	}
	switch q.Where.(type) {
	case nil, store.TrueCond:
		if b.sch.counted[tbl.Name] {
			b.w("SELECT ")
			b.wholeCount(tbl.Name)
			return nil
		}
	}
	b.w("SELECT COUNT(*) FROM ")
	b.ident(tbl.Name)
	return b.where(tbl, q.Where)
}

// wholeCount writes an expression giving the number of rows of table:
// the count the database keeps when it keeps one (RowCounter).
func (b *builder) wholeCount(table string) {
	if rc, ok := b.d.(RowCounter); ok && b.sch.counted[table] {
		b.w(rc.TableCount(table))
		return
	}
	b.w("(SELECT COUNT(*) FROM ")
	b.ident(table)
	b.w(")")
}

func (t *tx) Exec(ctx context.Context, q string, args ...any) error {
	// In a view the database's read-only transaction refuses a raw write;
	// outside any transaction nothing would, so nothing raw runs there.
	if err := t.begin(t.autocommit); err != nil {
		return err
	}
	bound := make([]any, len(args))
	for i, a := range args {
		bound[i] = t.s.d.BindRaw(a)
	}
	if _, err := t.conn.ExecContext(ctx, t.s.d.RewritePlaceholders(q), bound...); err != nil {
		return t.fail(err)
	}
	return nil
}

// execDDL runs schema statements verbatim (RawSQL steps may contain "?"
// operators that must not be rewritten).
func (t *tx) execDDL(ctx context.Context, q string) error {
	if err := t.begin(true); err != nil {
		return err
	}
	if _, err := t.conn.ExecContext(ctx, q); err != nil {
		return t.fail(fmt.Errorf("%w\n%s", err, q))
	}
	return nil
}

// excludedValue recognises NOT (column = value) on a NOT NULL column with
// a non-NULL value. Only then does every row either equal the value or
// match, so the count is the table's minus the equal rows.
func excludedValue(t *store.Table, where store.Cond) (store.CmpCond, bool) {
	n, ok := where.(store.NotCond)
	if !ok {
		return store.CmpCond{}, false
	}
	c, ok := n.Cond.(store.CmpCond)
	if !ok || c.Op != "=" || c.Value == nil {
		return store.CmpCond{}, false
	}
	col, ok := t.Column(c.Column)
	if !ok || col.Nullable {
		return store.CmpCond{}, false
	}
	if _, err := canonical(col.Type, c.Value); err != nil {
		return store.CmpCond{}, false
	}
	return c, true
}
