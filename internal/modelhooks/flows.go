package modelhooks

import (
	"context"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// DefaultFlowBackground is what authentik shows when a flow has none.
const DefaultFlowBackground = "/static/dist/assets/images/flow_background.jpg"

func (h *hooks) flows() {
	flows := h.model("authentik_flows.flow")
	bindings := h.model("authentik_flows.flowstagebinding")
	pbindings := h.model("authentik_policies.policybinding")
	h.compute("authentik_flows.flow.background", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		if u := h.mediaURL(ctx, row[col(flows, "background")]); u != nil {
			return u, nil
		}
		return DefaultFlowBackground, nil
	})
	h.compute("authentik_flows.flow.export_url", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		return "/api/v3/flows/instances/" + str(row[col(flows, "slug")]) + "/export/", nil
	})
	// akserver keeps no flow plan cache, so there is nothing cached.
	h.compute("authentik_flows.flow.cache_count", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		return 0, nil
	})
	h.compute("authentik_flows.flow.stages", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		rows, err := tx.Select(ctx, store.Query{Table: bindings.Table, Columns: []string{col(bindings, "stage")},
			Where: store.Eq(col(bindings, "target"), row[m.PKColumn]), OrderBy: []store.Order{{Column: col(bindings, "order")}}})
		if err != nil {
			return nil, err
		}
		out := []any{}
		for _, r := range rows {
			out = append(out, r[col(bindings, "stage")])
		}
		return out, nil
	})
	h.compute("authentik_flows.flow.policies", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		rows, err := tx.Select(ctx, store.Query{Table: pbindings.Table, Columns: []string{col(pbindings, "policy")},
			Where:   store.And(store.Eq(col(pbindings, "target"), row[m.ParentColumn]), store.NullCond{Column: col(pbindings, "policy"), IsNull: false}),
			OrderBy: []store.Order{{Column: col(pbindings, "order")}}})
		if err != nil {
			return nil, err
		}
		out := []any{}
		for _, r := range rows {
			out = append(out, r[col(pbindings, "policy")])
		}
		return out, nil
	})
	// Stage.flow_set: the flows that bind the stage, as FlowSet objects.
	h.compute("stage_flow_set", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		frows, err := tx.Select(ctx, store.Query{Table: flows.Table, OrderBy: []store.Order{{Column: col(flows, "slug")}},
			Where: store.InQueryCond{Column: flows.PKColumn, Query: store.Query{Table: bindings.Table, Columns: []string{col(bindings, "target")},
				Where: store.Eq(col(bindings, "stage"), row[m.PKColumn])}}})
		if err != nil {
			return nil, err
		}
		objs, err := h.e.Project(ctx, tx, flows, "FlowSet", frows)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(objs))
		for i, o := range objs {
			out[i] = o
		}
		return out, nil
	})
}
