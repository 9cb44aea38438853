package postgres

import (
	"context"
	"database/sql/driver"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
)

// The statements dialect.Begin returns; only these are deferred.
const (
	beginRead  = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
	beginWrite = "BEGIN"
)

// pipelineBegin wraps pgx's database/sql connector so that the BEGIN of a
// transaction travels in the same round trip as the transaction's first
// statement.
//
// sqldb drives transactions with explicit BEGIN/COMMIT statements, each a
// round trip of its own; on a request that reads one to three rows, BEGIN
// alone was a fifth to a third of the round trips. BEGIN never fails on a
// healthy connection and a snapshot is only taken by the first statement,
// so sending it later, queued in front of that statement in one pipeline,
// changes nothing the transaction sees. A transaction that runs no
// statement at all sends neither its BEGIN nor its COMMIT/ROLLBACK.
func pipelineBegin(c driver.Connector) driver.Connector { return &pipeConnector{c} }

type pipeConnector struct{ driver.Connector }

func (c *pipeConnector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	sc, ok := dc.(*stdlib.Conn)
	if !ok {
		return dc, nil
	}
	return &pipeConn{sc: sc}, nil
}

// pipeConn is used by one goroutine at a time (database/sql's contract for
// driver connections). Every method that reaches the server by another way
// than ExecContext/QueryContext sends a deferred BEGIN first.
type pipeConn struct {
	sc *stdlib.Conn
	// pending is a BEGIN accepted but not yet sent.
	pending string
}

var (
	_ driver.ExecerContext      = (*pipeConn)(nil)
	_ driver.QueryerContext     = (*pipeConn)(nil)
	_ driver.ConnPrepareContext = (*pipeConn)(nil)
	_ driver.ConnBeginTx        = (*pipeConn)(nil)
	_ driver.SessionResetter    = (*pipeConn)(nil)
	_ driver.Pinger             = (*pipeConn)(nil)
	_ driver.NamedValueChecker  = (*pipeConn)(nil)
)

// flush sends a deferred BEGIN on its own.
func (c *pipeConn) flush(ctx context.Context) error {
	if c.pending == "" {
		return nil
	}
	q := c.pending
	c.pending = ""
	_, err := c.sc.ExecContext(ctx, q, nil)
	return err
}

// Conn is stdlib's escape hatch to pgx; whoever takes it must find the
// transaction open.
func (c *pipeConn) Conn() *pgx.Conn {
	if err := c.flush(context.Background()); err != nil {
		_ = c.sc.Close()
	}
	return c.sc.Conn()
}

func (c *pipeConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	switch {
	case len(args) == 0 && (query == beginRead || query == beginWrite) && c.pending == "":
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if c.sc.Conn().PgConn().TxStatus() != 'I' {
			// Let the server give its usual answer (a warning) rather
			// than pretend.
			return c.sc.ExecContext(ctx, query, args)
		}
		c.pending = query
		return driver.RowsAffected(0), nil
	case len(args) == 0 && (query == "COMMIT" || query == "ROLLBACK") && c.pending != "":
		// Nothing ran: there is nothing to end.
		c.pending = ""
		return driver.RowsAffected(0), nil
	case c.pending == "" || len(args) == 0:
		// Without arguments pgx uses the simple protocol, which allows
		// several statements in one text (migration scripts) and cannot be
		// pipelined with BEGIN as one extended-protocol statement.
		if err := c.flush(ctx); err != nil {
			return nil, err
		}
		return c.sc.ExecContext(ctx, query, args)
	}
	br, err := c.sendWithBegin(ctx, query, args)
	if err != nil {
		return nil, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return driver.RowsAffected(tag.RowsAffected()), nil
}

func (c *pipeConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if c.pending == "" {
		return c.sc.QueryContext(ctx, query, args)
	}
	br, err := c.sendWithBegin(ctx, query, args)
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		_ = br.Close()
		return nil, err
	}
	// Read the first row now, as stdlib does, so a failing statement
	// fails here rather than at the first Next.
	more := rows.Next()
	if err := rows.Err(); err != nil {
		rows.Close()
		_ = br.Close()
		return nil, err
	}
	return &pipeRows{conn: c, rows: rows, br: br, first: true, more: more}, nil
}

// sendWithBegin sends the deferred BEGIN and query in one pipeline and
// consumes BEGIN's result; the caller reads the query's and closes br.
func (c *pipeConn) sendWithBegin(ctx context.Context, query string, args []driver.NamedValue) (pgx.BatchResults, error) {
	begin := c.pending
	c.pending = ""
	vals := make([]any, len(args))
	for i, a := range args {
		vals[i] = a.Value
	}
	b := &pgx.Batch{}
	b.Queue(begin)
	b.Queue(query, vals...)
	br := c.sc.Conn().SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		_ = br.Close()
		if pgconn.SafeToRetry(err) {
			return nil, driver.ErrBadConn
		}
		return nil, err
	}
	return br, nil
}

func (c *pipeConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if err := c.flush(ctx); err != nil {
		return nil, err
	}
	return c.sc.PrepareContext(ctx, query)
}

func (c *pipeConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if err := c.flush(ctx); err != nil {
		return nil, err
	}
	return c.sc.BeginTx(ctx, opts)
}

func (c *pipeConn) Ping(ctx context.Context) error {
	if err := c.flush(ctx); err != nil {
		return err
	}
	return c.sc.Ping(ctx)
}

func (c *pipeConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *pipeConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *pipeConn) Close() error { return c.sc.Close() }

func (c *pipeConn) CheckNamedValue(nv *driver.NamedValue) error { return c.sc.CheckNamedValue(nv) }

// ResetSession runs when database/sql hands the connection out again; a
// BEGIN still deferred then was never sent, so forgetting it leaves the
// connection as the server sees it: outside a transaction.
func (c *pipeConn) ResetSession(ctx context.Context) error {
	c.pending = ""
	return c.sc.ResetSession(ctx)
}

// pipeRows is the driver.Rows of a statement sent with a BEGIN. It gives
// database/sql the same Go values as stdlib's rows: pgx chooses the wire
// format of a batch's columns itself, but each value is decoded into the
// type stdlib would produce for its column type.
type pipeRows struct {
	conn  *pipeConn
	rows  pgx.Rows
	br    pgx.BatchResults
	funcs []func([]byte) (driver.Value, error)
	cols  []string
	// first: more holds the result of the Next already called.
	first, more bool
}

func (r *pipeRows) Columns() []string {
	if r.cols == nil {
		fds := r.rows.FieldDescriptions()
		r.cols = make([]string, len(fds))
		for i, fd := range fds {
			r.cols[i] = fd.Name
		}
	}
	return r.cols
}

func (r *pipeRows) Close() error {
	r.rows.Close()
	err := r.rows.Err()
	if cerr := r.br.Close(); err == nil {
		err = cerr
	}
	return err
}

func (r *pipeRows) Next(dest []driver.Value) error {
	if r.funcs == nil {
		m := r.conn.sc.Conn().TypeMap()
		fds := r.rows.FieldDescriptions()
		r.funcs = make([]func([]byte) (driver.Value, error), len(fds))
		for i, fd := range fds {
			r.funcs[i] = valueFunc(m, fd)
		}
	}
	more := r.more
	if r.first {
		r.first = false
	} else {
		more = r.rows.Next()
	}
	if !more {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return io.EOF
	}
	for i, raw := range r.rows.RawValues() {
		if raw == nil {
			dest[i] = nil
			continue
		}
		v, err := r.funcs[i](raw)
		if err != nil {
			return fmt.Errorf("convert field %d failed: %w", i, err)
		}
		dest[i] = v
	}
	return nil
}

// valueFunc decodes a column into the Go type stdlib's rows use for it.
func valueFunc(m *pgtype.Map, fd pgconn.FieldDescription) func([]byte) (driver.Value, error) {
	switch fd.DataTypeOID {
	case pgtype.BoolOID:
		return scanAs(m, fd, func(v bool) (driver.Value, error) { return v, nil })
	case pgtype.ByteaOID, pgtype.JSONOID, pgtype.JSONBOID, pgtype.XMLOID:
		return scanBytes(m, fd)
	case pgtype.CIDOID, pgtype.OIDOID, pgtype.XIDOID:
		return scanAs(m, fd, func(v pgtype.Uint32) (driver.Value, error) { return v.Value() })
	case pgtype.DateOID:
		return scanAs(m, fd, func(v pgtype.Date) (driver.Value, error) { return v.Value() })
	case pgtype.Float4OID:
		return scanAs(m, fd, func(v float32) (driver.Value, error) { return float64(v), nil })
	case pgtype.Float8OID:
		return scanAs(m, fd, func(v float64) (driver.Value, error) { return v, nil })
	case pgtype.Int2OID:
		return scanAs(m, fd, func(v int16) (driver.Value, error) { return int64(v), nil })
	case pgtype.Int4OID:
		return scanAs(m, fd, func(v int32) (driver.Value, error) { return int64(v), nil })
	case pgtype.Int8OID:
		return scanAs(m, fd, func(v int64) (driver.Value, error) { return v, nil })
	case pgtype.TimestampOID:
		return scanAs(m, fd, func(v pgtype.Timestamp) (driver.Value, error) { return v.Value() })
	case pgtype.TimestamptzOID:
		return scanAs(m, fd, func(v pgtype.Timestamptz) (driver.Value, error) { return v.Value() })
	}
	return scanAs(m, fd, func(v string) (driver.Value, error) { return v, nil })
}

func scanAs[T any](m *pgtype.Map, fd pgconn.FieldDescription, conv func(T) (driver.Value, error)) func([]byte) (driver.Value, error) {
	var d T
	plan := m.PlanScan(fd.DataTypeOID, fd.Format, &d)
	return func(src []byte) (driver.Value, error) {
		if err := plan.Scan(src, &d); err != nil {
			return nil, err
		}
		return conv(d)
	}
}

// scanBytes gives each row its own slice: database/sql may keep the value
// after the next row is read.
func scanBytes(m *pgtype.Map, fd pgconn.FieldDescription) func([]byte) (driver.Value, error) {
	var d []byte
	plan := m.PlanScan(fd.DataTypeOID, fd.Format, &d)
	return func(src []byte) (driver.Value, error) {
		d = nil
		if err := plan.Scan(src, &d); err != nil {
			return nil, err
		}
		return d, nil
	}
}
