package rbac_test

import (
	"context"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/rbac"
	"github.com/akgo/akgo/internal/store"
)

// TestSeed checks that start-up stores every permission exactly once and
// that seeding again fills what is missing without duplicating the rest.
func TestSeed(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			ctx := context.Background()
			st, reg := h.App.Store, h.App.Registry
			pm, _ := reg.Model("auth.permission")
			want := map[string]rbac.Perm{}
			for _, p := range rbac.All(reg) {
				want[p.String()] = p
			}
			stored := func(t *testing.T) map[string]int {
				t.Helper()
				got := map[string]int{}
				err := st.View(ctx, func(tx store.Tx) error {
					rows, err := tx.Select(ctx, store.Query{Table: pm.Table})
					for _, r := range rows {
						key := r["app_label"].(string) + "." + r["codename"].(string)
						got[key]++
						if p, ok := want[key]; ok && (r["model"] != p.Model || r["name"] != p.Name) {
							t.Errorf("%s stored as model %v name %v, want %s %q", key, r["model"], r["name"], p.Model, p.Name)
						}
					}
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				return got
			}
			check := func(t *testing.T) {
				t.Helper()
				got := stored(t)
				for key := range want {
					if got[key] != 1 {
						t.Errorf("%s stored %d times, want 1", key, got[key])
					}
				}
				if len(got) != len(want) {
					t.Errorf("%d permissions stored, want %d", len(got), len(want))
				}
			}
			steps := []struct {
				name   string
				before func(tx store.Tx) error
			}{
				{"after start-up", nil},
				{"seeding again changes nothing", func(store.Tx) error { return nil }},
				{"missing ones are restored", func(tx store.Tx) error {
					_, err := tx.DeleteWhere(ctx, pm.Table, store.InCond{Column: "app_label", Values: []any{"authentik_flows", "authentik_core"}})
					return err
				}},
			}
			for _, step := range steps {
				t.Run(step.name, func(t *testing.T) {
					if step.before != nil {
						if err := st.Update(ctx, step.before); err != nil {
							t.Fatal(err)
						}
						if err := rbac.Seed(ctx, st, reg); err != nil {
							t.Fatal(err)
						}
					}
					check(t)
				})
			}
		})
	}
}
