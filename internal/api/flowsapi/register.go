package flowsapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/expression"
	"github.com/akgo/akgo/internal/policies"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// Permissions that decide what a caller sees of a flow.
const (
	permViewFlow          = "authentik_flows.view_flow"
	permViewStageBinding  = "authentik_flows.view_flowstagebinding"
	permViewPolicyBinding = "authentik_policies.view_policybinding"
)

type handler struct {
	s        *api.Server
	e        *engine.Engine
	policies *policies.Engine
}

// Register installs the flow diagram, execute, export and import actions.
// All are open to any authenticated user and check permissions
// themselves: diagram, execute and export show only flows the caller may
// view.
func Register(s *api.Server) {
	h := &handler{s: s, e: s.Engine, policies: policies.For(s.Engine)}
	s.RegisterOpen("flows_instances_diagram_retrieve", h.diagram)
	s.RegisterOpen("flows_instances_execute_retrieve", h.execute)
	s.RegisterOpen("flows_instances_export_retrieve", h.exportFlow)
	s.RegisterOpen("flows_instances_import_create", h.importFlow)
}

// flowBySlug loads the flow of the {slug} parameter. A flow the caller may
// not view is reported missing, as authentik's permission-filtered lookup
// does.
func (h *handler) flowBySlug(ctx context.Context, tx store.Tx, p *api.Principal, slug string) (store.Row, error) {
	fm := h.e.Registry.MustModel("authentik_flows.flow")
	rows, err := tx.Select(ctx, store.Query{Table: fm.Table, Where: store.Eq(fm.MustColumn("slug"), slug), Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("load flow %q: %w", slug, err)
	}
	if len(rows) == 0 || !p.Subject.HasOn(permViewFlow, engine.PKText(rows[0][fm.PKColumn])) {
		return nil, &engine.NotFoundError{Detail: "Not found."}
	}
	return rows[0], nil
}

func (h *handler) diagram(w http.ResponseWriter, r *http.Request) error {
	p, err := api.Caller(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var graph FlowGraph
	err = h.e.Store.View(ctx, func(tx store.Tx) error {
		flow, err := h.flowBySlug(ctx, tx, p, chi.URLParam(r, "slug"))
		if err != nil {
			return err
		}
		graph, err = h.graph(ctx, tx, p, flow)
		return err
	})
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"diagram": Diagram(graph)})
	return nil
}

// graph collects what the diagram shows: only the bindings the caller may
// view, each in binding order.
func (h *handler) graph(ctx context.Context, tx store.Tx, p *api.Principal, flow store.Row) (FlowGraph, error) {
	fm := h.e.Registry.MustModel("authentik_flows.flow")
	g := FlowGraph{Name: fmt.Sprint(flow[fm.MustColumn("name")]), Authentication: fmt.Sprint(flow[fm.MustColumn("authentication")])}
	var err error
	if g.Policies, err = h.boundPolicies(ctx, tx, p, flow[fm.MustColumn("policybindingmodel_ptr_id")]); err != nil {
		return g, err
	}
	bm := h.e.Registry.MustModel("authentik_flows.flowstagebinding")
	bindings, err := tx.Select(ctx, store.Query{Table: bm.Table, Where: store.Eq(bm.MustColumn("target"), flow[fm.PKColumn]),
		OrderBy: []store.Order{{Column: bm.MustColumn("order")}, {Column: bm.PKColumn}}})
	if err != nil {
		return g, fmt.Errorf("load stage bindings: %w", err)
	}
	stages := h.e.Registry.MustModel("authentik_flows.stage")
	for _, b := range bindings {
		if !p.Subject.HasOn(permViewStageBinding, engine.PKText(b[bm.PKColumn])) {
			continue
		}
		node, err := h.node(ctx, tx, stages, b[bm.MustColumn("stage")])
		if err != nil {
			return g, err
		}
		st := Stage{Node: node}
		if st.Policies, err = h.boundPolicies(ctx, tx, p, b[bm.MustColumn("policybindingmodel_ptr_id")]); err != nil {
			return g, err
		}
		g.Stages = append(g.Stages, st)
	}
	return g, nil
}

// boundPolicies lists the policies bound to a target (by its pbm_uuid),
// leaving out group and user bindings.
func (h *handler) boundPolicies(ctx context.Context, tx store.Tx, p *api.Principal, target any) ([]Policy, error) {
	pb := h.e.Registry.MustModel("authentik_policies.policybinding")
	rows, err := tx.Select(ctx, store.Query{Table: pb.Table,
		Where:   store.And(store.Eq(pb.MustColumn("target"), target), store.NullCond{Column: pb.MustColumn("policy"), IsNull: false}),
		OrderBy: []store.Order{{Column: pb.MustColumn("order")}, {Column: pb.PKColumn}}})
	if err != nil {
		return nil, fmt.Errorf("load policy bindings of %v: %w", target, err)
	}
	pm := h.e.Registry.MustModel("authentik_policies.policy")
	var out []Policy
	for _, b := range rows {
		if !p.Subject.HasOn(permViewPolicyBinding, engine.PKText(b[pb.PKColumn])) {
			continue
		}
		node, err := h.node(ctx, tx, pm, b[pb.MustColumn("policy")])
		if err != nil {
			return nil, err
		}
		order, _ := b[pb.MustColumn("order")].(int64)
		out = append(out, Policy{Node: node, Order: int(order)})
	}
	return out, nil
}

// node reads a stage or policy from its family table: the row names its
// concrete model, whose verbose name labels the node.
func (h *handler) node(ctx context.Context, tx store.Tx, family *registry.Model, pk any) (Node, error) {
	rows, err := tx.Select(ctx, store.Query{Table: family.Table, Where: store.Eq(family.PKColumn, pk), Limit: 1})
	if err != nil {
		return Node{}, fmt.Errorf("load %s %v: %w", family.Name, pk, err)
	}
	if len(rows) == 0 {
		return Node{}, fmt.Errorf("%s %v referenced by a binding does not exist", family.Name, pk)
	}
	kind := family.VerboseName
	if name, _ := rows[0][engine.ModelColumn].(string); name != "" {
		if m, ok := h.e.Registry.Model(name); ok {
			kind = m.VerboseName
		}
	}
	return Node{Kind: kind, Name: fmt.Sprint(rows[0][family.MustColumn("name")])}, nil
}

// execute answers the link that runs the flow in the flow interface.
//
// authentik plans the flow here (FlowPlanner with the caller as pending
// user) and stores the plan in the session, answering 400 when the planner
// finds the flow not applicable. Until akgo has a flow planner this checks
// what the planner checks before it builds a plan: the flow's
// authentication requirement and the flow's own policy bindings (without
// the result cache, as authentik's execute does). The planner will add the
// stage plan itself (stage bindings evaluated on plan), storing it in the
// caller's session, and resetting the inspector history.
func (h *handler) execute(w http.ResponseWriter, r *http.Request) error {
	p, err := api.Caller(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var flow store.Row
	err = h.e.Store.View(ctx, func(tx store.Tx) error {
		flow, err = h.flowBySlug(ctx, tx, p, chi.URLParam(r, "slug"))
		return err
	})
	if err != nil {
		return err
	}
	fm := h.e.Registry.MustModel("authentik_flows.flow")
	messages, ok, err := h.applicable(ctx, r, p, flow)
	if err != nil {
		return err
	}
	if !ok {
		return engine.Invalid("", "Flow not applicable to current user/request: "+messages)
	}
	link := engine.BaseURLFrom(ctx) + "/if/flow/" + fmt.Sprint(flow[fm.MustColumn("slug")]) + "/"
	api.WriteJSON(w, http.StatusOK, map[string]any{"link": link})
	return nil
}

// applicable reports whether the caller may start the flow, with the
// messages of the policies that denied it.
func (h *handler) applicable(ctx context.Context, r *http.Request, p *api.Principal, flow store.Row) (string, bool, error) {
	fm := h.e.Registry.MustModel("authentik_flows.flow")
	switch flow[fm.MustColumn("authentication")] {
	case "require_unauthenticated":
		// The caller of this API is always authenticated.
		return "", false, nil
	case "require_superuser":
		if !p.Superuser {
			return "", false, nil
		}
	case "require_outpost":
		// Only an outpost's own request (its token header) satisfies this;
		// an API call on behalf of a user never does.
		return "", false, nil
	}
	user, err := h.policies.Directory.User(ctx, p.UserPK)
	if err != nil {
		return "", false, fmt.Errorf("load caller: %w", err)
	}
	res, err := h.policies.Evaluate(ctx, engine.PKText(flow[fm.MustColumn("policybindingmodel_ptr_id")]), &policies.Request{
		User: user, HTTP: httpRequest(r, user), SessionKey: p.SessionKey, NoCache: true, Context: map[string]any{},
	})
	if err != nil {
		return "", false, err
	}
	return strings.Join(res.Messages, "\n"), res.Passing, nil
}

// httpRequest is the request as policy expressions see it.
func httpRequest(r *http.Request, user *expression.User) *expression.HTTPRequest {
	scheme := "http"
	if strings.HasPrefix(engine.BaseURLFrom(r.Context()), "https://") {
		scheme = "https"
	}
	return &expression.HTTPRequest{Method: r.Method, Path: r.URL.Path, Scheme: scheme, Host: r.Host,
		Query: r.URL.Query(), Headers: r.Header.Clone(), ClientIP: api.ClientIP(r), User: user}
}
