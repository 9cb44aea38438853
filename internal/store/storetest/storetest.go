package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/store"
)

// Opener returns a store for t. Each test gets its own empty database, and
// calling the opener again with the same t must return another handle to
// that same database (after or while the first is open): that is how the
// suite checks persistence across Close and concurrent migrations. The
// opener registers the cleanup (Close, removing files or schemas).
type Opener func(t *testing.T) store.Store

// Run runs the conformance suite every backend must pass.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		run  func(t *testing.T, open Opener)
	}{
		{"Migrate", testMigrate},
		{"AlterColumn", testAlterColumn},
		{"AlterInvalid", testAlterInvalid},
		{"AlterReopen", testAlterReopen},
		{"MigrateFresh", testMigrateFresh},
		{"RoundTrip", testRoundTrip},
		{"AutoIncrement", testAutoIncrement},
		{"InsertReturning", testInsertReturning},
		{"InsertReturningErrors", testInsertReturningErrors},
		{"InsertMany", testInsertMany},
		{"ReadMany", testReadMany},
		{"InsertLater", testInsertLater},
		{"Conditions", testConditions},
		{"Ordering", testOrdering},
		{"DistinctAndCount", testDistinctCount},
		{"WholeCounts", testWholeCounts},
		{"UpdateDelete", testUpdateDelete},
		{"Unique", testUnique},
		{"ForeignKey", testForeignKey},
		{"OnDelete", testOnDelete},
		{"Rollback", testRollback},
		{"ReadOnly", testReadOnly},
		{"Exec", testExec},
		{"Reopen", testReopen},
		{"Concurrency", testConcurrency},
		{"Invalid", testInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open) })
	}
}

// --- helpers ---------------------------------------------------------------

func migrated(t *testing.T, open Opener) store.Store {
	t.Helper()
	s := open(t)
	if err := s.Migrate(t.Context(), Migrations); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}

func update(t *testing.T, s store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.Update(t.Context(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func insert(t *testing.T, s store.Store, table string, row store.Row) int64 {
	t.Helper()
	var id int64
	update(t, s, func(tx store.Tx) error {
		var err error
		id, err = tx.Insert(t.Context(), table, row)
		return err
	})
	return id
}

func selectRows(t *testing.T, s store.Store, q store.Query) []store.Row {
	t.Helper()
	var rows []store.Row
	if err := s.View(t.Context(), func(tx store.Tx) error {
		var err error
		rows, err = tx.Select(t.Context(), q)
		return err
	}); err != nil {
		t.Fatalf("Select %+v: %v", q, err)
	}
	return rows
}

func count(t *testing.T, s store.Store, q store.Query) int64 {
	t.Helper()
	var n int64
	if err := s.View(t.Context(), func(tx store.Tx) error {
		var err error
		n, err = tx.Count(t.Context(), q)
		return err
	}); err != nil {
		t.Fatalf("Count %+v: %v", q, err)
	}
	return n
}

// intRange is n consecutive ints from first, as condition values.
func intRange(first, n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = first + i
	}
	return out
}

func ids(rows []store.Row) []int64 {
	out := []int64{}
	for _, r := range rows {
		out = append(out, r["id"].(int64))
	}
	return out
}

func one(t *testing.T, s store.Store, table string, id any) store.Row {
	t.Helper()
	rows := selectRows(t, s, store.Query{Table: table, Where: store.Eq("id", id)})
	if len(rows) != 1 {
		t.Fatalf("%s id=%v: %d rows", table, id, len(rows))
	}
	return rows[0]
}

// sameValue compares what was read with what is expected: JSON by meaning,
// times by instant (and UTC location), bytes by content.
func sameValue(got, want any) bool {
	switch w := want.(type) {
	case json.RawMessage:
		g, ok := got.(json.RawMessage)
		if !ok {
			return false
		}
		var a, b any
		if json.Unmarshal(g, &a) != nil || json.Unmarshal(w, &b) != nil {
			return false
		}
		return reflect.DeepEqual(a, b)
	case time.Time:
		g, ok := got.(time.Time)
		return ok && g.Equal(w) && g.Location() == time.UTC
	case []byte:
		g, ok := got.([]byte)
		return ok && bytes.Equal(g, w) && (g == nil) == (w == nil)
	}
	return reflect.DeepEqual(got, want)
}

func checkRow(t *testing.T, got store.Row, want store.Row) {
	t.Helper()
	for k, w := range want {
		if !sameValue(got[k], w) {
			t.Errorf("column %s: got %#v (%T), want %#v (%T)", k, got[k], got[k], w, w)
		}
	}
}

const (
	alice = "0b5d6f3e-2c1a-4e8b-9f00-aaaaaaaaaaaa"
	bob   = "0b5d6f3e-2c1a-4e8b-9f00-bbbbbbbbbbbb"
)

var t0 = time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)

// seed inserts the accounts and the six items the condition, ordering and
// counting tests query. Item ids are 1..6.
func seed(t *testing.T, s store.Store) {
	t.Helper()
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	update(t, s, func(tx store.Tx) error {
		ctx := t.Context()
		for _, a := range []store.Row{
			{"id": alice, "username": "alice", "realm": "r"},
			{"id": bob, "username": "bob", "realm": "r"},
		} {
			if _, err := tx.Insert(ctx, "accounts", a); err != nil {
				return err
			}
		}
		items := []store.Row{
			{"name": "Alpha", "tags": []string{"a", "b"}, "attrs": raw(`{"k":"v","n":{"x":1},"arr":[1,2,{"z":true}],"num":5}`),
				"score": 1.5, "rank": 1, "active": true, "owner": alice, "created": t0},
			{"name": "alpha_beta", "tags": []string{"b"}, "attrs": raw(`{"k":"w","n":{"x":2,"y":3},"flag":true}`),
				"score": 2.5, "rank": 2, "active": false, "owner": bob, "created": t0.Add(time.Microsecond)},
			{"name": "100% pure", "tags": []string{}, "attrs": raw(`{"k":"v","arr":[3]}`),
				"score": 0.0, "rank": 3, "active": true, "created": t0.Add(time.Second)},
			{"name": "under_score", "tags": raw(`["c",["nested"]]`), "attrs": raw(`{}`),
				"score": -1, "rank": 4, "active": false, "owner": alice, "created": t0.Add(time.Hour)},
			{"name": "Gamma*[x]?"},
			{"name": "alphaXbeta", "tags": []string{"a"}, "attrs": raw(`{"k":"V","num":5.0}`),
				"score": 2.5, "rank": 2, "active": true, "owner": bob, "created": t0.Add(2 * time.Hour)},
		}
		for i, it := range items {
			id, err := tx.Insert(ctx, "items", it)
			if err != nil {
				return err
			}
			if id != int64(i+1) {
				return fmt.Errorf("item %d got id %d", i+1, id)
			}
		}
		return nil
	})
}

// --- migrations ------------------------------------------------------------

func testMigrate(t *testing.T, open Opener) {
	v3 := store.Migration{Version: 3, Name: "later", Steps: []store.Step{
		store.CreateTable{Table: store.Table{Name: "later", PK: []string{"id"},
			Columns: []store.Column{col("id", store.TypeText), nullable("at", store.TypeTime)}}},
		store.AddColumn{Table: "pairs", Column: store.Column{Name: "extra", Type: store.TypeBool, Default: true}},
	}}
	broken := v3
	broken.Steps = append(slices.Clone(v3.Steps), store.RawSQL{"sqlite": {"THIS IS NOT SQL"}, "postgres": {"THIS IS NOT SQL"}})

	checkApplied := func(t *testing.T, s store.Store, want ...int64) {
		t.Helper()
		rows := selectRows(t, s, store.Query{Table: "akgo_migrations", OrderBy: []store.Order{{Column: "version"}}})
		var got []int64
		for _, r := range rows {
			got = append(got, r["version"].(int64))
			if _, ok := r["applied_at"].(time.Time); !ok {
				t.Errorf("applied_at is %T", r["applied_at"])
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("applied versions %v, want %v", got, want)
		}
		if n := count(t, s, store.Query{Table: "parents", Where: store.Eq("name", "default")}); n != 1 {
			t.Fatalf("v2 seeded %d default parents, want 1", n)
		}
	}

	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"second call is a no-op", func(t *testing.T) {
			s := migrated(t, open)
			if err := s.Migrate(t.Context(), Migrations); err != nil {
				t.Fatal(err)
			}
			checkApplied(t, s, 1, 2)
		}},
		{"input order does not matter", func(t *testing.T) {
			s := open(t)
			if err := s.Migrate(t.Context(), []store.Migration{v2, v1}); err != nil {
				t.Fatal(err)
			}
			checkApplied(t, s, 1, 2)
		}},
		{"concurrent calls from two stores", func(t *testing.T) {
			stores := []store.Store{open(t), open(t)}
			var wg sync.WaitGroup
			errs := make(chan error, 6)
			for i := 0; i < 6; i++ {
				wg.Add(1)
				go func(s store.Store) {
					defer wg.Done()
					errs <- s.Migrate(t.Context(), Migrations)
				}(stores[i%2])
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			checkApplied(t, stores[0], 1, 2)
			checkApplied(t, stores[1], 1, 2)
		}},
		{"later migration applies only itself", func(t *testing.T) {
			s := migrated(t, open)
			insert(t, s, "pairs", store.Row{"a": "x", "b": 1})
			if err := s.Migrate(t.Context(), append(slices.Clone(Migrations), v3)); err != nil {
				t.Fatal(err)
			}
			checkApplied(t, s, 1, 2, 3)
			rows := selectRows(t, s, store.Query{Table: "pairs"})
			if len(rows) != 1 || rows[0]["extra"] != true {
				t.Fatalf("added column on existing row: %v", rows)
			}
			insert(t, s, "later", store.Row{"id": "a", "at": t0})
			checkRow(t, one(t, s, "later", "a"), store.Row{"at": t0})
		}},
		{"failed migration leaves no trace", func(t *testing.T) {
			s := migrated(t, open)
			if err := s.Migrate(t.Context(), append(slices.Clone(Migrations), broken)); err == nil {
				t.Fatal("broken migration succeeded")
			}
			checkApplied(t, s, 1, 2)
			// The table of the failed migration must not exist, or creating it
			// again would fail.
			if err := s.Migrate(t.Context(), append(slices.Clone(Migrations), v3)); err != nil {
				t.Fatal(err)
			}
			checkApplied(t, s, 1, 2, 3)
		}},
		{"invalid descriptors are rejected before any change", func(t *testing.T) {
			s := migrated(t, open)
			bad := store.Migration{Version: 3, Name: "bad", Steps: []store.Step{
				store.CreateTable{Table: store.Table{Name: "bad", PK: []string{"id"}, Columns: []store.Column{
					col("id", store.TypeInt),
					{Name: "ref", Type: store.TypeInt, Ref: &store.ForeignKey{Table: "missing", Column: "id", OnDelete: store.Cascade}},
				}}},
			}}
			if err := s.Migrate(t.Context(), append(slices.Clone(Migrations), bad)); err == nil {
				t.Fatal("reference to a missing table accepted")
			}
			dup := []store.Migration{v1, v2, {Version: 2, Name: "again"}}
			if err := s.Migrate(t.Context(), dup); err == nil {
				t.Fatal("duplicate version accepted")
			}
			checkApplied(t, s, 1, 2)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, tc.run)
	}
}

// --- values ----------------------------------------------------------------

func testRoundTrip(t *testing.T, open Opener) {
	s := migrated(t, open)
	zone := time.FixedZone("UTC+5", 5*3600)
	tests := []struct {
		name string
		in   store.Row
		want store.Row
	}{
		{
			name: "every type",
			in: store.Row{
				"t": "héllo 'quoted' \"x\"", "i": int64(-1 << 40), "f": 3.25, "b": true,
				"u":  "0B5D6F3E-2C1A-4E8B-9F00-ABCDEFABCDEF",
				"ts": time.Date(2024, 2, 29, 13, 14, 15, 123456789, zone),
				"j":  map[string]any{"a": 1, "b": []any{true, nil, "x"}, "c": map[string]any{"d": 1.5}},
				"by": []byte{0, 1, 2, 255},
			},
			want: store.Row{
				"t": "héllo 'quoted' \"x\"", "i": int64(-1 << 40), "f": 3.25, "b": true,
				"u":  "0b5d6f3e-2c1a-4e8b-9f00-abcdefabcdef",
				"ts": time.Date(2024, 2, 29, 8, 14, 15, 123456000, time.UTC),
				"j":  json.RawMessage(`{"a":1,"b":[true,null,"x"],"c":{"d":1.5}}`),
				"by": []byte{0, 1, 2, 255},
			},
		},
		{
			name: "NULLs and defaults",
			in:   store.Row{"t": nil, "i": nil, "f": nil, "b": nil, "u": nil, "ts": nil, "j": nil, "by": nil},
			want: store.Row{
				"t": nil, "i": nil, "f": nil, "b": nil, "u": nil, "ts": nil, "j": nil, "by": nil,
				"dt": "it's", "di": int64(7), "df": 1.5, "db": true, "dj": json.RawMessage(`{"a":[1]}`),
				"dts": time.Date(2020, 1, 2, 3, 4, 5, 123456000, time.UTC),
			},
		},
		{
			name: "zero values are not NULL",
			in:   store.Row{"t": "", "i": 0, "f": 0.0, "b": false, "j": json.RawMessage(`null`), "by": []byte{}, "ts": time.Unix(0, 0)},
			want: store.Row{"t": "", "i": int64(0), "f": 0.0, "b": false, "j": json.RawMessage(`null`), "by": []byte{}, "ts": time.Unix(0, 0).UTC()},
		},
		{
			name: "JSON array, scalar and raw text",
			in:   store.Row{"j": json.RawMessage(` [1, "two", {"three": 3}] `), "dj": "a string"},
			want: store.Row{"j": json.RawMessage(`[1,"two",{"three":3}]`), "dj": json.RawMessage(`"a string"`)},
		},
		{
			name: "convertible Go types",
			in:   store.Row{"i": int32(5), "f": 2, "b": ptr(true), "t": ptr("p"), "ts": "2001-02-03T04:05:06.7Z", "u": "0b5d6f3e2c1a4e8b9f00abcdefabcdef"},
			want: store.Row{"i": int64(5), "f": 2.0, "b": true, "t": "p", "ts": time.Date(2001, 2, 3, 4, 5, 6, 700000000, time.UTC), "u": "0b5d6f3e-2c1a-4e8b-9f00-abcdefabcdef"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := insert(t, s, "kinds", tc.in)
			got := one(t, s, "kinds", id)
			checkRow(t, got, tc.want)
			if len(got) != 15 {
				t.Errorf("row has %d columns, want all 15", len(got))
			}
		})
	}
	t.Run("subset of columns", func(t *testing.T) {
		rows := selectRows(t, s, store.Query{Table: "kinds", Columns: []string{"id", "dt"}, Limit: 1})
		if len(rows) != 1 || len(rows[0]) != 2 || rows[0]["dt"] != "it's" {
			t.Fatalf("got %v", rows)
		}
	})
}

func ptr[T any](v T) *T { return &v }

func testAutoIncrement(t *testing.T, open Opener) {
	s := migrated(t, open)
	// parents already holds the default row (id 1) from migration 2.
	tests := []struct {
		name   string
		do     func(tx store.Tx) (int64, error)
		wantID int64
	}{
		{"first generated id", func(tx store.Tx) (int64, error) {
			return tx.Insert(t.Context(), "parents", store.Row{"name": "a"})
		}, 2},
		{"next id", func(tx store.Tx) (int64, error) {
			return tx.Insert(t.Context(), "parents", store.Row{"name": "b"})
		}, 3},
		{"deleted ids are not reused", func(tx store.Tx) (int64, error) {
			if _, err := tx.DeleteWhere(t.Context(), "parents", store.Eq("id", 3)); err != nil {
				return 0, err
			}
			return tx.Insert(t.Context(), "parents", store.Row{"name": "c"})
		}, 4},
		{"explicit id", func(tx store.Tx) (int64, error) {
			return tx.Insert(t.Context(), "parents", store.Row{"id": 100, "name": "d"})
		}, 100},
		{"generator continues after an explicit id", func(tx store.Tx) (int64, error) {
			return tx.Insert(t.Context(), "parents", store.Row{"name": "e"})
		}, 101},
		{"table without auto increment returns 0", func(tx store.Tx) (int64, error) {
			return tx.Insert(t.Context(), "pairs", store.Row{"a": "x", "b": 9})
		}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var id int64
			update(t, s, func(tx store.Tx) error {
				var err error
				id, err = tc.do(tx)
				return err
			})
			if id != tc.wantID {
				t.Fatalf("id %d, want %d", id, tc.wantID)
			}
		})
	}
}

// --- conditions ------------------------------------------------------------

func testConditions(t *testing.T, open Opener) {
	s := migrated(t, open)
	seed(t, s)
	like := func(pattern, mode string, fold bool) store.Cond {
		return store.LikeCond{Column: "name", Pattern: pattern, Mode: mode, Fold: fold}
	}
	contains := func(colName, doc string) store.Cond {
		return store.JSONContainsCond{Column: colName, Value: json.RawMessage(doc)}
	}
	path := func(value string, p ...string) store.Cond {
		return store.JSONPathCond{Column: "attrs", Path: p, Value: value}
	}
	cmp := func(c, op string, v any) store.Cond { return store.CmpCond{Column: c, Op: op, Value: v} }
	all := []int64{1, 2, 3, 4, 5, 6}
	tests := []struct {
		name string
		cond store.Cond
		want []int64
	}{
		{"nil matches all", nil, all},
		{"true", store.TrueCond{}, all},
		{"false", store.FalseCond{}, nil},

		{"int =", cmp("rank", "=", 2), []int64{2, 6}},
		{"int != skips NULL", cmp("rank", "!=", 2), []int64{1, 3, 4}},
		{"int <", cmp("rank", "<", 3), []int64{1, 2, 6}},
		{"int <=", cmp("rank", "<=", 3), []int64{1, 2, 3, 6}},
		{"int >", cmp("rank", ">", 3), []int64{4}},
		{"int >=", cmp("rank", ">=", 2), []int64{2, 3, 4, 6}},
		{"bool", store.Eq("active", true), []int64{1, 3, 6}},
		{"float =", store.Eq("score", 2.5), []int64{2, 6}},
		{"float >= ", cmp("score", ">=", 1.5), []int64{1, 2, 6}},
		{"text =", store.Eq("name", "Alpha"), []int64{1}},
		{"uuid = in any case", store.Eq("owner", "0B5D6F3E-2C1A-4E8B-9F00-AAAAAAAAAAAA"), []int64{1, 4}},
		{"uuid = malformed matches nothing", store.Eq("owner", "not-a-uuid"), nil},
		{"uuid != malformed matches non-NULL", cmp("owner", "!=", "not-a-uuid"), []int64{1, 2, 4, 6}},
		{"time >", cmp("created", ">", t0), []int64{2, 3, 4, 6}},
		{"time = to the microsecond", store.Eq("created", t0.Add(time.Microsecond)), []int64{2}},
		{"time in another zone", store.Eq("created", t0.In(time.FixedZone("X", -7*3600))), []int64{1}},
		{"= nil is IS NULL", store.Eq("rank", nil), []int64{5}},
		{"!= nil is IS NOT NULL", cmp("rank", "!=", nil), []int64{1, 2, 3, 4, 6}},

		{"in", store.InCond{Column: "rank", Values: []any{1, 3}}, []int64{1, 3}},
		{"in empty", store.InCond{Column: "rank"}, nil},
		{"in ignores NULL", store.InCond{Column: "rank", Values: []any{nil, 4}}, []int64{4}},
		{"in uuid ignores malformed", store.InCond{Column: "owner", Values: []any{"bogus", "0B5D6F3E-2C1A-4E8B-9F00-AAAAAAAAAAAA"}}, []int64{1, 4}},
		// Long lists (a page of keys) may be bound as one array.
		{"in long int list", store.InCond{Column: "rank", Values: []any{9, 8, nil, 7, 1, 3, 1, 100, -5, 0, int64(2)}}, []int64{1, 2, 3, 6}},
		{"in long text list", store.InCond{Column: "name", Values: []any{"Alpha", "alpha", "x", "y", "z", "100% pure", "Gamma*[x]?", "a'b", `"q"`, "under_score", "é", "\\\"\n\x01"}}, []int64{1, 3, 4, 5}},
		{"in long uuid list", store.InCond{Column: "owner", Values: []any{"bogus", "0B5D6F3E-2C1A-4E8B-9F00-BBBBBBBBBBBB", nil,
			"00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002", "00000000-0000-0000-0000-000000000003",
			"00000000-0000-0000-0000-000000000004", "00000000-0000-0000-0000-000000000005", "00000000-0000-0000-0000-000000000006",
			"00000000-0000-0000-0000-000000000007"}}, []int64{2, 6}},
		{"in long list of NULLs and malformed", store.InCond{Column: "owner", Values: []any{nil, "a", "b", "c", "d", "e", "f", "g", "h", "i"}}, nil},
		// SQLite joins a list of 8 to 1000 distinct values on an indexed
		// column (id, name, rank, owner) rather than searching it with IN:
		// its edges, repeats, other conjuncts and lists it must leave alone.
		{"in one value", store.InCond{Column: "id", Values: []any{3}}, []int64{3}},
		{"in 7 values", store.InCond{Column: "id", Values: intRange(0, 7)}, []int64{1, 2, 3, 4, 5, 6}},
		{"in 8 values", store.InCond{Column: "id", Values: intRange(0, 8)}, all},
		{"in 8 values, 7 distinct", store.InCond{Column: "id", Values: append(intRange(0, 7), 6)}, all},
		{"in repeats match once", store.InCond{Column: "rank", Values: []any{2, 2, 2, 2, 2, 2, 2, 2, 2, 4, 4}}, []int64{2, 4, 6}},
		{"in unsorted text with repeats", store.InCond{Column: "name", Values: []any{"under_score", "Alpha", "zz", "Alpha", "a", "b", "c", "d", "under_score"}}, []int64{1, 4}},
		{"in 1000 values", store.InCond{Column: "id", Values: intRange(-993, 1000)}, all},
		{"in 1001 values", store.InCond{Column: "id", Values: intRange(-994, 1001)}, all},
		{"in 5000 values", store.InCond{Column: "id", Values: intRange(-4996, 5000)}, []int64{1, 2, 3}},
		{"in on unindexed column", store.InCond{Column: "score", Values: []any{2.5, 0, 9, 8, 7, 6, 5, 4, 3}}, []int64{2, 3, 6}},
		{"in and other conditions", store.And(store.Eq("active", true), store.InCond{Column: "id", Values: intRange(0, 10)}, store.OrCond{store.Eq("rank", 1), store.NullCond{Column: "rank", IsNull: true}, store.Eq("rank", 2)}), []int64{1, 6}},
		{"two lists", store.And(store.InCond{Column: "owner", Values: []any{alice, bob, "00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002", "00000000-0000-0000-0000-000000000003", "00000000-0000-0000-0000-000000000004", "00000000-0000-0000-0000-000000000005", "00000000-0000-0000-0000-000000000006"}},
			store.InCond{Column: "rank", Values: intRange(0, 10)}), []int64{1, 2, 4, 6}},
		{"in under or", store.OrCond{store.InCond{Column: "id", Values: intRange(4, 10)}, store.Eq("rank", 1)}, []int64{1, 4, 5, 6}},
		{"in under not", store.NotCond{Cond: store.InCond{Column: "id", Values: intRange(2, 10)}}, []int64{1}},
		{"in query", store.InQueryCond{Column: "owner", Query: store.Query{Table: "accounts", Columns: []string{"id"}, Where: store.Eq("username", "bob")}}, []int64{2, 6}},
		{"in query distinct on same table", store.InQueryCond{Column: "rank", Query: store.Query{Table: "items", Columns: []string{"rank"}, Distinct: true, Where: store.Eq("active", false)}}, []int64{2, 4, 6}},

		{"contains case-sensitive", like("lph", "contains", false), []int64{1, 2, 6}},
		{"contains case-sensitive misses", like("LPH", "contains", false), nil},
		{"contains folded", like("LPH", "contains", true), []int64{1, 2, 6}},
		{"prefix case-sensitive", like("alpha", "prefix", false), []int64{2, 6}},
		{"prefix folded", like("ALPHA", "prefix", true), []int64{1, 2, 6}},
		{"suffix case-sensitive", like("beta", "suffix", false), []int64{2, 6}},
		{"suffix case-sensitive misses", like("BETA", "suffix", false), nil},
		{"suffix folded", like("BETA", "suffix", true), []int64{2, 6}},
		{"exact case-sensitive", like("Alpha", "exact", false), []int64{1}},
		{"exact case-sensitive misses", like("alpha", "exact", false), nil},
		{"exact folded", like("alpha", "exact", true), []int64{1}},
		{"literal %", like("%", "contains", false), []int64{3}},
		{"literal % folded", like("0% P", "contains", true), []int64{3}},
		{"literal _", like("_", "contains", false), []int64{2, 4}},
		{"literal _ folded", like("A_B", "contains", true), []int64{2}},
		{"literal % prefix", like("100%", "prefix", false), []int64{3}},
		{"glob characters are literal", like("*[x]?", "suffix", false), []int64{5}},
		{"glob characters folded", like("A*[X]", "contains", true), []int64{5}},
		{"backslash is literal", like(`\`, "contains", true), nil},
		{"empty pattern", like("", "contains", false), all},
		{"like on uuid column", store.LikeCond{Column: "owner", Pattern: "0b5d6f3e", Mode: "prefix"}, []int64{1, 2, 4, 6}},

		{"is null", store.NullCond{Column: "rank", IsNull: true}, []int64{5}},
		{"is not null", store.NullCond{Column: "rank"}, []int64{1, 2, 3, 4, 6}},
		{"json column is null", store.NullCond{Column: "tags", IsNull: true}, []int64{5}},

		{"json contains key", contains("attrs", `{"k":"v"}`), []int64{1, 3}},
		{"json contains is case-sensitive", contains("attrs", `{"k":"V"}`), []int64{6}},
		{"json contains nested object", contains("attrs", `{"n":{"x":1}}`), []int64{1}},
		{"json contains part of nested object", contains("attrs", `{"n":{"y":3}}`), []int64{2}},
		{"json contains object in nested array", contains("attrs", `{"arr":[{"z":true}]}`), []int64{1}},
		{"json contains several array elements", contains("attrs", `{"arr":[{"z":true},1]}`), []int64{1}},
		{"json contains number numerically", contains("attrs", `{"num":5}`), []int64{1, 6}},
		{"json contains needs same kind", contains("attrs", `{"k":["v"]}`), nil},
		{"json contains empty object", contains("attrs", `{}`), []int64{1, 2, 3, 4, 6}},
		{"json array contains element", contains("tags", `["b"]`), []int64{1, 2}},
		{"json array contains all elements", contains("tags", `["b","a"]`), []int64{1}},
		{"json array contains empty array", contains("tags", `[]`), []int64{1, 2, 3, 4, 6}},
		{"json array contains nested array", contains("tags", `[["nested"]]`), []int64{4}},
		{"json array does not flatten", contains("tags", `["nested"]`), nil},
		{"json array contains bare scalar", contains("tags", `"a"`), []int64{1, 6}},
		{"json object is not an array", contains("attrs", `[]`), nil},
		{"json contains Go value", store.JSONContainsCond{Column: "attrs", Value: map[string]any{"n": map[string]any{"x": 2}}}, []int64{2}},

		{"json path", path("v", "k"), []int64{1, 3}},
		{"json path nested number", path("1", "n", "x"), []int64{1}},
		{"json path array index", path("2", "arr", "1"), []int64{1}},
		{"json path negative index", path("true", "arr", "-1", "z"), []int64{1}},
		{"json path bool", path("true", "flag"), []int64{2}},
		{"json path number text", path("5", "num"), []int64{1}},
		{"json path missing never matches", path("", "missing"), nil},

		{"and", store.And(store.Eq("active", true), cmp("rank", "<", 3)), []int64{1, 6}},
		{"and empty", store.AndCond{}, all},
		{"or", store.OrCond{store.Eq("rank", 1), store.Eq("rank", 4)}, []int64{1, 4}},
		{"or empty", store.OrCond{}, nil},
		{"not", store.NotCond{Cond: store.Eq("active", true)}, []int64{2, 4, 5}},
		{"not with NULL stays unknown", store.NotCond{Cond: store.Eq("rank", 2)}, []int64{1, 3, 4}},
		{"not false", store.NotCond{Cond: store.FalseCond{}}, all},
		{"not true", store.NotCond{Cond: store.TrueCond{}}, nil},
		{"nested", store.OrCond{store.And(store.Eq("active", true), cmp("rank", ">=", 3)), like("alpha", "prefix", true)}, []int64{1, 2, 3, 6}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows := selectRows(t, s, store.Query{Table: "items", Columns: []string{"id"}, Where: tc.cond, OrderBy: []store.Order{{Column: "id"}}})
			want := tc.want
			if want == nil {
				want = []int64{}
			}
			if got := ids(rows); !slices.Equal(got, want) {
				t.Fatalf("got %v, want %v", got, want)
			}
			if n := count(t, s, store.Query{Table: "items", Where: tc.cond}); n != int64(len(want)) {
				t.Fatalf("Count %d, want %d", n, len(want))
			}
		})
	}
}

func testOrdering(t *testing.T, open Opener) {
	s := migrated(t, open)
	seed(t, s)
	by := func(os ...store.Order) []store.Order { return os }
	tests := []struct {
		name  string
		query store.Query
		want  []int64
	}{
		{"asc, NULLs last", store.Query{OrderBy: by(store.Order{Column: "rank"}, store.Order{Column: "id"})}, []int64{1, 2, 6, 3, 4, 5}},
		{"desc, NULLs first", store.Query{OrderBy: by(store.Order{Column: "rank", Desc: true}, store.Order{Column: "id"})}, []int64{5, 4, 3, 2, 6, 1}},
		{"second key desc", store.Query{OrderBy: by(store.Order{Column: "rank"}, store.Order{Column: "id", Desc: true})}, []int64{1, 6, 2, 3, 4, 5}},
		{"text in byte order", store.Query{OrderBy: by(store.Order{Column: "name"})}, []int64{3, 1, 5, 6, 2, 4}},
		{"time", store.Query{OrderBy: by(store.Order{Column: "created", Desc: true})}, []int64{5, 6, 4, 3, 2, 1}},
		{"limit", store.Query{OrderBy: by(store.Order{Column: "id"}), Limit: 2}, []int64{1, 2}},
		{"limit and offset", store.Query{OrderBy: by(store.Order{Column: "id"}), Limit: 2, Offset: 1}, []int64{2, 3}},
		{"offset only", store.Query{OrderBy: by(store.Order{Column: "id", Desc: true}), Offset: 4}, []int64{2, 1}},
		{"offset past the end", store.Query{OrderBy: by(store.Order{Column: "id"}), Offset: 10}, []int64{}},
		{"filtered page", store.Query{Where: store.Eq("active", true), OrderBy: by(store.Order{Column: "score", Desc: true}), Limit: 2}, []int64{6, 1}},
		{"long in list, desc", store.Query{Where: store.InCond{Column: "id", Values: intRange(0, 20)}, OrderBy: by(store.Order{Column: "name", Desc: true})}, []int64{4, 2, 6, 5, 1, 3}},
		{"long in list, NULLs last", store.Query{Where: store.InCond{Column: "name", Values: []any{"Gamma*[x]?", "Alpha", "alphaXbeta", "100% pure", "a", "b", "c", "d"}}, OrderBy: by(store.Order{Column: "rank"}, store.Order{Column: "id"})}, []int64{1, 6, 3, 5}},
		{"long in list, page", store.Query{Where: store.InCond{Column: "id", Values: intRange(0, 20)}, OrderBy: by(store.Order{Column: "name"}), Limit: 2, Offset: 1}, []int64{1, 5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.query
			q.Table = "items"
			if got := ids(selectRows(t, s, q)); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func testDistinctCount(t *testing.T, open Opener) {
	s := migrated(t, open)
	seed(t, s)
	tests := []struct {
		name      string
		query     store.Query
		wantRows  []any // values of the single selected column
		wantCount int64
	}{
		{"distinct bool", store.Query{Columns: []string{"active"}, Distinct: true, OrderBy: []store.Order{{Column: "active"}}}, []any{false, true}, 2},
		{"distinct with NULL", store.Query{Columns: []string{"rank"}, Distinct: true, OrderBy: []store.Order{{Column: "rank"}}}, []any{int64(1), int64(2), int64(3), int64(4), nil}, 5},
		{"distinct filtered", store.Query{Columns: []string{"owner"}, Distinct: true, Where: store.NullCond{Column: "owner"}, OrderBy: []store.Order{{Column: "owner"}}}, []any{alice, bob}, 2},
		{"count filtered", store.Query{Columns: []string{"id"}, Where: store.Eq("active", true), OrderBy: []store.Order{{Column: "id"}}}, []any{int64(1), int64(3), int64(6)}, 3},
		{"count honours limit", store.Query{Columns: []string{"id"}, Limit: 2, OrderBy: []store.Order{{Column: "id"}}}, []any{int64(1), int64(2)}, 2},
		{"count honours offset", store.Query{Columns: []string{"id"}, Offset: 5, OrderBy: []store.Order{{Column: "id"}}}, []any{int64(6)}, 1},
		// name is NOT NULL: counted as all rows minus the excluded ones.
		{"count all but one value", store.Query{Columns: []string{"id"}, Where: store.NotCond{Cond: store.Eq("name", "Alpha")}, OrderBy: []store.Order{{Column: "id"}}},
			[]any{int64(2), int64(3), int64(4), int64(5), int64(6)}, 5},
		{"count all but a missing value", store.Query{Columns: []string{"id"}, Where: store.NotCond{Cond: store.Eq("name", "nope")}, OrderBy: []store.Order{{Column: "id"}}},
			[]any{int64(1), int64(2), int64(3), int64(4), int64(5), int64(6)}, 6},
		// rank is nullable: NULL rows match neither rank = 2 nor its negation.
		{"count all but one value of a nullable column", store.Query{Columns: []string{"id"}, Where: store.NotCond{Cond: store.Eq("rank", 2)}, OrderBy: []store.Order{{Column: "id"}}},
			[]any{int64(1), int64(3), int64(4)}, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.query
			q.Table = "items"
			var got []any
			for _, r := range selectRows(t, s, q) {
				got = append(got, r[q.Columns[0]])
			}
			if !reflect.DeepEqual(got, tc.wantRows) {
				t.Fatalf("rows %v, want %v", got, tc.wantRows)
			}
			if n := count(t, s, q); n != tc.wantCount {
				t.Fatalf("Count %d, want %d", n, tc.wantCount)
			}
		})
	}
}

func testUpdateDelete(t *testing.T, open Opener) {
	s := migrated(t, open)
	seed(t, s)
	tests := []struct {
		name string
		do   func(ctx context.Context, tx store.Tx) (int64, error)
		want int64
		left int64 // items remaining afterwards
	}{
		{"update matching rows", func(ctx context.Context, tx store.Tx) (int64, error) {
			return tx.UpdateWhere(ctx, "items", store.Eq("active", true), store.Row{"note": "on", "level": 9})
		}, 3, 6},
		{"update counts unchanged rows too", func(ctx context.Context, tx store.Tx) (int64, error) {
			return tx.UpdateWhere(ctx, "items", store.Eq("active", true), store.Row{"note": "on"})
		}, 3, 6},
		{"update nothing", func(ctx context.Context, tx store.Tx) (int64, error) {
			return tx.UpdateWhere(ctx, "items", store.Eq("rank", 99), store.Row{"note": "x"})
		}, 0, 6},
		{"update to NULL", func(ctx context.Context, tx store.Tx) (int64, error) {
			return tx.UpdateWhere(ctx, "items", store.Eq("id", 1), store.Row{"score": nil, "attrs": nil})
		}, 1, 6},
		{"update with empty set counts matches", func(ctx context.Context, tx store.Tx) (int64, error) {
			return tx.UpdateWhere(ctx, "items", store.NullCond{Column: "rank", IsNull: true}, store.Row{})
		}, 1, 6},
		{"delete matching rows", func(ctx context.Context, tx store.Tx) (int64, error) {
			return tx.DeleteWhere(ctx, "items", store.CmpCond{Column: "rank", Op: ">=", Value: 3})
		}, 2, 4},
		{"delete nothing", func(ctx context.Context, tx store.Tx) (int64, error) {
			return tx.DeleteWhere(ctx, "items", store.FalseCond{})
		}, 0, 4},
		{"delete all", func(ctx context.Context, tx store.Tx) (int64, error) {
			return tx.DeleteWhere(ctx, "items", nil)
		}, 4, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var n int64
			update(t, s, func(tx store.Tx) error {
				var err error
				n, err = tc.do(t.Context(), tx)
				return err
			})
			if n != tc.want {
				t.Fatalf("affected %d, want %d", n, tc.want)
			}
			if left := count(t, s, store.Query{Table: "items"}); left != tc.left {
				t.Fatalf("%d items left, want %d", left, tc.left)
			}
		})
	}
	t.Run("updated values are read back", func(t *testing.T) {
		s := migrated(t, open)
		seed(t, s)
		update(t, s, func(tx store.Tx) error {
			_, err := tx.UpdateWhere(t.Context(), "items", store.Eq("id", 2), store.Row{
				"note": "n", "created": t0.Add(time.Minute), "tags": []int{7}, "owner": nil,
			})
			return err
		})
		checkRow(t, one(t, s, "items", 2), store.Row{"note": "n", "created": t0.Add(time.Minute), "tags": json.RawMessage(`[7]`), "owner": nil, "level": int64(3)})
	})
}

// --- constraints -----------------------------------------------------------

func testUnique(t *testing.T, open Opener) {
	s := migrated(t, open)
	seed(t, s)
	insert(t, s, "pairs", store.Row{"a": "x", "b": 1})
	tests := []struct {
		name      string
		do        func(ctx context.Context, tx store.Tx) error
		wantTable string
		wantCols  []string // nil: must succeed
	}{
		{"single column", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Insert(ctx, "accounts", store.Row{"id": "00000000-0000-0000-0000-000000000001", "username": "alice", "realm": "q"})
			return err
		}, "accounts", []string{"username"}},
		{"composite", func(ctx context.Context, tx store.Tx) error {
			for i, u := range []string{"a1", "a2"} {
				if _, err := tx.Insert(ctx, "accounts", store.Row{"id": fmt.Sprintf("00000000-0000-0000-0000-00000000001%d", i), "username": u, "realm": "q", "email": "e@x"}); err != nil {
					return err
				}
			}
			return nil
		}, "accounts", []string{"realm", "email"}},
		{"composite with NULL does not conflict", func(ctx context.Context, tx store.Tx) error {
			for i, u := range []string{"n1", "n2"} {
				if _, err := tx.Insert(ctx, "accounts", store.Row{"id": fmt.Sprintf("00000000-0000-0000-0000-00000000002%d", i), "username": u, "realm": "q"}); err != nil {
					return err
				}
			}
			return nil
		}, "", nil},
		{"primary key", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Insert(ctx, "accounts", store.Row{"id": "0B5D6F3E-2C1A-4E8B-9F00-AAAAAAAAAAAA", "username": "alice2", "realm": "r"})
			return err
		}, "accounts", []string{"id"}},
		{"composite primary key", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Insert(ctx, "pairs", store.Row{"a": "x", "b": 1})
			return err
		}, "pairs", []string{"a", "b"}},
		{"by update", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.UpdateWhere(ctx, "accounts", store.Eq("username", "bob"), store.Row{"username": "alice"})
			return err
		}, "accounts", []string{"username"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Update(t.Context(), func(tx store.Tx) error { return tc.do(t.Context(), tx) })
			if tc.wantCols == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ue *store.UniqueError
			if !errors.As(err, &ue) {
				t.Fatalf("got %v (%T), want *store.UniqueError", err, err)
			}
			if ue.Table != tc.wantTable || !slices.Equal(ue.Columns, tc.wantCols) {
				t.Fatalf("got %s%v, want %s%v", ue.Table, ue.Columns, tc.wantTable, tc.wantCols)
			}
			if ue.Unwrap() == nil {
				t.Error("UniqueError does not wrap the driver error")
			}
		})
	}
	if n := count(t, s, store.Query{Table: "accounts"}); n != 4 {
		t.Fatalf("%d accounts, want 4 (failed transactions must leave nothing)", n)
	}
}

func testForeignKey(t *testing.T, open Opener) {
	s := migrated(t, open)
	seed(t, s)
	missing := "00000000-0000-0000-0000-00000000dead"
	tests := []struct {
		name      string
		do        func(ctx context.Context, tx store.Tx) error
		wantTable string // "": must succeed
		wantCol   string
	}{
		{"insert with missing parent", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Insert(ctx, "child_cascade", store.Row{"label": "x", "parent_id": 999})
			return err
		}, "child_cascade", "parent_id"},
		{"insert with missing uuid parent", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Insert(ctx, "items", store.Row{"name": "x", "owner": missing})
			return err
		}, "items", "owner"},
		{"update to missing parent", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.UpdateWhere(ctx, "items", store.Eq("id", 1), store.Row{"owner": missing})
			return err
		}, "items", "owner"},
		{"added column is checked too", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.UpdateWhere(ctx, "items", store.Eq("id", 1), store.Row{"parent_id": 999})
			return err
		}, "items", "parent_id"},
		{"child before parent in one transaction", func(ctx context.Context, tx store.Tx) error {
			if _, err := tx.Insert(ctx, "child_restrict", store.Row{"label": "early", "parent_id": 50}); err != nil {
				return err
			}
			_, err := tx.Insert(ctx, "parents", store.Row{"id": 50, "name": "late"})
			return err
		}, "", ""},
		{"dangling reference repaired before commit", func(ctx context.Context, tx store.Tx) error {
			if _, err := tx.Insert(ctx, "child_cascade", store.Row{"label": "y", "parent_id": 999}); err != nil {
				return err
			}
			_, err := tx.UpdateWhere(ctx, "child_cascade", store.Eq("parent_id", 999), store.Row{"parent_id": 1})
			return err
		}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := count(t, s, store.Query{Table: "child_cascade"})
			err := s.Update(t.Context(), func(tx store.Tx) error { return tc.do(t.Context(), tx) })
			if tc.wantTable == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var fk *store.ForeignKeyError
			if !errors.As(err, &fk) {
				t.Fatalf("got %v (%T), want *store.ForeignKeyError", err, err)
			}
			if fk.Table != tc.wantTable || fk.Column != tc.wantCol {
				t.Fatalf("got %s.%s, want %s.%s", fk.Table, fk.Column, tc.wantTable, tc.wantCol)
			}
			if after := count(t, s, store.Query{Table: "child_cascade"}); after != before {
				t.Fatal("failed transaction left rows behind")
			}
		})
	}
	checkRow(t, one(t, s, "items", 1), store.Row{"owner": alice, "parent_id": nil})
}

func testOnDelete(t *testing.T, open Opener) {
	s := migrated(t, open)
	seed(t, s)
	var p, q int64
	update(t, s, func(tx store.Tx) error {
		ctx := t.Context()
		var err error
		if p, err = tx.Insert(ctx, "parents", store.Row{"name": "p"}); err != nil {
			return err
		}
		if q, err = tx.Insert(ctx, "parents", store.Row{"name": "q"}); err != nil {
			return err
		}
		for _, table := range []string{"child_cascade", "child_setnull", "child_setdefault"} {
			if _, err := tx.Insert(ctx, table, store.Row{"label": "of p", "parent_id": p}); err != nil {
				return err
			}
		}
		if _, err := tx.Insert(ctx, "child_restrict", store.Row{"label": "of q", "parent_id": q}); err != nil {
			return err
		}
		_, err = tx.UpdateWhere(ctx, "items", store.Eq("id", 3), store.Row{"parent_id": p})
		return err
	})

	t.Run("restrict blocks the delete", func(t *testing.T) {
		err := s.Update(t.Context(), func(tx store.Tx) error {
			_, err := tx.DeleteWhere(t.Context(), "parents", store.Eq("id", q))
			return err
		})
		var fk *store.ForeignKeyError
		if !errors.As(err, &fk) {
			t.Fatalf("got %v (%T), want *store.ForeignKeyError", err, err)
		}
		if fk.Table != "child_restrict" || fk.Column != "parent_id" {
			t.Fatalf("got %s.%s, want child_restrict.parent_id", fk.Table, fk.Column)
		}
		if n := count(t, s, store.Query{Table: "parents", Where: store.Eq("id", q)}); n != 1 {
			t.Fatal("restricted parent was deleted")
		}
		if n := count(t, s, store.Query{Table: "child_restrict"}); n != 1 {
			t.Fatal("restricting child is gone")
		}
	})

	var deleted int64
	update(t, s, func(tx store.Tx) error {
		var err error
		deleted, err = tx.DeleteWhere(t.Context(), "parents", store.Eq("id", p))
		return err
	})
	if deleted != 1 {
		t.Fatalf("deleted %d parents, want 1 (cascaded rows are not counted)", deleted)
	}
	tests := []struct {
		name  string
		table string
		want  []store.Row // remaining rows' parent_id
	}{
		{"cascade", "child_cascade", nil},
		{"set null", "child_setnull", []store.Row{{"parent_id": nil}}},
		{"set default", "child_setdefault", []store.Row{{"parent_id": int64(1)}}},
		{"cascade through an added column", "items", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			where := store.Cond(nil)
			if tc.table == "items" {
				where = store.Eq("id", 3)
			}
			rows := selectRows(t, s, store.Query{Table: tc.table, Columns: []string{"parent_id"}, Where: where})
			if len(rows) != len(tc.want) {
				t.Fatalf("%d rows, want %d", len(rows), len(tc.want))
			}
			for i := range rows {
				checkRow(t, rows[i], tc.want[i])
			}
		})
	}
	t.Run("set null on a uuid reference", func(t *testing.T) {
		update(t, s, func(tx store.Tx) error {
			_, err := tx.DeleteWhere(t.Context(), "accounts", store.Eq("id", alice))
			return err
		})
		rows := selectRows(t, s, store.Query{Table: "items", Where: store.NullCond{Column: "owner", IsNull: true}, Columns: []string{"id"}, OrderBy: []store.Order{{Column: "id"}}})
		if got := ids(rows); !slices.Equal(got, []int64{1, 4, 5}) {
			t.Fatalf("items without owner %v, want [1 4 5]", got)
		}
	})
}

// --- transactions ----------------------------------------------------------

func testRollback(t *testing.T, open Opener) {
	s := migrated(t, open)
	boom := errors.New("boom")
	tests := []struct {
		name    string
		fn      func(ctx context.Context, tx store.Tx) error
		wantErr func(error) bool
	}{
		{"error from fn", func(ctx context.Context, tx store.Tx) error {
			if _, err := tx.Insert(ctx, "parents", store.Row{"name": "r1"}); err != nil {
				return err
			}
			return boom
		}, func(err error) bool { return errors.Is(err, boom) }},
		{"constraint error after a good write", func(ctx context.Context, tx store.Tx) error {
			if _, err := tx.Insert(ctx, "parents", store.Row{"name": "r2"}); err != nil {
				return err
			}
			_, err := tx.Insert(ctx, "parents", store.Row{"name": "default"})
			return err
		}, func(err error) bool { var ue *store.UniqueError; return errors.As(err, &ue) }},
		{"statement error ignored by fn still fails", func(ctx context.Context, tx store.Tx) error {
			_, _ = tx.Insert(ctx, "parents", store.Row{"name": "default"})
			// The transaction is poisoned: later statements fail as well.
			if _, err := tx.Insert(ctx, "parents", store.Row{"name": "r3"}); err == nil {
				return errors.New("statement after a failed one succeeded")
			}
			return nil
		}, func(err error) bool { var ue *store.UniqueError; return errors.As(err, &ue) }},
		{"panic", func(ctx context.Context, tx store.Tx) error {
			if _, err := tx.Insert(ctx, "parents", store.Row{"name": "r4"}); err != nil {
				return err
			}
			panic(boom)
		}, func(err error) bool { return errors.Is(err, boom) }},
		{"cancelled context", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Insert(ctx, "parents", store.Row{"name": "r5"})
			return err
		}, func(err error) bool { return errors.Is(err, context.Canceled) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			if tc.name == "cancelled context" {
				c, cancel := context.WithCancel(ctx)
				cancel()
				ctx = c
			}
			err := func() (err error) {
				defer func() {
					if r := recover(); r != nil {
						err = r.(error)
					}
				}()
				return s.Update(ctx, func(tx store.Tx) error { return tc.fn(ctx, tx) })
			}()
			if !tc.wantErr(err) {
				t.Fatalf("unexpected error %v (%T)", err, err)
			}
			if n := count(t, s, store.Query{Table: "parents"}); n != 1 {
				t.Fatalf("%d parents, want only the default one", n)
			}
			// The store must still work after the failure.
			insert(t, s, "pairs", store.Row{"a": tc.name, "b": 1})
		})
	}
	t.Run("writes are visible inside their transaction", func(t *testing.T) {
		update(t, s, func(tx store.Tx) error {
			if _, err := tx.Insert(t.Context(), "parents", store.Row{"name": "visible"}); err != nil {
				return err
			}
			n, err := tx.Count(t.Context(), store.Query{Table: "parents"})
			if err == nil && n != 2 {
				err = fmt.Errorf("count inside transaction %d, want 2", n)
			}
			return err
		})
	})
}

func testReadOnly(t *testing.T, open Opener) {
	s := migrated(t, open)
	tests := []struct {
		name string
		fn   func(ctx context.Context, tx store.Tx) error
	}{
		{"insert", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Insert(ctx, "parents", store.Row{"name": "ro"})
			return err
		}},
		{"update", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.UpdateWhere(ctx, "parents", nil, store.Row{"name": "ro"})
			return err
		}},
		{"delete", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.DeleteWhere(ctx, "parents", nil)
			return err
		}},
		{"raw insert", func(ctx context.Context, tx store.Tx) error {
			return tx.Exec(ctx, "INSERT INTO parents (name) VALUES (?)", "ro")
		}},
		{"raw DDL", func(ctx context.Context, tx store.Tx) error {
			return tx.Exec(ctx, "CREATE TABLE ro_table (id INTEGER)")
		}},
	}
	views := []struct {
		name string
		run  func(context.Context, func(store.Tx) error) error
	}{{"view", s.View}, {"committed view", s.ViewCommitted}}
	for _, view := range views {
		for _, tc := range tests {
			t.Run(view.name+"/"+tc.name, func(t *testing.T) {
				var inner error
				err := view.run(t.Context(), func(tx store.Tx) error {
					inner = tc.fn(t.Context(), tx)
					return inner
				})
				if !errors.Is(inner, store.ErrReadOnly) || !errors.Is(err, store.ErrReadOnly) {
					t.Fatalf("got %v / %v, want ErrReadOnly", inner, err)
				}
				rows := selectRows(t, s, store.Query{Table: "parents"})
				if len(rows) != 1 || rows[0]["name"] != "default" {
					t.Fatalf("parents changed: %v", rows)
				}
			})
		}
	}
}

func testExec(t *testing.T, open Opener) {
	s := migrated(t, open)
	seed(t, s)
	tests := []struct {
		name string
		sql  string
		args []any
		id   int64
		want store.Row
	}{
		{"placeholders", "UPDATE items SET note = ?, level = ? WHERE id = ?", []any{"hi", 5, 1}, 1, store.Row{"note": "hi", "level": int64(5)}},
		{"question marks in literals are not placeholders", "UPDATE items SET note = 'why?' || ? WHERE id = ?", []any{"!", 2}, 2, store.Row{"note": "why?!"}},
		{"time argument", "UPDATE items SET created = ? WHERE id = ?", []any{t0.Add(time.Minute), 3}, 3, store.Row{"created": t0.Add(time.Minute)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			update(t, s, func(tx store.Tx) error { return tx.Exec(t.Context(), tc.sql, tc.args...) })
			checkRow(t, one(t, s, "items", tc.id), tc.want)
		})
	}
}

func testReopen(t *testing.T, open Opener) {
	s := migrated(t, open)
	at := time.Date(2030, 12, 31, 23, 59, 59, 999999000, time.UTC)
	id := insert(t, s, "kinds", store.Row{"t": "kept", "ts": at, "j": []int{1}, "b": false})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := open(t)
	// Migrate applies nothing now, but must still learn the column types.
	if err := s2.Migrate(t.Context(), Migrations); err != nil {
		t.Fatal(err)
	}
	checkRow(t, one(t, s2, "kinds", id), store.Row{"t": "kept", "ts": at, "j": json.RawMessage(`[1]`), "b": false})
	if err := s2.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func testConcurrency(t *testing.T, open Opener) {
	s := migrated(t, open)
	t.Run("parallel writers and readers", func(t *testing.T) {
		const writers, each = 4, 25
		var wg sync.WaitGroup
		errs := make(chan error, 2*writers)
		for w := 0; w < writers; w++ {
			wg.Add(2)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < each; i++ {
					if err := s.Update(t.Context(), func(tx store.Tx) error {
						_, err := tx.Insert(t.Context(), "pairs", store.Row{"a": fmt.Sprint("w", w), "b": i})
						return err
					}); err != nil {
						errs <- err
						return
					}
				}
			}(w)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					if err := s.View(t.Context(), func(tx store.Tx) error {
						_, err := tx.Count(t.Context(), store.Query{Table: "pairs"})
						return err
					}); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if n := count(t, s, store.Query{Table: "pairs"}); n != writers*each {
			t.Fatalf("%d rows, want %d", n, writers*each)
		}
	})
	// Each view counts the parents twice, with a row committed by another
	// transaction in between, then once more in a later run of the view.
	views := []struct {
		name string
		run  func(context.Context, func(store.Tx) error) error
		ok   func(before, after int64) bool
	}{
		{"a view reads one snapshot", s.View, func(before, after int64) bool { return after == before }},
		// A snapshot (SQLite) still shows the old count; without one
		// (PostgreSQL) the new row is there. Never anything else.
		{"a committed view sees what was committed before each read", s.ViewCommitted,
			func(before, after int64) bool { return after == before || after == before+1 }},
	}
	for _, v := range views {
		t.Run(v.name, func(t *testing.T) {
			countIn := func(tx store.Tx) (int64, error) { return tx.Count(t.Context(), store.Query{Table: "parents"}) }
			var before, after int64
			err := v.run(t.Context(), func(tx store.Tx) error {
				var err error
				if before, err = countIn(tx); err != nil {
					return err
				}
				if err := s.Update(t.Context(), func(tx store.Tx) error {
					_, err := tx.Insert(t.Context(), "parents", store.Row{"name": "committed during " + v.name})
					return err
				}); err != nil {
					return err
				}
				after, err = countIn(tx)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if !v.ok(before, after) {
				t.Fatalf("count %d then %d inside one view", before, after)
			}
			var later int64
			if err := v.run(t.Context(), func(tx store.Tx) error {
				var err error
				later, err = countIn(tx)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if later != before+1 {
				t.Fatalf("a later view counts %d, want %d", later, before+1)
			}
		})
	}
}

func testInvalid(t *testing.T, open Opener) {
	s := migrated(t, open)
	tests := []struct {
		name string
		fn   func(ctx context.Context, tx store.Tx) error
	}{
		{"unknown table", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Select(ctx, store.Query{Table: "nope"})
			return err
		}},
		{"unknown column in row", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Insert(ctx, "parents", store.Row{"name": "x", "nope": 1})
			return err
		}},
		{"unknown column in condition", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Select(ctx, store.Query{Table: "parents", Where: store.Eq("nope", 1)})
			return err
		}},
		{"unknown order column", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Select(ctx, store.Query{Table: "parents", OrderBy: []store.Order{{Column: "nope"}}})
			return err
		}},
		{"wrong value type", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Insert(ctx, "kinds", store.Row{"i": "seven"})
			return err
		}},
		{"fractional int", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Insert(ctx, "kinds", store.Row{"i": 1.5})
			return err
		}},
		{"malformed uuid on write", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Insert(ctx, "kinds", store.Row{"u": "nope"})
			return err
		}},
		{"invalid JSON text", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Insert(ctx, "kinds", store.Row{"j": json.RawMessage(`{`)})
			return err
		}},
		{"unknown operator", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Select(ctx, store.Query{Table: "parents", Where: store.CmpCond{Column: "id", Op: "~", Value: 1}})
			return err
		}},
		{"missing NOT NULL value", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Insert(ctx, "parents", store.Row{})
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Update(t.Context(), func(tx store.Tx) error { return tc.fn(t.Context(), tx) }); err == nil {
				t.Fatal("no error")
			}
		})
	}
}
