package storetest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/store"
)

// v3alter makes columns NOT NULL with a default on tables that others
// reference with every ON DELETE action (parents, accounts) and on an
// AUTOINCREMENT table (items), and adds an index. On SQLite this rebuilds
// the tables, which must keep their rows, the references to them, their
// indexes and their id counter.
var v3alter = store.Migration{Version: 3, Name: "not null", Steps: []store.Step{
	store.AlterColumn{Table: "accounts", Column: store.Column{Name: "email", Type: store.TypeText, Default: ""}},
	store.AlterColumn{Table: "items", Column: store.Column{Name: "rank", Type: store.TypeInt, Default: int64(0)}},
	store.AlterColumn{Table: "items", Column: store.Column{Name: "note", Type: store.TypeText, Default: "none"}},
	store.CreateIndex{Table: "items", Columns: []string{"rank", "id"}},
	store.CreateIndex{Table: "parents", Columns: []string{"name", "id"}},
	// Taking NOT NULL back off, with the default.
	store.AlterColumn{Table: "kinds", Column: store.Column{Name: "dt", Type: store.TypeText, Nullable: true}},
}}

func testAlterColumn(t *testing.T, open Opener) {
	ctx := t.Context()
	s := migrated(t, open)
	seed(t, s)
	// A deleted item whose id must not come back, parents with children of
	// every kind, an account without an email.
	update(t, s, func(tx store.Tx) error {
		if _, err := tx.Insert(ctx, "items", store.Row{"name": "doomed"}); err != nil {
			return err
		}
		_, err := tx.DeleteWhere(ctx, "items", store.Eq("name", "doomed"))
		return err
	})
	// Both accounts have email NULL in realm r: filling both with '' would
	// break unique(realm, email), and the migration must fail whole.
	if err := s.Migrate(ctx, append(slices.Clone(Migrations), v3alter)); err == nil {
		t.Fatal("a default that breaks a unique constraint was accepted")
	}
	if n := count(t, s, store.Query{Table: "akgo_migrations"}); n != 2 {
		t.Fatalf("%d migrations recorded after a failed one, want 2", n)
	}
	checkRow(t, one(t, s, "accounts", alice), store.Row{"email": nil})
	update(t, s, func(tx store.Tx) error {
		_, err := tx.UpdateWhere(ctx, "accounts", store.Eq("id", bob), store.Row{"email": "bob@example.org"})
		return err
	})
	p := insert(t, s, "parents", store.Row{"name": "p"})
	for _, c := range []string{"child_cascade", "child_setnull", "child_setdefault", "child_restrict"} {
		insert(t, s, c, store.Row{"label": c, "parent_id": p})
	}
	if err := s.Migrate(ctx, append(slices.Clone(Migrations), v3alter)); err != nil {
		t.Fatalf("Migrate: %v", err)
	}

	t.Run("rows and references survive", func(t *testing.T) {
		if n := count(t, s, store.Query{Table: "items"}); n != 6 {
			t.Fatalf("%d items, want 6", n)
		}
		for _, c := range []string{"child_cascade", "child_setnull", "child_setdefault", "child_restrict"} {
			rows := selectRows(t, s, store.Query{Table: c})
			if len(rows) != 1 || rows[0]["parent_id"] != p {
				t.Fatalf("%s after the migration: %v", c, rows)
			}
		}
		checkRow(t, one(t, s, "items", int64(1)), store.Row{"name": "Alpha", "rank": int64(1), "owner": alice, "created": t0})
	})
	t.Run("NULLs took the default", func(t *testing.T) {
		checkRow(t, one(t, s, "accounts", alice), store.Row{"email": ""})
		checkRow(t, one(t, s, "items", int64(5)), store.Row{"rank": int64(0), "note": "none"})
	})
	t.Run("omitted values take the default", func(t *testing.T) {
		id := insert(t, s, "items", store.Row{"name": "new"})
		if id != 8 {
			t.Fatalf("new item got id %d, want 8 (7 was used and deleted)", id)
		}
		checkRow(t, one(t, s, "items", id), store.Row{"rank": int64(0), "note": "none"})
	})
	t.Run("NOT NULL is enforced", func(t *testing.T) {
		err := s.Update(ctx, func(tx store.Tx) error {
			_, err := tx.Insert(ctx, "accounts", store.Row{"id": bob[:35] + "c", "username": "carol", "realm": "r", "email": nil})
			return err
		})
		if err == nil {
			t.Fatal("NULL email accepted")
		}
	})
	t.Run("a column made nullable takes NULL", func(t *testing.T) {
		id := insert(t, s, "kinds", store.Row{"dt": nil})
		checkRow(t, one(t, s, "kinds", id), store.Row{"dt": nil})
	})
	t.Run("foreign keys are enforced again", func(t *testing.T) {
		err := s.Update(ctx, func(tx store.Tx) error {
			_, err := tx.Insert(ctx, "child_cascade", store.Row{"label": "x", "parent_id": 999})
			return err
		})
		var fk *store.ForeignKeyError
		if !errors.As(err, &fk) {
			t.Fatalf("dangling reference: %v", err)
		}
	})
	t.Run("ON DELETE actions still apply", func(t *testing.T) {
		update(t, s, func(tx store.Tx) error {
			_, err := tx.DeleteWhere(ctx, "child_restrict", store.TrueCond{})
			return err
		})
		update(t, s, func(tx store.Tx) error {
			_, err := tx.DeleteWhere(ctx, "parents", store.Eq("id", p))
			return err
		})
		if n := count(t, s, store.Query{Table: "child_cascade"}); n != 0 {
			t.Fatalf("cascade left %d rows", n)
		}
		if rows := selectRows(t, s, store.Query{Table: "child_setnull"}); len(rows) != 1 || rows[0]["parent_id"] != nil {
			t.Fatalf("set null: %v", rows)
		}
		if rows := selectRows(t, s, store.Query{Table: "child_setdefault"}); len(rows) != 1 || rows[0]["parent_id"] != int64(1) {
			t.Fatalf("set default: %v", rows)
		}
	})
	t.Run("a NOT NULL column orders without NULL handling", func(t *testing.T) {
		rows := selectRows(t, s, store.Query{Table: "items", Columns: []string{"id"},
			OrderBy: []store.Order{{Column: "rank"}, {Column: "id"}}})
		if got := ids(rows); !slices.Equal(got, []int64{5, 8, 1, 2, 6, 3, 4}) {
			t.Fatalf("order %v", got)
		}
	})
}

// testAlterReopen: a store opened on an altered database learns the
// altered descriptors from the migrations, without applying anything.
func testAlterReopen(t *testing.T, open Opener) {
	s := migrated(t, open)
	insert(t, s, "items", store.Row{"name": "x"})
	all := append(slices.Clone(Migrations), v3alter)
	if err := s.Migrate(t.Context(), all); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2 := open(t)
	if err := s2.Migrate(t.Context(), all); err != nil {
		t.Fatal(err)
	}
	checkRow(t, one(t, s2, "items", int64(1)), store.Row{"rank": int64(0), "note": "none"})
	err := s2.Update(t.Context(), func(tx store.Tx) error {
		_, err := tx.UpdateWhere(t.Context(), "items", store.Eq("id", 1), store.Row{"rank": nil})
		return err
	})
	if err == nil {
		t.Fatal("NULL accepted in a NOT NULL column after reopening")
	}
}

// testAlterInvalid: changes a backend cannot make safely are refused
// before any DDL runs.
func testAlterInvalid(t *testing.T, open Opener) {
	tests := []struct {
		name string
		step store.Step
		want string
	}{
		{"NOT NULL without a default", store.AlterColumn{Table: "accounts", Column: col("email", store.TypeText)}, "needs a default"},
		{"type change", store.AlterColumn{Table: "accounts", Column: nullable("email", store.TypeInt)}, "only nullability"},
		{"primary key", store.AlterColumn{Table: "parents", Column: store.Column{Name: "id", Type: store.TypeInt, Default: int64(1)}}, "primary key"},
		{"unknown column", store.AlterColumn{Table: "parents", Column: nullable("nope", store.TypeText)}, "unknown column"},
		{"unknown table", store.AlterColumn{Table: "nope", Column: nullable("x", store.TypeText)}, "no CreateTable"},
		{"index twice", store.CreateIndex{Table: "items", Columns: []string{"name"}}, "created twice"},
		{"index on unknown column", store.CreateIndex{Table: "items", Columns: []string{"nope"}}, "unknown column"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := migrated(t, open)
			m := store.Migration{Version: 3, Name: "bad", Steps: []store.Step{tc.step}}
			err := s.Migrate(context.Background(), append(slices.Clone(Migrations), m))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Migrate: %v, want an error containing %q", err, tc.want)
			}
			if n := count(t, s, store.Query{Table: "akgo_migrations"}); n != 2 {
				t.Fatalf("%d migrations recorded, want 2", n)
			}
		})
	}
}

// testMigrateFresh: an empty database given several versions without raw
// statements gets the last version's tables in one step; it must behave
// exactly like one that went through the versions one by one.
func testMigrateFresh(t *testing.T, open Opener) {
	v2plain := v2
	v2plain.Steps = slices.DeleteFunc(slices.Clone(v2.Steps), func(s store.Step) bool {
		_, raw := s.(store.RawSQL)
		return raw
	})
	all := []store.Migration{v1, v2plain, v3alter}
	// The opener gives one database per test, so each path gets a subtest.
	for _, path := range []string{"stepwise", "fresh"} {
		t.Run(path, func(t *testing.T) {
			s := open(t)
			if path == "stepwise" {
				for i := range all {
					if err := s.Migrate(t.Context(), all[:i+1]); err != nil {
						t.Fatalf("version %d: %v", i+1, err)
					}
				}
			} else if err := s.Migrate(t.Context(), all); err != nil {
				t.Fatal(err)
			}
			rows := selectRows(t, s, store.Query{Table: "akgo_migrations", OrderBy: []store.Order{{Column: "version"}}})
			if len(rows) != 3 || rows[2]["version"] != int64(3) || rows[2]["name"] != "not null" {
				t.Fatalf("recorded versions %v", rows)
			}
			id := insert(t, s, "items", store.Row{"name": "x", "parent_id": nil})
			checkRow(t, one(t, s, "items", id), store.Row{"rank": int64(0), "note": "none", "level": int64(3), "active": false})
			if err := s.Update(t.Context(), func(tx store.Tx) error {
				_, err := tx.UpdateWhere(t.Context(), "items", store.Eq("id", id), store.Row{"note": nil})
				return err
			}); err == nil {
				t.Fatal("NULL accepted in a NOT NULL column")
			}
			p := insert(t, s, "parents", store.Row{"name": "p"})
			insert(t, s, "child_cascade", store.Row{"label": "c", "parent_id": p})
			update(t, s, func(tx store.Tx) error {
				_, err := tx.DeleteWhere(t.Context(), "parents", store.Eq("id", p))
				return err
			})
			if n := count(t, s, store.Query{Table: "child_cascade"}); n != 0 {
				t.Fatalf("cascade left %d rows", n)
			}
			// Whole-table counts (kept by the backend, on PostgreSQL) start
			// right on both paths.
			if err := s.KeepCounts(t.Context(), []string{"items", "parents"}); err != nil {
				t.Fatal(err)
			}
			insert(t, s, "parents", store.Row{"name": "after"})
			for table, want := range map[string]int64{"items": 1, "parents": 1} {
				if n := count(t, s, store.Query{Table: table}); n != want {
					t.Errorf("count of %s: %d, want %d", table, n, want)
				}
			}
			err := s.Update(t.Context(), func(tx store.Tx) error {
				_, err := tx.Insert(t.Context(), "child_cascade", store.Row{"label": "x", "parent_id": 999})
				return err
			})
			var fk *store.ForeignKeyError
			if !errors.As(err, &fk) {
				t.Fatalf("dangling reference: %v", err)
			}
		})
	}
}
