package postgres

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/akgo/akgo/internal/store/sqldb"
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
//
// The COMMIT or ROLLBACK of a read-only transaction is held back the same
// way and sent in front of the connection's next statement: it changes
// nothing any transaction sees, so only the round trip is saved. Requests
// that read a row or two paid a quarter to a half of their round trips
// for it. A timer sends it by itself if the connection stays unused
// (commitDelay). Writes' COMMIT is always sent at once: its result
// matters.
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

// commitDelay is how long the end of a read transaction may wait for the
// connection's next statement to travel with. Until it is sent the server
// keeps the connection "idle in transaction": its AccessShare locks block
// DDL from other processes and its snapshot holds back vacuum. Under load
// the next request usually comes sooner; an idle connection pays one
// background round trip this long after its last read.
const commitDelay = 2 * time.Millisecond

// endTimeout bounds the timer's own send of a deferred end, which has no
// caller's context to bound it.
const endTimeout = 5 * time.Second

// pipeConn is used by one goroutine at a time (database/sql's contract for
// driver connections), plus the timer that sends a deferred end of a read
// transaction by itself; mu serialises the two. The timer only acts while
// pendingEnd is set, and that is only set when no rows are open, so rows
// read outside mu never meet it. Every method that reaches the server by
// another way than a pipeline sends what is deferred first.
type pipeConn struct {
	sc *stdlib.Conn

	mu sync.Mutex
	// pending is a BEGIN accepted but not yet sent.
	pending string
	// open is the BEGIN sent through here that opened the transaction the
	// server is in, "" when unknown; only a beginRead transaction may have
	// its end deferred.
	open string
	// pendingEnd is the COMMIT or ROLLBACK of a read transaction accepted
	// but not yet sent; the server still reports that transaction open.
	pendingEnd string
	timer      *time.Timer
	// broken: a deferred end failed, so the server's transaction state is
	// unknown and database/sql must discard the connection.
	broken error
	closed bool
	// queued are statements of the open transaction held back by
	// DeferExec, to go out in order with its next statement.
	queued []queuedExec
	// decoders holds the column decoders of the statements this
	// connection read rows of, by statement text (see decodersFor).
	decoders map[string]*decoders
}

// queuedExec is a statement DeferExec held back.
type queuedExec struct {
	query string
	args  []any
}

// DeferExec holds a statement of the open (write) transaction back: it
// goes out with the transaction's next statement, or its COMMIT, in the
// same pipeline and ahead of it, and an error of it is that statement's.
// A ROLLBACK drops it. An INSERT whose answer nobody waits for then costs
// no round trip of its own.
func (c *pipeConn) DeferExec(query string, args []any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken != nil {
		return driver.ErrBadConn
	}
	c.queued = append(c.queued, queuedExec{query, args})
	return nil
}

// decoders are the value functions of one statement's result columns,
// with the column types and formats they were planned for.
type decoders struct {
	oids    []uint32
	formats []int16
	funcs   []func([]byte) (driver.Value, error)
}

// maxDecoders bounds the statements whose decoders a connection keeps;
// akserver's statement shapes are far fewer.
const maxDecoders = 1024

// decodersFor returns the value functions of a result's columns. Planning
// them (pgtype's PlanScan per column) on every read was a twentieth of a
// retrieve's CPU in this process; the same statement text gives the same
// columns, which is checked, so they are kept per connection. Used by one
// goroutine at a time, like the connection.
func (c *pipeConn) decodersFor(query string, fds []pgconn.FieldDescription) []func([]byte) (driver.Value, error) {
	if d, ok := c.decoders[query]; ok && len(d.oids) == len(fds) {
		same := true
		for i, fd := range fds {
			if d.oids[i] != fd.DataTypeOID || d.formats[i] != fd.Format {
				same = false
				break
			}
		}
		if same {
			return d.funcs
		}
	}
	m := c.sc.Conn().TypeMap()
	d := &decoders{oids: make([]uint32, len(fds)), formats: make([]int16, len(fds)),
		funcs: make([]func([]byte) (driver.Value, error), len(fds))}
	for i, fd := range fds {
		d.oids[i], d.formats[i], d.funcs[i] = fd.DataTypeOID, fd.Format, valueFunc(m, fd)
	}
	if c.decoders == nil || len(c.decoders) >= maxDecoders {
		c.decoders = map[string]*decoders{}
	}
	c.decoders[query] = d
	return d.funcs
}

var (
	_ driver.ExecerContext      = (*pipeConn)(nil)
	_ driver.QueryerContext     = (*pipeConn)(nil)
	_ driver.ConnPrepareContext = (*pipeConn)(nil)
	_ driver.ConnBeginTx        = (*pipeConn)(nil)
	_ driver.SessionResetter    = (*pipeConn)(nil)
	_ driver.Validator          = (*pipeConn)(nil)
	_ driver.Pinger             = (*pipeConn)(nil)
	_ driver.NamedValueChecker  = (*pipeConn)(nil)
	_ sqldb.BatchQueryer        = (*pipeConn)(nil)
	_ sqldb.ExecDeferrer        = (*pipeConn)(nil)
)

// flush sends what is deferred on its own: the last read transaction's
// end, then a BEGIN.
func (c *pipeConn) flush(ctx context.Context) error {
	if err := c.flushEnd(ctx); err != nil {
		return err
	}
	if c.pending != "" {
		q := c.pending
		c.pending = ""
		if _, err := c.sc.ExecContext(ctx, q, nil); err != nil {
			return err
		}
		c.open = q
	}
	if len(c.queued) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	n := c.queueHeld(b)
	br, err := c.sendBatch(ctx, b, "", "", n)
	if err != nil {
		return err
	}
	return br.Close()
}

// flushEnd sends a deferred end of a read transaction on its own.
func (c *pipeConn) flushEnd(ctx context.Context) error {
	if c.pendingEnd == "" {
		return nil
	}
	q := c.pendingEnd
	c.pendingEnd = ""
	c.timer.Stop()
	if _, err := c.sc.ExecContext(ctx, q, nil); err != nil {
		return c.endFailed(err)
	}
	return nil
}

// endFailed: the server may still be in the read transaction whose end
// could not be sent, so the connection must not be used again.
func (c *pipeConn) endFailed(err error) error {
	c.broken = err
	if errors.Is(err, driver.ErrBadConn) || pgconn.SafeToRetry(err) {
		return driver.ErrBadConn
	}
	return err
}

// endLater is the timer's: nothing used the connection since a read
// transaction ended, so its end goes alone.
func (c *pipeConn) endLater() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pendingEnd == "" || c.closed || c.broken != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), endTimeout)
	defer cancel()
	_ = c.flushEnd(ctx)
}

// deferEnd reports whether ending the current transaction with COMMIT or
// ROLLBACK may wait: it is a read transaction (whose end changes nothing
// another transaction sees and cannot fail on a healthy connection) and no
// statement of it is still running. A failed transaction ('E') ends at
// once: pgx prepares a batch's new statements before sending it, and the
// server refuses to prepare anything inside a failed transaction.
func (c *pipeConn) deferEnd(ctx context.Context) bool {
	if c.open != beginRead || c.pendingEnd != "" || ctx.Err() != nil {
		return false
	}
	pc := c.sc.Conn().PgConn()
	return pc.TxStatus() == 'T' && !pc.IsBusy() && !pc.IsClosed()
}

// Conn is stdlib's escape hatch to pgx; whoever takes it must find the
// transaction open, and may end it or start others unseen.
func (c *pipeConn) Conn() *pgx.Conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.flush(context.Background()); err != nil {
		_ = c.sc.Close()
	}
	c.open = ""
	return c.sc.Conn()
}

func (c *pipeConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken != nil {
		return nil, driver.ErrBadConn
	}
	switch {
	case len(args) == 0 && (query == beginRead || query == beginWrite) && c.pending == "":
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// A deferred end counts as ended: it is sent before this BEGIN.
		if c.pendingEnd == "" && c.sc.Conn().PgConn().TxStatus() != 'I' {
			// Let the server give its usual answer (a warning) rather
			// than pretend.
			return c.sc.ExecContext(ctx, query, args)
		}
		c.pending = query
		return driver.RowsAffected(0), nil
	case len(args) == 0 && query == "ROLLBACK" && len(c.queued) > 0:
		// What was held back is rolled back unsent.
		c.queued = nil
		if c.pending != "" {
			c.pending = ""
			return driver.RowsAffected(0), nil
		}
		c.open = ""
		return c.sc.ExecContext(ctx, query, args)
	case len(args) == 0 && (query == "COMMIT" || query == "ROLLBACK") && c.pending != "" && len(c.queued) == 0:
		// Nothing ran: there is nothing to end.
		c.pending = ""
		return driver.RowsAffected(0), nil
	case len(args) == 0 && query == "COMMIT" && len(c.queued) > 0:
		// The held-back statements and the COMMIT in one round trip: the
		// first failure fails the COMMIT too, which reports it.
		c.open = ""
		br, err := c.sendDeferred(ctx, query, nil)
		if err != nil {
			return nil, err
		}
		_, err = br.Exec()
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, err
		}
		return driver.RowsAffected(0), nil
	case len(args) == 0 && (query == "COMMIT" || query == "ROLLBACK") && c.deferEnd(ctx):
		c.open = ""
		c.pendingEnd = query
		if c.timer == nil {
			c.timer = time.AfterFunc(commitDelay, c.endLater)
		} else {
			c.timer.Reset(commitDelay)
		}
		return driver.RowsAffected(0), nil
	case c.pending == "" && c.pendingEnd == "" && len(c.queued) == 0 || len(args) == 0:
		// Without arguments pgx uses the simple protocol, which allows
		// several statements in one text (migration scripts) and cannot be
		// pipelined with BEGIN as one extended-protocol statement.
		if err := c.flush(ctx); err != nil {
			return nil, err
		}
		if query == "COMMIT" || query == "ROLLBACK" {
			c.open = ""
		}
		return c.sc.ExecContext(ctx, query, args)
	}
	br, err := c.sendDeferred(ctx, query, namedValues(args))
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
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken != nil {
		return nil, driver.ErrBadConn
	}
	if c.pending == "" && c.pendingEnd == "" && len(c.queued) == 0 {
		return c.sc.QueryContext(ctx, query, args)
	}
	br, err := c.sendDeferred(ctx, query, namedValues(args))
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
	return &pipeRows{conn: c, query: query, rows: rows, br: br, first: true, more: more}, nil
}

func namedValues(args []driver.NamedValue) []any {
	vals := make([]any, len(args))
	for i, a := range args {
		vals[i] = a.Value
	}
	return vals
}

// sendDeferred sends the deferred end and BEGIN and the query in one
// pipeline and consumes the results of the deferred statements; the
// caller reads the query's and closes br.
func (c *pipeConn) sendDeferred(ctx context.Context, query string, args []any) (pgx.BatchResults, error) {
	b := &pgx.Batch{}
	end, begin, n := c.queueDeferred(b)
	b.Queue(query, args...)
	return c.sendBatch(ctx, b, end, begin, n)
}

// queueDeferred puts what is deferred at the head of b and clears it:
// a read transaction's end, a BEGIN, and n held-back statements.
func (c *pipeConn) queueDeferred(b *pgx.Batch) (end, begin string, n int) {
	end, begin = c.pendingEnd, c.pending
	if end != "" {
		c.pendingEnd = ""
		c.timer.Stop()
		b.Queue(end)
	}
	if begin != "" {
		c.pending = ""
		b.Queue(begin)
	}
	return end, begin, c.queueHeld(b)
}

// queueHeld puts the held-back statements into b and clears them.
func (c *pipeConn) queueHeld(b *pgx.Batch) int {
	n := len(c.queued)
	for _, q := range c.queued {
		b.Queue(q.query, q.args...)
	}
	c.queued = nil
	return n
}

// sendBatch sends b, whose head queueDeferred filled, and consumes the
// results of that head.
func (c *pipeConn) sendBatch(ctx context.Context, b *pgx.Batch, end, begin string, held int) (pgx.BatchResults, error) {
	br := c.sc.Conn().SendBatch(ctx, b)
	if end != "" {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			return nil, c.endFailed(err)
		}
	}
	if begin != "" {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			if pgconn.SafeToRetry(err) {
				return nil, driver.ErrBadConn
			}
			return nil, err
		}
		c.open = begin
	}
	for range held {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			return nil, err
		}
	}
	return br, nil
}

// QueryBatch sends the queries in one pipeline, behind whatever is
// deferred, and reads every row into the values pipeRows would give.
func (c *pipeConn) QueryBatch(ctx context.Context, queries []string, args [][]any) ([][][]driver.Value, error) {
	if len(args) != len(queries) {
		return nil, fmt.Errorf("postgres: %d queries with %d argument lists", len(queries), len(args))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken != nil {
		return nil, driver.ErrBadConn
	}
	b := &pgx.Batch{}
	end, begin, held := c.queueDeferred(b)
	for i, q := range queries {
		b.Queue(q, args[i]...)
	}
	br, err := c.sendBatch(ctx, b, end, begin, held)
	if err != nil {
		return nil, err
	}
	out := make([][][]driver.Value, len(queries))
	for i := range queries {
		rows, err := br.Query()
		if err != nil {
			_ = br.Close()
			return nil, err
		}
		funcs := c.decodersFor(queries[i], rows.FieldDescriptions())
		var res [][]driver.Value
		for rows.Next() {
			raws := rows.RawValues()
			vals := make([]driver.Value, len(raws))
			if err := decodeInto(vals, funcs, raws); err != nil {
				rows.Close()
				_ = br.Close()
				return nil, err
			}
			res = append(res, vals)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			_ = br.Close()
			return nil, err
		}
		out[i] = res
	}
	if err := br.Close(); err != nil {
		return nil, err
	}
	return out, nil
}

// flushUsable is the start of the methods that reach the server outside
// a pipeline: a broken connection refuses, and what is deferred goes
// first. c.mu is held.
func (c *pipeConn) flushUsable(ctx context.Context) error {
	if c.broken != nil {
		return driver.ErrBadConn
	}
	return c.flush(ctx)
}

func (c *pipeConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.flushUsable(ctx); err != nil {
		return nil, err
	}
	st, err := c.sc.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &pipeStmt{Stmt: st, c: c, query: query}, nil
}

func (c *pipeConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.flushUsable(ctx); err != nil {
		return nil, err
	}
	// pgx ends this transaction itself, unseen by ExecContext.
	c.open = ""
	return c.sc.BeginTx(ctx, opts)
}

func (c *pipeConn) Ping(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.flushUsable(ctx); err != nil {
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

// Close drops a deferred end: the server ends the transaction when the
// connection goes.
func (c *pipeConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.timer != nil {
		c.timer.Stop()
	}
	c.pending, c.pendingEnd, c.queued = "", "", nil
	return c.sc.Close()
}

func (c *pipeConn) CheckNamedValue(nv *driver.NamedValue) error { return c.sc.CheckNamedValue(nv) }

// ResetSession runs when database/sql hands the connection out again; a
// BEGIN still deferred then was never sent, so forgetting it leaves the
// connection as the server sees it: outside a transaction.
//
// A deferred end stays deferred, to travel with the next statement. stdlib
// would discard the connection for the transaction the server still
// reports open, and otherwise only checks that the connection is not
// closed and pings it when it has been idle over a second: one with a
// deferred end was used within commitDelay, and Open sets no session
// reset function of stdlib's.
func (c *pipeConn) ResetSession(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken != nil {
		return driver.ErrBadConn
	}
	// Held-back statements belong to a transaction that ended without
	// COMMIT or ROLLBACK reaching here; they must never run in another.
	c.pending, c.queued = "", nil
	if c.pendingEnd != "" {
		if c.sc.Conn().IsClosed() {
			return driver.ErrBadConn
		}
		return nil
	}
	return c.sc.ResetSession(ctx)
}

// IsValid lets database/sql discard, as it takes the connection back, one
// whose deferred end failed.
func (c *pipeConn) IsValid() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.broken == nil && !c.closed && !c.sc.Conn().IsClosed()
}

// pipeStmt runs a prepared statement through its connection, so what is
// deferred is sent first.
type pipeStmt struct {
	driver.Stmt
	c     *pipeConn
	query string
}

var (
	_ driver.StmtExecContext  = (*pipeStmt)(nil)
	_ driver.StmtQueryContext = (*pipeStmt)(nil)
)

func (s *pipeStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.c.ExecContext(ctx, s.query, args)
}

func (s *pipeStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	return s.c.QueryContext(ctx, s.query, args)
}

func (s *pipeStmt) Close() error {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	if err := s.c.flushEnd(context.Background()); err != nil {
		return err
	}
	return s.Stmt.Close()
}

// pipeRows is the driver.Rows of a statement sent with a BEGIN. It gives
// database/sql the same Go values as stdlib's rows: pgx chooses the wire
// format of a batch's columns itself, but each value is decoded into the
// type stdlib would produce for its column type.
type pipeRows struct {
	conn  *pipeConn
	rows  pgx.Rows
	br    pgx.BatchResults
	query string
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
		r.funcs = r.conn.decodersFor(r.query, r.rows.FieldDescriptions())
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
	return decodeInto(dest, r.funcs, r.rows.RawValues())
}

// decodeInto decodes one row's raw column values into dest (NULL: nil).
func decodeInto(dest []driver.Value, funcs []func([]byte) (driver.Value, error), raws [][]byte) error {
	for i, raw := range raws {
		if raw == nil {
			dest[i] = nil
			continue
		}
		v, err := funcs[i](raw)
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
	case pgtype.TextArrayOID, pgtype.VarcharArrayOID, pgtype.UUIDArrayOID:
		return scanAs(m, fd, elements[string])
	case pgtype.Int8ArrayOID:
		return scanAs(m, fd, elements[int64])
	}
	return scanAs(m, fd, func(v string) (driver.Value, error) { return v, nil })
}

// elements gives an array (sqldb.ArrayNester's nested reads) as the
// values its elements give read on their own, nil for NULL.
func elements[T any](v []*T) (driver.Value, error) {
	if v == nil {
		return nil, nil
	}
	out := make([]any, len(v))
	for i, p := range v {
		if p != nil {
			out[i] = *p
		}
	}
	return out, nil
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
