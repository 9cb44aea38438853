package policies

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// record reads a stored row through its model's field names, so the code
// here speaks authentik's field names and the registry owns the columns.
type record struct {
	m   *registry.Model
	row store.Row
}

func (r record) value(field string) any {
	f, ok := r.m.Field(field)
	if !ok || !f.Stored() {
		if field == "pk" {
			return r.row[r.m.PKColumn]
		}
		return nil
	}
	return r.row[f.Column]
}

func (r record) str(field string) string {
	s, _ := r.value(field).(string)
	return s
}

func (r record) bool(field string) bool {
	b, _ := r.value(field).(bool)
	return b
}

func (r record) int(field string) int64 {
	switch x := r.value(field).(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	}
	return 0
}

func (r record) time(field string) time.Time {
	t, _ := r.value(field).(time.Time)
	return t
}

// json decodes a JSON column into plain Go values (nil when unset).
func (r record) json(field string) (any, error) {
	switch x := r.value(field).(type) {
	case json.RawMessage:
		var v any
		if len(x) == 0 {
			return nil, nil
		}
		if err := json.Unmarshal(x, &v); err != nil {
			return nil, fmt.Errorf("decode %s.%s: %w", r.m.Name, field, err)
		}
		return v, nil
	case []byte:
		var v any
		if err := json.Unmarshal(x, &v); err != nil {
			return nil, fmt.Errorf("decode %s.%s: %w", r.m.Name, field, err)
		}
		return v, nil
	case nil:
		return nil, nil
	default:
		return x, nil
	}
}

func (r record) object(field string) (map[string]any, error) {
	v, err := r.json(field)
	if err != nil {
		return nil, err
	}
	m, _ := v.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}

// binding is one policybinding row.
type binding struct {
	record
	PK            string
	Target        string
	Policy        string
	Group         string
	User          int64
	Order         int64
	Negate        bool
	Enabled       bool
	Timeout       int64
	FailureResult bool
}

// policy is a concrete policy: its kind and its configuration row.
type policy struct {
	record
	PK               string
	Name             string
	Model            string
	ExecutionLogging bool
}

func (e *Engine) model(name string) (*registry.Model, error) {
	m, ok := e.Core.Registry.Model(name)
	if !ok {
		return nil, fmt.Errorf("model %s is not registered", name)
	}
	return m, nil
}

func newBinding(m *registry.Model, row store.Row) *binding {
	r := record{m, row}
	return &binding{record: r, PK: r.str("pk"), Target: r.str("target"), Policy: r.str("policy"), Group: r.str("group"),
		User: r.int("user"), Order: r.int("order"), Negate: r.bool("negate"), Enabled: r.bool("enabled"),
		Timeout: r.int("timeout"), FailureResult: r.bool("failure_result")}
}

// loadBindings returns the target's engine mode and its enabled bindings
// in order.
func (e *Engine) loadBindings(ctx context.Context, tx store.Tx, target string) (string, []*binding, error) {
	pbm, err := e.model("authentik_policies.policybindingmodel")
	if err != nil {
		return "", nil, err
	}
	bm, err := e.model("authentik_policies.policybinding")
	if err != nil {
		return "", nil, err
	}
	mode := "any"
	rows, err := tx.Select(ctx, store.Query{Table: pbm.Table, Where: store.Eq(pbm.PKColumn, target), Limit: 1})
	if err != nil {
		return "", nil, fmt.Errorf("load policy binding model %s: %w", target, err)
	}
	if len(rows) > 0 {
		if m := (record{pbm, rows[0]}).str("policy_engine_mode"); m != "" {
			mode = m
		}
	}
	rows, err = tx.Select(ctx, store.Query{Table: bm.Table,
		Where:   store.And(store.Eq(column(bm, "target"), target), store.Eq(column(bm, "enabled"), true)),
		OrderBy: []store.Order{{Column: column(bm, "order")}, {Column: bm.PKColumn}}})
	if err != nil {
		return "", nil, fmt.Errorf("load bindings of %s: %w", target, err)
	}
	out := make([]*binding, len(rows))
	for i, row := range rows {
		out[i] = newBinding(bm, row)
	}
	return mode, out, nil
}

func column(m *registry.Model, field string) string {
	f, ok := m.Field(field)
	if !ok {
		return field
	}
	return f.Column
}

// loadPolicies reads the concrete rows of the given policies: the family
// table names each one's kind, then one query per kind.
func (e *Engine) loadPolicies(ctx context.Context, tx store.Tx, pks []string) (map[string]*policy, error) {
	out := map[string]*policy{}
	if len(pks) == 0 {
		return out, nil
	}
	base, err := e.model("authentik_policies.policy")
	if err != nil {
		return nil, err
	}
	vals := make([]any, len(pks))
	for i, pk := range pks {
		vals[i] = pk
	}
	rows, err := tx.Select(ctx, store.Query{Table: base.Table, Columns: []string{base.PKColumn, engine.ModelColumn},
		Where: store.InCond{Column: base.PKColumn, Values: vals}})
	if err != nil {
		return nil, fmt.Errorf("load policies: %w", err)
	}
	byKind := map[string][]any{}
	for _, row := range rows {
		kind, _ := row[engine.ModelColumn].(string)
		byKind[kind] = append(byKind[kind], row[base.PKColumn])
	}
	for kind, ids := range byKind {
		m, err := e.model(kind)
		if err != nil {
			return nil, err
		}
		rows, err := tx.Select(ctx, store.Query{Table: m.Table, Where: store.InCond{Column: m.PKColumn, Values: ids}})
		if err != nil {
			return nil, fmt.Errorf("load %s policies: %w", kind, err)
		}
		for _, row := range rows {
			r := record{m, row}
			p := &policy{record: r, PK: r.str("pk"), Name: r.str("name"), Model: kind, ExecutionLogging: r.bool("execution_logging")}
			out[p.PK] = p
		}
	}
	return out, nil
}

// PolicyByPK loads one concrete policy; nil when it does not exist.
func (e *Engine) policyByPK(ctx context.Context, pk string) (*policy, error) {
	var p *policy
	err := e.Core.Store.View(ctx, func(tx store.Tx) error {
		ps, err := e.loadPolicies(ctx, tx, []string{pk})
		p = ps[pk]
		return err
	})
	return p, err
}

// policyByName loads a policy by its unique name; nil when none.
func (e *Engine) policyByName(ctx context.Context, name string) (*policy, error) {
	base, err := e.model("authentik_policies.policy")
	if err != nil {
		return nil, err
	}
	var p *policy
	err = e.Core.Store.View(ctx, func(tx store.Tx) error {
		rows, err := tx.Select(ctx, store.Query{Table: base.Table, Columns: []string{base.PKColumn}, Where: store.Eq(column(base, "name"), name), Limit: 1})
		if err != nil || len(rows) == 0 {
			return err
		}
		pk, _ := rows[0][base.PKColumn].(string)
		ps, err := e.loadPolicies(ctx, tx, []string{pk})
		p = ps[pk]
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("load policy %q: %w", name, err)
	}
	return p, nil
}
