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
	// stages and policies: the flow's bindings in their order (the pk
	// breaks ties so a page and a single object agree).
	h.orderedSet("authentik_flows.flow.stages", func(m *registry.Model) string { return m.PKColumn },
		bindings.Table, col(bindings, "target"), col(bindings, "stage"), nil,
		[]store.Order{{Column: col(bindings, "target")}, {Column: col(bindings, "order")}, {Column: bindings.PKColumn}})
	h.orderedSet("authentik_flows.flow.policies", func(m *registry.Model) string { return m.ParentColumn },
		pbindings.Table, col(pbindings, "target"), col(pbindings, "policy"), store.NullCond{Column: col(pbindings, "policy"), IsNull: false},
		[]store.Order{{Column: col(pbindings, "target")}, {Column: col(pbindings, "order")}, {Column: pbindings.PKColumn}})
	h.reads("authentik_flows.flow.background", "background")
	h.reads("authentik_flows.flow.export_url", "slug")
	h.reads("authentik_flows.flow.cache_count")
	h.reads("authentik_flows.flow.stages")
	h.reads("authentik_flows.flow.policies") // the parent column, always selected
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

// perKey gives each row the list grouped under its value of col (an empty
// list when there is none).
func perKey(rows []store.Row, col string, by map[any][]any) []any {
	out := make([]any, len(rows))
	for i, r := range rows {
		vals := by[r[col]]
		if vals == nil {
			vals = []any{}
		}
		out[i] = vals
	}
	return out
}
