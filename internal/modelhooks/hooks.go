package modelhooks

import (
	"context"
	"fmt"
	"time"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// Settings are the server values some hooks need.
type Settings struct {
	SecretKey string
}

// Register installs every hook on the engine.
func Register(e *engine.Engine, s Settings) {
	h := &hooks{e: e, s: s}
	h.writes()
	h.core()
	h.flows()
	h.crypto()
	h.providers()
	h.misc()
	h.more()
	h.filters()
	h.displays()
	h.outposts()
}

type hooks struct {
	e *engine.Engine
	s Settings
}

func (h *hooks) compute(key string, fn engine.ComputeFunc) { h.e.Hooks.Compute[key] = fn }

// computeBatch registers the batch form of a computed field, for fields
// that need a query: a list page then runs one query for the field.
func (h *hooks) computeBatch(key string, fn engine.BatchComputeFunc) {
	h.e.Hooks.ComputeBatch[key] = fn
}

// reads declares the fields (besides the pk) the hook under key reads from
// its rows, so that lists select only the columns they show (see
// engine.Hooks.Reads). A hook without a declaration makes its schema's
// lists select every column.
func (h *hooks) reads(key string, fields ...string) {
	if h.e.Hooks.Reads == nil {
		h.e.Hooks.Reads = map[string][]string{}
	}
	h.e.Hooks.Reads[key] = fields
}

// orderedSet registers under key a computed field listing, for each row,
// the valCol values of the rows of table whose keyCol holds the row's
// rowCol value and that match where, in order. It is a page query: a
// projection reads it together with the page's other reads.
func (h *hooks) orderedSet(key string, rowCol func(m *registry.Model) string, table, keyCol, valCol string, where store.Cond, order []store.Order) {
	h.e.Hooks.AddPageQuery(key, engine.PageQuery{
		RowColumn: rowCol,
		Query: func(m *registry.Model, match func(string) store.Cond) store.Query {
			return store.Query{Table: table, Columns: []string{keyCol, valCol},
				Where: store.And(match(keyCol), where), OrderBy: order}
		},
		Values: func(m *registry.Model, rows []store.Row, result []store.Row) ([]any, error) {
			by := map[any][]any{}
			for _, r := range result {
				k := r[keyCol]
				by[k] = append(by[k], r[valCol])
			}
			return perKey(rows, rowCol(m), by), nil
		},
	})
}

// pointedAt registers under key a computed field holding, for each row,
// the valCol of the first row of table (in order) whose keyCol holds the
// row's rowCol value, or missing. It is a page query of two columns: one
// read per page, which a retrieve on PostgreSQL folds into its lookup.
func (h *hooks) pointedAt(key string, rowCol func(m *registry.Model) string, table, keyCol, valCol string, order []store.Order, missing any) {
	h.e.Hooks.AddPageQuery(key, engine.PageQuery{
		RowColumn: rowCol,
		Query: func(m *registry.Model, match func(string) store.Cond) store.Query {
			return store.Query{Table: table, Columns: []string{keyCol, valCol}, Where: match(keyCol), OrderBy: order}
		},
		Values: func(m *registry.Model, rows []store.Row, result []store.Row) ([]any, error) {
			by, rc := firstBy(result, keyCol, valCol), rowCol(m)
			out := make([]any, len(rows))
			for i, r := range rows {
				out[i] = missing
				if v, ok := by[r[rc]]; ok {
					out[i] = v
				}
			}
			return out, nil
		},
	})
}

// firstBy maps each keyCol value of rows to the valCol of the first row
// holding it.
func firstBy(rows []store.Row, keyCol, valCol string) map[any]any {
	out := make(map[any]any, len(rows))
	for _, r := range rows {
		if _, seen := out[r[keyCol]]; !seen {
			out[r[keyCol]] = r[valCol]
		}
	}
	return out
}

// linkSets maps each from value of link rows to the set of to values
// linked to it (a many-to-many table's rows, or bindings).
func linkSets(links []store.Row, from, to string) map[any]map[any]bool {
	out := map[any]map[any]bool{}
	for _, l := range links {
		if out[l[from]] == nil {
			out[l[from]] = map[any]bool{}
		}
		out[l[from]][l[to]] = true
	}
	return out
}

// appsByProvider orders applications so the first of a provider's is the
// one authentik's one-to-one relation shows.
func (h *hooks) appsByProvider() []store.Order {
	apps := h.model("authentik_core.application")
	return []store.Order{{Column: col(apps, "provider")}, {Column: apps.PKColumn}}
}

// appSlugRead reads the provider and slug of the applications of the
// providers pks, in appsByProvider's order (firstBy picks each one's).
func (h *hooks) appSlugRead(pks []any) store.Query {
	apps := h.model("authentik_core.application")
	return store.Query{Table: apps.Table, Columns: []string{col(apps, "provider"), col(apps, "slug")},
		Where: store.InCond{Column: col(apps, "provider"), Values: pks}, OrderBy: h.appsByProvider()}
}

// pkColumn is a model's pk column, for page queries keyed by the row's pk.
func pkColumn(m *registry.Model) string { return m.PKColumn }

// byPK loads the rows of m whose pk is one of pks, keyed by pk.
func byPK(ctx context.Context, tx store.Tx, m *registry.Model, pks []any) (map[any]store.Row, error) {
	out := map[any]store.Row{}
	if len(pks) == 0 {
		return out, nil
	}
	rows, err := tx.Select(ctx, store.Query{Table: m.Table, Where: store.InCond{Column: m.PKColumn, Values: pks}})
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r[m.PKColumn]] = r
	}
	return out, nil
}

func (h *hooks) beforeWrite(model string, fn engine.WriteFunc) {
	h.e.Hooks.BeforeWrite[model] = append(h.e.Hooks.BeforeWrite[model], fn)
}

func (h *hooks) model(name string) *registry.Model {
	m, ok := h.e.Registry.Model(name)
	if !ok {
		panic("modelhooks: unknown model " + name)
	}
	return m
}

// col returns the column of a stored field.
func col(m *registry.Model, field string) string {
	return m.MustColumn(field)
}

func hasCol(m *registry.Model, field string) (string, bool) {
	f, ok := m.Field(field)
	if !ok || !f.Stored() {
		return "", false
	}
	return f.Column, true
}

func isEmpty(v any) bool {
	s, ok := v.(string)
	return v == nil || ok && s == ""
}

// TokenDuration is authentik's default_token_duration: 30 minutes.
const TokenDuration = 30 * time.Minute

// writes installs the values models generate on save.
func (h *hooks) writes() {
	// ExpiringModel: expires defaults to now + 30 minutes.
	h.beforeWrite("*", func(ctx context.Context, tx store.Tx, m *registry.Model, old, row store.Row, body engine.Object) error {
		if old != nil {
			return nil
		}
		if c, ok := hasCol(m, "expires"); ok && row[c] == nil {
			if _, expiring := hasCol(m, "expiring"); expiring {
				row[c] = store.NowUTC(h.e.Now().Add(TokenDuration))
			}
		}
		return nil
	})
	h.beforeWrite("authentik_core.token", func(ctx context.Context, tx store.Tx, m *registry.Model, old, row store.Row, body engine.Object) error {
		if old == nil && isEmpty(row[col(m, "key")]) {
			row[col(m, "key")] = engine.RandomString(128, engine.Alphanumeric)
		}
		return nil
	})
	h.beforeWrite("authentik_core.user", func(ctx context.Context, tx store.Tx, m *registry.Model, old, row store.Row, body engine.Object) error {
		if old != nil {
			return nil
		}
		now := store.NowUTC(h.e.Now())
		if c, ok := hasCol(m, "password"); ok && isEmpty(row[c]) {
			row[c] = "!" + engine.RandomString(40, engine.Alphanumeric)
		}
		for _, f := range []string{"date_joined", "password_change_date"} {
			if c, ok := hasCol(m, f); ok && row[c] == nil {
				row[c] = now
			}
		}
		if c, ok := hasCol(m, "uuid"); ok && row[c] == nil {
			row[c] = h.e.NewUUID()
		}
		return nil
	})
	// generated: values akserver makes for a field left empty on create
	// (a client may set client_secret empty later: a public client). A
	// field no request writes (unwritten) is also made on an update of a
	// row stored without it: a proxy provider made before akserver
	// generated cookie secrets, which the proxy outpost cannot do without.
	type generatedValue struct {
		n         int
		alphabet  string
		unwritten bool
	}
	// authentik's get_cookie_secret draws from upper-case letters and digits.
	cookieSecret := generatedValue{n: 32, alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", unwritten: true}
	generated := map[string]map[string]generatedValue{
		"authentik_providers_oauth2.oauth2provider": {"client_id": {n: 40}, "client_secret": {n: 128}},
		// Proxy providers are OAuth2 providers underneath.
		"authentik_providers_proxy.proxyprovider":   {"client_id": {n: 40}, "client_secret": {n: 128}, "cookie_secret": cookieSecret},
		"authentik_providers_radius.radiusprovider": {"shared_secret": {n: 128}},
		"authentik_sources_plex.plexsource":         {"client_id": {n: 40}},
	}
	for model, fields := range generated {
		h.beforeWrite(model, func(ctx context.Context, tx store.Tx, m *registry.Model, old, row store.Row, body engine.Object) error {
			for f, g := range fields {
				c, ok := hasCol(m, f)
				if !ok || !isEmpty(row[c]) || old != nil && (!g.unwritten || !isEmpty(old[c])) {
					continue
				}
				alphabet := g.alphabet
				if alphabet == "" {
					alphabet = engine.Alphanumeric
				}
				row[c] = engine.RandomString(g.n, alphabet)
			}
			return nil
		})
	}
	// Invitations record who created them.
	h.beforeWrite("authentik_stages_invitation.invitation", func(ctx context.Context, tx store.Tx, m *registry.Model, old, row store.Row, body engine.Object) error {
		if c, ok := hasCol(m, "created_by"); ok && old == nil && row[c] == nil {
			if a, ok := engine.ActorFrom(ctx); ok {
				row[c] = a.UserPK
			}
		}
		return nil
	})
}

func str(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v // most are; fmt.Sprint was a third of a flow's export_url
	}
	return fmt.Sprint(v)
}
