package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/store"
)

// testInsertMany checks that InsertMany stores rows as Insert would,
// across the statements it splits them into, and that a failing batch
// leaves nothing behind.
func testInsertMany(t *testing.T, open Opener) {
	zone := time.FixedZone("UTC+2", 2*3600)
	kindRows := func(n, from int) []store.Row {
		rows := make([]store.Row, n)
		for i := range rows {
			rows[i] = store.Row{
				"t":  fmt.Sprintf("m-%05d", from+i),
				"i":  int32(from + i),
				"u":  fmt.Sprintf("0B5D6F3E-2C1A-4E8B-9F00-%012X", from+i),
				"ts": time.Date(2024, 1, 1, 12, 0, 0, 1500, zone).Add(time.Duration(from+i) * time.Second),
			}
		}
		return rows
	}
	// checkKinds verifies the n stored rows of kindRows(n, 0) in id order.
	checkKinds := func(t *testing.T, s store.Store, n int) {
		t.Helper()
		got := selectRows(t, s, store.Query{Table: "kinds", OrderBy: []store.Order{{Column: "id"}}})
		if len(got) != n {
			t.Fatalf("%d rows stored, want %d", len(got), n)
		}
		for i, r := range got {
			want := store.Row{
				"t": fmt.Sprintf("m-%05d", i), "i": int64(i),
				"u":  fmt.Sprintf("0b5d6f3e-2c1a-4e8b-9f00-%012x", i),
				"ts": time.Date(2024, 1, 1, 10, 0, 0, 1000, time.UTC).Add(time.Duration(i) * time.Second),
				"di": int64(7),
			}
			for col, w := range want {
				if g := r[col]; fmt.Sprint(g) != fmt.Sprint(w) {
					t.Fatalf("row %d: %s = %#v, want %#v", i, col, g, w)
				}
			}
		}
	}
	tests := []struct {
		name  string
		check func(t *testing.T, s store.Store)
	}{
		{"nothing to insert", func(t *testing.T, s store.Store) {
			update(t, s, func(tx store.Tx) error { return tx.InsertMany(t.Context(), "kinds", nil) })
			checkKinds(t, s, 0)
		}},
		{"one row", func(t *testing.T, s store.Store) {
			update(t, s, func(tx store.Tx) error { return tx.InsertMany(t.Context(), "kinds", kindRows(1, 0)) })
			checkKinds(t, s, 1)
		}},
		{"rows over several statements, converted as Insert converts them", func(t *testing.T, s store.Store) {
			update(t, s, func(tx store.Tx) error { return tx.InsertMany(t.Context(), "kinds", kindRows(1203, 0)) })
			checkKinds(t, s, 1203)
		}},
		{"explicit generated keys move the generator on", func(t *testing.T, s store.Store) {
			update(t, s, func(tx store.Tx) error {
				return tx.InsertMany(t.Context(), "parents", []store.Row{{"id": int64(40), "name": "p40"}, {"id": int64(41), "name": "p41"}})
			})
			if id := insert(t, s, "parents", store.Row{"name": "p42"}); id != 42 {
				t.Fatalf("next generated key %d, want 42", id)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, migrated(t, open)) })
	}

	failures := []struct {
		name   string
		table  string
		rows   []store.Row
		unique bool
	}{
		{"unique violation in a later row", "accounts", []store.Row{
			{"id": "00000000-0000-0000-0000-0000000000a1", "username": "dup", "realm": "q"},
			{"id": "00000000-0000-0000-0000-0000000000a2", "username": "dup", "realm": "q"},
		}, true},
		{"rows giving other columns", "kinds", []store.Row{{"t": "a"}, {"i": int64(1)}}, false},
		{"a row missing a column", "kinds", []store.Row{{"t": "a", "i": int64(1)}, {"t": "b"}}, false},
		{"unknown column", "kinds", []store.Row{{"nope": 1}}, false},
	}
	for _, tc := range failures {
		t.Run(tc.name, func(t *testing.T) {
			s := migrated(t, open)
			err := s.Update(t.Context(), func(tx store.Tx) error { return tx.InsertMany(t.Context(), tc.table, tc.rows) })
			if err == nil {
				t.Fatal("InsertMany succeeded, want an error")
			}
			var ue *store.UniqueError
			if errors.As(err, &ue) != tc.unique {
				t.Fatalf("error %v: unique violation %v, want %v", err, !tc.unique, tc.unique)
			}
			if n := len(selectRows(t, s, store.Query{Table: tc.table})); n != 0 {
				t.Fatalf("%d rows left behind, want none", n)
			}
		})
	}
}
