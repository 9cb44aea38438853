package sqldb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"testing"
)

// fakeConnector counts what the statement cache asks of a driver.
type fakeConnector struct{ conns []*fakeConn }

func (c *fakeConnector) Connect(context.Context) (driver.Conn, error) {
	fc := &fakeConn{}
	c.conns = append(c.conns, fc)
	return fc, nil
}
func (c *fakeConnector) Driver() driver.Driver { return nil }

type fakeConn struct {
	prepared   []string // texts prepared, in order
	unprepared []string // texts run without a statement
	stmts      []*fakeStmt
	closed     bool
}

func (c *fakeConn) Prepare(q string) (driver.Stmt, error) {
	c.prepared = append(c.prepared, q)
	s := &fakeStmt{text: q}
	c.stmts = append(c.stmts, s)
	return s, nil
}
func (c *fakeConn) Close() error              { c.closed = true; return nil }
func (c *fakeConn) Begin() (driver.Tx, error) { return nil, driver.ErrSkip }
func (c *fakeConn) QueryContext(_ context.Context, q string, _ []driver.NamedValue) (driver.Rows, error) {
	c.unprepared = append(c.unprepared, q)
	return &fakeRows{}, nil
}
func (c *fakeConn) ExecContext(_ context.Context, q string, _ []driver.NamedValue) (driver.Result, error) {
	c.unprepared = append(c.unprepared, q)
	return driver.RowsAffected(0), nil
}

type fakeStmt struct {
	text   string
	runs   int
	closed bool
}

func (s *fakeStmt) Close() error  { s.closed = true; return nil }
func (s *fakeStmt) NumInput() int { return -1 }
func (s *fakeStmt) Exec([]driver.Value) (driver.Result, error) {
	return nil, errors.New("database/sql should use ExecContext")
}
func (s *fakeStmt) Query([]driver.Value) (driver.Rows, error) {
	return nil, errors.New("database/sql should use QueryContext")
}
func (s *fakeStmt) ExecContext(context.Context, []driver.NamedValue) (driver.Result, error) {
	s.runs++
	return driver.RowsAffected(1), nil
}
func (s *fakeStmt) QueryContext(context.Context, []driver.NamedValue) (driver.Rows, error) {
	s.runs++
	return &fakeRows{}, nil
}

type fakeRows struct{ done bool }

func (r *fakeRows) Columns() []string { return []string{"x"} }
func (r *fakeRows) Close() error      { return nil }
func (r *fakeRows) Next(dest []driver.Value) error {
	if r.done {
		return io.EOF
	}
	r.done = true
	dest[0] = int64(1)
	return nil
}

func openFake(t *testing.T, size int) (*sql.Conn, *fakeConnector, func()) {
	t.Helper()
	fc := &fakeConnector{}
	db := sql.OpenDB(CacheStatements(fc, size))
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return conn, fc, func() { conn.Close(); db.Close() }
}

func queryOne(t *testing.T, conn *sql.Conn, q string) {
	t.Helper()
	var x int64
	if err := conn.QueryRowContext(context.Background(), q).Scan(&x); err != nil || x != 1 {
		t.Fatalf("%s: %v %d", q, err, x)
	}
}

func TestStatementCache(t *testing.T) {
	ctx := context.Background()
	t.Run("a repeated text is prepared once", func(t *testing.T) {
		conn, fc, done := openFake(t, 4)
		defer done()
		for i := 0; i < 3; i++ {
			queryOne(t, conn, "SELECT 1")
			if _, err := conn.ExecContext(ctx, "UPDATE t SET x = 1"); err != nil {
				t.Fatal(err)
			}
		}
		c := fc.conns[0]
		if len(c.prepared) != 2 || len(c.unprepared) != 0 {
			t.Fatalf("prepared %q, unprepared %q; want each text prepared once", c.prepared, c.unprepared)
		}
		if c.stmts[0].runs != 3 || c.stmts[1].runs != 3 {
			t.Fatalf("runs %d and %d, want 3 each", c.stmts[0].runs, c.stmts[1].runs)
		}
	})
	t.Run("schema statements are not cached", func(t *testing.T) {
		conn, fc, done := openFake(t, 4)
		defer done()
		for i := 0; i < 2; i++ {
			if _, err := conn.ExecContext(ctx, "CREATE TABLE t (x)"); err != nil {
				t.Fatal(err)
			}
		}
		c := fc.conns[0]
		if len(c.prepared) != 0 || len(c.unprepared) != 2 {
			t.Fatalf("prepared %q, unprepared %q", c.prepared, c.unprepared)
		}
	})
	t.Run("a text whose rows are open runs unprepared meanwhile", func(t *testing.T) {
		conn, fc, done := openFake(t, 4)
		defer done()
		rows, err := conn.QueryContext(ctx, "SELECT 1")
		if err != nil {
			t.Fatal(err)
		}
		queryOne(t, conn, "SELECT 1")
		rows.Close()
		queryOne(t, conn, "SELECT 1")
		c := fc.conns[0]
		if len(c.prepared) != 1 || len(c.unprepared) != 1 || c.stmts[0].runs != 2 {
			t.Fatalf("prepared %q, unprepared %q, runs %d", c.prepared, c.unprepared, c.stmts[0].runs)
		}
	})
	t.Run("the least recently used statement is closed beyond the size", func(t *testing.T) {
		conn, fc, done := openFake(t, 2)
		defer done()
		queryOne(t, conn, "SELECT 1")
		queryOne(t, conn, "SELECT 2")
		queryOne(t, conn, "SELECT 1") // SELECT 2 is now the oldest
		queryOne(t, conn, "SELECT 3")
		c := fc.conns[0]
		if c.stmts[0].closed || !c.stmts[1].closed || c.stmts[2].closed {
			t.Fatalf("closed: %v %v %v, want only SELECT 2", c.stmts[0].closed, c.stmts[1].closed, c.stmts[2].closed)
		}
	})
	t.Run("a statement evicted while its rows are open closes with them", func(t *testing.T) {
		conn, fc, done := openFake(t, 1)
		defer done()
		rows, err := conn.QueryContext(ctx, "SELECT 1")
		if err != nil {
			t.Fatal(err)
		}
		queryOne(t, conn, "SELECT 2")
		c := fc.conns[0]
		closedEarly := c.stmts[0].closed
		rows.Close()
		if closedEarly {
			t.Fatal("closed under open rows")
		}
		if !c.stmts[0].closed {
			t.Fatal("not closed with its rows")
		}
	})
	t.Run("closing the connection closes every statement", func(t *testing.T) {
		fc := &fakeConnector{}
		db := sql.OpenDB(CacheStatements(fc, 4))
		if _, err := db.ExecContext(ctx, "DELETE FROM t"); err != nil {
			t.Fatal(err)
		}
		db.Close()
		c := fc.conns[0]
		if !c.closed || !c.stmts[0].closed {
			t.Fatalf("conn closed %v, statement closed %v", c.closed, c.stmts[0].closed)
		}
	})
}
