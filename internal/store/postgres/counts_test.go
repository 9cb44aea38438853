package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/akgo/akgo/internal/store"
	"github.com/akgo/akgo/internal/store/postgres"
	"github.com/akgo/akgo/internal/store/storetest"
)

// keptCountsStore opens a store on a new schema, migrated with the
// conformance suite's tables (whose migrations add the parent "default"),
// with n more parents, and a plain pool on the same schema to look behind
// the store's back.
func keptCountsStore(t *testing.T, n int) (store.Store, *sql.DB, func() store.Store) {
	t.Helper()
	base := baseURL(t)
	schema := freshSchema(t, base)
	url := withSchema(t, base, schema)
	open := func() store.Store {
		s, err := postgres.Open(t.Context(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.Migrate(t.Context(), storetest.Migrations); err != nil {
			t.Fatal(err)
		}
		if err := s.KeepCounts(t.Context(), []string{"parents", "child_cascade"}); err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open()
	err := s.Update(t.Context(), func(tx store.Tx) error {
		rows := make([]store.Row, n)
		for i := range rows {
			rows[i] = store.Row{"name": fmt.Sprintf("p%d", i)}
		}
		return tx.InsertMany(t.Context(), "parents", rows)
	})
	if err != nil {
		t.Fatal(err)
	}
	// The pool's connections use the schema as the store's do.
	db, err := sql.Open("pgx", withParam(t, base, "search_path", schema))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return s, db, open
}

func wholeCount(t *testing.T, s store.Store) int64 {
	t.Helper()
	var n int64
	err := s.View(t.Context(), func(tx store.Tx) error {
		var err error
		n, err = tx.Count(t.Context(), store.Query{Table: "parents"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func exec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.ExecContext(t.Context(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func queryInt(t *testing.T, db *sql.DB, q string, args ...any) int64 {
	t.Helper()
	var n sql.NullInt64
	if err := db.QueryRowContext(t.Context(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n.Int64
}

// TestKeptCountsAreRead: a whole table's count comes from the counts the
// triggers keep, not from reading the rows (a count kept wrong shows).
func TestKeptCountsAreRead(t *testing.T) {
	s, db, _ := keptCountsStore(t, 7)
	if n := wholeCount(t, s); n != 8 {
		t.Fatalf("count %d, want 8", n)
	}
	exec(t, db, `UPDATE akgo_row_counts SET n = n + 1000 WHERE tbl = 'parents' AND pid = 0`)
	if n := wholeCount(t, s); n != 1008 {
		t.Fatalf("count %d after adding 1000 to the kept count, want 1008: the count did not come from the kept counts", n)
	}
}

// TestKeptCountsCompaction: opening the store folds the counts of sessions
// that ended into one row per table, leaves those of live sessions, and
// drops those of tables that no longer exist; the counts stay the same.
func TestKeptCountsCompaction(t *testing.T) {
	s, db, open := keptCountsStore(t, 2)
	const ended = 2147483000 // no session has this pid
	exec(t, db, `UPDATE akgo_row_counts SET n = n - 5 WHERE tbl = 'parents' AND pid = 0`)
	exec(t, db, `INSERT INTO akgo_row_counts (tbl, pid, n) VALUES ('parents', $1, 5)`, ended)
	exec(t, db, `INSERT INTO akgo_row_counts (tbl, pid, n) VALUES ('dropped', 0, 3)`) // a dropped table's
	// A live session's count: this pool's connection, held open.
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), `INSERT INTO parents (name) VALUES ('live')`); err != nil {
		t.Fatal(err)
	}
	var live int64
	if err := conn.QueryRowContext(t.Context(), `SELECT pg_backend_pid()`).Scan(&live); err != nil {
		t.Fatal(err)
	}
	if n := wholeCount(t, s); n != 4 {
		t.Fatalf("count %d before compaction, want 4", n)
	}

	s2 := open()
	if n := wholeCount(t, s2); n != 4 {
		t.Errorf("count %d after compaction, want 4", n)
	}
	for _, tc := range []struct {
		name  string
		query string
		args  []any
		want  int64
	}{
		{"the ended session's row is folded", `SELECT count(*) FROM akgo_row_counts WHERE pid = $1`, []any{ended}, 0},
		{"the live session's row stays", `SELECT count(*) FROM akgo_row_counts WHERE pid = $1`, []any{live}, 1},
		{"the dropped table's row is gone", `SELECT count(*) FROM akgo_row_counts WHERE tbl = 'dropped'`, nil, 0},
		// "default" (counted when the table got its triggers), less the 5
		// moved to the ended session, plus its 5 folded back; the first
		// store's session still holds its 2.
		{"the folded row holds the ended session's count", `SELECT n FROM akgo_row_counts WHERE tbl = 'parents' AND pid = 0`, nil, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := queryInt(t, db, tc.query, tc.args...); got != tc.want {
				t.Errorf("got %d, want %d", got, tc.want)
			}
		})
	}
}

// TestKeptCountsStartOnOlderDatabases: a table without the triggers (a
// database made before counts were kept) gets them and its count when the
// store is opened, including the rows written in between.
func TestKeptCountsStartOnOlderDatabases(t *testing.T) {
	_, db, open := keptCountsStore(t, 1)
	for _, trg := range []string{"akgo_count_ins", "akgo_count_del", "akgo_count_truncate"} {
		exec(t, db, `DROP TRIGGER `+trg+` ON parents`)
	}
	exec(t, db, `DELETE FROM akgo_row_counts WHERE tbl = 'parents'`)
	exec(t, db, `INSERT INTO parents (name) VALUES ('uncounted-1'), ('uncounted-2'), ('uncounted-3')`)

	s := open()
	if n := wholeCount(t, s); n != 5 {
		t.Fatalf("count %d, want 5", n)
	}
	exec(t, db, `DELETE FROM parents WHERE name = 'uncounted-1'`)
	if n := wholeCount(t, s); n != 4 {
		t.Fatalf("count %d after a delete, want 4: the triggers were not made again", n)
	}
}

// TestKeptCountsFollowTheSnapshot: a view sees the count of the rows it
// sees, also when a write commits while it is open.
func TestKeptCountsFollowTheSnapshot(t *testing.T) {
	s, db, _ := keptCountsStore(t, 3)
	var before, after, rows int64
	err := s.View(t.Context(), func(tx store.Tx) error {
		ctx := t.Context()
		var err error
		if before, err = tx.Count(ctx, store.Query{Table: "parents"}); err != nil {
			return err
		}
		// Committed by another session while the view is open.
		if _, err := db.ExecContext(context.Background(), `INSERT INTO parents (name) VALUES ('meanwhile')`); err != nil {
			return err
		}
		if after, err = tx.Count(ctx, store.Query{Table: "parents"}); err != nil {
			return err
		}
		r, err := tx.Select(ctx, store.Query{Table: "parents"})
		rows = int64(len(r))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if before != 4 || after != 4 || rows != 4 {
		t.Fatalf("inside the view: count %d, then %d, rows %d; want 4 each", before, after, rows)
	}
	if n := wholeCount(t, s); n != 5 {
		t.Fatalf("count %d after the view, want 5", n)
	}
}

// TestKeptCountsStop: KeepCounts(false) drops the triggers, the counts
// table and the function, and counts read the rows again.
func TestKeptCountsStop(t *testing.T) {
	s, db, _ := keptCountsStore(t, 2)
	if err := s.KeepCounts(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	exec(t, db, `INSERT INTO parents (name) VALUES ('after')`)
	if n := wholeCount(t, s); n != 4 {
		t.Fatalf("count %d, want 4", n)
	}
	for _, tc := range []struct{ name, query string }{
		{"no trigger is left", `SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'akgo_count_%'` +
			` AND tgrelid IN (SELECT oid FROM pg_class WHERE relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()))`},
		{"the function is gone", `SELECT count(*) FROM pg_proc WHERE proname = 'akgo_count_rows' AND pronamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())`},
		{"the counts table is gone", `SELECT count(*) FROM pg_class WHERE relname = 'akgo_row_counts' AND relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if n := queryInt(t, db, tc.query); n != 0 {
				t.Errorf("%d left", n)
			}
		})
	}
}

// TestKeptCountsOfTheGivenTables: only the tables given are counted, and a
// table no longer given loses its triggers and its kept count.
func TestKeptCountsOfTheGivenTables(t *testing.T) {
	s, db, _ := keptCountsStore(t, 2)
	triggers := func(table string) int64 {
		return queryInt(t, db, `SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'akgo_count_%' AND tgrelid = $1::regclass`, table)
	}
	kept := func(table string) int64 {
		return queryInt(t, db, `SELECT count(*) FROM akgo_row_counts WHERE tbl = $1`, table)
	}
	if triggers("items") != 0 || triggers("parents") != 3 || triggers("child_cascade") != 3 {
		t.Fatalf("triggers on items, parents, child_cascade: %d, %d, %d; want 0, 3, 3", triggers("items"), triggers("parents"), triggers("child_cascade"))
	}
	if err := s.KeepCounts(t.Context(), []string{"items"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		table            string
		triggers, counts int64
	}{
		{"items", 3, 1},
		{"parents", 0, 0},
		{"child_cascade", 0, 0},
	} {
		t.Run(tc.table, func(t *testing.T) {
			if n := triggers(tc.table); n != tc.triggers {
				t.Errorf("%d triggers, want %d", n, tc.triggers)
			}
			if n := kept(tc.table); n != tc.counts {
				t.Errorf("%d kept count rows, want %d", n, tc.counts)
			}
		})
	}
	exec(t, db, `INSERT INTO parents (name) VALUES ('uncounted')`)
	if n := wholeCount(t, s); n != 4 {
		t.Fatalf("count of parents %d, want 4 (counted from the rows)", n)
	}
}

// TestKeptCountsTableMadeAnew: should the counts table be dropped while
// the triggers stay, the next KeepCounts counts every table again.
func TestKeptCountsTableMadeAnew(t *testing.T) {
	_, db, open := keptCountsStore(t, 2)
	exec(t, db, `DROP TABLE akgo_row_counts`)
	s := open()
	if n := wholeCount(t, s); n != 3 {
		t.Fatalf("count %d, want 3", n)
	}
}

// TestKeptCountsAfterARestore: pg_restore makes a table anew (a new oid),
// loads its rows and the counts table's, and makes the triggers last; the
// counts then still belong to the table, by name.
func TestKeptCountsAfterARestore(t *testing.T) {
	_, db, open := keptCountsStore(t, 2)
	exec(t, db, `ALTER TABLE parents RENAME TO parents_dumped`)
	exec(t, db, `CREATE TABLE parents (LIKE parents_dumped INCLUDING ALL)`)
	exec(t, db, `INSERT INTO parents SELECT * FROM parents_dumped`)
	// Made as KeepCounts makes them, after the rows: the copy counted nothing.
	for _, trg := range []string{
		`CREATE TRIGGER akgo_count_ins AFTER INSERT ON parents REFERENCING NEW TABLE AS akgo_new_rows FOR EACH STATEMENT EXECUTE FUNCTION akgo_count_rows()`,
		`CREATE TRIGGER akgo_count_del AFTER DELETE ON parents REFERENCING OLD TABLE AS akgo_old_rows FOR EACH STATEMENT EXECUTE FUNCTION akgo_count_rows()`,
		`CREATE TRIGGER akgo_count_truncate AFTER TRUNCATE ON parents FOR EACH STATEMENT EXECUTE FUNCTION akgo_count_rows()`,
	} {
		exec(t, db, trg)
	}
	exec(t, db, `DROP TABLE parents_dumped CASCADE`)
	// What the dumped writes to the renamed table counted under its name.
	exec(t, db, `DELETE FROM akgo_row_counts WHERE tbl = 'parents_dumped'`)

	s := open()
	if n := wholeCount(t, s); n != 3 {
		t.Fatalf("count %d after the restore, want 3", n)
	}
	exec(t, db, `INSERT INTO parents (id, name) VALUES (1000, 'restored')`)
	if n := wholeCount(t, s); n != 4 {
		t.Fatalf("count %d after an insert, want 4", n)
	}
}
