package engine_test

import (
	"slices"
	"testing"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/registry"
)

// TestCountedTables: the tables whose counts are kept are those list
// pages count whole, and no table only written alongside them.
func TestCountedTables(t *testing.T) {
	tables := engine.New(nil, registry.Default(), nil).CountedTables()
	for _, tc := range []struct {
		table string
		want  bool
	}{
		{"authentik_flows_flow", true},
		{"authentik_core_user", true},
		{"authentik_events_event", true},
		{"authentik_flows_stage", true}, // /stages/all/
		{"authentik_core_group_users", false},
		{"authentik_policies_policybindingmodel", false},
	} {
		t.Run(tc.table, func(t *testing.T) {
			if got := slices.Contains(tables, tc.table); got != tc.want {
				t.Errorf("counted: %v, want %v", got, tc.want)
			}
		})
	}
	if !slices.IsSorted(tables) || len(slices.Compact(slices.Clone(tables))) != len(tables) {
		t.Errorf("not sorted and distinct: %v", tables)
	}
}
