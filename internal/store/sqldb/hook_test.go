package sqldb_test

import (
	"path/filepath"
	"testing"

	"github.com/akgo/akgo/internal/store"
	"github.com/akgo/akgo/internal/store/sqldb"
	"github.com/akgo/akgo/internal/store/sqlite"
)

// TestOnEmptyDatabase: the hook runs when Migrate finds no applied
// migration, whether the schema is then created in one step or version
// by version, and not when the database was migrated before.
func TestOnEmptyDatabase(t *testing.T) {
	table := func(name string) store.Step {
		return store.CreateTable{Table: store.Table{Name: name, PK: []string{"id"}, Columns: []store.Column{{Name: "id", Type: store.TypeInt}}}}
	}
	v1 := store.Migration{Version: 1, Name: "one", Steps: []store.Step{table("a")}}
	v2 := store.Migration{Version: 2, Name: "two", Steps: []store.Step{table("b")}}
	cases := []struct {
		name  string
		first []store.Migration // applied before, without the hook
		then  []store.Migration
		want  int
	}{
		{"new database, latest schema at once", nil, []store.Migration{v1, v2}, 1},
		{"new database, one version", nil, []store.Migration{v1}, 1},
		{"migrated before", []store.Migration{v1}, []store.Migration{v1, v2}, 0},
		{"up to date", []store.Migration{v1, v2}, []store.Migration{v1, v2}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := sqlite.Open(filepath.Join(t.TempDir(), "db"))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if tc.first != nil {
				if err := s.Migrate(t.Context(), tc.first); err != nil {
					t.Fatal(err)
				}
			}
			calls := 0
			if err := s.Migrate(sqldb.OnEmptyDatabase(t.Context(), func() { calls++ }), tc.then); err != nil {
				t.Fatal(err)
			}
			if calls != tc.want {
				t.Errorf("hook ran %d times, want %d", calls, tc.want)
			}
		})
	}
}
