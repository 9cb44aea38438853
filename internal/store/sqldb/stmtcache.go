package sqldb

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"
	"strings"
)

// CacheStatements wraps a connector so that each of its connections keeps
// up to size prepared statements, keyed by their SQL text, and runs a
// query or exec whose text it has seen before without parsing it again.
//
// The query builder always produces the same text for the same request
// shape (values are bound), so a server runs a small set of texts over and
// over; parsing them was the largest single cost of a simple read on
// SQLite. The cache lives inside the driver connection, so it is used from
// plain database/sql calls (including inside explicit BEGIN/COMMIT on one
// *sql.Conn) and freed with the connection. Drivers that already cache
// statements per connection (pgx) do not need it.
//
// Only data statements (SELECT, INSERT, UPDATE, DELETE, WITH) and
// transaction control are cached; schema statements run once and would
// only push useful entries out.
func CacheStatements(c driver.Connector, size int) driver.Connector {
	if size <= 0 {
		return c
	}
	return &cachingConnector{Connector: c, size: size}
}

type cachingConnector struct {
	driver.Connector
	size int
}

func (c *cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &cachingConn{Conn: dc, size: c.size, byText: map[string]*list.Element{}}, nil
}

// cachingConn is used by one goroutine at a time (database/sql's contract
// for driver connections), so it needs no lock.
type cachingConn struct {
	driver.Conn
	size   int
	byText map[string]*list.Element
	lru    list.List // of *cachedStmt, most recently used first
}

type cachedStmt struct {
	text string
	stmt driver.Stmt
	// busy: rows of this statement are open. A second query with the same
	// text meanwhile runs unprepared instead of disturbing them.
	busy bool
	// evicted while busy: closed when its rows close.
	evicted bool
}

var (
	_ driver.ExecerContext      = (*cachingConn)(nil)
	_ driver.QueryerContext     = (*cachingConn)(nil)
	_ driver.ConnPrepareContext = (*cachingConn)(nil)
	_ driver.ConnBeginTx        = (*cachingConn)(nil)
	_ driver.SessionResetter    = (*cachingConn)(nil)
	_ driver.Validator          = (*cachingConn)(nil)
	_ driver.Pinger             = (*cachingConn)(nil)
	_ driver.NamedValueChecker  = (*cachingConn)(nil)
)

// cacheable reports a data or transaction-control statement.
func cacheable(query string) bool {
	q := strings.TrimLeft(query, " \t\r\n(")
	if len(q) < 4 {
		return false
	}
	switch strings.ToUpper(q[:4]) {
	case "SELE", "INSE", "UPDA", "DELE", "WITH", "BEGI", "COMM", "ROLL":
		return true
	}
	return false
}

// lookup returns the cached statement for query, preparing it on a miss;
// nil (and no error) when the query should run uncached.
func (c *cachingConn) lookup(ctx context.Context, query string) (*cachedStmt, error) {
	if !cacheable(query) {
		return nil, nil
	}
	if el, ok := c.byText[query]; ok {
		cs := el.Value.(*cachedStmt)
		if cs.busy {
			return nil, nil
		}
		c.lru.MoveToFront(el)
		return cs, nil
	}
	st, err := c.prepare(ctx, query)
	if err != nil {
		return nil, err
	}
	_, canExec := st.(driver.StmtExecContext)
	_, canQuery := st.(driver.StmtQueryContext)
	if !canExec || !canQuery {
		// Nothing to gain over the driver's own unprepared path.
		_ = st.Close()
		return nil, nil
	}
	cs := &cachedStmt{text: query, stmt: st}
	c.byText[query] = c.lru.PushFront(cs)
	for c.lru.Len() > c.size {
		old := c.lru.Back()
		c.lru.Remove(old)
		ocs := old.Value.(*cachedStmt)
		delete(c.byText, ocs.text)
		if ocs.busy {
			ocs.evicted = true
		} else {
			_ = ocs.stmt.Close()
		}
	}
	return cs, nil
}

func (c *cachingConn) prepare(ctx context.Context, query string) (driver.Stmt, error) {
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		return p.PrepareContext(ctx, query)
	}
	return c.Conn.Prepare(query)
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs, err := c.lookup(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs != nil {
		return cs.stmt.(driver.StmtExecContext).ExecContext(ctx, args)
	}
	if ex, ok := c.Conn.(driver.ExecerContext); ok {
		return ex.ExecContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs, err := c.lookup(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs != nil {
		rows, err := cs.stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
		if err != nil {
			return nil, err
		}
		cs.busy = true
		return &cachedRows{Rows: rows, cs: cs}, nil
	}
	if q, ok := c.Conn.(driver.QueryerContext); ok {
		return q.QueryContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

// cachedRows gives the statement back to the cache when closed.
type cachedRows struct {
	driver.Rows
	cs *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	if r.cs != nil {
		r.cs.busy = false
		if r.cs.evicted {
			err = errors.Join(err, r.cs.stmt.Close())
		}
		r.cs = nil
	}
	return err
}

// PrepareContext is database/sql's explicit Prepare: not cached, the
// caller owns the statement.
func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.prepare(ctx, query)
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	return c.Conn.Begin() //nolint:staticcheck // fallback for drivers without BeginTx
}

func (c *cachingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *cachingConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *cachingConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *cachingConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.Conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

// Close finalizes every cached statement before the connection.
func (c *cachingConn) Close() error {
	var errs []error
	for el := c.lru.Front(); el != nil; el = el.Next() {
		errs = append(errs, el.Value.(*cachedStmt).stmt.Close())
	}
	c.lru.Init()
	clear(c.byText)
	errs = append(errs, c.Conn.Close())
	return errors.Join(errs...)
}
