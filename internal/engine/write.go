package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// Validate checks a request body against a component schema and returns
// DRF-style field errors.
func (e *Engine) Validate(schemaName string, body Object) *ValidationError {
	verr := &ValidationError{}
	sch, ok := e.Spec.Schema(schemaName)
	if !ok {
		verr.Add("", "unknown request schema "+schemaName)
		return verr
	}
	var asAny any = map[string]any(body)
	err := sch.VisitJSON(asAny, openapi3.MultiErrors(), openapi3.VisitAsRequest(), openapi3.DisablePatternValidation())
	if err == nil {
		checkPatterns(sch, body, verr)
		return verr
	}
	collectSchemaErrors(err, verr)
	checkPatterns(sch, body, verr)
	return verr
}

// checkPatterns applies the schema's patterns (Python-style regexes that
// kin-openapi's validator would reject at compile time are skipped).
func checkPatterns(sch *openapi3.Schema, body Object, verr *ValidationError) {
	for name, p := range sch.Properties {
		v, ok := body[name].(string)
		if !ok || p.Value == nil || p.Value.Pattern == "" {
			continue
		}
		re, err := compilePattern(p.Value.Pattern)
		if err != nil {
			continue
		}
		if !re.MatchString(v) {
			if name == "slug" {
				verr.Add(name, "Enter a valid “slug” consisting of letters, numbers, underscores or hyphens.")
			} else {
				verr.Add(name, "This value does not match the required pattern.")
			}
		}
	}
}

func collectSchemaErrors(err error, verr *ValidationError) {
	var me openapi3.MultiError
	if errors.As(err, &me) {
		for _, e := range me {
			collectSchemaErrors(e, verr)
		}
		return
	}
	var se *openapi3.SchemaError
	if !errors.As(err, &se) {
		verr.Add("", err.Error())
		return
	}
	ptr := se.JSONPointer()
	field := ""
	if len(ptr) > 0 {
		field = ptr[0]
	}
	s := se.Schema
	msg := se.Reason
	switch se.SchemaField {
	case "required":
		if field == "" && strings.Contains(se.Reason, "property \"") {
			field = between(se.Reason, "property \"", "\"")
		}
		msg = "This field is required."
	case "nullable":
		msg = "This field may not be null."
	case "enum":
		msg = fmt.Sprintf("\"%v\" is not a valid choice.", se.Value)
	case "maxLength":
		if s != nil && s.MaxLength != nil {
			msg = fmt.Sprintf("Ensure this field has no more than %d characters.", *s.MaxLength)
		}
	case "minLength":
		if s != nil && s.MinLength == 1 {
			msg = "This field may not be blank."
		} else if s != nil {
			msg = fmt.Sprintf("Ensure this field has at least %d characters.", s.MinLength)
		}
	case "maximum":
		if s != nil && s.Max != nil {
			msg = fmt.Sprintf("Ensure this value is less than or equal to %v.", *s.Max)
		}
	case "minimum":
		if s != nil && s.Min != nil {
			msg = fmt.Sprintf("Ensure this value is greater than or equal to %v.", *s.Min)
		}
	case "type":
		msg = typeMessage(s)
	case "format":
		if s != nil && s.Format == "uuid" {
			msg = "Must be a valid UUID."
		} else if s != nil && s.Format == "date-time" {
			msg = "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
		} else if s != nil && s.Format == "email" {
			msg = "Enter a valid email address."
		} else if s != nil && s.Format == "uri" {
			msg = "Enter a valid URL."
		}
	}
	verr.Add(field, msg)
}

func typeMessage(s *openapi3.Schema) string {
	if s == nil {
		return "Invalid value."
	}
	switch {
	case s.Type.Is("integer"):
		return "A valid integer is required."
	case s.Type.Is("number"):
		return "A valid number is required."
	case s.Type.Is("boolean"):
		return "Must be a valid boolean."
	case s.Type.Is("string"):
		return "Not a valid string."
	case s.Type.Is("array"):
		return "Expected a list of items."
	case s.Type.Is("object"):
		return "Expected a dictionary of items."
	}
	return "Invalid value."
}

func between(s, a, b string) string {
	i := strings.Index(s, a)
	if i < 0 {
		return ""
	}
	s = s[i+len(a):]
	if j := strings.Index(s, b); j >= 0 {
		return s[:j]
	}
	return s
}

// Create validates body against the endpoint's request schema and stores a
// new object, returning it as the response schema shows it.
//
// Only the write itself runs in the write transaction: the body is
// validated before it and the response rendered in a read transaction
// after the commit (as DRF renders a saved object). On SQLite all writers
// queue for one connection, so what runs inside the transaction bounds
// how many objects can be created per second.
func (e *Engine) Create(ctx context.Context, ep *registry.Endpoint, body Object) (Object, error) {
	m, err := e.createChecks(ep, body)
	if err != nil {
		return nil, err
	}
	// With one writer (SQLite) whatever runs inside a write transaction
	// holds up every other write, so the object is rendered afterwards in
	// a read transaction. PostgreSQL writers do not queue behind each
	// other, and rendering inside the write transaction saves the read
	// transaction's round trips.
	inside := e.pipelines()
	var row store.Row
	var out Object
	err = e.Store.Update(ctx, func(tx store.Tx) error {
		var err error
		row, err = e.createRow(ctx, tx, ep, m, body, true)
		if err != nil || !inside {
			return err
		}
		objs, err := e.Project(ctx, tx, m, ep.Schema, []store.Row{row})
		if err != nil {
			return err
		}
		out = objs[0]
		return nil
	})
	if err != nil {
		return nil, e.translate(ep, err)
	}
	if inside {
		return out, nil
	}
	err = e.Store.View(ctx, func(tx store.Tx) error {
		objs, err := e.Project(ctx, tx, m, ep.Schema, []store.Row{row})
		if err != nil {
			return err
		}
		out = objs[0]
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// createChecks is what Create refuses before touching the database.
func (e *Engine) createChecks(ep *registry.Endpoint, body Object) (*registry.Model, error) {
	m, err := e.model(ep)
	if err != nil {
		return nil, err
	}
	if ep.Request == "" || m.Abstract {
		return nil, fmt.Errorf("endpoint %s does not create objects", ep.Path)
	}
	if verr := e.Validate(ep.Request, body); !verr.Empty() {
		return nil, verr
	}
	return m, nil
}

// CreateTx is Create inside a caller's transaction.
func (e *Engine) CreateTx(ctx context.Context, tx store.Tx, ep *registry.Endpoint, body Object) (Object, error) {
	row, err := e.CreateRowTx(ctx, tx, ep, body)
	if err != nil {
		return nil, err
	}
	m, _ := e.model(ep)
	objs, err := e.Project(ctx, tx, m, ep.Schema, []store.Row{row})
	if err != nil {
		return nil, err
	}
	return objs[0], nil
}

// CreateRowTx is CreateTx returning the stored row rather than the API
// object, for callers that render it themselves (the blueprint target,
// which needs only keys and would otherwise pay for computed fields).
func (e *Engine) CreateRowTx(ctx context.Context, tx store.Tx, ep *registry.Endpoint, body Object) (store.Row, error) {
	m, err := e.createChecks(ep, body)
	if err != nil {
		return nil, err
	}
	return e.createRow(ctx, tx, ep, m, body, false)
}

// createRow stores a validated body. ownTx says the transaction is
// Create's own, which nothing else uses after a failed statement.
func (e *Engine) createRow(ctx context.Context, tx store.Tx, ep *registry.Endpoint, m *registry.Model, body Object, ownTx bool) (store.Row, error) {
	row, m2m, err := e.rowFromBody(m, ep.Request, body, true)
	if err != nil {
		return nil, err
	}
	now := store.NowUTC(e.Now())
	for _, name := range []string{"created", "last_updated", "created_on"} {
		if f, ok := m.Field(name); ok && f.Stored() && row[f.Column] == nil {
			row[f.Column] = now
		}
	}
	for _, hook := range append(e.Hooks.BeforeWrite["*"], e.Hooks.BeforeWrite[m.Name]...) {
		if err := hook(ctx, tx, m, nil, row, body); err != nil {
			return nil, err
		}
	}
	check := e.checkRelations
	if ownTx && e.uniqueByConstraint(m, row, m2m) {
		check = e.checkRefs
	}
	if err := check(ctx, tx, m, row, m2m, nil); err != nil {
		return nil, err
	}
	verr := &ValidationError{}
	for i := range m.Fields {
		if f := &m.Fields[i]; requiredRef(f) && row[f.Column] == nil {
			verr.Add(f.Name, "This field is required.")
		}
	}
	if !verr.Empty() {
		return nil, verr
	}
	// The INSERT returns the row as stored, which is what a read-back
	// would see: setting the many-to-many sets below only writes join
	// rows and rows of other objects (checkRelations made sure they
	// exist, so none is this new one).
	stored, err := e.insertWithAncestors(ctx, tx, m, row, true, ownTx)
	if err != nil {
		return nil, err
	}
	for name, vals := range m2m {
		f, _ := m.Field(name)
		if err := e.setM2M(ctx, tx, m, f, row[m.PKColumn], vals, true); err != nil {
			return nil, err
		}
	}
	if err := e.afterWrite(ctx, tx, "create", m, nil, stored); err != nil {
		return nil, err
	}
	return stored, nil
}

// rowFromBody converts the writable fields of body to column values. On
// create, omitted fields take their defaults.
func (e *Engine) rowFromBody(m *registry.Model, schemaName string, body Object, create bool) (store.Row, map[string][]any, error) {
	sch, _ := e.Spec.Schema(schemaName)
	row := store.Row{}
	m2m := map[string][]any{}
	verr := &ValidationError{}
	for i := range m.Fields {
		f := &m.Fields[i]
		if _, inSchema := sch.Properties[f.Name]; !inSchema {
			if v, given := body[f.Name]; create && given && requiredRef(f) {
				// The model requires the relation but the serializer
				// shows it read-only (user source connections' source):
				// take it on create instead of failing like authentik.
				if cv, msg := fromJSON(f.Kind, v); msg == "" {
					row[f.Column] = cv
					continue
				}
			}
			// Not writable through this endpoint: server-side columns
			// still start from their defaults.
			if create && f.Stored() && f.HasDefault && f.Column != m.PKColumn {
				if _, set := row[f.Column]; !set {
					row[f.Column], _ = fromJSON(f.Kind, cloneDefault(f.Default))
				}
			}
			continue
		}
		v, given := body[f.Name]
		if _, isM2M := e.Join(m, f); isM2M && nestedItems(sch.Properties[f.Name].Value) {
			// Nested serializers are not writable (DRF refuses them).
			continue
		}
		if j, isM2M := e.Join(m, f); isM2M {
			if given {
				list, _ := v.([]any)
				target := j.Target
				vals := make([]any, 0, len(list))
				for _, item := range list {
					pv, msg := fromJSON(target.PKKind, item)
					if msg != "" {
						verr.Add(f.Name, fmt.Sprintf("Incorrect type. Expected pk value, received %s.", jsonTypeName(item)))
						continue
					}
					vals = append(vals, pv)
				}
				m2m[f.Name] = vals
			} else if create {
				m2m[f.Name] = nil
			}
			continue
		}
		if !f.Stored() {
			continue
		}
		if !given {
			if create && f.HasDefault {
				v = cloneDefault(f.Default)
			} else {
				continue
			}
		}
		cv, msg := fromJSON(f.Kind, v)
		if msg != "" {
			verr.Add(f.Name, msg)
			continue
		}
		row[f.Column] = cv
	}
	if !verr.Empty() {
		return nil, nil, verr
	}
	return row, m2m, nil
}

func jsonTypeName(v any) string {
	switch v.(type) {
	case string:
		return "str"
	case float64:
		return "int"
	case bool:
		return "bool"
	case nil:
		return "None"
	case []any:
		return "list"
	}
	return "dict"
}

func cloneDefault(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = cloneDefault(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneDefault(e)
		}
		return out
	}
	return v
}

// InsertTx stores an object of any model (abstract bases included) from
// API field values, with defaults, server-set timestamps and ancestor rows,
// bypassing endpoint schemas: for objects akserver creates itself.
func (e *Engine) InsertTx(ctx context.Context, tx store.Tx, m *registry.Model, fields Object) (store.Row, error) {
	row := store.Row{}
	for i := range m.Fields {
		f := &m.Fields[i]
		if !f.Stored() {
			continue
		}
		v, given := fields[f.Name]
		if !given {
			if !f.HasDefault || f.Column == m.PKColumn {
				continue
			}
			v = cloneDefault(f.Default)
		}
		cv, msg := fromJSON(f.Kind, v)
		if msg != "" {
			return nil, Invalid(f.Name, msg)
		}
		row[f.Column] = cv
	}
	now := store.NowUTC(e.Now())
	for _, name := range []string{"created", "last_updated"} {
		if f, ok := m.Field(name); ok && f.Stored() && row[f.Column] == nil {
			row[f.Column] = now
		}
	}
	if m.Abstract {
		row[ModelColumn] = m.Name
	}
	for _, hook := range append(e.Hooks.BeforeWrite["*"], e.Hooks.BeforeWrite[m.Name]...) {
		if err := hook(ctx, tx, m, nil, row, fields); err != nil {
			return nil, err
		}
	}
	if _, err := e.insertWithAncestors(ctx, tx, m, row, false, false); err != nil {
		return nil, err
	}
	return row, nil
}

// insertWithAncestors writes the ancestor rows root first, then the row
// itself, sharing or linking primary keys as each level declares. With
// returning, it returns the row of m's own table as the database stored
// it (defaults, generated key, normalised values), as Select reads it.
// With later, ancestor rows whose key is known go through InsertLater:
// for a transaction whose only caller reports any error as the request's
// (Create's own), where an error showing at the next statement changes
// nothing.
func (e *Engine) insertWithAncestors(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, returning, later bool) (store.Row, error) {
	chain := []*registry.Model{m}
	for _, a := range m.Ancestors {
		am, ok := e.Registry.Model(a)
		if !ok {
			return nil, fmt.Errorf("model %s: unknown ancestor %s", m.Name, a)
		}
		chain = append(chain, am)
	}
	n := len(chain)
	// chain[0..shared] all use the same pk value.
	shared := 0
	for shared < n-1 && chain[shared].ParentColumn == chain[shared].PKColumn {
		shared++
	}
	given := row[m.PKColumn]
	pks := make([]any, n)
	for i := n - 1; i >= 0; i-- {
		cm := chain[i]
		switch {
		case i < n-1 && cm.ParentColumn == cm.PKColumn:
			pks[i] = pks[i+1]
		case i <= shared && given != nil:
			pks[i] = given
		case cm.PKKind == registry.KindUUID:
			pks[i] = e.NewUUID()
		}
		r := row
		if i > 0 {
			r = store.Row{}
			if cm.Abstract {
				r[ModelColumn] = m.Name
			}
			copyShared(m, cm, row, r)
			fillDefaults(cm, r)
		}
		if pks[i] != nil {
			r[cm.PKColumn] = pks[i]
		}
		if i < n-1 && cm.ParentColumn != cm.PKColumn {
			r[cm.ParentColumn] = pks[i+1]
		}
		if i == 0 && returning {
			stored, err := tx.InsertReturning(ctx, cm.Table, r)
			if err != nil {
				return nil, fmt.Errorf("insert %s: %w", cm.Name, err)
			}
			if pks[i] == nil {
				r[cm.PKColumn] = stored[cm.PKColumn]
			}
			return stored, nil
		}
		if later && i > 0 && pks[i] != nil {
			// Nothing to wait for: on PostgreSQL the ancestor's INSERT
			// travels with the next one, which reports its error.
			if err := tx.InsertLater(ctx, cm.Table, r); err != nil {
				return nil, fmt.Errorf("insert %s: %w", cm.Name, err)
			}
			continue
		}
		id, err := tx.Insert(ctx, cm.Table, r)
		if err != nil {
			return nil, fmt.Errorf("insert %s: %w", cm.Name, err)
		}
		if pks[i] == nil {
			pks[i] = id
			r[cm.PKColumn] = id
		}
	}
	return nil, nil
}

// fillDefaults gives an ancestor row's unset columns their defaults.
func fillDefaults(m *registry.Model, r store.Row) {
	for i := range m.Fields {
		f := &m.Fields[i]
		if !f.Stored() || !f.HasDefault || f.Column == m.PKColumn {
			continue
		}
		if _, set := r[f.Column]; !set {
			r[f.Column], _ = fromJSON(f.Kind, cloneDefault(f.Default))
		}
	}
}

// copyShared copies the stored fields an ancestor declares from the
// concrete row.
func copyShared(m, anc *registry.Model, row, arow store.Row) {
	for i := range anc.Fields {
		af := &anc.Fields[i]
		if !af.Stored() || af.Column == anc.PKColumn || af.Column == anc.ParentColumn {
			continue
		}
		if f, ok := m.Field(af.Name); ok && f.Stored() {
			if v, ok := row[f.Column]; ok {
				arow[af.Column] = v
			}
		}
	}
}

// uniqueByConstraint reports whether a new row's uniqueness can be left
// to the database, saving a query (a round trip on PostgreSQL) per create:
// the model has one unique set, so a violation names the same set the
// pre-check would (translate renders it with the same message); no
// reference or many-to-many value is given and no reference is required,
// so no other error could have been reported with or instead of it; and
// no table of the chain takes its key from a sequence, which a failed
// INSERT would advance, changing the next object's pk.
func (e *Engine) uniqueByConstraint(m *registry.Model, row store.Row, m2m map[string][]any) bool {
	if len(m.Unique) != 1 || m.PKKind == registry.KindInt {
		return false
	}
	for _, a := range m.Ancestors {
		if am, ok := e.Registry.Model(a); !ok || am.PKKind == registry.KindInt {
			return false
		}
	}
	for i := range m.Fields {
		f := &m.Fields[i]
		if f.Ref != "" && f.Stored() && (row[f.Column] != nil || requiredRef(f)) {
			return false
		}
	}
	for _, vals := range m2m {
		if len(vals) > 0 {
			return false
		}
	}
	return true
}

// checkRefs is checkRelations without the uniqueness pre-check.
func (e *Engine) checkRefs(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, m2m map[string][]any, oldPK any) error {
	return e.checkRelationsUnique(ctx, tx, m, row, m2m, oldPK, false)
}

// checkRelations reports references to missing objects and uniqueness
// conflicts as field errors before the database would refuse them.
func (e *Engine) checkRelations(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, m2m map[string][]any, oldPK any) error {
	return e.checkRelationsUnique(ctx, tx, m, row, m2m, oldPK, true)
}

func (e *Engine) checkRelationsUnique(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, m2m map[string][]any, oldPK any, unique bool) error {
	// Every check is one read, and they are independent: they go together
	// (one round trip on PostgreSQL, where a blueprint's objects paid one
	// per reference and unique set).
	var reads []store.Read
	var checks []func(store.ReadResult, *ValidationError)
	for i := range m.Fields {
		f := &m.Fields[i]
		if f.Ref == "" || !f.Stored() {
			continue
		}
		v, ok := row[f.Column]
		if !ok || v == nil {
			continue
		}
		target, _ := e.Registry.Model(f.Ref)
		reads = append(reads, store.Read{Count: true, Query: store.Query{Table: target.Table, Where: store.Eq(target.PKColumn, v)}})
		checks = append(checks, func(r store.ReadResult, verr *ValidationError) {
			if r.N == 0 {
				verr.Add(f.Name, fmt.Sprintf("Invalid pk \"%v\" - object does not exist.", v))
			}
		})
	}
	for name, vals := range m2m {
		if len(vals) == 0 {
			continue
		}
		f, _ := m.Field(name)
		target, _ := e.Registry.Model(f.M2M)
		reads = append(reads, store.Read{Query: store.Query{Table: target.Table, Columns: []string{target.PKColumn}, Where: store.InCond{Column: target.PKColumn, Values: vals}}})
		checks = append(checks, func(r store.ReadResult, verr *ValidationError) {
			have := map[string]bool{}
			for _, row := range r.Rows {
				have[fmt.Sprint(row[target.PKColumn])] = true
			}
			for _, v := range vals {
				if !have[fmt.Sprint(v)] {
					verr.Add(name, fmt.Sprintf("Invalid pk \"%v\" - object does not exist.", v))
				}
			}
		})
	}
	var sets [][]string
	var conds store.OrCond
	for _, set := range m.Unique {
		if !unique {
			break
		}
		cond := store.AndCond{}
		complete := true
		for _, name := range set {
			f, _ := m.Field(name)
			v, ok := row[f.Column]
			if !ok || v == nil {
				complete = false
				break
			}
			cond = append(cond, store.Eq(f.Column, v))
		}
		if !complete {
			continue
		}
		if oldPK != nil {
			cond = append(cond, store.CmpCond{Column: m.PKColumn, Op: "!=", Value: oldPK})
		}
		sets, conds = append(sets, set), append(conds, cond)
	}
	// Several unique sets are tested with one count, since conflicts are
	// rare (a user has two: username and uuid); only when it finds one
	// are they counted one by one, so the error names the sets.
	conflict := false
	switch len(conds) {
	case 0:
	case 1:
		reads = append(reads, store.Read{Count: true, Query: store.Query{Table: m.Table, Where: conds[0]}})
		checks = append(checks, func(r store.ReadResult, verr *ValidationError) {
			if r.N > 0 {
				addUnique(verr, m, sets[0])
			}
		})
	default:
		reads = append(reads, store.Read{Count: true, Query: store.Query{Table: m.Table, Where: conds}})
		checks = append(checks, func(r store.ReadResult, _ *ValidationError) { conflict = r.N > 0 })
	}
	verr := &ValidationError{}
	if len(reads) > 0 {
		res, err := tx.ReadMany(ctx, reads)
		if err != nil {
			return err
		}
		for i, check := range checks {
			check(res[i], verr)
		}
	}
	if conflict {
		for i, cond := range conds {
			n, err := tx.Count(ctx, store.Query{Table: m.Table, Where: cond})
			if err != nil {
				return err
			}
			if n > 0 {
				addUnique(verr, m, sets[i])
			}
		}
	}
	if !verr.Empty() {
		return verr
	}
	return nil
}

func addUnique(verr *ValidationError, m *registry.Model, set []string) {
	vn := m.VerboseName
	if vn == "" {
		vn = m.ModelName()
	}
	if len(set) == 1 {
		verr.Add(set[0], fmt.Sprintf("%s with this %s already exists.", lowerFirst(vn), strings.ReplaceAll(set[0], "_", " ")))
		return
	}
	verr.Add("", fmt.Sprintf("The fields %s must make a unique set.", strings.Join(set, ", ")))
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// setM2M replaces the targets of a many-to-many field. created says the
// object was inserted just now: no row can point at it yet (foreign
// keys), so there is nothing to clear, and a bulk create (a blueprint of
// thousands of users) saves one statement per object and field.
func (e *Engine) setM2M(ctx context.Context, tx store.Tx, m *registry.Model, f *registry.Field, pk any, vals []any, created bool) error {
	j, ok := e.Join(m, f)
	if !ok {
		return fmt.Errorf("%s.%s is not a many-to-many field", m.Name, f.Name)
	}
	if j.ReverseFK {
		if !created {
			if _, err := tx.UpdateWhere(ctx, j.Table, store.Eq(j.Self, pk), store.Row{j.Self: nil}); err != nil {
				return err
			}
		}
		if len(vals) == 0 {
			return nil
		}
		_, err := tx.UpdateWhere(ctx, j.Table, store.InCond{Column: j.Other, Values: vals}, store.Row{j.Self: pk})
		return err
	}
	if !created {
		if _, err := tx.DeleteWhere(ctx, j.Table, store.Eq(j.Self, pk)); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	others := make([]any, 0, len(vals))
	for _, v := range vals {
		k := fmt.Sprint(v)
		if seen[k] {
			continue
		}
		seen[k] = true
		others = append(others, v)
	}
	if err := insertJoinRows(ctx, tx, j, pk, others); err != nil {
		return fmt.Errorf("set %s.%s: %w", m.Name, f.Name, err)
	}
	return nil
}

// joinRowsPerStatement bounds a multi-row join insert: two parameters a
// row stay far below SQLite's and PostgreSQL's parameter limits.
const joinRowsPerStatement = 500

// insertJoinRows links pk to others in a join table with one multi-row
// INSERT per joinRowsPerStatement rows rather than one statement a row,
// which on PostgreSQL is one round trip per group of a user. A single
// row goes through tx.Insert. The values are already in their stored
// form (fromJSON's canonical UUIDs and integers, the stored pk), which
// raw statements bind unchanged on both backends.
func insertJoinRows(ctx context.Context, tx store.Tx, j M2MJoin, pk any, others []any) error {
	if len(others) == 1 {
		_, err := tx.Insert(ctx, j.Table, store.Row{j.Self: pk, j.Other: others[0]})
		return err
	}
	for len(others) > 0 {
		n := min(len(others), joinRowsPerStatement)
		var b strings.Builder
		b.WriteString("INSERT INTO " + quoteIdent(j.Table) + " (" + quoteIdent(j.Self) + ", " + quoteIdent(j.Other) + ") VALUES ")
		args := make([]any, 0, 2*n)
		for i, v := range others[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?)")
			args = append(args, pk, v)
		}
		if err := tx.Exec(ctx, b.String(), args...); err != nil {
			return err
		}
		others = others[n:]
	}
	return nil
}

// quoteIdent quotes a table or column name as both backends read it.
func quoteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// Update replaces (partial=false) or patches an object.
func (e *Engine) Update(ctx context.Context, ep *registry.Endpoint, lookup string, body Object, partial bool) (Object, error) {
	var out Object
	err := e.Store.Update(ctx, func(tx store.Tx) error {
		var err error
		out, err = e.UpdateTx(ctx, tx, ep, lookup, body, partial)
		return err
	})
	if err != nil {
		return nil, e.translate(ep, err)
	}
	return out, nil
}

// UpdateTx is Update inside a caller's transaction.
func (e *Engine) UpdateTx(ctx context.Context, tx store.Tx, ep *registry.Endpoint, lookup string, body Object, partial bool) (Object, error) {
	row, err := e.UpdateRowTx(ctx, tx, ep, lookup, body, partial)
	if err != nil {
		return nil, err
	}
	m, _ := e.model(ep)
	objs, err := e.Project(ctx, tx, m, ep.Schema, []store.Row{row})
	if err != nil {
		return nil, err
	}
	return objs[0], nil
}

// UpdateRowTx is UpdateTx returning the stored row (see CreateRowTx).
func (e *Engine) UpdateRowTx(ctx context.Context, tx store.Tx, ep *registry.Endpoint, lookup string, body Object, partial bool) (store.Row, error) {
	m, err := e.model(ep)
	if err != nil {
		return nil, err
	}
	old, err := e.getRow(ctx, tx, m, ep, lookup)
	if err != nil {
		return nil, err
	}
	schemaName := ep.Request
	if partial && ep.Patch != "" {
		schemaName = ep.Patch
	}
	if verr := e.Validate(schemaName, body); !verr.Empty() {
		return nil, verr
	}
	row, m2m, err := e.rowFromBody(m, schemaName, body, false)
	if err != nil {
		return nil, err
	}
	if f, ok := m.Field("last_updated"); ok && f.Stored() {
		row[f.Column] = store.NowUTC(e.Now())
	}
	for _, hook := range append(e.Hooks.BeforeWrite["*"], e.Hooks.BeforeWrite[m.Name]...) {
		if err := hook(ctx, tx, m, old, row, body); err != nil {
			return nil, err
		}
	}
	pk := old[m.PKColumn]
	merged := store.Row{}
	for k, v := range old {
		merged[k] = v
	}
	for k, v := range row {
		merged[k] = v
	}
	if err := e.checkRelations(ctx, tx, m, merged, m2m, pk); err != nil {
		return nil, err
	}
	delete(row, m.PKColumn)
	if len(row) > 0 {
		if _, err := tx.UpdateWhere(ctx, m.Table, store.Eq(m.PKColumn, pk), row); err != nil {
			return nil, fmt.Errorf("update %s: %w", m.Name, err)
		}
		if err := e.updateAncestors(ctx, tx, m, merged, row); err != nil {
			return nil, err
		}
	}
	names := make([]string, 0, len(m2m))
	for n := range m2m {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		f, _ := m.Field(name)
		if err := e.setM2M(ctx, tx, m, f, pk, m2m[name], false); err != nil {
			return nil, err
		}
	}
	stored, err := tx.Select(ctx, store.Query{Table: m.Table, Where: store.Eq(m.PKColumn, pk)})
	if err != nil {
		return nil, err
	}
	if len(stored) == 0 {
		return nil, fmt.Errorf("update %s: row vanished", m.Name)
	}
	if err := e.afterWrite(ctx, tx, "update", m, old, stored[0]); err != nil {
		return nil, err
	}
	return stored[0], nil
}

// updateAncestors keeps the ancestor copies of changed fields in step.
func (e *Engine) updateAncestors(ctx context.Context, tx store.Tx, m *registry.Model, merged, changed store.Row) error {
	pk := merged[m.PKColumn]
	child := m
	for _, a := range m.Ancestors {
		am, _ := e.Registry.Model(a)
		if child.ParentColumn != child.PKColumn {
			pk = merged[child.ParentColumn]
		}
		set := store.Row{}
		copyShared(m, am, changed, set)
		if len(set) > 0 && pk != nil {
			if _, err := tx.UpdateWhere(ctx, am.Table, store.Eq(am.PKColumn, pk), set); err != nil {
				return fmt.Errorf("update %s: %w", am.Name, err)
			}
		}
		child = am
	}
	return nil
}

// Destroy deletes an object; the database applies authentik's on-delete
// actions to everything that references it.
func (e *Engine) Destroy(ctx context.Context, ep *registry.Endpoint, lookup string) error {
	err := e.Store.Update(ctx, func(tx store.Tx) error { return e.DestroyTx(ctx, tx, ep, lookup) })
	return e.translate(ep, err)
}

// DestroyTx is Destroy inside a caller's transaction.
func (e *Engine) DestroyTx(ctx context.Context, tx store.Tx, ep *registry.Endpoint, lookup string) error {
	m, err := e.model(ep)
	if err != nil {
		return err
	}
	row, err := e.getRow(ctx, tx, m, ep, lookup)
	if err != nil {
		return err
	}
	concrete := e.concreteOf(m, row)
	if err := e.deleteRow(ctx, tx, m, row); err != nil {
		return err
	}
	return e.afterWrite(ctx, tx, "delete", concrete, row, nil)
}

func (e *Engine) afterWrite(ctx context.Context, tx store.Tx, op string, m *registry.Model, before, after store.Row) error {
	for _, fn := range e.Hooks.AfterWrite {
		if err := fn(ctx, tx, op, m, before, after); err != nil {
			return err
		}
	}
	return nil
}

// deleteRow deletes the root ancestor row (or the row itself), which the
// database cascades down the inheritance chain.
func (e *Engine) deleteRow(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row) error {
	table, pkCol, pk := m.Table, m.PKColumn, row[m.PKColumn]
	cur := m
	for cur.Parent != "" {
		pm, ok := e.Registry.Model(cur.Parent)
		if !ok {
			break
		}
		if cur.ParentColumn != cur.PKColumn {
			if cur != m {
				// The link column lives on an ancestor row: read it.
				rows, err := tx.Select(ctx, store.Query{Table: cur.Table, Columns: []string{cur.ParentColumn}, Where: store.Eq(cur.PKColumn, pk)})
				if err != nil || len(rows) == 0 {
					break
				}
				pk = rows[0][cur.ParentColumn]
			} else {
				pk = row[cur.ParentColumn]
			}
		}
		if pk == nil {
			break
		}
		table, pkCol, cur = pm.Table, pm.PKColumn, pm
	}
	if _, err := tx.DeleteWhere(ctx, table, store.Eq(pkCol, pk)); err != nil {
		return fmt.Errorf("delete %s: %w", m.Name, err)
	}
	if table != m.Table {
		// Belt and braces for rows whose parent link was empty.
		if _, err := tx.DeleteWhere(ctx, m.Table, store.Eq(m.PKColumn, row[m.PKColumn])); err != nil {
			return fmt.Errorf("delete %s: %w", m.Name, err)
		}
	}
	return nil
}

// translate turns store constraint errors into API validation errors.
func (e *Engine) translate(ep *registry.Endpoint, err error) error {
	if err == nil {
		return nil
	}
	var ue *store.UniqueError
	if errors.As(err, &ue) {
		verr := &ValidationError{}
		m, _ := e.Registry.Model(ep.Model)
		names := make([]string, 0, len(ue.Columns))
		for _, c := range ue.Columns {
			name := c
			if m != nil {
				if f, ok := m.FieldByColumn(c); ok {
					name = f.Name
				}
			}
			names = append(names, name)
		}
		if m != nil {
			addUnique(verr, m, names)
		} else {
			verr.Add("", ue.Error())
		}
		return verr
	}
	var fe *store.ForeignKeyError
	if errors.As(err, &fe) {
		return Invalid("", "This object is referenced by other objects that protect it, or references an object that does not exist.")
	}
	return err
}

// requiredRef reports a foreign key the model cannot store without.
func requiredRef(f *registry.Field) bool {
	return f.Ref != "" && f.Stored() && !f.Nullable && !f.HasDefault && !f.Hidden
}
