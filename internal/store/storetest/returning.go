package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/store"
)

// testInsertReturning checks that InsertReturning hands out the row a
// Select of it would read, to the Go type and value, so a caller can use
// it instead of reading the row back, and that it fails exactly as Insert
// does.
func testInsertReturning(t *testing.T, open Opener) {
	s := migrated(t, open)
	seed(t, s)
	zone := time.FixedZone("UTC-3", -3*3600)
	tests := []struct {
		name  string
		table string
		in    store.Row
		key   []string // columns that identify the row for the Select
		want  store.Row
	}{
		{
			name:  "every type, converted as written",
			table: "kinds",
			in: store.Row{
				"t": "x 'y'", "i": int32(-4), "f": 2, "b": ptr(false),
				"u":  "0B5D6F3E2C1A4E8B9F00ABCDEFABCDEF",
				"ts": time.Date(2024, 2, 29, 23, 14, 15, 123456789, zone),
				"j":  map[string]any{"b": []any{1, nil}, "a": "<&>"},
				"by": []byte{9, 0},
			},
			key: []string{"id"},
			want: store.Row{
				"t": "x 'y'", "i": int64(-4), "f": 2.0, "b": false,
				"u":  "0b5d6f3e-2c1a-4e8b-9f00-abcdefabcdef",
				"ts": time.Date(2024, 3, 1, 2, 14, 15, 123456000, time.UTC),
				"by": []byte{9, 0},
			},
		},
		{
			name:  "database defaults and NULLs",
			table: "kinds",
			in:    store.Row{"t": nil, "j": nil, "by": nil},
			key:   []string{"id"},
			want: store.Row{
				"t": nil, "i": nil, "j": nil, "by": nil, "ts": nil,
				"dt": "it's", "di": int64(7), "df": 1.5, "db": true,
				"dts": time.Date(2020, 1, 2, 3, 4, 5, 123456000, time.UTC),
			},
		},
		{
			name:  "no values at all",
			table: "kinds",
			in:    store.Row{},
			key:   []string{"id"},
			want:  store.Row{"dt": "it's", "di": int64(7)},
		},
		{
			name:  "empty bytes and JSON null are not NULL",
			table: "kinds",
			in:    store.Row{"by": []byte{}, "j": json.RawMessage(` null `), "t": ""},
			key:   []string{"id"},
			want:  store.Row{"by": []byte{}, "j": json.RawMessage(`null`), "t": ""},
		},
		{
			name:  "generated key",
			table: "parents",
			in:    store.Row{"name": "ret-generated"},
			key:   []string{"id"},
			want:  store.Row{"id": int64(2), "name": "ret-generated"},
		},
		{
			name:  "explicit auto-increment key",
			table: "parents",
			in:    store.Row{"id": 500, "name": "ret-explicit"},
			key:   []string{"id"},
			want:  store.Row{"id": int64(500), "name": "ret-explicit"},
		},
		{
			name:  "generator continues after an explicit key",
			table: "parents",
			in:    store.Row{"name": "ret-after"},
			key:   []string{"id"},
			want:  store.Row{"id": int64(501), "name": "ret-after"},
		},
		{
			name:  "uuid key given in another form",
			table: "accounts",
			in:    store.Row{"id": "0B5D6F3E-2C1A-4E8B-9F00-CCCCCCCCCCCC", "username": "carol", "realm": "r"},
			key:   []string{"id"},
			want:  store.Row{"id": "0b5d6f3e-2c1a-4e8b-9f00-cccccccccccc", "username": "carol", "realm": "r", "email": nil},
		},
		{
			name:  "composite key without auto increment",
			table: "pairs",
			in:    store.Row{"a": "ret", "b": int64(1)},
			key:   []string{"a", "b"},
			want:  store.Row{"a": "ret", "b": int64(1), "v": nil},
		},
		{
			name:  "columns added by a later migration",
			table: "items",
			in:    store.Row{"name": "ret-item", "owner": alice, "parent_id": 1, "tags": []string{"z"}},
			key:   []string{"id"},
			want:  store.Row{"name": "ret-item", "owner": alice, "parent_id": int64(1), "level": int64(3), "note": nil, "active": false},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got, inTx store.Row
			update(t, s, func(tx store.Tx) error {
				var err error
				if got, err = tx.InsertReturning(t.Context(), tc.table, tc.in); err != nil {
					return err
				}
				inTx = selectKey(t, tx, tc.table, tc.key, got)
				return nil
			})
			checkRow(t, got, tc.want)
			if !reflect.DeepEqual(got, inTx) {
				t.Errorf("returned %#v\nselect in the transaction %#v", got, inTx)
			}
			var after store.Row
			if err := s.View(t.Context(), func(tx store.Tx) error {
				after = selectKey(t, tx, tc.table, tc.key, got)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, after) {
				t.Errorf("returned %#v\nselect after commit %#v", got, after)
			}
		})
	}
	t.Run("JSON as the database keeps it", func(t *testing.T) {
		// PostgreSQL's JSONB reorders keys and SQLite keeps the text: the
		// returned document is whatever the backend's Select reads.
		var got store.Row
		update(t, s, func(tx store.Tx) error {
			var err error
			got, err = tx.InsertReturning(t.Context(), "kinds", store.Row{"j": json.RawMessage(`{"b":1,  "a":[2]}`)})
			return err
		})
		if want := one(t, s, "kinds", got["id"]); !reflect.DeepEqual(got["j"], want["j"]) {
			t.Fatalf("returned %s, select reads %s", got["j"], want["j"])
		}
		checkRow(t, got, store.Row{"j": json.RawMessage(`{"a":[2],"b":1}`)})
	})
}

// selectKey reads the row whose key columns equal row's.
func selectKey(t *testing.T, tx store.Tx, table string, key []string, row store.Row) store.Row {
	t.Helper()
	var conds []store.Cond
	for _, k := range key {
		conds = append(conds, store.Eq(k, row[k]))
	}
	rows, err := tx.Select(t.Context(), store.Query{Table: table, Where: store.And(conds...)})
	if err != nil || len(rows) != 1 {
		t.Fatalf("select %s %v: %d rows, %v", table, key, len(rows), err)
	}
	return rows[0]
}

// testInsertReturningErrors checks that InsertReturning reports what
// Insert reports, and that a failed one leaves nothing behind.
func testInsertReturningErrors(t *testing.T, open Opener) {
	s := migrated(t, open)
	seed(t, s)
	insert(t, s, "pairs", store.Row{"a": "x", "b": 1})
	tests := []struct {
		name   string
		do     func(ctx context.Context, tx store.Tx) error
		unique *store.UniqueError
		fk     *store.ForeignKeyError
	}{
		{
			name: "unique column",
			do: func(ctx context.Context, tx store.Tx) error {
				_, err := tx.InsertReturning(ctx, "accounts", store.Row{"id": "00000000-0000-0000-0000-000000000031", "username": "alice", "realm": "q"})
				return err
			},
			unique: &store.UniqueError{Table: "accounts", Columns: []string{"username"}},
		},
		{
			name: "composite primary key",
			do: func(ctx context.Context, tx store.Tx) error {
				_, err := tx.InsertReturning(ctx, "pairs", store.Row{"a": "x", "b": 1})
				return err
			},
			unique: &store.UniqueError{Table: "pairs", Columns: []string{"a", "b"}},
		},
		{
			name: "missing parent, found at commit",
			do: func(ctx context.Context, tx store.Tx) error {
				_, err := tx.InsertReturning(ctx, "child_cascade", store.Row{"label": "x", "parent_id": 999})
				return err
			},
			fk: &store.ForeignKeyError{Table: "child_cascade", Column: "parent_id"},
		},
		{
			name: "missing uuid parent",
			do: func(ctx context.Context, tx store.Tx) error {
				_, err := tx.InsertReturning(ctx, "items", store.Row{"name": "x", "owner": "00000000-0000-0000-0000-00000000dead"})
				return err
			},
			fk: &store.ForeignKeyError{Table: "items", Column: "owner"},
		},
		{
			name: "the transaction stays failed",
			do: func(ctx context.Context, tx store.Tx) error {
				_, _ = tx.InsertReturning(ctx, "accounts", store.Row{"id": "00000000-0000-0000-0000-000000000032", "username": "bob", "realm": "q"})
				_, err := tx.InsertReturning(ctx, "pairs", store.Row{"a": "fresh", "b": 2})
				return err
			},
			unique: &store.UniqueError{Table: "accounts", Columns: []string{"username"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := count(t, s, store.Query{Table: "accounts"}) + count(t, s, store.Query{Table: "pairs"}) +
				count(t, s, store.Query{Table: "child_cascade"}) + count(t, s, store.Query{Table: "items"})
			err := s.Update(t.Context(), func(tx store.Tx) error { return tc.do(t.Context(), tx) })
			switch {
			case tc.unique != nil:
				var ue *store.UniqueError
				if !errors.As(err, &ue) || ue.Table != tc.unique.Table || !slices.Equal(ue.Columns, tc.unique.Columns) {
					t.Fatalf("got %v (%T), want unique %s%v", err, err, tc.unique.Table, tc.unique.Columns)
				}
			case tc.fk != nil:
				var fk *store.ForeignKeyError
				if !errors.As(err, &fk) || fk.Table != tc.fk.Table || fk.Column != tc.fk.Column {
					t.Fatalf("got %v (%T), want foreign key %s.%s", err, err, tc.fk.Table, tc.fk.Column)
				}
			}
			after := count(t, s, store.Query{Table: "accounts"}) + count(t, s, store.Query{Table: "pairs"}) +
				count(t, s, store.Query{Table: "child_cascade"}) + count(t, s, store.Query{Table: "items"})
			if after != before {
				t.Fatalf("%d rows before, %d after: a failed transaction left rows behind", before, after)
			}
		})
	}
	t.Run("read-only transaction", func(t *testing.T) {
		err := s.View(t.Context(), func(tx store.Tx) error {
			_, err := tx.InsertReturning(t.Context(), "parents", store.Row{"name": "ro"})
			return err
		})
		if !errors.Is(err, store.ErrReadOnly) {
			t.Fatalf("got %v, want ErrReadOnly", err)
		}
	})
	t.Run("unknown column", func(t *testing.T) {
		err := s.Update(t.Context(), func(tx store.Tx) error {
			_, err := tx.InsertReturning(t.Context(), "parents", store.Row{"name": "u", "nope": 1})
			return err
		})
		if err == nil {
			t.Fatal("insert with an unknown column succeeded")
		}
	})
}
