package postgres_test

import (
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/store"
)

// TestKeyedReadsFold: reads keyed by a lookup's own row (a retrieve's
// sets) travel inside the lookup's statement, as array columns, instead
// of as statements of their own, including a read of all the columns of a
// two-column table; a read of three columns still gets one. The conformance suite checks the answers.
func TestKeyedReadsFold(t *testing.T) {
	s, db := oneConnStore(t)
	ctx := t.Context()
	// piped_tags is a many-to-many table: a read of all its columns folds.
	tags := store.Table{Name: "piped_tags", PK: []string{"piped", "tag"}, Columns: []store.Column{
		{Name: "piped", Type: store.TypeInt}, {Name: "tag", Type: store.TypeText}}}
	if err := s.Migrate(ctx, append(pipedMigrations(), store.Migration{Version: 2, Name: "tags", Steps: []store.Step{store.CreateTable{Table: tags}}})); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(tx store.Tx) error {
		_, err := tx.Insert(ctx, "piped_tags", store.Row{"piped": int64(-1) << 40, "tag": "t1"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	lookup := store.Query{Table: "piped", Where: store.Eq("text", "héllo"), Limit: 2}
	keyed := func(table, key string, cols ...string) store.Read {
		sub := lookup
		sub.Columns = []string{"int"}
		return store.Read{Query: store.Query{Table: table, Columns: cols,
			Where: store.InQueryCond{Column: key, Query: sub}, OrderBy: []store.Order{{Column: key}}}}
	}
	var res []store.ReadResult
	err := s.ViewCommitted(ctx, func(tx store.Tx) error {
		var err error
		res, err = tx.ReadMany(ctx, []store.Read{{Query: lookup}, keyed("piped", "int", "int", "uuid"), keyed("piped", "int", "text", "int"),
			keyed("piped_tags", "piped"), keyed("piped", "int", "int", "id", "text")})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res[0].Rows) != 1 || len(res[1].Rows) != 1 || res[1].Rows[0]["uuid"] != "0b9a44d2-7c4e-4ad8-9a53-1b0c8d1f6e21" ||
		len(res[2].Rows) != 1 || res[2].Rows[0]["text"] != "héllo" || len(res[3].Rows) != 1 || res[3].Rows[0]["tag"] != "t1" || len(res[4].Rows) != 1 {
		t.Fatalf("results %v", res)
	}
	rows, err := db.QueryContext(ctx, `SELECT statement FROM pg_prepared_statements WHERE statement LIKE '%"piped%' AND statement LIKE 'SELECT%' AND statement NOT LIKE '%pg_prepared%'`)
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
		case strings.Count(st, "ARRAY(SELECT") == 3:
			folded++
		case strings.HasPrefix(st, `SELECT "int", "id", "text" FROM "piped"`):
			alone++
		default:
			t.Errorf("statement of its own: %s", st)
		}
	}
	if folded != 1 || alone != 1 {
		t.Fatalf("%d statements with the three sets nested, %d of the three-column read; want 1 and 1:\n%s", folded, alone, strings.Join(stmts, "\n"))
	}
}
