package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// RowCounter is implemented by dialects that keep tables' row counts in a
// table of their own, maintained by triggers in the same transaction
// as the rows (PostgreSQL). Count then answers "how many rows has the
// table" from the kept count instead of reading every row: an exact
// COUNT(*) reads the whole table, which was half of PostgreSQL's work for
// a page of 100 out of 10,000 flows (docs/benchmarks.md, eighth round),
// and grows with the table. Since the count changes in the writing
// transaction, every snapshot sees the count of exactly the rows it sees.
//
// Counts are kept per table and per database session, so concurrent
// writers never wait for each other; CompactCounts folds the counts of
// sessions that ended into one.
type RowCounter interface {
	// CounterSetup returns the statements creating the counts table and
	// the trigger function, if missing.
	CounterSetup() []string
	// CountedTablesQuery selects the names of the tables whose count is
	// kept (one text column): none while there is no counts table.
	CountedTablesQuery() string
	// CountTable returns the statements that start keeping table's count,
	// set from the rows it holds now.
	CountTable(table string) []string
	// CompactCounts returns the statements that fold the counts of
	// sessions that ended together and drop those of dropped tables. They
	// wait for no writer.
	CompactCounts() []string
	// TableCount renders a bigint expression: the number of rows of table.
	TableCount(table string) string
	// UncountTable returns the statements that stop keeping table's count;
	// StopCounting those that then drop the counts table and the function.
	UncountTable(table string) []string
	StopCounting() []string
}

// countCompactionInterval is how often a server folds the counts of ended
// sessions: each session that wrote a table adds a row to its count,
// which a count then sums.
const countCompactionInterval = 10 * time.Minute

// KeepCounts makes the given tables counted on a RowCounter dialect (and
// only them: a table no longer given loses its triggers), folds the counts
// of ended sessions, and publishes which tables are counted, so Count
// reads their kept counts. Tables without the triggers (newly given, or a
// database from before counts were kept) get them and their current
// count, each in a transaction of its own under the migration lock:
// making a table counted waits for the transactions writing it and holds
// its writers until it commits, so the count it starts from is exact, and
// holding one table at a time, it cannot deadlock with a writer of
// several. Transactions that began before the tables are published still
// count rows. Given no tables it drops every trigger, then the counts
// table and the function.
//
// Start-up calls it once the server is ready rather than in Migrate: on a
// new database the triggers would slow every insert of the default
// blueprints (by about a third of their time on PostgreSQL).
func (s *DB) KeepCounts(ctx context.Context, tables []string) error {
	rc, ok := s.d.(RowCounter)
	if !ok {
		return nil
	}
	sch := s.schema.Load()
	want := map[string]bool{}
	for _, name := range tables {
		if _, ok := sch.tables[name]; ok && name != MigrationsTable {
			want[name] = true
		}
	}
	// Asked before the counts table is made: one made anew (dropped by
	// hand) holds no count for tables that still have their triggers,
	// which then get theirs again.
	var have []string
	err := s.run(ctx, false, func(t *tx) error {
		if err := t.lockMigrations(ctx); err != nil {
			return err
		}
		var err error
		if have, err = t.strings(ctx, rc.CountedTablesQuery()); err != nil || len(want) == 0 {
			return err
		}
		return t.execAll(ctx, rc.CounterSetup())
	})
	if err != nil {
		return fmt.Errorf("store: keeping row counts: %w", err)
	}
	counted := map[string]bool{}
	var drop []string
	for _, name := range have {
		if want[name] {
			counted[name] = true
		} else {
			drop = append(drop, name)
		}
	}
	if len(drop) > 0 || len(want) == 0 {
		// No count reads a kept count while its triggers go.
		s.publishCounted(sch, nil, nil)
	}
	for _, name := range drop {
		if err := s.execLocked(ctx, rc.UncountTable(name)); err != nil {
			return fmt.Errorf("store: no longer keeping the row count of %s: %w", name, err)
		}
	}
	if len(want) == 0 {
		if err := s.execLocked(ctx, rc.StopCounting()); err != nil {
			return fmt.Errorf("store: dropping kept row counts: %w", err)
		}
		return nil
	}
	for _, name := range creationOrder(sch.tables) {
		if !want[name] || counted[name] {
			continue
		}
		if err := s.execLocked(ctx, rc.CountTable(name)); err != nil {
			return fmt.Errorf("store: keeping the row count of %s: %w", name, err)
		}
		counted[name] = true
	}
	if err := s.compact(ctx, rc); err != nil {
		return fmt.Errorf("store: folding row counts: %w", err)
	}
	s.publishCounted(sch, counted, rc)
	return nil
}

// compact folds the counts of ended sessions.
func (s *DB) compact(ctx context.Context, rc RowCounter) error {
	return s.run(ctx, false, func(t *tx) error { return t.execAll(ctx, rc.CompactCounts()) })
}

// execLocked runs stmts in a write transaction of their own, under the
// migration lock that serialises schema changes across replicas.
func (s *DB) execLocked(ctx context.Context, stmts []string) error {
	return s.run(ctx, false, func(t *tx) error {
		if err := t.lockMigrations(ctx); err != nil {
			return err
		}
		return t.execAll(ctx, stmts)
	})
}

// publishCounted makes Count read the kept counts of the tables of sch
// that are counted, and starts folding the counts of ended sessions.
func (s *DB) publishCounted(sch *Schema, counted map[string]bool, rc RowCounter) {
	for name := range counted {
		if _, ok := sch.tables[name]; !ok {
			delete(counted, name)
		}
	}
	c := *sch
	c.counted = counted
	s.schema.Store(&c)
	if len(counted) > 0 {
		s.compactOnce.Do(func() { go s.compactCounts(rc) })
	}
}

// compactCounts folds the counts of ended sessions every
// countCompactionInterval until the store is closed.
func (s *DB) compactCounts(rc RowCounter) {
	tick := time.NewTicker(countCompactionInterval)
	defer tick.Stop()
	for {
		select {
		case <-s.closed:
			return
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		// A failure (the database restarting) is left to the next tick:
		// uncompacted counts are still exact, only slower to sum.
		_ = s.compact(ctx, rc)
		cancel()
	}
}

// strings runs q and returns its one text column.
func (t *tx) strings(ctx context.Context, q string) ([]string, error) {
	if err := t.begin(false); err != nil {
		return nil, err
	}
	rows, err := t.conn.QueryContext(ctx, q)
	if err != nil {
		return nil, t.fail(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v sql.NullString
		if err := rows.Scan(&v); err != nil {
			return nil, t.fail(err)
		}
		out = append(out, v.String)
	}
	if err := rows.Err(); err != nil {
		return nil, t.fail(err)
	}
	return out, nil
}
