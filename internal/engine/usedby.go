package engine

import (
	"context"
	"fmt"

	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// UsedBy is one object that references another, and what deleting the
// referenced object does to it.
type UsedBy struct {
	App       string `json:"app"`
	ModelName string `json:"model_name"`
	PK        string `json:"pk"`
	Name      string `json:"name"`
	Action    string `json:"action"`
}

var usedByAction = map[registry.OnDelete]string{
	registry.Cascade: "CASCADE", registry.SetNull: "SET_NULL", registry.SetDefault: "SET_DEFAULT",
	registry.Protect: "CASCADE",
}

// UsedByOf lists every object referencing the endpoint's object.
func (e *Engine) UsedByOf(ctx context.Context, ep *registry.Endpoint, lookup string) ([]UsedBy, error) {
	m, err := e.model(ep)
	if err != nil {
		return nil, err
	}
	out := []UsedBy{}
	err = e.Store.View(ctx, func(tx store.Tx) error {
		row, err := e.getRow(ctx, tx, m, ep, lookup)
		if err != nil {
			return err
		}
		concrete := e.concreteOf(m, row)
		// The object is reachable under its own pk and, through its
		// inheritance chain, under its ancestors' pks.
		targets := map[string]any{concrete.Name: row[m.PKColumn]}
		pk := row[m.PKColumn]
		cur := concrete
		for _, a := range concrete.Ancestors {
			if cur.ParentColumn != cur.PKColumn {
				rows, err := tx.Select(ctx, store.Query{Table: cur.Table, Columns: []string{cur.ParentColumn}, Where: store.Eq(cur.PKColumn, pk)})
				if err != nil {
					return err
				}
				if len(rows) == 0 || rows[0][cur.ParentColumn] == nil {
					break
				}
				pk = rows[0][cur.ParentColumn]
			}
			targets[a] = pk
			cur, _ = e.Registry.Model(a)
		}
		for _, ref := range e.Registry.ReferencesTo(concrete) {
			t := ref.Field.Ref
			if t == "" {
				t = ref.Field.M2M
			}
			pk, ok := targets[t]
			if !ok || ref.From.Abstract {
				continue
			}
			var rows []store.Row
			action := ""
			if ref.Field.Ref != "" {
				if !ref.Field.Stored() {
					continue
				}
				rows, err = tx.Select(ctx, store.Query{Table: ref.From.Table, Where: store.Eq(ref.Field.Column, pk), OrderBy: []store.Order{{Column: ref.From.PKColumn}}})
				action = usedByAction[ref.Field.OnDelete]
			} else {
				// Inherited sets live in the ancestor's join table; the
				// abstract ancestor itself is skipped above, so each object
				// is reported once, as its concrete kind.
				j, ok := e.Join(ref.From, ref.Field)
				if !ok {
					continue
				}
				rows, err = tx.Select(ctx, store.Query{Table: ref.From.Table, OrderBy: []store.Order{{Column: ref.From.PKColumn}},
					Where: store.InQueryCond{Column: ref.From.PKColumn, Query: store.Query{Table: j.Table, Columns: []string{j.Self}, Where: store.Eq(j.Other, pk)}}})
				action = "CASCADE_MANY"
			}
			if err != nil {
				return err
			}
			for _, r := range rows {
				out = append(out, UsedBy{App: ref.From.App(), ModelName: ref.From.ModelName(),
					PK: fmt.Sprint(r[ref.From.PKColumn]), Name: e.DisplayName(ref.From, r), Action: action})
			}
		}
		return nil
	})
	return out, err
}

// DisplayName renders a row like the model's __str__ (a Display hook of
// the model or an ancestor), else by its name, natural key or pk.
func (e *Engine) DisplayName(m *registry.Model, r store.Row) string {
	for _, name := range append([]string{m.Name}, m.Ancestors...) {
		if fn, ok := e.Hooks.Display[name]; ok {
			return fn(m, r)
		}
	}
	return fallbackName(m, r)
}

func fallbackName(m *registry.Model, r store.Row) string {
	for _, cand := range append([]string{"name", "username", "title", "identifier", "slug"}, m.NaturalKey...) {
		if f, ok := m.Field(cand); ok && f.Stored() {
			if v, ok := r[f.Column].(string); ok && v != "" {
				return v
			}
		}
	}
	return fmt.Sprint(r[m.PKColumn])
}
