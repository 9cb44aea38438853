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
	h.orderedSet("authentik_flows.flow.stages", pkColumn,
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
	// Stage.flow_set: the flows that bind the stage, as FlowSet objects,
	// by slug. A page reads the bindings of its stages and their flows
	// together (one ReadMany) and projects each flow once.
	stageCol, targetCol := col(bindings, "stage"), col(bindings, "target")
	h.computeBatch("stage_flow_set", func(ctx context.Context, tx store.Tx, m *registry.Model, rows []store.Row, objs []engine.Object) ([]any, error) {
		out := make([]any, len(rows))
		for i := range out {
			out[i] = []any{}
		}
		pks := engine.DistinctValues(rows, m.PKColumn)
		if len(pks) == 0 {
			return out, nil
		}
		bound := store.InCond{Column: stageCol, Values: pks}
		res, err := tx.ReadMany(ctx, []store.Read{
			{Query: store.Query{Table: bindings.Table, Columns: []string{stageCol, targetCol}, Where: bound}},
			{Query: store.Query{Table: flows.Table, OrderBy: []store.Order{{Column: col(flows, "slug")}},
				Where: store.InQueryCond{Column: flows.PKColumn, Query: store.Query{Table: bindings.Table, Columns: []string{targetCol}, Where: bound}}}},
		})
		if err != nil {
			return nil, err
		}
		fobjs, err := h.e.Project(ctx, tx, flows, "FlowSet", res[1].Rows)
		if err != nil {
			return nil, err
		}
		binds := linkSets(res[0].Rows, stageCol, targetCol) // stage -> flows
		for i, r := range rows {
			set := []any{}
			for j, f := range res[1].Rows {
				if binds[r[m.PKColumn]][f[flows.PKColumn]] {
					set = append(set, fobjs[j])
				}
			}
			out[i] = set
		}
		return out, nil
	})
	h.reads("stage_flow_set")
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
