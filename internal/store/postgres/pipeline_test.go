package postgres_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/store"
	"github.com/akgo/akgo/internal/store/postgres"
	"github.com/akgo/akgo/internal/store/sqldb"
)

// TestBeginPipelined: the first statement of a transaction travels with
// its BEGIN through a different code path than the statements after it;
// every column type must read back the same on both, and failures of the
// first statement must be reported and rolled back as before.
func TestBeginPipelined(t *testing.T) {
	s := opener(baseURL(t))(t)
	ctx := t.Context()
	cols := []struct {
		name  string
		typ   store.ColumnType
		value any
	}{
		{"text", store.TypeText, "héllo 'quoted'"},
		{"int", store.TypeInt, int64(-1) << 40},
		{"float", store.TypeFloat, 2.5},
		{"bool", store.TypeBool, true},
		{"uuid", store.TypeUUID, "0b9a44d2-7c4e-4ad8-9a53-1b0c8d1f6e21"},
		{"time", store.TypeTime, time.Date(2026, 11, 27, 16, 0, 0, 123456000, time.UTC)},
		{"json", store.TypeJSON, json.RawMessage(`{"a": [1, 2, {"b": null}]}`)},
		{"bytes", store.TypeBytes, []byte{0, 1, 2, 255}},
		{"null", store.TypeText, nil},
	}
	tbl := store.Table{Name: "piped", PK: []string{"id"}, AutoIncrement: true,
		Columns: []store.Column{{Name: "id", Type: store.TypeInt}}, Unique: [][]string{{"text"}}}
	row := store.Row{}
	for _, c := range cols {
		tbl.Columns = append(tbl.Columns, store.Column{Name: c.name, Type: c.typ, Nullable: true})
		row[c.name] = c.value
	}
	if err := s.Migrate(ctx, []store.Migration{{Version: 1, Name: "piped", Steps: []store.Step{store.CreateTable{Table: tbl}}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(tx store.Tx) error { _, err := tx.Insert(ctx, "piped", row); return err }); err != nil {
		t.Fatal(err)
	}

	var first, second []store.Row
	if err := s.View(ctx, func(tx store.Tx) error {
		var err error
		if first, err = tx.Select(ctx, store.Query{Table: "piped"}); err != nil {
			return err
		}
		second, err = tx.Select(ctx, store.Query{Table: "piped"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(first) != 1 || len(second) != 1 {
		t.Fatalf("rows: %d and %d, want 1 and 1", len(first), len(second))
	}
	for _, c := range cols {
		t.Run(c.name, func(t *testing.T) {
			if !reflect.DeepEqual(first[0][c.name], second[0][c.name]) {
				t.Errorf("first statement read %#v, second %#v", first[0][c.name], second[0][c.name])
			}
			if !reflect.DeepEqual(first[0][c.name], c.value) {
				t.Errorf("read %#v, wrote %#v", first[0][c.name], c.value)
			}
		})
	}

	errFn := errors.New("fn failed")
	tests := []struct {
		name string
		fn   func(store.Tx) error
		view bool
		want func(error) bool
	}{
		{"empty view", func(store.Tx) error { return nil }, true, func(err error) bool { return err == nil }},
		{"empty update", func(store.Tx) error { return nil }, false, func(err error) bool { return err == nil }},
		{"failing update without statements", func(store.Tx) error { return errFn }, false,
			func(err error) bool { return errors.Is(err, errFn) }},
		{"unique violation first", func(tx store.Tx) error {
			_, err := tx.Insert(ctx, "piped", store.Row{"text": row["text"]})
			return err
		}, false, func(err error) bool { var ue *store.UniqueError; return errors.As(err, &ue) }},
		{"write in a view first", func(tx store.Tx) error {
			_, err := tx.UpdateWhere(ctx, "piped", nil, store.Row{"int": int64(1)})
			return err
		}, true, func(err error) bool { return errors.Is(err, store.ErrReadOnly) }},
		{"insert first then fail", func(tx store.Tx) error {
			if _, err := tx.Insert(ctx, "piped", store.Row{"text": "rolled back"}); err != nil {
				return err
			}
			return errFn
		}, false, func(err error) bool { return errors.Is(err, errFn) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run := s.Update
			if tc.view {
				run = s.View
			}
			// More than the pool holds, so connections are reused after it.
			for range 25 {
				if err := run(ctx, tc.fn); !tc.want(err) {
					t.Fatalf("got %v", err)
				}
			}
			assertRows(t, ctx, s, 1)
		})
	}
}

func assertRows(t *testing.T, ctx context.Context, s store.Store, want int64) {
	t.Helper()
	if n := countRows(t, ctx, s); n != want {
		t.Fatalf("%d rows, want %d", n, want)
	}
}

// countRows counts pipedTable's rows in a view.
func countRows(t *testing.T, ctx context.Context, s store.Store) int64 {
	t.Helper()
	var n int64
	if err := s.View(ctx, func(tx store.Tx) error {
		var err error
		n, err = tx.Count(ctx, store.Query{Table: "piped"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// pipedTable is one column of each store type, holding one row with
// values of every kind, or none.
func pipedTable(t *testing.T, s store.Store) {
	t.Helper()
	ctx := t.Context()
	if err := s.Migrate(ctx, pipedMigrations()); err != nil {
		t.Fatal(err)
	}
	rows := []store.Row{
		{"text": "héllo", "int": int64(-1) << 40, "float": 2.5, "bool": true,
			"uuid": "0b9a44d2-7c4e-4ad8-9a53-1b0c8d1f6e21", "time": time.Date(2026, 11, 27, 16, 0, 0, 123456000, time.UTC),
			"json": json.RawMessage(`{"a": [1, 2, {"b": null}]}`), "bytes": []byte{0, 1, 2, 255}},
		{"text": "second", "bytes": []byte{9, 8}},
		{},
	}
	if err := s.Update(ctx, func(tx store.Tx) error {
		for _, r := range rows {
			if _, err := tx.Insert(ctx, "piped", r); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// pipedMigrations creates pipedTable's table.
func pipedMigrations() []store.Migration {
	tbl := store.Table{Name: "piped", PK: []string{"id"}, AutoIncrement: true, Columns: []store.Column{
		{Name: "id", Type: store.TypeInt},
		{Name: "text", Type: store.TypeText, Nullable: true},
		{Name: "int", Type: store.TypeInt, Nullable: true},
		{Name: "float", Type: store.TypeFloat, Nullable: true},
		{Name: "bool", Type: store.TypeBool, Nullable: true},
		{Name: "uuid", Type: store.TypeUUID, Nullable: true},
		{Name: "time", Type: store.TypeTime, Nullable: true},
		{Name: "json", Type: store.TypeJSON, Nullable: true},
		{Name: "bytes", Type: store.TypeBytes, Nullable: true},
	}}
	return []store.Migration{{Version: 1, Name: "piped", Steps: []store.Step{store.CreateTable{Table: tbl}}}}
}

// openPiped gives a store and the driver-level pool of one connection on
// a fresh schema holding pipedTable.
func openPiped(t *testing.T) (store.Store, *sql.DB, string) {
	t.Helper()
	base := baseURL(t)
	schema := freshSchema(t, base)
	s, err := postgres.Open(t.Context(), withSchema(t, base, schema))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	pipedTable(t, s)
	db, err := postgres.OpenDB(t.Context(), withSchema(t, base, schema))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return s, db, schema
}

// otherPool is a plain pgx pool on the test database, outside the store
// and its connections, to watch them from; closed when the test ends.
func otherPool(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", baseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// pipedConn is one connection of openPiped's single-connection pool,
// released when the test ends.
func pipedConn(t *testing.T) (context.Context, *sql.Conn) {
	t.Helper()
	_, db, _ := openPiped(t)
	ctx := t.Context()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return ctx, conn
}

// TestReadEndDeferred: the COMMIT or ROLLBACK of a read goes out with the
// connection's next statement; whatever runs next must see the state it
// would have seen with the end sent at once.
func TestReadEndDeferred(t *testing.T) {
	s, _, _ := openPiped(t)
	ctx := t.Context()
	readText := func() (string, error) {
		var got string
		err := s.View(ctx, func(tx store.Tx) error {
			rows, err := tx.Select(ctx, store.Query{Table: "piped", Where: store.Eq("id", int64(2))})
			if err == nil && len(rows) == 1 {
				got, _ = rows[0]["text"].(string)
			}
			return err
		})
		return got, err
	}
	errFn := errors.New("fn failed")
	// setText writes row 2's text in a write transaction.
	setText := func(t *testing.T, want string) {
		t.Helper()
		if err := s.Update(ctx, func(tx store.Tx) error {
			_, err := tx.UpdateWhere(ctx, "piped", store.Eq("id", int64(2)), store.Row{"text": want})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		// after runs right after a View that read the row, and returns
		// the text a View must read then.
		after func(t *testing.T, i int) string
	}{
		{"view then view", func(t *testing.T, i int) string { return "" }},
		{"view then update", func(t *testing.T, i int) string {
			want := fmt.Sprintf("v%d", i)
			setText(t, want)
			return want
		}},
		{"failed view then update", func(t *testing.T, i int) string {
			if err := s.View(ctx, func(tx store.Tx) error {
				if _, err := tx.Count(ctx, store.Query{Table: "piped"}); err != nil {
					return err
				}
				return errFn
			}); !errors.Is(err, errFn) {
				t.Fatalf("view: %v, want %v", err, errFn)
			}
			want := fmt.Sprintf("f%d", i)
			setText(t, want)
			return want
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for i := range 50 {
				before, err := readText()
				if err != nil {
					t.Fatal(err)
				}
				want := tc.after(t, i)
				if want == "" {
					want = before
				}
				got, err := readText()
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Fatalf("round %d: read %q, want %q", i, got, want)
				}
			}
		})
	}
}

// TestReadEndTimer: a connection left alone after a read must not stay
// idle in transaction, where it would block DDL and vacuum.
func TestReadEndTimer(t *testing.T) {
	s, db, schema := openPiped(t)
	ctx := t.Context()
	other := otherPool(t)
	if _, err := other.ExecContext(ctx, "SET lock_timeout = '2s'"); err != nil {
		t.Fatal(err)
	}
	other.SetMaxOpenConns(1)

	t.Run("deferred, then sent alone", func(t *testing.T) {
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		// The timer may fire before the check under a loaded machine;
		// one deferral out of a few tries shows the path is taken.
		deferred := false
		var pid int64
		for range 5 {
			if _, err := conn.ExecContext(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); err != nil {
				t.Fatal(err)
			}
			if err := conn.QueryRowContext(ctx, "SELECT pg_backend_pid() FROM piped LIMIT 1").Scan(&pid); err != nil {
				t.Fatal(err)
			}
			if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
				t.Fatal(err)
			}
			if err := conn.Raw(func(dc any) error {
				deferred = deferred || postgres.PendingEnd(dc) == "COMMIT"
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		if !deferred {
			t.Error("the read transaction's COMMIT was never deferred")
		}
		waitIdle(t, other, pid)
	})

	tests := []struct {
		name, ddl string
	}{
		{"alter", "ALTER TABLE %s.piped ADD COLUMN extra BIGINT"},
		{"drop", "DROP TABLE %s.piped"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.View(ctx, func(tx store.Tx) error {
				_, err := tx.Count(ctx, store.Query{Table: "piped"})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			if _, err := other.ExecContext(ctx, fmt.Sprintf(tc.ddl, sqldb.Quote(schema))); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("%s waited %v for the reader's locks", tc.name, d)
			}
		})
	}
}

// waitIdle polls until the backend pid has left its transaction.
func waitIdle(t *testing.T, other *sql.DB, pid int64) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for {
		var state string
		if err := other.QueryRowContext(t.Context(), "SELECT state FROM pg_stat_activity WHERE pid = $1", pid).Scan(&state); err != nil {
			t.Fatal(err)
		}
		if state == "idle" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("backend %d still %q a second after its read", pid, state)
		}
		time.Sleep(time.Millisecond)
	}
}

const pipedCols = `SELECT id, text, "int", "float", bool, uuid, "time", json, bytes FROM piped`

// scanAll reads rows the way database/sql hands out driver values.
func scanAll(t *testing.T, rows *sql.Rows) [][]driver.Value {
	t.Helper()
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]driver.Value
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]driver.Value, len(cols))
		for i, v := range vals {
			row[i] = v
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestQueryBatch: a batch gives the values QueryContext gives, whether it
// carries the transaction's BEGIN (and the last read's COMMIT) or not.
func TestQueryBatch(t *testing.T) {
	ctx, conn := pipedConn(t)
	queries := []string{
		pipedCols + " ORDER BY id",
		"SELECT COUNT(*) FROM piped",
		pipedCols + " WHERE id = $1",
		pipedCols + " WHERE id = ANY($1) ORDER BY id DESC",
		pipedCols + " WHERE id < 0",
	}
	args := [][]any{nil, nil, {int64(1)}, {[]int64{1, 2}}, nil}

	var want [][][]driver.Value
	if _, err := conn.ExecContext(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); err != nil {
		t.Fatal(err)
	}
	for i, q := range queries {
		rows, err := conn.QueryContext(ctx, q, args[i]...)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, scanAll(t, rows))
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	if len(want[0]) != 3 || len(want[4]) != 0 {
		t.Fatalf("reference read %d and %d rows, want 3 and 0", len(want[0]), len(want[4]))
	}

	batch := func() ([][][]driver.Value, error) {
		var got [][][]driver.Value
		err := conn.Raw(func(dc any) error {
			var err error
			got, err = dc.(sqldb.BatchQueryer).QueryBatch(ctx, queries, args)
			return err
		})
		return got, err
	}
	tests := []struct {
		name  string
		begin string
		// first: a statement runs in the transaction before the batch.
		first bool
	}{
		{"first in a read", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", false},
		{"later in a read", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", true},
		{"first in a write", "BEGIN", false},
		{"later in a write", "BEGIN", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := conn.ExecContext(ctx, tc.begin); err != nil {
				t.Fatal(err)
			}
			if tc.first {
				var n int64
				if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM piped").Scan(&n); err != nil {
					t.Fatal(err)
				}
			}
			got, err := batch()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("batch read\n%#v\nwant\n%#v", got, want)
			}
			// Each row's bytes are its own.
			if b0, b1 := got[0][0][8].([]byte), got[0][1][8].([]byte); &b0[0] == &b1[0] {
				t.Error("two rows share one bytes slice")
			}
		})
	}
}

// TestQueryBatchError: a failing query fails the batch; the transaction
// rolls back as a whole and the connection serves the next one.
func TestQueryBatchError(t *testing.T) {
	ctx, conn := pipedConn(t)
	count := func() int64 {
		t.Helper()
		var n int64
		if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM piped").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	tests := []struct {
		name    string
		begin   string
		queries []string
	}{
		{"read, first query fails", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
			[]string{"SELECT no_such_column FROM piped", "SELECT COUNT(*) FROM piped"}},
		{"read, last query fails", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
			[]string{"SELECT COUNT(*) FROM piped", "SELECT 1/0"}},
		{"write after insert", "BEGIN",
			[]string{"SELECT COUNT(*) FROM piped", "SELECT * FROM no_such_table"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := conn.ExecContext(ctx, tc.begin); err != nil {
				t.Fatal(err)
			}
			if tc.begin == "BEGIN" {
				if _, err := conn.ExecContext(ctx, "INSERT INTO piped (text) VALUES ($1)", "rolled back"); err != nil {
					t.Fatal(err)
				}
			}
			err := conn.Raw(func(dc any) error {
				_, err := dc.(sqldb.BatchQueryer).QueryBatch(ctx, tc.queries, make([][]any, len(tc.queries)))
				return err
			})
			if err == nil {
				t.Fatal("batch with a failing query succeeded")
			}
			if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
				t.Fatal(err)
			}
			if n := count(); n != 3 {
				t.Fatalf("%d rows after the rollback, want 3", n)
			}
			if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
				t.Fatal(err)
			}
			if _, err := conn.ExecContext(ctx, "UPDATE piped SET text = $1 WHERE id = $2", tc.name, int64(3)); err != nil {
				t.Fatal(err)
			}
			if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
				t.Fatal(err)
			}
			var text string
			if err := conn.QueryRowContext(ctx, "SELECT text FROM piped WHERE id = $1", int64(3)).Scan(&text); err != nil || text != tc.name {
				t.Fatalf("after the batch: read %q, %v; want %q", text, err, tc.name)
			}
		})
	}
}

// TestDecodersFollowColumnType: a connection keeps the column decoders of
// the statements it read, by statement text; after the column's type
// changes, the same text must decode by the new type on both read paths
// (a batch, and a statement sent with its BEGIN).
func TestDecodersFollowColumnType(t *testing.T) {
	ctx, conn := pipedConn(t)
	const q = "SELECT v FROM decoded"
	if _, err := conn.ExecContext(ctx, "CREATE TABLE decoded (v bigint); INSERT INTO decoded VALUES (42)"); err != nil {
		t.Fatal(err)
	}
	// read runs q in a read transaction, retrying once: pgx answers the
	// first use of a statement whose result type changed with an error
	// and prepares it again.
	paths := []struct {
		name string
		read func() (driver.Value, error)
	}{
		{"batch", func() (driver.Value, error) {
			var got [][][]driver.Value
			err := conn.Raw(func(dc any) error {
				var err error
				got, err = dc.(sqldb.BatchQueryer).QueryBatch(ctx, []string{q, q}, [][]any{nil, nil})
				return err
			})
			if err != nil {
				return nil, err
			}
			return got[1][0][0], nil
		}},
		{"with its BEGIN", func() (driver.Value, error) {
			var v any
			// An argument makes pgx use the extended protocol, which is
			// what travels with a deferred BEGIN.
			err := conn.QueryRowContext(ctx, q+" WHERE $1::int = 1", 1).Scan(&v)
			return v, err
		}},
	}
	read := func(t *testing.T, path func() (driver.Value, error)) driver.Value {
		t.Helper()
		for attempt := 0; ; attempt++ {
			if _, err := conn.ExecContext(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); err != nil {
				t.Fatal(err)
			}
			v, err := path()
			end := "COMMIT"
			if err != nil {
				end = "ROLLBACK"
			}
			if _, eerr := conn.ExecContext(ctx, end); eerr != nil {
				t.Fatal(eerr)
			}
			if err == nil {
				return v
			}
			if attempt > 0 {
				t.Fatal(err)
			}
		}
	}
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			if _, err := conn.ExecContext(ctx, "ALTER TABLE decoded ALTER COLUMN v TYPE bigint USING 42"); err != nil {
				t.Fatal(err)
			}
			if v := read(t, p.read); v != int64(42) {
				t.Fatalf("bigint column read as %#v", v)
			}
			if _, err := conn.ExecContext(ctx, "ALTER TABLE decoded ALTER COLUMN v TYPE text USING 'forty-two'"); err != nil {
				t.Fatal(err)
			}
			if v := read(t, p.read); v != "forty-two" {
				t.Fatalf("after the change to text, read %#v", v)
			}
		})
	}
}

// TestViewCommitted: a ViewCommitted opens no transaction, so its reads
// leave the connection idle rather than idle in transaction and each sees
// what was committed before it; it still refuses writes, and a read end
// deferred by an earlier View on the connection still goes first.
func TestViewCommitted(t *testing.T) {
	s, db, _ := openPiped(t)
	ctx := t.Context()
	other := otherPool(t)
	// inTransaction counts the backends, other than other's, whose last
	// statement read the piped table and that sit in an open transaction.
	inTransaction := func(t *testing.T) int {
		t.Helper()
		var n int
		if err := other.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE pid <> pg_backend_pid() AND state = 'idle in transaction' AND query LIKE '%"piped"%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	views := []struct {
		name string
		run  func(context.Context, func(store.Tx) error) error
		// open is how many transactions the view holds between its reads.
		open int
	}{
		{"a view holds its snapshot transaction", s.View, 1},
		{"a committed view holds none", s.ViewCommitted, 0},
	}
	for _, v := range views {
		t.Run(v.name, func(t *testing.T) {
			// Deferred ends of earlier views go out within commitDelay.
			time.Sleep(20 * postgres.CommitDelay)
			var open int
			if err := v.run(ctx, func(tx store.Tx) error {
				if _, err := tx.Count(ctx, store.Query{Table: "piped"}); err != nil {
					return err
				}
				open = inTransaction(t)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if open != v.open {
				t.Fatalf("%d backends idle in transaction during the view, want %d", open, v.open)
			}
		})
	}

	t.Run("each read sees a commit made between them", func(t *testing.T) {
		var before, after int64
		if err := s.ViewCommitted(ctx, func(tx store.Tx) error {
			var err error
			if before, err = tx.Count(ctx, store.Query{Table: "piped"}); err != nil {
				return err
			}
			if err := s.Update(ctx, func(tx store.Tx) error {
				_, err := tx.Insert(ctx, "piped", store.Row{"text": "committed between"})
				return err
			}); err != nil {
				return err
			}
			after, err = tx.Count(ctx, store.Query{Table: "piped"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if after != before+1 {
			t.Fatalf("counts %d then %d, want the second to see the insert", before, after)
		}
	})

	t.Run("writes are refused", func(t *testing.T) {
		n := countRows(t, ctx, s)
		err := s.ViewCommitted(ctx, func(tx store.Tx) error {
			return tx.Exec(ctx, "INSERT INTO piped (text) VALUES (?)", "sneaked in")
		})
		if !errors.Is(err, store.ErrReadOnly) {
			t.Fatalf("insert: %v, want ErrReadOnly", err)
		}
		assertRows(t, ctx, s, n)
	})

	// What sqldb sends for a View and then a ViewCommitted on one
	// connection: the view's deferred COMMIT goes with the first read
	// after it, which then runs outside any transaction.
	t.Run("after a view, its deferred end goes first", func(t *testing.T) {
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM piped").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
			t.Fatal(err)
		}
		var a, b time.Time
		if err := conn.QueryRowContext(ctx, "SELECT now() FROM piped LIMIT 1").Scan(&a); err != nil {
			t.Fatal(err)
		}
		if err := conn.Raw(func(dc any) error {
			if end := postgres.PendingEnd(dc); end != "" {
				return fmt.Errorf("the view's %s is still held back", end)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
		if err := conn.QueryRowContext(ctx, "SELECT now() FROM piped LIMIT 1").Scan(&b); err != nil {
			t.Fatal(err)
		}
		if a.Equal(b) {
			t.Fatalf("now() %v twice: the reads after the view share a transaction", a)
		}
	})
}
