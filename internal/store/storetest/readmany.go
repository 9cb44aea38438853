package storetest

import (
	"errors"
	"reflect"
	"testing"

	"github.com/akgo/akgo/internal/store"
)

// testReadMany checks that ReadMany answers exactly what Select and Count
// answer one by one (PostgreSQL sends the reads in one pipeline, with its
// own decoding path), inside the transaction that runs it, and that a
// failing read fails the call.
func testReadMany(t *testing.T, open Opener) {
	s := migrated(t, open)
	seed(t, s)
	insert(t, s, "kinds", store.Row{"t": "x", "i": 1, "f": 2.5, "b": true, "u": alice, "ts": t0,
		"j": map[string]any{"a": []any{1.0, "b"}}, "by": []byte{0, 1, 255}})
	insert(t, s, "kinds", store.Row{})
	for _, sh := range []store.Row{{"item": int64(1), "account": bob}, {"item": int64(1), "account": alice}, {"item": int64(2), "account": alice}} {
		insert(t, s, "shares", sh)
	}

	all := []store.Read{
		{Query: store.Query{Table: "items", OrderBy: []store.Order{{Column: "id"}}}},
		{Query: store.Query{Table: "items"}, Count: true},
		{Query: store.Query{Table: "kinds", OrderBy: []store.Order{{Column: "id"}}}},
		{Query: store.Query{Table: "items", Where: store.InCond{Column: "id", Values: intRange(2, 9)}, OrderBy: []store.Order{{Column: "rank", Desc: true}, {Column: "id"}}, Limit: 2, Offset: 1}},
		{Query: store.Query{Table: "items", Columns: []string{"owner"}, Distinct: true}, Count: true},
		{Query: store.Query{Table: "items", Where: store.Eq("name", "nobody")}},
		{Query: store.Query{Table: "items", Where: store.NotCond{Cond: store.Eq("name", "Alpha")}}, Count: true},
		{Query: store.Query{Table: "accounts", Columns: []string{"username"}, OrderBy: []store.Order{{Column: "username"}}}},
	}
	// want is what the reads give one by one.
	want := func(t *testing.T, tx store.Tx, reads []store.Read) []store.ReadResult {
		t.Helper()
		out := make([]store.ReadResult, len(reads))
		for i, r := range reads {
			var err error
			if r.Count {
				out[i].N, err = tx.Count(t.Context(), r.Query)
			} else {
				out[i].Rows, err = tx.Select(t.Context(), r.Query)
			}
			if err != nil {
				t.Fatalf("read %d one by one: %v", i, err)
			}
		}
		return out
	}
	same := func(t *testing.T, got, want []store.ReadResult) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%d results, want %d", len(got), len(want))
		}
		for i := range want {
			if got[i].N != want[i].N || len(got[i].Rows) != len(want[i].Rows) {
				t.Fatalf("result %d: %d rows / n=%d, want %d rows / n=%d", i, len(got[i].Rows), got[i].N, len(want[i].Rows), want[i].N)
			}
			for j := range want[i].Rows {
				if len(got[i].Rows[j]) != len(want[i].Rows[j]) {
					t.Fatalf("result %d row %d: columns %v, want %v", i, j, got[i].Rows[j], want[i].Rows[j])
				}
				checkRow(t, got[i].Rows[j], want[i].Rows[j])
			}
		}
	}

	// A lookup with reads keyed by its own row, as a retrieve sends them
	// (PostgreSQL answers the two-column ones inside the lookup).
	lookup := func(table string, where store.Cond, cols ...string) store.Query {
		return store.Query{Table: table, Columns: cols, Where: where, Limit: 2}
	}
	keyed := func(lk store.Query, key string, q store.Query, more ...store.Cond) store.Read {
		sub := lk
		sub.Columns = []string{key}
		in := store.InQueryCond{Column: q.Where.(store.InQueryCond).Column, Query: sub}
		q.Where = in
		if len(more) > 0 {
			q.Where = append(store.AndCond{in}, more...)
		}
		return store.Read{Query: q}
	}
	ownerIn := store.InQueryCond{Column: "owner"}
	byOwner := []store.Order{{Column: "owner"}, {Column: "id"}}
	withSets := func(lk store.Query) []store.Read {
		return []store.Read{
			{Query: lk},
			keyed(lk, "id", store.Query{Table: "items", Columns: []string{"owner", "id"}, Where: ownerIn, OrderBy: byOwner}),
			keyed(lk, "id", store.Query{Table: "items", Columns: []string{"name", "owner"}, Where: ownerIn,
				OrderBy: []store.Order{{Column: "rank", Desc: true}, {Column: "id"}}}, store.Eq("active", true)),
			keyed(lk, "id", store.Query{Table: "items", Columns: []string{"owner", "id", "name"}, Where: ownerIn, OrderBy: byOwner}),
			{Query: keyed(lk, "id", store.Query{Table: "items", Where: ownerIn}).Query, Count: true},
		}
	}
	alphaLookup := lookup("items", store.Eq("name", "Alpha"))
	idIn := store.InQueryCond{Column: "id"}

	tests := []struct {
		name  string
		reads []store.Read
		// write runs first in a write transaction, whose reads must see it.
		write func(tx store.Tx) error
		// committed runs the reads in a ViewCommitted.
		committed bool
	}{
		{name: "nothing", reads: nil},
		{name: "one read", reads: all[:1]},
		{name: "selects and counts of every column type", reads: all},
		{name: "in a committed view", reads: all, committed: true},
		{name: "a lookup with reads keyed by its row", reads: withSets(lookup("accounts", store.Eq("username", "alice")))},
		{name: "a keyed lookup in a committed view", reads: withSets(lookup("accounts", store.Eq("username", "bob"))), committed: true},
		{name: "a lookup finding two rows", reads: withSets(lookup("accounts", store.Eq("realm", "r")))},
		{name: "a lookup finding none", reads: withSets(lookup("accounts", store.Eq("username", "nobody")))},
		{name: "a lookup of some columns, the key among them", reads: withSets(lookup("accounts", store.Eq("username", "alice"), "username", "id"))[:3]},
		{name: "a lookup of some columns, the key not among them", reads: withSets(lookup("accounts", store.Eq("username", "alice"), "username"))[:3]},
		{name: "a lookup of one row by LIMIT 1", reads: withSets(store.Query{Table: "accounts", Where: store.Eq("realm", "r"), OrderBy: []store.Order{{Column: "username", Desc: true}}, Limit: 1})},
		{name: "sets of a many-to-many table, all of its columns", reads: []store.Read{
			{Query: alphaLookup},
			keyed(alphaLookup, "id", store.Query{Table: "shares", Where: store.InQueryCond{Column: "item"}, OrderBy: []store.Order{{Column: "item"}, {Column: "account"}}}),
			keyed(alphaLookup, "owner", store.Query{Table: "shares", Where: store.InQueryCond{Column: "account"}, OrderBy: []store.Order{{Column: "account"}, {Column: "item", Desc: true}}}),
		}},
		{name: "a lookup whose key is NULL", reads: []store.Read{
			{Query: lookup("items", store.Eq("name", "Gamma*[x]?"))},
			keyed(lookup("items", store.Eq("name", "Gamma*[x]?")), "owner", store.Query{Table: "accounts", Columns: []string{"id", "username"}, Where: idIn}),
		}},
		{name: "sets holding NULL and the lookup's own table", reads: []store.Read{
			{Query: alphaLookup},
			keyed(alphaLookup, "owner", store.Query{Table: "accounts", Columns: []string{"email", "id"}, Where: idIn}),
			keyed(alphaLookup, "owner", store.Query{Table: "items", Columns: []string{"owner", "name"}, Where: ownerIn, OrderBy: []store.Order{{Column: "name"}}}),
			keyed(alphaLookup, "owner", store.Query{Table: "items", Columns: []string{"rank", "owner"}, Where: ownerIn, OrderBy: []store.Order{{Column: "rank", Desc: true}}}),
		}},
		{name: "keyed reads behind an uncommitted write", reads: withSets(lookup("accounts", store.Eq("username", "alice"))), write: func(tx store.Tx) error {
			_, err := tx.Insert(t.Context(), "items", store.Row{"name": "new", "owner": alice, "active": true})
			return err
		}},
		{name: "a transaction's own uncommitted rows", reads: all[:3], write: func(tx store.Tx) error {
			_, err := tx.Insert(t.Context(), "items", store.Row{"name": "uncommitted"})
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run := s.View
			if tc.write != nil {
				run = s.Update
			} else if tc.committed {
				run = s.ViewCommitted
			}
			errRollback := errors.New("roll back")
			err := run(t.Context(), func(tx store.Tx) error {
				if tc.write != nil {
					if err := tc.write(tx); err != nil {
						return err
					}
				}
				exp := want(t, tx, tc.reads)
				got, err := tx.ReadMany(t.Context(), tc.reads)
				if err != nil {
					return err
				}
				same(t, got, exp)
				// Twice: the second batch runs on a connection that
				// already ran one.
				again, err := tx.ReadMany(t.Context(), tc.reads)
				if err != nil {
					return err
				}
				same(t, again, exp)
				if tc.write != nil {
					return errRollback
				}
				return nil
			})
			if err != nil && !errors.Is(err, errRollback) {
				t.Fatal(err)
			}
		})
	}

	t.Run("first read of a transaction and after a batch", func(t *testing.T) {
		for range 3 {
			var got []store.ReadResult
			if err := s.View(t.Context(), func(tx store.Tx) error {
				var err error
				got, err = tx.ReadMany(t.Context(), all[:2])
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if got[1].N != 6 || len(got[0].Rows) != 6 {
				t.Fatalf("got %d rows and count %d, want 6 and 6", len(got[0].Rows), got[1].N)
			}
		}
	})

	t.Run("a failing read fails the call and changes nothing", func(t *testing.T) {
		bad := []store.Read{all[0], {Query: store.Query{Table: "no_such_table"}}}
		err := s.Update(t.Context(), func(tx store.Tx) error {
			if _, err := tx.Insert(t.Context(), "items", store.Row{"name": "lost"}); err != nil {
				return err
			}
			_, err := tx.ReadMany(t.Context(), bad)
			return err
		})
		if err == nil {
			t.Fatal("ReadMany of an unknown table succeeded")
		}
		if n := count(t, s, store.Query{Table: "items", Where: store.Eq("name", "lost")}); n != 0 {
			t.Fatalf("%d rows of the failed transaction stored", n)
		}
		if rows := selectRows(t, s, all[0].Query); !reflect.DeepEqual(ids(rows), []int64{1, 2, 3, 4, 5, 6}) {
			t.Fatalf("after the failure: ids %v", ids(rows))
		}
	})
}
