package providers

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/google/uuid"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/slug"
	"github.com/akgo/akgo/internal/store"
)

// handlers holds the server every action reaches the store through.
type handlers struct {
	s *api.Server
}

// model returns a registry model; a missing one is a programming error
// that the package tests catch.
func (h *handlers) model(name string) *registry.Model {
	m, ok := h.s.Engine.Registry.Model(name)
	if !ok {
		panic("providers: unknown model " + name)
	}
	return m
}

// endpoint returns a registry endpoint by its list path.
func (h *handlers) endpoint(path string) *registry.Endpoint {
	ep, ok := h.s.Engine.Registry.Endpoint(path)
	if !ok {
		panic("providers: unknown endpoint " + path)
	}
	return ep
}

// col returns the column of a stored field.
func col(m *registry.Model, field string) string {
	return m.MustColumn(field)
}

func str(v any) string {
	if v == nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

func boolean(v any) bool {
	b, _ := v.(bool)
	return b
}

func notFound() error { return &engine.NotFoundError{Detail: "Not found."} }

// findRow loads the row whose field equals the raw path value. A value that
// cannot be of the field's kind (a non-numeric id) is a 404, as in DRF.
func findRow(ctx context.Context, tx store.Tx, m *registry.Model, field, raw string) (store.Row, error) {
	column, kind := m.PKColumn, m.PKKind
	if field != "pk" {
		f, ok := m.Field(field)
		if !ok || !f.Stored() {
			return nil, fmt.Errorf("%s has no stored field %s", m.Name, field)
		}
		column, kind = f.Column, f.Kind
	}
	var value any = raw
	switch kind {
	case registry.KindInt:
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return nil, notFound()
		}
		value = n
	case registry.KindUUID:
		u, err := uuid.Parse(raw)
		if err != nil {
			return nil, notFound()
		}
		value = u.String()
	}
	rows, err := tx.Select(ctx, store.Query{Table: m.Table, Where: store.Eq(column, value), Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("load %s %q: %w", m.Name, raw, err)
	}
	if len(rows) == 0 {
		return nil, notFound()
	}
	return rows[0], nil
}

// byPK loads one row by primary key; nil when the key is nil or missing.
func byPK(ctx context.Context, tx store.Tx, m *registry.Model, pk any) (store.Row, error) {
	if pk == nil {
		return nil, nil
	}
	rows, err := tx.Select(ctx, store.Query{Table: m.Table, Where: store.Eq(m.PKColumn, pk), Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("load %s %v: %w", m.Name, pk, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return rows[0], nil
}

// applicationOf returns the application a provider is assigned to (nil
// when none): applications point at the provider's base row, whose pk the
// concrete provider shares.
func (h *handlers) applicationOf(ctx context.Context, tx store.Tx, providerPK any) (store.Row, error) {
	apps := h.model("authentik_core.application")
	rows, err := tx.Select(ctx, store.Query{Table: apps.Table, Where: store.Eq(col(apps, "provider"), providerPK), Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("load application of provider %v: %w", providerPK, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return rows[0], nil
}

// concreteRow resolves a family base row (a source read through
// /sources/all/) to its concrete model and row by following the parent
// links down from the base.
func (h *handlers) concreteRow(ctx context.Context, tx store.Tx, base *registry.Model, row store.Row) (*registry.Model, store.Row, error) {
	name, _ := row[engine.ModelColumn].(string)
	cm, ok := h.s.Engine.Registry.Model(name)
	if !ok || cm.Name == base.Name {
		return base, row, nil
	}
	chain := []*registry.Model{cm}
	for _, a := range cm.Ancestors {
		if a == base.Name {
			break
		}
		chain = append(chain, h.model(a))
	}
	key, cur := row[base.PKColumn], row
	for i := len(chain) - 1; i >= 0; i-- {
		c := chain[i]
		rows, err := tx.Select(ctx, store.Query{Table: c.Table, Where: store.Eq(c.ParentColumn, key), Limit: 1})
		if err != nil {
			return nil, nil, fmt.Errorf("load %s of %s %v: %w", c.Name, base.Name, key, err)
		}
		if len(rows) == 0 {
			return nil, nil, notFound()
		}
		cur, key = rows[0], rows[0][c.PKColumn]
	}
	return cm, cur, nil
}

// setFields writes server-managed fields (read-only in the API, such as an
// uploaded icon) on a concrete object and on each ancestor row that keeps a
// copy, then runs the engine's after-write hooks so the change is audited
// like any other update. set maps field names to column values.
func (h *handlers) setFields(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, set map[string]any) error {
	pk := row[m.PKColumn]
	cur, level := row, m
	for {
		values := store.Row{}
		for name, v := range set {
			if f, ok := level.Field(name); ok && f.Stored() {
				values[f.Column] = v
			}
		}
		if f, ok := level.Field("last_updated"); ok && f.Stored() {
			values[f.Column] = store.NowUTC(h.s.Engine.Now())
		}
		if len(values) > 0 {
			if _, err := tx.UpdateWhere(ctx, level.Table, store.Eq(level.PKColumn, cur[level.PKColumn]), values); err != nil {
				return fmt.Errorf("update %s: %w", level.Name, err)
			}
		}
		if level.Parent == "" {
			break
		}
		parent := h.model(level.Parent)
		next, err := byPK(ctx, tx, parent, cur[level.ParentColumn])
		if err != nil {
			return err
		}
		if next == nil {
			break
		}
		cur, level = next, parent
	}
	after, err := byPK(ctx, tx, m, pk)
	if err != nil {
		return err
	}
	for _, hook := range h.s.Engine.Hooks.AfterWrite {
		if err := hook(ctx, tx, "update", m, row, after); err != nil {
			return err
		}
	}
	return nil
}

// slugify is Django's slugify without allow_unicode: authentik names
// system tasks after slugified object names ("scim_sync:my-provider").
func slugify(s string) string { return slug.Make(s) }

// taskRows projects system task rows as the API's Task objects.
func (h *handlers) taskRows(ctx context.Context, tx store.Tx, rows []store.Row) ([]engine.Object, error) {
	tasks := h.model("authentik_events.systemtask")
	if len(rows) == 0 {
		return []engine.Object{}, nil
	}
	return h.s.Engine.Project(ctx, tx, tasks, "Task", rows)
}

// requireOn checks a permission globally or on one object, like
// authentik's permission_required on a detail action.
func requireOn(r *http.Request, perm string, pk any) error {
	return api.Require(r.Context(), perm, engine.PKText(pk))
}

// checkView hides an object the caller may not view: authentik's detail
// actions find it through a queryset filtered by the view permission, so
// for such a caller it does not exist (404).
func checkView(r *http.Request, m *registry.Model, pk any) error {
	if _, ok := api.PrincipalFrom(r.Context()); !ok {
		return api.Errorf(http.StatusForbidden, "Authentication credentials were not provided.")
	}
	if err := requireOn(r, m.App()+".view_"+m.ModelName(), pk); err != nil {
		return notFound()
	}
	return nil
}
