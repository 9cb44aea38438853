package postgres_test

import (
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/store"
	"github.com/akgo/akgo/internal/store/postgres"
)

// TestKeyedReadsFold: reads keyed by a lookup's own row (a retrieve's
// sets) travel inside the lookup's statement, as array columns, instead
// of as statements of their own; a read they cannot fold into (three
// columns) still gets one. The conformance suite checks the answers.
func TestKeyedReadsFold(t *testing.T) {
	_, db, _ := openPiped(t)
	s := postgres.StoreOn(db) // one connection: every statement is prepared on it
	ctx := t.Context()
	if err := s.Migrate(ctx, pipedMigrations()); err != nil { // applied: only learns the table
		t.Fatal(err)
	}
	lookup := store.Query{Table: "piped", Where: store.Eq("text", "héllo"), Limit: 2}
	keyed := func(cols ...string) store.Read {
		sub := lookup
		sub.Columns = []string{"int"}
		return store.Read{Query: store.Query{Table: "piped", Columns: cols,
			Where: store.InQueryCond{Column: "int", Query: sub}, OrderBy: []store.Order{{Column: "id"}}}}
	}
	var res []store.ReadResult
	err := s.ViewCommitted(ctx, func(tx store.Tx) error {
		var err error
		res, err = tx.ReadMany(ctx, []store.Read{{Query: lookup}, keyed("int", "uuid"), keyed("text", "int"), keyed("int", "id", "text")})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res[0].Rows) != 1 || len(res[1].Rows) != 1 || res[1].Rows[0]["uuid"] != "0b9a44d2-7c4e-4ad8-9a53-1b0c8d1f6e21" ||
		len(res[2].Rows) != 1 || res[2].Rows[0]["text"] != "héllo" || len(res[3].Rows) != 1 {
		t.Fatalf("results %v", res)
	}
	rows, err := db.QueryContext(ctx, `SELECT statement FROM pg_prepared_statements WHERE statement LIKE '%"piped"%' AND statement NOT LIKE '%pg_prepared%'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var stmts []string
	for rows.Next() {
		var st string
		if err := rows.Scan(&st); err != nil {
			t.Fatal(err)
		}
		stmts = append(stmts, st)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var folded, alone int
	for _, st := range stmts {
		switch {
		case strings.Count(st, "ARRAY(SELECT") == 2:
			folded++
		case strings.HasPrefix(st, `SELECT "int", "id", "text" FROM "piped"`):
			alone++
		default:
			t.Errorf("statement of its own: %s", st)
		}
	}
	if folded != 1 || alone != 1 {
		t.Fatalf("%d statements with the two sets nested, %d of the three-column read; want 1 and 1:\n%s", folded, alone, strings.Join(stmts, "\n"))
	}
}
