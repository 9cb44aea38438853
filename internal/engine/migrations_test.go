package engine_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// TestMigrationsMatchRegistry fails when the registry describes tables the
// latest frozen snapshot lacks: run `go generate ./internal/engine`.
func TestMigrationsMatchRegistry(t *testing.T) {
	tables, err := engine.Tables(registry.Default())
	if err != nil {
		t.Fatal(err)
	}
	snaps, err := engine.Snapshots()
	if err != nil || len(snaps) == 0 {
		t.Fatalf("snapshots: %v (%d)", err, len(snaps))
	}
	if !reflect.DeepEqual(norm(snaps[len(snaps)-1]), norm(tables)) {
		t.Fatal("the registry's tables differ from the latest migration snapshot; run go generate ./internal/engine")
	}
	if _, err := engine.Migrations(registry.Default()); err != nil {
		t.Fatal(err)
	}
}

func norm(v any) any {
	data, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(data, &out)
	return out
}

func TestDiff(t *testing.T) {
	table := func(mod func(*store.Table)) []store.Table {
		t := store.Table{Name: "a", PK: []string{"id"}, Columns: []store.Column{
			{Name: "id", Type: store.TypeInt}, {Name: "name", Type: store.TypeText, Nullable: true}},
			Unique: [][]string{{"name"}}, Indexes: [][]string{{"name", "id"}}}
		if mod != nil {
			mod(&t)
		}
		return []store.Table{t}
	}
	base := table(nil)
	withCol := table(func(t *store.Table) { t.Columns = append(t.Columns, store.Column{Name: "x", Type: store.TypeText}) })
	withTable := append(table(nil), store.Table{Name: "b", PK: []string{"id"}, Columns: []store.Column{{Name: "id", Type: store.TypeInt}}})
	changed := table(func(t *store.Table) { t.Columns[1].Type = store.TypeInt })
	notNull := table(func(t *store.Table) { t.Columns[1].Nullable, t.Columns[1].Default = false, "" })
	notNullNoDefault := table(func(t *store.Table) { t.Columns[1].Nullable = false })
	withIndex := table(func(t *store.Table) { t.Indexes = append(t.Indexes, []string{"id", "name"}) })
	noIndex := table(func(t *store.Table) { t.Indexes = nil })
	moreUnique := table(func(t *store.Table) { t.Unique = append(t.Unique, []string{"id", "name"}) })
	noUnique := table(func(t *store.Table) { t.Unique = nil })
	newPK := table(func(t *store.Table) { t.PK = []string{"name"} })
	cases := []struct {
		name     string
		from, to []store.Table
		want     []store.Step
		wantErr  bool
	}{
		{"unchanged", base, base, nil, false},
		{"new column", base, withCol, []store.Step{store.AddColumn{Table: "a", Column: store.Column{Name: "x", Type: store.TypeText, Nullable: true}}}, false},
		{"new table", base, withTable, []store.Step{store.CreateTable{Table: withTable[1]}}, false},
		{"column made NOT NULL with a default", base, notNull, []store.Step{store.AlterColumn{Table: "a", Column: notNull[0].Columns[1]}}, false},
		{"column made nullable", notNull, base, []store.Step{store.AlterColumn{Table: "a", Column: base[0].Columns[1]}}, false},
		{"new index", base, withIndex, []store.Step{store.CreateIndex{Table: "a", Columns: []string{"id", "name"}}}, false},
		{"NOT NULL without a default", base, notNullNoDefault, nil, true},
		{"removed column", withCol, base, nil, true},
		{"removed table", withTable, base, nil, true},
		{"changed column type", base, changed, nil, true},
		{"removed index", base, noIndex, nil, true},
		{"added unique constraint", base, moreUnique, nil, true},
		{"added first unique constraint", noUnique, base, nil, true},
		{"changed primary key", base, newPK, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			steps, err := engine.Diff(tc.from, tc.to)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Diff error %v, want error %v", err, tc.wantErr)
			}
			if !reflect.DeepEqual(steps, tc.want) {
				t.Fatalf("Diff = %#v, want %#v", steps, tc.want)
			}
		})
	}
}

// TestSortKey: a list stops sorting at the first unique NOT NULL column
// and otherwise ends with the primary key.
func TestSortKey(t *testing.T) {
	tbl := &store.Table{Name: "t", PK: []string{"id"}, Columns: []store.Column{
		{Name: "id", Type: store.TypeUUID},
		{Name: "slug", Type: store.TypeText, Default: ""},
		{Name: "code", Type: store.TypeText, Nullable: true},
		{Name: "name", Type: store.TypeText, Default: ""},
	}, Unique: [][]string{{"slug"}, {"code"}, {"name", "code"}}}
	o := func(cols ...string) []store.Order {
		out := []store.Order{}
		for _, c := range cols {
			out = append(out, store.Order{Column: c})
		}
		return out
	}
	cases := []struct {
		name  string
		terms []store.Order
		want  []store.Order
	}{
		{"unique NOT NULL first", o("slug", "name"), o("slug")},
		{"unique but nullable", o("code", "name"), o("code", "name", "id")},
		{"unique set is not enough", o("name"), o("name", "id")},
		{"pk in the terms", o("name", "id", "slug"), o("name", "id")},
		{"nothing requested", o(), o("id")},
		{"descending kept", []store.Order{{Column: "slug", Desc: true}}, []store.Order{{Column: "slug", Desc: true}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := engine.SortKey(tbl, tc.terms); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("SortKey = %v, want %v", got, tc.want)
			}
		})
	}
}
