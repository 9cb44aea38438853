package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/akgo/akgo/internal/store"
)

// testWholeCounts: the count of a whole table (what a list page without
// filters shows) equals the rows a read of the table finds after every
// kind of write: rows added one by one and many at once, deleted directly,
// by a cascade and by raw SQL, and a rolled back transaction. A backend
// that keeps counts instead of counting rows (PostgreSQL, after
// KeepCounts) must keep them exact through all of these and through the
// switches, and KeepCounts may be called again, or told to stop.
func testWholeCounts(t *testing.T, open Opener) {
	s := migrated(t, open)
	ctx := t.Context()
	var parents []int64
	steps := []struct {
		name  string
		write func(tx store.Tx) error
		// fails: the write returns an error, so nothing of it stays.
		fails bool
		// counts: call KeepCounts instead of writing ("keep" or "stop").
		counts string
	}{
		{name: "one row at a time", write: func(tx store.Tx) error {
			for i := range 3 {
				id, err := tx.Insert(ctx, "parents", store.Row{"name": fmt.Sprintf("single-%d", i)})
				if err != nil {
					return err
				}
				parents = append(parents, id)
			}
			return nil
		}},
		{name: "many rows in one statement", write: func(tx store.Tx) error {
			rows := make([]store.Row, 40)
			for i := range rows {
				rows[i] = store.Row{"name": fmt.Sprintf("many-%d", i)}
			}
			return tx.InsertMany(ctx, "parents", rows)
		}},
		{name: "children of two parents", write: func(tx store.Tx) error {
			for i, p := range parents[:2] {
				for j := range 5 {
					if _, err := tx.Insert(ctx, "child_cascade", store.Row{"label": fmt.Sprintf("%d-%d", i, j), "parent_id": p}); err != nil {
						return err
					}
				}
			}
			return nil
		}},
		// From here on a backend that keeps counts reads them (before, it
		// counted rows): the switch must not lose the rows written so far.
		{name: "counts kept from here on", counts: "keep"},
		{name: "a delete that cascades", write: func(tx store.Tx) error {
			_, err := tx.DeleteWhere(ctx, "parents", store.Eq("id", parents[0]))
			return err
		}},
		{name: "a rolled back transaction", fails: true, write: func(tx store.Tx) error {
			if _, err := tx.Insert(ctx, "parents", store.Row{"name": "rolled-back"}); err != nil {
				return err
			}
			if _, err := tx.DeleteWhere(ctx, "child_cascade", store.TrueCond{}); err != nil {
				return err
			}
			return errors.New("changed my mind")
		}},
		{name: "raw SQL", write: func(tx store.Tx) error {
			return tx.Exec(ctx, `DELETE FROM parents WHERE name LIKE 'many-1%'`)
		}},
		{name: "counts no longer kept", counts: "stop"},
		{name: "a write while counts are not kept", write: func(tx store.Tx) error {
			_, err := tx.Insert(ctx, "parents", store.Row{"name": "uncounted"})
			return err
		}},
		{name: "counts kept again", counts: "keep"},
		{name: "a delete of every row", write: func(tx store.Tx) error {
			_, err := tx.DeleteWhere(ctx, "child_cascade", store.TrueCond{})
			return err
		}},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			if step.counts != "" {
				var tables []string // "stop"
				if step.counts == "keep" {
					tables = []string{"parents", "child_cascade"}
				}
				if err := s.KeepCounts(ctx, tables); err != nil {
					t.Fatalf("KeepCounts(%s): %v", step.counts, err)
				}
			} else if err := s.Update(ctx, step.write); step.fails != (err != nil) {
				t.Fatalf("Update: %v (want failure: %v)", err, step.fails)
			}
			for _, table := range []string{"parents", "child_cascade"} {
				rows := selectRows(t, s, store.Query{Table: table})
				if n := count(t, s, store.Query{Table: table}); n != int64(len(rows)) {
					t.Errorf("count of %s: %d, a read finds %d rows", table, n, len(rows))
				}
				if n := count(t, s, store.Query{Table: table, Where: store.TrueCond{}}); n != int64(len(rows)) {
					t.Errorf("count of %s with a true condition: %d, a read finds %d rows", table, n, len(rows))
				}
			}
			// All but one value of a NOT NULL column: the whole count minus
			// the rows holding it.
			q := store.Query{Table: "parents", Where: store.NotCond{Cond: store.Eq("name", "single-1")}}
			if n, rows := count(t, s, q), selectRows(t, s, q); n != int64(len(rows)) {
				t.Errorf("count of parents but single-1: %d, a read finds %d rows", n, len(rows))
			}
		})
	}
}
