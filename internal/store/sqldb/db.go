package sqldb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/akgo/akgo/internal/store"
)

// Config wires a dialect to its connection pools.
type Config struct {
	Dialect Dialect
	// Write runs Update and Migrate. SQLite passes a pool of one connection
	// so writers queue in Go instead of spinning on SQLITE_BUSY.
	Write *sql.DB
	// Read runs View; nil means Write.
	Read *sql.DB
}

// DB implements store.Store over database/sql.
type DB struct {
	d      Dialect
	write  *sql.DB
	read   *sql.DB
	schema atomic.Pointer[Schema]
	// noBatches: the driver's connections are no BatchQueryer (found at
	// the first ReadMany), so reads go one by one without asking again.
	noBatches atomic.Bool
	// noDefer: the connections are no ExecDeferrer, so InsertLater runs
	// its INSERT at once without asking again.
	noDefer atomic.Bool

	closeOnce sync.Once
	closeErr  error
	// closed ends the background work KeepCounts starts (compactCounts).
	closed      chan struct{}
	compactOnce sync.Once
}

var _ store.Store = (*DB)(nil)

// New returns a store over the given pools. Until Migrate is called only
// the migrations table is known.
func New(cfg Config) *DB {
	db := &DB{d: cfg.Dialect, write: cfg.Write, read: cfg.Read, closed: make(chan struct{})}
	if db.read == nil {
		db.read = db.write
	}
	sch, _ := BuildSchema(cfg.Dialect, nil)
	db.schema.Store(sch)
	return db
}

func (s *DB) Dialect() string { return s.d.Name() }

func (s *DB) Ping(ctx context.Context) error {
	if err := s.write.PingContext(ctx); err != nil {
		return err
	}
	if s.read != s.write {
		return s.read.PingContext(ctx)
	}
	return nil
}

func (s *DB) Close() error {
	s.closeOnce.Do(func() {
		close(s.closed)
		var errs []error
		if s.read != s.write {
			errs = append(errs, s.read.Close())
		}
		errs = append(errs, s.write.Close())
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

func (s *DB) Update(ctx context.Context, fn func(store.Tx) error) error {
	return s.run(ctx, false, func(t *tx) error { return fn(t) })
}

func (s *DB) View(ctx context.Context, fn func(store.Tx) error) error {
	return s.run(ctx, true, func(t *tx) error { return fn(t) })
}

// ViewCommitted runs fn's reads outside any transaction on a dialect that
// is an AutocommitReader, each statement on its own; elsewhere it is View.
// There is then nothing to begin, commit or roll back: writes, and any
// raw statement, are refused by the tx before they reach the connection.
func (s *DB) ViewCommitted(ctx context.Context, fn func(store.Tx) error) error {
	if _, ok := s.d.(AutocommitReader); !ok {
		return s.View(ctx, fn)
	}
	conn, err := s.read.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	t := &tx{s: s, sch: s.schema.Load(), conn: conn, readOnly: true, autocommit: true}
	if err := fn(t); err != nil {
		return err
	}
	return t.failed
}

// run executes fn in a transaction on a dedicated connection. Transactions
// are driven with explicit statements rather than sql.Tx so the dialect can
// choose the BEGIN form (SQLite's BEGIN IMMEDIATE, PostgreSQL's snapshot for
// reads) and so a failed COMMIT can still be inspected before the rollback.
func (s *DB) run(ctx context.Context, readOnly bool, fn func(*tx) error) (err error) {
	pool := s.write
	if readOnly {
		pool = s.read
	}
	conn, err := pool.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return s.runOn(ctx, conn, readOnly, fn)
}

// runAround is a write transaction with statements run on its connection
// before BEGIN and after the transaction ended (committed or not). When
// the statements after cannot run, the connection is discarded rather
// than returned to the pool in a state other transactions do not expect.
func (s *DB) runAround(ctx context.Context, before, after []string, fn func(*tx) error) error {
	if len(before) == 0 && len(after) == 0 {
		return s.run(ctx, false, fn)
	}
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	defer func() {
		for _, q := range after {
			if _, err := conn.ExecContext(context.WithoutCancel(ctx), q); err != nil {
				_ = conn.Raw(func(any) error { return driver.ErrBadConn })
				return
			}
		}
	}()
	for _, q := range before {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return s.runOn(ctx, conn, false, fn)
}

func (s *DB) runOn(ctx context.Context, conn *sql.Conn, readOnly bool, fn func(*tx) error) (err error) {
	sch := s.schema.Load()
	for _, q := range s.d.Begin(readOnly) {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			s.rollback(ctx, conn, readOnly)
			return s.translate(err, sch)
		}
	}
	t := &tx{s: s, sch: sch, conn: conn, readOnly: readOnly}
	finished := false
	defer func() {
		if !finished {
			// fn panicked: leave nothing behind, then let the panic go on.
			s.rollback(ctx, conn, readOnly)
		}
	}()
	ferr := fn(t)
	if ferr == nil && t.failed != nil {
		// A statement failed and fn carried on; PostgreSQL has aborted the
		// transaction by now, so committing the rest would be a lie.
		ferr = t.failed
	}
	finished = true
	if ferr != nil {
		s.rollback(ctx, conn, readOnly)
		return ferr
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		err = s.translate(err, sch)
		var fk *store.ForeignKeyError
		if errors.As(err, &fk) && fk.Table == "" {
			if fd, ok := s.d.(ForeignKeyDescriber); ok {
				if table, col, ok := fd.DescribeForeignKeyViolation(context.WithoutCancel(ctx), conn, t.touchedTables()); ok {
					fk.Table, fk.Column = table, col
				}
			}
		}
		s.rollback(ctx, conn, readOnly)
		return err
	}
	s.end(ctx, conn, readOnly)
	return nil
}

// rollback runs even when ctx is done: the connection goes back to the pool
// and must not carry an open transaction. If it cannot be cleaned, it is
// discarded.
func (s *DB) rollback(ctx context.Context, conn *sql.Conn, readOnly bool) {
	ctx = context.WithoutCancel(ctx)
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil && !isNoTransaction(err) {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		return
	}
	s.end(ctx, conn, readOnly)
}

func (s *DB) end(ctx context.Context, conn *sql.Conn, readOnly bool) {
	for _, q := range s.d.End(readOnly) {
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), q); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			return
		}
	}
}

// isNoTransaction recognises SQLite's answer to ROLLBACK after it already
// rolled back by itself (interrupted statement, failed COMMIT).
func isNoTransaction(err error) bool {
	return err != nil && strings.Contains(strings.ToLower(err.Error()), "no transaction is active")
}

// translate maps driver errors once; errors already in the store's terms
// pass through, so a detail filled in by sqldb is not lost.
func (s *DB) translate(err error, sch *Schema) error {
	var ue *store.UniqueError
	var fk *store.ForeignKeyError
	if errors.As(err, &ue) || errors.As(err, &fk) || errors.Is(err, store.ErrReadOnly) {
		return err
	}
	return s.d.Translate(err, sch)
}
