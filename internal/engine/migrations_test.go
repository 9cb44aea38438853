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
	base := []store.Table{{Name: "a", PK: []string{"id"}, Columns: []store.Column{{Name: "id", Type: store.TypeInt}}}}
	withCol := []store.Table{{Name: "a", PK: []string{"id"}, Columns: []store.Column{{Name: "id", Type: store.TypeInt}, {Name: "x", Type: store.TypeText}}}}
	withTable := append(append([]store.Table(nil), base...), store.Table{Name: "b", PK: []string{"id"}, Columns: []store.Column{{Name: "id", Type: store.TypeInt}}})
	changed := []store.Table{{Name: "a", PK: []string{"id"}, Columns: []store.Column{{Name: "id", Type: store.TypeText}}}}
	cases := []struct {
		name     string
		from, to []store.Table
		steps    int
		wantErr  bool
	}{
		{"unchanged", base, base, 0, false},
		{"new column", base, withCol, 1, false},
		{"new table", base, withTable, 1, false},
		{"removed column", withCol, base, 0, true},
		{"removed table", withTable, base, 0, true},
		{"changed column", base, changed, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			steps, err := engine.Diff(tc.from, tc.to)
			if (err != nil) != tc.wantErr || len(steps) != tc.steps {
				t.Fatalf("Diff = %d steps, err %v", len(steps), err)
			}
		})
	}
}
