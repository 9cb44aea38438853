package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// DefaultPageSize is authentik's REST_FRAMEWORK PAGE_SIZE.
const DefaultPageSize = 100

// Page is one page of a list.
type Page struct {
	Results    []Object
	Count      int64
	Current    int
	TotalPages int
	PageSize   int
}

// Pagination renders authentik's pagination block.
func (p *Page) Pagination() Object {
	next, prev := 0, 0
	if p.Current < p.TotalPages {
		next = p.Current + 1
	}
	if p.Current > 1 {
		prev = p.Current - 1
	}
	start, end := 0, 0
	if p.Count > 0 {
		start = (p.Current-1)*p.PageSize + 1
		end = start + len(p.Results) - 1
	}
	return Object{"next": next, "previous": prev, "count": p.Count, "current": p.Current,
		"total_pages": p.TotalPages, "start_index": start, "end_index": end}
}

// tableOf returns the table an endpoint reads: the family base for "/all/"
// endpoints, else the model's own.
func (e *Engine) lookupCond(m *registry.Model, ep *registry.Endpoint, value string) (store.Cond, bool) {
	col, kind := m.PKColumn, m.PKKind
	if ep.LookupField != "" && ep.LookupField != "pk" {
		f, ok := m.Field(ep.LookupField)
		if !ok || !f.Stored() {
			return nil, false
		}
		col, kind = f.Column, f.Kind
	}
	v, msg := fromJSON(kind, value)
	if msg != "" {
		return nil, false
	}
	return store.Eq(col, v), true
}

// rowQuery is the read of the stored row an endpoint's lookup value
// designates (ok false: the value cannot designate one).
func (e *Engine) rowQuery(ctx context.Context, m *registry.Model, ep *registry.Endpoint, lookup string) (store.Query, bool) {
	cond, ok := e.lookupCond(m, ep, lookup)
	if !ok {
		return store.Query{}, false
	}
	if sc := e.scopeOf(ctx, m); sc != nil {
		cond = store.And(cond, sc)
	}
	return store.Query{Table: m.Table, Where: cond, Limit: 2}, true
}

// getRow loads the stored row an endpoint's lookup value designates.
func (e *Engine) getRow(ctx context.Context, tx store.Tx, m *registry.Model, ep *registry.Endpoint, lookup string) (store.Row, error) {
	q, ok := e.rowQuery(ctx, m, ep, lookup)
	if !ok {
		return nil, notFound()
	}
	rows, err := tx.Select(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("load %s %q: %w", m.Name, lookup, err)
	}
	if len(rows) == 0 {
		return nil, notFound()
	}
	return rows[0], nil
}

// Lookup returns the stored row an endpoint's lookup value designates
// (within the caller's scope).
func (e *Engine) Lookup(ctx context.Context, ep *registry.Endpoint, lookup string) (store.Row, error) {
	m, err := e.model(ep)
	if err != nil {
		return nil, err
	}
	var row store.Row
	err = e.Store.View(ctx, func(tx store.Tx) error {
		row, err = e.getRow(ctx, tx, m, ep, lookup)
		return err
	})
	return row, err
}

// PKText renders a pk value as object permissions store it.
func PKText(v any) string { return fmt.Sprint(v) }

// ParsePK converts a pk text to the model's pk value.
func ParsePK(m *registry.Model, s string) (any, bool) {
	v, msg := fromJSON(m.PKKind, s)
	return v, msg == ""
}

// Retrieve returns one object.
func (e *Engine) Retrieve(ctx context.Context, ep *registry.Endpoint, lookup string) (Object, error) {
	m, err := e.model(ep)
	if err != nil {
		return nil, err
	}
	q, ok := e.rowQuery(ctx, m, ep, lookup)
	if !ok {
		return nil, notFound()
	}
	var out Object
	// Like authentik's (Django's autocommit) reads, the row and what the
	// projection reads with it need no one snapshot: each read sees what
	// was committed when it ran. On PostgreSQL that spares the BEGIN and
	// COMMIT, two of the five statements a retrieve sent.
	err = e.Store.ViewCommitted(ctx, func(tx store.Tx) error {
		row, pre, err := e.retrieveRow(ctx, tx, m, ep.Schema, q)
		if err != nil {
			return fmt.Errorf("load %s %q: %w", m.Name, lookup, err)
		}
		if row == nil {
			return notFound()
		}
		objs, err := e.projectFetched(ctx, tx, m, ep.Schema, []store.Row{row}, 0, pre)
		if err != nil {
			return err
		}
		out = objs[0]
		return nil
	})
	return out, err
}

// CountedTables lists the tables whose whole row count list pages read
// (the table of each listed endpoint's model): those a store should keep
// counts of (store.Store.KeepCounts). Others, such as many-to-many join
// tables, are never counted whole, and keeping their counts would only
// slow their writes.
func (e *Engine) CountedTables() []string {
	seen := map[string]bool{}
	var out []string
	for _, ep := range e.Registry.Endpoints {
		if _, ok := ep.Ops[registry.OpList]; !ok {
			continue
		}
		if m, err := e.model(ep); err == nil && !seen[m.Table] {
			seen[m.Table] = true
			out = append(out, m.Table)
		}
	}
	slices.Sort(out)
	return out
}

// List returns one page of an endpoint's objects for the query parameters.
func (e *Engine) List(ctx context.Context, ep *registry.Endpoint, params url.Values) (*Page, error) {
	m, err := e.model(ep)
	if err != nil {
		return nil, err
	}
	cond, err := e.listCond(ctx, m, ep, params)
	if err != nil {
		return nil, err
	}
	order := e.ordering(m, params.Get("ordering"))
	pageSize := DefaultPageSize
	if s := params.Get("page_size"); s != "" {
		n, err := strconv.Atoi(s)
		if err == nil && n > 0 {
			pageSize = n
		}
	}
	page := 1
	if s := params.Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return nil, &NotFoundError{Detail: "Invalid page."}
		}
		page = n
	}
	p := &Page{Current: page, PageSize: pageSize}
	err = e.Store.ViewCommitted(ctx, func(tx store.Tx) error {
		q := store.Query{Table: m.Table, Where: cond}
		// The count and the page are read together (one round trip on
		// PostgreSQL); a page past the end is then found empty and
		// answered 404 as DRF does. As in DRF they are two statements,
		// each seeing what was committed when it ran (ViewCommitted).
		pq := q
		pq.OrderBy, pq.Limit, pq.Offset = order, pageSize, (page-1)*pageSize
		// Only what the projection reads: a user's password, names and
		// dates were decoded on every row and never shown.
		pq.Columns = e.selectColumns(ep.Schema, m)
		res, err := tx.ReadMany(ctx, []store.Read{{Query: q, Count: true}, {Query: pq}})
		if err != nil {
			return err
		}
		n, rows := res[0].N, res[1].Rows
		p.Count = n
		p.TotalPages = int(math.Max(1, math.Ceil(float64(n)/float64(pageSize))))
		if page > p.TotalPages {
			return &NotFoundError{Detail: "Invalid page."}
		}
		p.Results, err = e.Project(ctx, tx, m, ep.Schema, rows)
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// ListAll returns every object matching the parameters, unpaginated.
func (e *Engine) ListAll(ctx context.Context, ep *registry.Endpoint, params url.Values) ([]Object, error) {
	m, err := e.model(ep)
	if err != nil {
		return nil, err
	}
	cond, err := e.listCond(ctx, m, ep, params)
	if err != nil {
		return nil, err
	}
	var out []Object
	err = e.Store.ViewCommitted(ctx, func(tx store.Tx) error {
		rows, err := tx.Select(ctx, store.Query{Table: m.Table, Where: cond, OrderBy: e.ordering(m, params.Get("ordering"))})
		if err != nil {
			return err
		}
		out, err = e.Project(ctx, tx, m, ep.Schema, rows)
		return err
	})
	return out, err
}

// ordering turns ?ordering=a,-b into columns, keeping only allowed fields
// (DRF ignores the others), then the default ordering and the pk.
func (e *Engine) ordering(m *registry.Model, param string) []store.Order {
	var out []store.Order
	seen := map[string]bool{}
	add := func(name string) {
		desc := strings.HasPrefix(name, "-")
		name = strings.TrimPrefix(name, "-")
		col := e.columnFor(m, name)
		if col == "" || seen[col] {
			return
		}
		seen[col] = true
		out = append(out, store.Order{Column: col, Desc: desc})
	}
	for _, part := range strings.Split(param, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name := strings.TrimPrefix(part, "-")
		if len(m.Ordering) > 0 && !contains(m.Ordering, name) && name != "pk" {
			continue
		}
		add(part)
	}
	for _, d := range m.DefaultOrdering {
		add(d)
	}
	if t := e.table(m); t != nil {
		return SortKey(t, out)
	}
	add(m.PKColumn)
	return out
}

// columnFor resolves a field name, alias or column name to a column of m.
func (e *Engine) columnFor(m *registry.Model, name string) string {
	if a, ok := m.Aliases[name]; ok {
		name = a
	}
	if name == "pk" || name == m.PKColumn {
		return m.PKColumn
	}
	if f, ok := m.Field(name); ok && f.Stored() {
		return f.Column
	}
	if f, ok := m.FieldByColumn(name); ok {
		return f.Column
	}
	if m.ParentColumn == name {
		return name
	}
	return ""
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// listCond combines filters and search into one condition.
func (e *Engine) listCond(ctx context.Context, m *registry.Model, ep *registry.Endpoint, params url.Values) (store.Cond, error) {
	var conds []store.Cond
	verr := &ValidationError{}
	for _, f := range ep.Filters {
		vals, ok := params[f.Param]
		if !ok || len(vals) == 0 {
			continue
		}
		if !f.Multi && len(vals) > 0 && vals[len(vals)-1] == "" && f.Lookup != "isnull" {
			continue
		}
		if hook, ok := e.Hooks.Filters[ep.Path+":"+f.Param]; ok {
			c, err := hook(ctx, m, vals)
			if err != nil {
				if v, ok := AsValidation(err); ok {
					mergeValidation(verr, v)
					continue
				}
				return nil, err
			}
			conds = append(conds, c)
			continue
		}
		c, err := e.filterCond(m, f, vals)
		if err != nil {
			if v, ok := AsValidation(err); ok {
				mergeValidation(verr, v)
				continue
			}
			return nil, err
		}
		conds = append(conds, c)
	}
	if !verr.Empty() {
		return nil, verr
	}
	if s := strings.TrimSpace(params.Get("search")); s != "" {
		var or store.OrCond
		for _, path := range e.searchFields(m) {
			c, err := e.pathCond(m, strings.Split(path, "__"), "icontains", registry.KindString, []string{s})
			if err == nil && c != nil {
				or = append(or, c)
			}
		}
		if len(or) == 0 {
			conds = append(conds, store.FalseCond{})
		} else {
			conds = append(conds, or)
		}
	}
	if sc := e.scopeOf(ctx, m); sc != nil {
		conds = append(conds, sc)
	}
	if len(conds) == 0 {
		return nil, nil
	}
	return store.And(conds...), nil
}

func mergeValidation(dst, src *ValidationError) {
	for k, msgs := range src.Fields {
		for _, msg := range msgs {
			dst.Add(k, msg)
		}
	}
	dst.NonField = append(dst.NonField, src.NonField...)
}

// searchFields are the model's search fields, or its stored text fields.
func (e *Engine) searchFields(m *registry.Model) []string {
	if len(m.Search) > 0 {
		return m.Search
	}
	var out []string
	for i := range m.Fields {
		f := &m.Fields[i]
		if f.Stored() && !f.Hidden && f.Kind == registry.KindString && f.Ref == "" {
			out = append(out, f.Name)
		}
	}
	return out
}

// filterCond builds the condition of one declared filter parameter.
func (e *Engine) filterCond(m *registry.Model, f registry.Filter, vals []string) (store.Cond, error) {
	if f.Multi && f.Lookup == "in" {
		var all []string
		for _, v := range vals {
			all = append(all, v)
		}
		vals = all
	} else {
		vals = vals[len(vals)-1:]
		if f.Lookup == "in" {
			vals = strings.Split(vals[0], ",")
		}
	}
	path := f.Path
	if a, ok := m.Aliases[path]; ok {
		path = a
	}
	c, err := e.pathCond(m, strings.Split(path, "__"), f.Lookup, f.Kind, vals)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, fmt.Errorf("filter %s: path %q does not resolve on %s and has no hook", f.Param, f.Path, m.Name)
	}
	return c, nil
}

// PathCond resolves a Django lookup path ("groups__name") on m and
// compares it with vals using lookup ("exact", "in", "icontains", ...).
// It returns (nil, nil) when the path does not resolve.
func (e *Engine) PathCond(m *registry.Model, path string, lookup string, kind registry.Kind, vals []string) (store.Cond, error) {
	return e.pathCond(m, strings.Split(path, "__"), lookup, kind, vals)
}

func (e *Engine) pathCond(m *registry.Model, path []string, lookup string, kind registry.Kind, vals []string) (store.Cond, error) {
	name := path[0]
	if a, ok := m.Aliases[name]; ok {
		name = a
	}
	var f *registry.Field
	if ff, ok := m.Field(name); ok {
		f = ff
	} else if ff, ok := m.FieldByColumn(name); ok {
		f = ff
	}
	col := ""
	fkind := kind
	if name == "pk" || name == m.PKColumn {
		col, fkind = m.PKColumn, m.PKKind
	} else if name == m.ParentColumn && m.ParentColumn != "" {
		col, fkind = m.ParentColumn, registry.KindUUID
	} else if f == nil {
		return nil, nil
	}
	if f != nil && col == "" {
		switch {
		case f.M2M != "":
			j, ok := e.Join(m, f)
			if !ok {
				return nil, nil
			}
			if lookup == "isnull" && len(path) == 1 {
				isNull, err := parseBool(path[0], vals[0])
				if err != nil {
					return nil, err
				}
				c := store.InQueryCond{Column: m.PKColumn, Query: store.Query{Table: j.Table, Columns: []string{j.Self}, Distinct: true}}
				if isNull {
					return store.NotCond{Cond: c}, nil
				}
				return c, nil
			}
			var inner store.Cond
			if len(path) == 1 {
				vs, err := parseValues(f.Name, j.Target.PKKind, vals)
				if err != nil {
					return nil, err
				}
				inner = store.InCond{Column: j.Other, Values: vs}
			} else {
				tc, err := e.pathCond(j.Target, path[1:], lookup, kind, vals)
				if err != nil || tc == nil {
					return tc, err
				}
				inner = store.InQueryCond{Column: j.Other, Query: store.Query{Table: j.Target.Table, Columns: []string{j.Target.PKColumn}, Where: tc}}
			}
			return store.InQueryCond{Column: m.PKColumn, Query: store.Query{Table: j.Table, Columns: []string{j.Self}, Where: inner, Distinct: true}}, nil
		case f.Stored():
			col, fkind = f.Column, f.Kind
			if f.Ref != "" && len(path) > 1 {
				target, ok := e.Registry.Model(f.Ref)
				if !ok {
					return nil, nil
				}
				tc, err := e.pathCond(target, path[1:], lookup, kind, vals)
				if err != nil || tc == nil {
					return tc, err
				}
				return store.InQueryCond{Column: col, Query: store.Query{Table: target.Table, Columns: []string{target.PKColumn}, Where: tc}}, nil
			}
			if f.Kind == registry.KindJSON && len(path) > 1 {
				return store.JSONPathCond{Column: col, Path: path[1:], Value: vals[0]}, nil
			}
		default:
			return nil, nil
		}
	}
	if len(path) > 1 {
		return nil, nil
	}
	return compare(path[0], col, fkind, lookup, vals)
}

// compare builds the condition for one column and lookup.
func compare(field, col string, kind registry.Kind, lookup string, vals []string) (store.Cond, error) {
	switch lookup {
	case "isnull":
		b, err := parseBool(field, vals[0])
		if err != nil {
			return nil, err
		}
		return store.NullCond{Column: col, IsNull: b}, nil
	case "icontains", "contains", "iexact", "startswith", "istartswith":
		mode := map[string]string{"icontains": "contains", "contains": "contains", "iexact": "exact", "startswith": "prefix", "istartswith": "prefix"}[lookup]
		if kind != registry.KindString && kind != registry.KindJSON && lookup == "iexact" {
			vs, err := parseValues(field, kind, vals)
			if err != nil {
				return nil, err
			}
			return store.Eq(col, vs[0]), nil
		}
		return store.LikeCond{Column: col, Pattern: vals[0], Mode: mode, Fold: strings.HasPrefix(lookup, "i")}, nil
	case "in":
		vs, err := parseValues(field, kind, vals)
		if err != nil {
			return nil, err
		}
		return store.InCond{Column: col, Values: vs}, nil
	case "gt", "gte", "lt", "lte":
		vs, err := parseValues(field, kind, vals)
		if err != nil {
			return nil, err
		}
		op := map[string]string{"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[lookup]
		return store.CmpCond{Column: col, Op: op, Value: vs[0]}, nil
	}
	if kind == registry.KindJSON {
		var v any
		if err := json.Unmarshal([]byte(vals[0]), &v); err != nil {
			v = vals[0]
		}
		return store.JSONContainsCond{Column: col, Value: v}, nil
	}
	vs, err := parseValues(field, kind, vals)
	if err != nil {
		return nil, err
	}
	return store.Eq(col, vs[0]), nil
}

// ParseBool parses a boolean query value as django-filter does.
func ParseBool(field, s string) (bool, error) { return parseBool(field, s) }

func parseBool(field, s string) (bool, error) {
	switch strings.ToLower(s) {
	case "true", "1", "yes", "on":
		return true, nil
	case "false", "0", "no", "off":
		return false, nil
	}
	return false, Invalid(field, "Enter a valid boolean.")
}

func parseValues(field string, kind registry.Kind, vals []string) ([]any, error) {
	out := make([]any, 0, len(vals))
	for _, s := range vals {
		if kind == registry.KindBool {
			b, err := parseBool(field, s)
			if err != nil {
				return nil, err
			}
			out = append(out, b)
			continue
		}
		var in any = s
		if kind == registry.KindJSON {
			kind = registry.KindString
		}
		v, msg := fromJSON(kind, in)
		if msg != "" {
			switch kind {
			case registry.KindUUID:
				msg = "Enter a valid UUID."
			case registry.KindInt:
				msg = "Enter a number."
			}
			return nil, Invalid(field, msg)
		}
		out = append(out, v)
	}
	return out, nil
}

// Project builds the API objects of rows of model m as schema describes.
func (e *Engine) Project(ctx context.Context, tx store.Tx, m *registry.Model, schemaName string, rows []store.Row) ([]Object, error) {
	return e.project(ctx, tx, m, schemaName, rows, 0)
}

func (e *Engine) project(ctx context.Context, tx store.Tx, m *registry.Model, schemaName string, rows []store.Row, depth int) ([]Object, error) {
	return e.projectFetched(ctx, tx, m, schemaName, rows, depth, nil)
}

// projectFetched is project with what retrieveRow read ahead for rows
// (nil: nothing).
func (e *Engine) projectFetched(ctx context.Context, tx store.Tx, m *registry.Model, schemaName string, rows []store.Row, depth int, pre *fetched) ([]Object, error) {
	plan, err := e.projection(schemaName, m)
	if err != nil {
		return nil, err
	}
	// sets holds the many-to-many values read for these rows: a schema
	// showing both X and X_obj (User.groups, groups_obj) reads the join
	// table once.
	own := pre == nil
	if own {
		pre = &fetched{sets: m2mSets{}}
	}
	sets := pre.sets
	out := make([]Object, len(rows))
	for i := range out {
		// Sized once: growing each object field by field was a third of
		// the projection's time.
		out[i] = make(Object, plan.size)
	}
	if len(rows) == 0 {
		return out, nil
	}
	pks := make([]any, len(rows))
	for i, r := range rows {
		pks[i] = r[m.PKColumn]
	}
	if own {
		if err := e.prefetch(ctx, tx, m, plan, rows, pks, pre, depth); err != nil {
			return nil, err
		}
	}
	// Hooks reach the page's many-to-many sets through PageM2M.
	ctx = context.WithValue(ctx, pageKey{}, &page{m: m, pks: pks, sets: sets})
	for si := range plan.steps {
		s := &plan.steps[si]
		name, prop, f := s.name, s.prop, s.f
		switch s.kind {
		case stepHook:
			var vals []any
			if result, ok := pre.steps[si]; ok {
				vals, err = s.pq.Values(m, rows, result)
			} else {
				vals, err = s.hook(ctx, tx, m, rows, out)
			}
			if err != nil {
				return nil, fmt.Errorf("%s.%s: %w", m.Name, name, err)
			}
			if len(vals) != len(rows) {
				return nil, fmt.Errorf("%s.%s: hook returned %d values for %d rows", m.Name, name, len(vals), len(rows))
			}
			for i, v := range vals {
				out[i][name] = v
			}
		case stepPK:
			for i, r := range rows {
				out[i][name] = toJSON(m.PKKind, r[m.PKColumn])
			}
		case stepRef, stepNestedSet:
			if err := e.nested(ctx, tx, m, f, prop, rows, out, name, depth, sets); err != nil {
				return nil, fmt.Errorf("%s.%s: %w", m.Name, name, err)
			}
		case stepStored:
			for i, r := range rows {
				v := toJSON(f.Kind, r[f.Column])
				if s.intText && v != nil {
					v = fmt.Sprint(v)
				}
				out[i][name] = v
			}
		case stepSet:
			vals, err := sets.values(ctx, tx, e, m, f, pks)
			if err != nil {
				return nil, err
			}
			for i := range rows {
				out[i][name] = vals[i]
			}
		case stepComputed:
			if err := e.computed(ctx, tx, m, name, prop, f, rows, out, depth, sets); err != nil {
				return nil, fmt.Errorf("%s.%s: %w", m.Name, name, err)
			}
		}
	}
	return out, nil
}

// pipelines reports whether the store sends ReadMany's reads in one round
// trip and lets writers run side by side (PostgreSQL). Elsewhere (SQLite,
// in process, one writer) reading ahead saves nothing and costs
// allocations, so each step reads for itself, and work inside a write
// transaction holds up every other write.
func (e *Engine) pipelines() bool { return e.Store.Dialect() == "postgres" }

// keySource is what the reads prefetch sends are keyed by: the rows of
// the page once read, or the page's own read (sub), as a subquery, when
// they are sent with it.
type keySource struct {
	rows []store.Row
	sub  *store.Query
}

// match returns the condition maker of a read keyed by the page rows'
// rowCol (see PageQuery); ok false when no row has a value there.
func (k keySource) match(rowCol string) (func(col string) store.Cond, bool) {
	if k.sub != nil {
		q := *k.sub
		q.Columns = []string{rowCol}
		return func(col string) store.Cond { return store.InQueryCond{Column: col, Query: q} }, true
	}
	keys := DistinctValues(k.rows, rowCol)
	if len(keys) == 0 {
		return nil, false
	}
	return func(col string) store.Cond { return store.InCond{Column: col, Values: keys} }, true
}

// prefetchTarget is where the result of one prefetched read goes: a
// PageQuery hook's step, or (step -1) the set of a many-to-many field.
type prefetchTarget struct {
	step int
	f    *registry.Field
	j    M2MJoin
}

// fetched holds what was read ahead for a projection: PageQuery results
// by step index (nil until one is read), and the many-to-many sets.
type fetched struct {
	steps map[int][]store.Row
	sets  m2mSets
}

// pageReads lists the reads the plan's steps would each send on their
// own: those of PageQuery hooks and of the many-to-many sets the page
// shows (as pks or nested objects) and sets does not hold yet.
func (e *Engine) pageReads(m *registry.Model, plan *projPlan, depth int, sets m2mSets, ks keySource) ([]store.Read, []prefetchTarget) {
	var reads []store.Read
	var targets []prefetchTarget
	for si := range plan.steps {
		s := &plan.steps[si]
		if s.kind == stepHook {
			if s.pq == nil {
				continue
			}
			if match, ok := ks.match(s.pq.RowColumn(m)); ok {
				reads = append(reads, store.Read{Query: s.pq.Query(m, match)})
				targets = append(targets, prefetchTarget{step: si})
			}
			continue
		}
		f := e.stepSetField(m, s, depth)
		if f == nil || slices.ContainsFunc(targets, func(t prefetchTarget) bool { return t.f == f }) {
			continue
		}
		if _, done := sets[f]; done {
			continue
		}
		j, ok := e.Join(m, f)
		if !ok {
			continue // the step reports it
		}
		match, ok := ks.match(m.PKColumn)
		if !ok {
			continue
		}
		reads = append(reads, store.Read{Query: j.read(match(j.Self))})
		targets = append(targets, prefetchTarget{step: -1, f: f, j: j})
	}
	return reads, targets
}

// place puts the results of pageReads' reads where the steps find them.
func (f *fetched) place(targets []prefetchTarget, res []store.ReadResult, pks []any) {
	for i, t := range targets {
		if t.step >= 0 {
			if f.steps == nil {
				f.steps = map[int][]store.Row{}
			}
			f.steps[t.step] = res[i].Rows
			continue
		}
		f.sets[t.f] = m2mGroup(t.j, pks, res[i].Rows)
	}
}

// prefetch reads together (store.Tx.ReadMany, one round trip on
// PostgreSQL) what the plan's steps would each read on their own. With
// fewer than two such reads it reads nothing and the steps read for
// themselves.
func (e *Engine) prefetch(ctx context.Context, tx store.Tx, m *registry.Model, plan *projPlan, rows []store.Row, pks []any, f *fetched, depth int) error {
	if !e.pipelines() {
		return nil
	}
	reads, targets := e.pageReads(m, plan, depth, f.sets, keySource{rows: rows})
	if len(reads) < 2 {
		return nil
	}
	res, err := tx.ReadMany(ctx, reads)
	if err != nil {
		return err
	}
	f.place(targets, res, pks)
	return nil
}

// retrieveRow reads the row q selects (the first, if several) with what
// the projection of schemaName needs besides it, in one ReadMany, and
// returns the row and those results (nil row: none matched). Only a store
// that sends ReadMany in one round trip gains: elsewhere it reads the
// row alone and the projection reads the rest.
func (e *Engine) retrieveRow(ctx context.Context, tx store.Tx, m *registry.Model, schemaName string, q store.Query) (store.Row, *fetched, error) {
	if !e.pipelines() {
		rows, err := tx.Select(ctx, q)
		if err != nil || len(rows) == 0 {
			return nil, nil, err
		}
		return rows[0], nil, nil
	}
	f := &fetched{sets: m2mSets{}}
	reads := []store.Read{{Query: q}}
	var targets []prefetchTarget
	if plan, err := e.projection(schemaName, m); err == nil {
		var more []store.Read
		more, targets = e.pageReads(m, plan, 0, f.sets, keySource{sub: &q})
		reads = append(reads, more...)
	}
	res, err := tx.ReadMany(ctx, reads)
	if err != nil {
		return nil, nil, err
	}
	if len(res[0].Rows) == 0 {
		return nil, nil, nil
	}
	row := res[0].Rows[0]
	f.place(targets, res[1:], []any{row[m.PKColumn]})
	if len(targets) == 0 {
		return row, nil, nil
	}
	return row, f, nil
}

// stepSetField is the many-to-many field whose set a step reads through
// m2mSets (X, or X_obj as nested objects), or nil.
func (e *Engine) stepSetField(m *registry.Model, s *projStep, depth int) *registry.Field {
	switch s.kind {
	case stepSet, stepNestedSet:
		return s.f
	case stepComputed:
		base, ok := strings.CutSuffix(s.name, "_obj")
		if !ok || depth >= 3 {
			return nil
		}
		if rf, ok := m.Field(base); ok {
			if _, isM2M := e.joinOf(m, rf); isM2M {
				return rf
			}
		}
	}
	return nil
}

// M2MJoin describes where a many-to-many field is stored: the join table,
// the column holding this model's pk and the one holding the target's. A
// field marked reverse_m2m is the other side of a set stored on the target
// (Django's related manager), read and written through the target's table.
type M2MJoin struct {
	Table, Self, Other string
	Target             *registry.Model
	// ReverseFK is set when the "join table" is the target's own table and
	// Self its foreign key to this model (Django's reverse relation).
	ReverseFK bool
}

// ReverseFK marks the set of target rows whose foreign key points here.
const ReverseFK = "reverse_fk"

// ReverseM2M marks the reverse side of a many-to-many set.
const ReverseM2M = "reverse_m2m"

// Join returns the storage of a many-to-many field (ok false when the field
// is not one, or its other side is unknown).
func (e *Engine) Join(m *registry.Model, f *registry.Field) (M2MJoin, bool) {
	if f.M2M == "" {
		return M2MJoin{}, false
	}
	target, ok := e.Registry.Model(f.M2M)
	if !ok {
		return M2MJoin{}, false
	}
	if f.Computed == "" {
		owner := e.m2mOwner(m, f)
		return M2MJoin{Table: owner.M2MTable(f), Self: M2MSource, Other: M2MTarget, Target: target}, true
	}
	if f.Computed == ReverseFK {
		names := append([]string{m.Name}, m.Ancestors...)
		for i := range target.Fields {
			tf := &target.Fields[i]
			if tf.Stored() && tf.Ref != "" && contains(names, tf.Ref) {
				return M2MJoin{Table: target.Table, Self: tf.Column, Other: target.PKColumn, Target: target, ReverseFK: true}, true
			}
		}
		return M2MJoin{}, false
	}
	if f.Computed != ReverseM2M {
		return M2MJoin{}, false
	}
	for i := range target.Fields {
		tf := &target.Fields[i]
		if tf.M2M == m.Name && tf.Computed == "" {
			return M2MJoin{Table: target.M2MTable(tf), Self: M2MTarget, Other: M2MSource, Target: target}, true
		}
	}
	return M2MJoin{}, false
}

// m2mValues returns, per source pk, the target pks of a many-to-many field.
func (e *Engine) m2mValues(ctx context.Context, tx store.Tx, m *registry.Model, f *registry.Field, pks []any) ([][]any, error) {
	j, ok := e.Join(m, f)
	if !ok {
		return nil, fmt.Errorf("%s.%s is not a many-to-many field", m.Name, f.Name)
	}
	rows, err := tx.Select(ctx, j.read(store.InCond{Column: j.Self, Values: pks}))
	if err != nil {
		return nil, err
	}
	return m2mGroup(j, pks, rows), nil
}

// read selects the join rows matching where (on Self), in the order
// m2mGroup expects.
func (j M2MJoin) read(where store.Cond) store.Query {
	return store.Query{Table: j.Table, Where: where, OrderBy: []store.Order{{Column: j.Self}, {Column: j.Other}}}
}

// m2mGroup turns the rows of a join read into m2mValues' answer.
func m2mGroup(j M2MJoin, pks []any, rows []store.Row) [][]any {
	by := make(map[any][]any, len(pks))
	for _, r := range rows {
		k := matchKey(r[j.Self])
		by[k] = append(by[k], toJSON(j.Target.PKKind, r[j.Other]))
	}
	out := make([][]any, len(pks))
	for i, pk := range pks {
		out[i] = by[matchKey(pk)]
		if out[i] == nil {
			out[i] = []any{}
		}
	}
	return out
}

// m2mSets remembers, for one projection, the values m2mValues read per
// many-to-many field (the rows and so the pks are the same throughout).
type m2mSets map[*registry.Field][][]any

func (s m2mSets) values(ctx context.Context, tx store.Tx, e *Engine, m *registry.Model, f *registry.Field, pks []any) ([][]any, error) {
	if vals, ok := s[f]; ok {
		return vals, nil
	}
	vals, err := e.m2mValues(ctx, tx, m, f, pks)
	if err != nil {
		return nil, err
	}
	s[f] = vals
	return vals, nil
}

// page is the projection in progress, for PageM2M and PageShared.
type page struct {
	m    *registry.Model
	pks  []any
	sets m2mSets
	// shared holds PageShared's results by key.
	shared map[string]any
}

// PageShared returns what read returns, reading it once per page of model
// m being projected: the hooks of several fields that need the same reads
// (a provider's backchannel application's slug and its name) share one
// result under one key, instead of a round trip each. Outside a
// projection of m it just calls read. The hooks of a page run one after
// the other, so read runs once.
func PageShared(ctx context.Context, m *registry.Model, key string, read func() (any, error)) (any, error) {
	p, _ := ctx.Value(pageKey{}).(*page)
	if p == nil || p.m != m {
		return read()
	}
	if v, ok := p.shared[key]; ok {
		return v, nil
	}
	v, err := read()
	if err != nil {
		return nil, err
	}
	if p.shared == nil {
		p.shared = map[string]any{}
	}
	p.shared[key] = v
	return v, nil
}

type pageKey struct{}

// PageM2M returns, for each row of the page of model m being projected,
// the pks its many-to-many field holds (as the API shows them), read once
// per page and shared with the properties showing the same field
// (User.groups and groups_obj), whichever runs first. ok is false outside
// a projection of m (or for a field that is not many-to-many).
func (e *Engine) PageM2M(ctx context.Context, tx store.Tx, m *registry.Model, field string) (vals [][]any, ok bool, err error) {
	p, _ := ctx.Value(pageKey{}).(*page)
	if p == nil || p.m != m {
		return nil, false, nil
	}
	f, found := m.Field(field)
	if !found || f.M2M == "" {
		return nil, false, nil
	}
	vals, err = p.sets.values(ctx, tx, e, m, f, p.pks)
	return vals, err == nil, err
}

// matchKey is the map key under which two values read from columns of
// the same type meet: the value itself for the types the store returns
// for keys (string, int64), fmt.Sprint's text otherwise, as before. Keying
// by the text cost two allocations per value.
func matchKey(v any) any {
	switch v.(type) {
	case string, int64:
		return v
	}
	return fmt.Sprint(v)
}

// concreteOf returns the concrete model of a row (the row's own model unless
// it is a family base row that names its kind).
func (e *Engine) concreteOf(m *registry.Model, row store.Row) *registry.Model {
	if name, ok := row[ModelColumn].(string); ok && name != "" {
		if cm, ok := e.Registry.Model(name); ok {
			return cm
		}
	}
	return m
}

// computed fills one read-only computed property for every row.
func (e *Engine) computed(ctx context.Context, tx store.Tx, m *registry.Model, name string, prop *openapi3.Schema, f *registry.Field, rows []store.Row, out []Object, depth int, sets m2mSets) error {
	switch name {
	case "component", "verbose_name", "verbose_name_plural", "meta_model_name":
		for i, r := range rows {
			cm := e.concreteOf(m, r)
			out[i][name] = map[string]string{"component": cm.Component, "verbose_name": cm.VerboseName,
				"verbose_name_plural": cm.VerboseNamePlural, "meta_model_name": cm.Name}[name]
		}
		return nil
	}
	if base, ok := strings.CutSuffix(name, "_obj"); ok {
		if rf, ok := m.Field(base); ok && depth < 3 {
			return e.nested(ctx, tx, m, rf, prop, rows, out, name, depth, sets)
		}
	}
	// Not computable generically: the zero value of the declared type, so
	// responses keep their shape; docs/api-coverage.md lists these fields.
	for i := range rows {
		out[i][name] = zeroOf(prop)
	}
	return nil
}

// nested renders X_obj for a foreign key or many-to-many field X.
func (e *Engine) nested(ctx context.Context, tx store.Tx, m *registry.Model, rf *registry.Field, prop *openapi3.Schema, rows []store.Row, out []Object, name string, depth int, sets m2mSets) error {
	targetName := rf.Ref
	if targetName == "" {
		targetName = rf.M2M
	}
	target, ok := e.Registry.Model(targetName)
	if !ok {
		return fmt.Errorf("unknown target %s", targetName)
	}
	many := prop.Type.Is("array")
	schemaName := ""
	if many {
		schemaName = apispecName(prop.Items)
	} else if len(prop.AllOf) == 1 {
		schemaName = apispecName(prop.AllOf[0])
	}
	if schemaName == "" {
		for i := range rows {
			out[i][name] = zeroOf(prop)
		}
		return nil
	}
	// Collect the target pks per row.
	perRow := make([][]any, len(rows))
	if _, isM2M := e.joinOf(m, rf); isM2M {
		pks := make([]any, len(rows))
		for i, r := range rows {
			pks[i] = r[m.PKColumn]
		}
		vals, err := sets.values(ctx, tx, e, m, rf, pks)
		if err != nil {
			return err
		}
		for i := range vals {
			for _, v := range vals[i] {
				pv, _ := fromJSON(target.PKKind, v)
				perRow[i] = append(perRow[i], pv)
			}
		}
	} else if rf.Stored() {
		for i, r := range rows {
			if v := r[rf.Column]; v != nil {
				perRow[i] = []any{v}
			}
		}
	} else {
		for i := range rows {
			out[i][name] = zeroOf(prop)
		}
		return nil
	}
	var all []any
	for _, ps := range perRow {
		all = append(all, ps...)
	}
	objs := make(map[any]Object, len(all))
	if len(all) > 0 {
		trows, err := tx.Select(ctx, store.Query{Table: target.Table, Columns: e.selectColumns(schemaName, target),
			Where: store.InCond{Column: target.PKColumn, Values: all}})
		if err != nil {
			return err
		}
		tobjs, err := e.project(ctx, tx, target, schemaName, trows, depth+1)
		if err != nil {
			return err
		}
		for i, r := range trows {
			objs[matchKey(r[target.PKColumn])] = tobjs[i]
		}
	}
	for i := range rows {
		if many {
			list := []any{}
			for _, pk := range perRow[i] {
				if o, ok := objs[matchKey(pk)]; ok {
					list = append(list, o)
				}
			}
			out[i][name] = list
			continue
		}
		if len(perRow[i]) == 0 {
			out[i][name] = nil
			continue
		}
		if o, ok := objs[matchKey(perRow[i][0])]; ok {
			out[i][name] = o
		} else {
			out[i][name] = nil
		}
	}
	return nil
}

func apispecName(ref *openapi3.SchemaRef) string {
	if ref == nil {
		return ""
	}
	if i := strings.LastIndex(ref.Ref, "/"); i >= 0 {
		return ref.Ref[i+1:]
	}
	return ""
}

// zeroOf is the empty value of a schema type.
func zeroOf(s *openapi3.Schema) any {
	if s.Nullable {
		return nil
	}
	switch {
	case s.Type.Is("string"):
		return ""
	case s.Type.Is("integer"), s.Type.Is("number"):
		return 0
	case s.Type.Is("boolean"):
		return false
	case s.Type.Is("array"):
		return []any{}
	}
	if len(s.AllOf) == 1 && s.AllOf[0].Value != nil {
		return zeroOf(s.AllOf[0].Value)
	}
	return map[string]any{}
}

func (e *Engine) joinOf(m *registry.Model, f *registry.Field) (M2MJoin, bool) {
	if f == nil {
		return M2MJoin{}, false
	}
	return e.Join(m, f)
}

// isObjectRef reports whether a property is a nested serializer (a $ref to
// an object schema, possibly wrapped in allOf).
func isObjectRef(p *openapi3.Schema) bool {
	if len(p.AllOf) == 1 && p.AllOf[0].Value != nil {
		return p.AllOf[0].Value.Type.Is("object") && p.AllOf[0].Ref != ""
	}
	return false
}

// m2mOwner is the model whose join table stores a many-to-many field: the
// farthest ancestor declaring the same set (Django defines it once, on the
// base, e.g. Provider.property_mappings) as long as the pk is shared down
// the chain, else the model itself.
func (e *Engine) m2mOwner(m *registry.Model, f *registry.Field) *registry.Model {
	owner := m
	cur := m
	for _, a := range m.Ancestors {
		if cur.ParentColumn != cur.PKColumn {
			break
		}
		am, ok := e.Registry.Model(a)
		if !ok {
			break
		}
		if af, ok := am.Field(f.Name); ok && af.M2M == f.M2M && af.Computed == "" {
			owner = am
		}
		cur = am
	}
	return owner
}

// nestedItems reports an array of nested serializer objects.
func nestedItems(p *openapi3.Schema) bool {
	return p.Type.Is("array") && p.Items != nil && p.Items.Ref != "" && p.Items.Value != nil && p.Items.Value.Type.Is("object")
}
