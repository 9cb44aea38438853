package postgres_test

import (
	"database/sql"
	"testing"

	"github.com/akgo/akgo/internal/store"
	"github.com/akgo/akgo/internal/store/postgres"
)

// TestPagesReusePlans: a page's statement (ORDER BY, LIMIT) gets a generic
// plan after PostgreSQL's five custom ones, so it is not planned again on
// every execution; with its LIMIT as a parameter it never did.
func TestPagesReusePlans(t *testing.T) {
	s, db := oneConnStore(t)
	ctx := t.Context()
	q := store.Query{Table: "piped", Columns: []string{"id", "text"}, Where: store.CmpCond{Column: "text", Op: "!=", Value: "nobody"},
		OrderBy: []store.Order{{Column: "id"}}, Limit: 2}
	for i := 0; i < 8; i++ {
		err := s.ViewCommitted(ctx, func(tx store.Tx) error {
			_, err := tx.Select(ctx, q)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var generic, custom int64
	err := db.QueryRowContext(ctx, `SELECT generic_plans, custom_plans FROM pg_prepared_statements
		WHERE statement LIKE 'SELECT "id", "text" FROM "piped"%ORDER BY%LIMIT%'`).Scan(&generic, &custom)
	if err != nil {
		t.Fatalf("the page's prepared statement: %v", err)
	}
	if generic == 0 {
		t.Errorf("generic plans %d, custom plans %d after 8 runs: the page is planned on every execution", generic, custom)
	}
}

// oneConnStore is a store on openPiped's pool of one connection, so every
// statement it sends is prepared on the connection db reaches.
func oneConnStore(t *testing.T) (store.Store, *sql.DB) {
	t.Helper()
	_, db, _ := openPiped(t)
	s := postgres.StoreOn(db)
	if err := s.Migrate(t.Context(), pipedMigrations()); err != nil { // applied: only learns the table
		t.Fatal(err)
	}
	return s, db
}
