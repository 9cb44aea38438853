package sqldb

import (
	"slices"
	"testing"

	"github.com/akgo/akgo/internal/store"
)

func TestCreationOrder(t *testing.T) {
	ref := func(name, target string) store.Column {
		return store.Column{Name: name, Type: store.TypeInt, Ref: &store.ForeignKey{Table: target, Column: "id"}}
	}
	table := func(name string, cols ...store.Column) *store.Table {
		return &store.Table{Name: name, PK: []string{"id"}, Columns: append([]store.Column{{Name: "id", Type: store.TypeInt}}, cols...)}
	}
	cases := []struct {
		name   string
		tables []*store.Table
		want   []string
	}{
		{"by name without references", []*store.Table{table("b"), table("a"), table("c")}, []string{"a", "b", "c"}},
		{"referenced tables first", []*store.Table{table("a", ref("x", "c")), table("b"), table("c", ref("y", "b"))}, []string{"b", "c", "a"}},
		{"self reference", []*store.Table{table("a", ref("parent", "a")), table("b")}, []string{"a", "b"}},
		{"cycle", []*store.Table{table("a", ref("x", "b")), table("b", ref("y", "a"))}, []string{"b", "a"}},
		{"migrations table left out", []*store.Table{table(MigrationsTable), table("a")}, []string{"a"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := map[string]*store.Table{}
			for _, tb := range tc.tables {
				m[tb.Name] = tb
			}
			if got := creationOrder(m); !slices.Equal(got, tc.want) {
				t.Errorf("creationOrder = %v, want %v", got, tc.want)
			}
		})
	}
}
