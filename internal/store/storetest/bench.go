package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/store"
)

// Benchmarks shared by the backends; each backend's test file opens a fresh
// store and calls these, so the numbers compare like with like.

var benchMigrations = []store.Migration{{Version: 1, Name: "bench", Steps: []store.Step{
	store.CreateTable{Table: store.Table{
		Name: "bench_users", PK: []string{"id"}, AutoIncrement: true,
		Columns: []store.Column{
			col("id", store.TypeInt),
			col("username", store.TypeText),
			col("name", store.TypeText),
			nullable("email", store.TypeText),
			nullable("attributes", store.TypeJSON),
			{Name: "is_active", Type: store.TypeBool, Default: true},
			col("created", store.TypeTime),
		},
		Unique:  [][]string{{"username"}},
		Indexes: [][]string{{"name"}},
	}},
}}}

func benchRow(i int) store.Row {
	return store.Row{
		"username":   fmt.Sprintf("user%08d", i),
		"name":       fmt.Sprintf("User %05d", (i*7919)%100000), // spread out, not insertion order
		"email":      fmt.Sprintf("user%d@example.com", i),
		"attributes": map[string]any{"settings": map[string]any{"locale": "en"}, "n": i},
		"created":    time.Now(),
	}
}

func benchSetup(b *testing.B, s store.Store, rows int) {
	b.Helper()
	ctx := b.Context()
	if err := s.Migrate(ctx, benchMigrations); err != nil {
		b.Fatal(err)
	}
	if rows == 0 {
		return
	}
	if err := s.Update(ctx, func(tx store.Tx) error {
		for i := 0; i < rows; i++ {
			if _, err := tx.Insert(ctx, "bench_users", benchRow(i)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
}

// BenchGetByPK reads one row by primary key in its own View.
func BenchGetByPK(b *testing.B, s store.Store) {
	const rows = 1000
	benchSetup(b, s, rows)
	ctx := b.Context()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		err := s.View(ctx, func(tx store.Tx) error {
			got, err := tx.Select(ctx, store.Query{Table: "bench_users", Where: store.Eq("id", int64(i%rows+1))})
			if err == nil && len(got) != 1 {
				err = fmt.Errorf("%d rows", len(got))
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchInsert commits one insert per Update.
func BenchInsert(b *testing.B, s store.Store) {
	benchSetup(b, s, 0)
	ctx := b.Context()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if err := s.Update(ctx, func(tx store.Tx) error {
			_, err := tx.Insert(ctx, "bench_users", benchRow(i))
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchListPage reads pages of 100 of 10,000 rows ordered by an indexed
// text column: "first" is the first page (the common list view), "all"
// cycles through every page, so its cost includes skipping OFFSET rows.
func BenchListPage(b *testing.B, s store.Store) {
	const rows, page = 10000, 100
	benchSetup(b, s, rows)
	ctx := b.Context()
	for _, bc := range []struct {
		name  string
		pages int
	}{{"first", 1}, {"all", rows / page}} {
		b.Run(bc.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				err := s.View(ctx, func(tx store.Tx) error {
					got, err := tx.Select(ctx, store.Query{
						Table:   "bench_users",
						OrderBy: []store.Order{{Column: "name"}},
						Limit:   page,
						Offset:  (i % bc.pages) * page,
					})
					if err == nil && len(got) != page {
						err = fmt.Errorf("%d rows", len(got))
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchInList looks up a page's worth of related keys, the query a list
// page sends per related field: 100 usernames of 10,000 rows (every
// other one absent, as most flows have no bindings), matched with an
// InCond and ordered.
func BenchInList(b *testing.B, s store.Store) {
	const rows, page = 10000, 100
	benchSetup(b, s, rows)
	ctx := b.Context()
	keys := make([]any, page)
	for i := range keys {
		keys[i] = fmt.Sprintf("user%08d", (i*7919)%rows)
		if i%2 == 1 {
			keys[i] = fmt.Sprintf("absent%05d", i)
		}
	}
	for b.Loop() {
		err := s.View(ctx, func(tx store.Tx) error {
			got, err := tx.Select(ctx, store.Query{
				Table:   "bench_users",
				Columns: []string{"id", "username"},
				Where:   store.InCond{Column: "username", Values: keys},
				OrderBy: []store.Order{{Column: "username"}, {Column: "id"}},
			})
			if err == nil && len(got) != page/2 {
				err = fmt.Errorf("%d rows", len(got))
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
