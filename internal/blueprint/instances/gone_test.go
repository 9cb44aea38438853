package instances_test

import (
	"context"
	"errors"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/blueprint/instances"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/store"
)

// TestInstanceDeletedBeforeApply: discovery applies the instances it has
// just listed without reading each again, so one deleted in between only
// shows up inside the apply. It must be skipped, neither counted as
// applied nor as failed, and leave no failed apply task behind, while the
// others are applied.
func TestInstanceDeletedBeforeApply(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			e := setup(t, backend, nil)
			e.write("a.yaml", groupBlueprint("Kept", "kept-group", ""))
			e.write("b.yaml", groupBlueprint("Deleted", "deleted-group", ""))
			e.discover()
			ctx := context.Background()
			all, err := e.m.Instances(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var pending []*instances.Instance
			var gone *instances.Instance
			for _, in := range all {
				switch in.Name {
				case "Kept":
					pending = append(pending, in)
				case "Deleted":
					gone = in
					pending = append(pending, in)
				}
			}
			if len(pending) != 2 || gone == nil {
				t.Fatalf("instances after discovery: %d of the two files", len(pending))
			}
			im := e.h.App.Registry.MustModel("authentik_blueprints.blueprintinstance")
			if err := e.h.App.Store.Update(ctx, func(tx store.Tx) error {
				_, err := tx.DeleteWhere(ctx, im.Table, store.Eq(im.PKColumn, gone.PK))
				return err
			}); err != nil {
				t.Fatal(err)
			}

			cases := []struct {
				name  string
				check func(t *testing.T)
			}{
				{"a stale instance is not found", func(t *testing.T) {
					_, err := e.m.Apply(ctx, gone.PK, instances.ApplyOptions{})
					var nf *engine.NotFoundError
					if !errors.As(err, &nf) {
						t.Fatalf("Apply of a deleted instance: %v, want not found", err)
					}
				}},
				{"discovery's batch skips it", func(t *testing.T) {
					applied, failed, err := e.m.ApplyAll(ctx, pending)
					if err != nil || applied != 1 || failed != 0 {
						t.Fatalf("applyAll = %d applied, %d failed, %v; want 1, 0, nil", applied, failed, err)
					}
				}},
				{"no failed task is kept for it", func(t *testing.T) {
					tm := e.h.App.Registry.MustModel("authentik_events.systemtask")
					if n := e.count(tm.Name, store.Eq(tm.PKColumn, instances.TaskName("Deleted"))); n != 0 {
						t.Fatalf("%d task records for the deleted instance, want none", n)
					}
				}},
				{"the other one is still applied", func(t *testing.T) {
					gm := e.h.App.Registry.MustModel("authentik_core.group")
					if n := e.count(gm.Name, store.Eq(gm.MustColumn("name"), "kept-group")); n != 1 {
						t.Fatalf("kept-group exists %d times, want 1", n)
					}
				}},
			}
			for _, tc := range cases {
				t.Run(tc.name, tc.check)
			}
		})
	}
}
