package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/store"
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
	var n int64
	if err := s.View(ctx, func(tx store.Tx) error {
		var err error
		n, err = tx.Count(ctx, store.Query{Table: "piped"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if n != want {
		t.Fatalf("%d rows, want %d", n, want)
	}
}
