package storetarget

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/akgo/akgo/internal/auth"
	"github.com/akgo/akgo/internal/blueprint"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/events"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// Blueprint-only fields: accepted in a blueprint's attrs although the
// models' request schemas do not list them (authentik switches them on
// when its serializer runs for a blueprint entry).
const (
	userModel     = "authentik_core.user"
	tokenModel    = "authentik_core.token"
	passwordField = "password"
	keyField      = "key"
)

// Event values of a blueprint-set password, as authentik records them when
// User.set_password fires its password_changed signal.
const (
	actionPasswordSet = "password_set"
	passwordSetApp    = "authentik.events.signals"
)

// listChunk bounds how many rows one projection handles, which keeps the
// IN lists of related-object queries under both backends' parameter
// limits and the memory of a large listing flat.
const listChunk = 2000

// EventRecorder writes audit events inside a transaction (*events.Recorder).
type EventRecorder interface {
	RecordTx(ctx context.Context, tx store.Tx, action, app string, data map[string]any) error
}

// Target applies a blueprint inside one transaction of akserver's store.
// It is not safe for concurrent use: a transaction is sequential.
type Target struct {
	engine *engine.Engine
	tx     store.Tx
	// Events records password_set for passwords a blueprint sets; nil
	// records nothing.
	Events EventRecorder
	// HashPassword hashes a blueprint-given password; nil is
	// auth.HashPassword (Django's pbkdf2_sha256 with its iteration count).
	HashPassword func(string) (string, error)

	endpoints map[string]*registry.Endpoint
}

var _ blueprint.Target = (*Target)(nil)

// New returns a target writing through e inside tx.
func New(e *engine.Engine, tx store.Tx) *Target {
	return &Target{engine: e, tx: tx, endpoints: map[string]*registry.Endpoint{}}
}

// Tx is the transaction the target writes in.
func (t *Target) Tx() store.Tx { return t.tx }

// Run runs fn with a target over a new read-write transaction, committing
// only when fn returns nil: a blueprint applies completely or not at all.
// fn must use the context it is given: the observers of the events it
// records (notification rules) learn of them only once the transaction
// has committed, and not at all when it rolls back.
func Run(ctx context.Context, e *engine.Engine, fn func(context.Context, *Target) error) error {
	ctx, flush := events.Defer(ctx)
	err := e.Store.Update(ctx, func(tx store.Tx) error {
		if err := PlanEachStatement(ctx, e, tx); err != nil {
			return err
		}
		if err := fn(ctx, New(e, tx)); err != nil {
			return err
		}
		// The events of the writes are queued under the Defer context.
		return events.FlushTx(ctx, tx)
	})
	if err == nil {
		flush()
	}
	return err
}

// PlanEachStatement makes PostgreSQL plan every statement of the rest of
// tx (or of its current savepoint) for its parameters and the tables as
// they are, rather than reuse the generic plan of a prepared statement.
// A bulk write fills tables inside its own transaction: a generic plan
// made while a table was nearly empty scans it whole, and one check per
// created user over a table growing to 25,000 rows made a blueprint
// apply quadratic. Planning each statement costs far less.
func PlanEachStatement(ctx context.Context, e *engine.Engine, tx store.Tx) error {
	if e.Store.Dialect() != "postgres" {
		return nil
	}
	if err := tx.Exec(ctx, "SET LOCAL plan_cache_mode = force_custom_plan"); err != nil {
		return fmt.Errorf("plan each statement: %w", err)
	}
	return nil
}

func (t *Target) endpoint(model string) (*registry.Endpoint, *registry.Model, error) {
	return t.endpointOf(model, false)
}

func (t *Target) endpointOf(model string, withFamily bool) (*registry.Endpoint, *registry.Model, error) {
	key := model
	if withFamily {
		key = "family:" + model
	}
	ep, ok := t.endpoints[key]
	if !ok {
		var err error
		if withFamily {
			ep, err = t.engine.Registry.ReadEndpoint(model)
		} else {
			ep, err = t.engine.Registry.WriteEndpoint(model)
		}
		if err != nil {
			return nil, nil, err
		}
		t.endpoints[key] = ep
	}
	m, ok := t.engine.Registry.Model(ep.Model)
	if !ok {
		return nil, nil, fmt.Errorf("endpoint %s: unknown model %s", ep.Path, ep.Model)
	}
	return ep, m, nil
}

// List returns every object of a model (see objects for which fields),
// leaving out rows the API never shows (the anonymous user), in the
// endpoint's default order. A polymorphic base (authentik_flows.stage)
// lists every kind, as its "/all/" endpoint does.
func (t *Target) List(ctx context.Context, model string) ([]blueprint.Object, error) {
	ep, m, err := t.endpointOf(model, true)
	if err != nil {
		return nil, err
	}
	q := store.Query{Table: m.Table, OrderBy: t.order(m)}
	if hidden, ok := t.engine.Hooks.HiddenRows[m.Name]; ok {
		q.Where = store.NotCond{Cond: hidden}
	}
	// Pages of listChunk rows: the rows of a large table (25,000 users)
	// are not all held next to the objects made of them. The pages are
	// consistent, being read in one transaction in a total order.
	q.Limit = listChunk
	var out []blueprint.Object
	for {
		rows, err := t.tx.Select(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", m.Name, err)
		}
		objs, err := t.objects(ctx, ep, m, rows)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", m.Name, err)
		}
		out = append(out, objs...)
		if len(rows) < listChunk {
			return out, nil
		}
		q.Offset += listChunk
	}
}

// order is the model's default ordering, then the pk, so listings are
// stable.
func (t *Target) order(m *registry.Model) []store.Order {
	var out []store.Order
	for _, name := range m.DefaultOrdering {
		desc := strings.HasPrefix(name, "-")
		f, ok := m.Field(strings.TrimPrefix(name, "-"))
		if ok && f.Stored() {
			out = append(out, store.Order{Column: f.Column, Desc: desc})
		}
	}
	return append(out, store.Order{Column: m.PKColumn})
}

// Create validates attrs against the model's request schema and creates
// the object, as POST on its endpoint does.
func (t *Target) Create(ctx context.Context, model string, attrs blueprint.Object) (blueprint.Object, error) {
	ep, m, err := t.endpoint(model)
	if err != nil {
		return nil, err
	}
	body, extra, err := split(m, attrs)
	if err != nil {
		return nil, wrap("write "+m.Name, err)
	}
	row, err := t.engine.CreateRowTx(ctx, t.tx, ep, body)
	if err != nil {
		return nil, wrap("create "+m.Name, err)
	}
	obj := t.render(m, row, body)
	if err := t.writeExtra(ctx, m, obj, extra); err != nil {
		return nil, wrap("create "+m.Name, err)
	}
	return obj, nil
}

// render is the object a write returns: the stored fields as objects
// renders them, and the many-to-many sets the write set (from body, which
// the engine validated; a set the write left alone is not shown). It
// costs no query, which matters when a blueprint creates thousands of
// objects.
func (t *Target) render(m *registry.Model, row store.Row, body engine.Object) blueprint.Object {
	obj := blueprint.Object{}
	storedFields(m, row, obj)
	for i := range m.Fields {
		f := &m.Fields[i]
		if f.M2M == "" || f.Hidden {
			continue
		}
		if v, given := body[f.Name]; given {
			obj[f.Name] = v
		}
	}
	return obj
}

// storedFields adds the stored fields the API shows that obj lacks.
func storedFields(m *registry.Model, row store.Row, obj blueprint.Object) {
	for j := range m.Fields {
		f := &m.Fields[j]
		if !f.Stored() || f.Hidden || f.WriteOnly {
			continue
		}
		if _, set := obj[f.Name]; set {
			continue
		}
		obj[f.Name] = jsonValue(f, row[f.Column])
	}
}

// objects renders rows as the planner needs them: the writable fields as
// the endpoint's request schema shows them (many-to-many sets as pk
// lists), plus every other stored field the API shows (keys such as pk
// and the policy binding model id, read-only values such as managed).
// The full response projection also computes nested objects and derived
// fields a blueprint never reads (a user's groups_obj and is_superuser, a
// group's users_obj): it made bulk applies several times slower, and a
// group's users_obj over 25,000 members exceeds SQLite's bound
// parameters. Read-only endpoints (a family's "/all/") use their response
// schema.
func (t *Target) objects(ctx context.Context, ep *registry.Endpoint, m *registry.Model, rows []store.Row) ([]blueprint.Object, error) {
	schema := ep.Request
	if schema == "" || m.Abstract {
		schema = ep.Schema
	}
	objs, err := t.engine.Project(ctx, t.tx, m, schema, rows)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", m.Name, err)
	}
	for i, obj := range objs {
		storedFields(m, rows[i], obj)
	}
	return objs, nil
}

// jsonValue is a stored value as the API renders it.
func jsonValue(f *registry.Field, v any) any {
	switch x := v.(type) {
	case time.Time:
		if f.Kind == registry.KindDate {
			return x.UTC().Format("2006-01-02")
		}
		return x.UTC().Format(engine.TimeFormat)
	case json.RawMessage:
		var out any
		if json.Unmarshal(x, &out) == nil {
			return out
		}
		return nil
	case []byte:
		if f.Kind == registry.KindJSON {
			var out any
			if json.Unmarshal(x, &out) == nil {
				return out
			}
		}
		return string(x)
	case int64:
		if f.Kind == registry.KindFloat {
			return float64(x)
		}
	}
	return v
}

// Update changes the given attributes only, as PATCH on the endpoint does.
// pk is the endpoint's lookup value (a flow's slug); the primary key is
// accepted as well.
func (t *Target) Update(ctx context.Context, model string, pk any, attrs blueprint.Object) (blueprint.Object, error) {
	ep, m, err := t.endpoint(model)
	if err != nil {
		return nil, err
	}
	lep, lookup, err := t.lookup(ctx, ep, m, pk)
	if err != nil {
		return nil, err
	}
	body, extra, err := split(m, attrs)
	if err != nil {
		return nil, wrap("write "+m.Name, err)
	}
	row, err := t.engine.UpdateRowTx(ctx, t.tx, lep, lookup, body, true)
	if err != nil {
		return nil, wrap(fmt.Sprintf("update %s %v", m.Name, pk), err)
	}
	obj := t.render(m, row, body)
	if err := t.writeExtra(ctx, m, obj, extra); err != nil {
		return nil, wrap(fmt.Sprintf("update %s %v", m.Name, pk), err)
	}
	return obj, nil
}

// Delete deletes one object; the database applies authentik's on-delete
// actions (a flow's bindings go with it).
func (t *Target) Delete(ctx context.Context, model string, pk any) error {
	ep, m, err := t.endpoint(model)
	if err != nil {
		return err
	}
	lep, lookup, err := t.lookup(ctx, ep, m, pk)
	if err != nil {
		return err
	}
	if err := t.engine.DestroyTx(ctx, t.tx, lep, lookup); err != nil {
		return wrap(fmt.Sprintf("delete %s %v", m.Name, pk), err)
	}
	return nil
}

// lookup decides how pk designates an object: as the primary key (what
// the planner passes: the API object's "pk"), else as the endpoint's
// lookup value (a flow's slug), so callers holding either work.
func (t *Target) lookup(ctx context.Context, ep *registry.Endpoint, m *registry.Model, pk any) (*registry.Endpoint, string, error) {
	if pk == nil {
		return nil, "", fmt.Errorf("%s: no pk given", m.Name)
	}
	s := fmt.Sprint(pk)
	if f, ok := pk.(float64); ok && f == float64(int64(f)) {
		s = fmt.Sprint(int64(f)) // JSON numbers arrive as float64
	}
	if ep.LookupField == "" || ep.LookupField == "pk" {
		return ep, s, nil
	}
	byPK := *ep
	byPK.LookupField = "pk"
	v, isPK := engine.ParsePK(m, s)
	if !isPK {
		return ep, s, nil
	}
	n, err := t.tx.Count(ctx, store.Query{Table: m.Table, Where: store.Eq(m.PKColumn, v)})
	if err != nil {
		return nil, "", fmt.Errorf("find %s %v: %w", m.Name, pk, err)
	}
	if n > 0 {
		return &byPK, s, nil
	}
	return ep, s, nil
}

// extra holds the blueprint-only values of one write.
type extra struct {
	password *string
	key      *string
}

// split separates the blueprint-only fields from the API body. The
// caller's map is not modified.
func split(m *registry.Model, attrs blueprint.Object) (engine.Object, extra, error) {
	var x extra
	body := make(engine.Object, len(attrs))
	for k, v := range attrs {
		body[k] = v
	}
	take := func(field string) (*string, error) {
		v, given := body[field]
		if !given {
			return nil, nil
		}
		delete(body, field)
		if v == nil {
			return nil, nil
		}
		s, ok := v.(string)
		if !ok {
			return nil, engine.Invalid(field, "Not a valid string.")
		}
		return &s, nil
	}
	var err error
	switch m.Name {
	case userModel:
		x.password, err = take(passwordField)
	case tokenModel:
		x.key, err = take(keyField)
		if err == nil && x.key != nil && *x.key == "" {
			err = engine.Invalid(keyField, "This field may not be blank.")
		}
	}
	if err != nil {
		return nil, extra{}, err
	}
	return body, x, nil
}

// writeExtra stores the blueprint-only values after the API write of obj.
func (t *Target) writeExtra(ctx context.Context, m *registry.Model, obj blueprint.Object, x extra) error {
	if x.password == nil && x.key == nil {
		return nil
	}
	pk, ok := engine.ParsePK(m, fmt.Sprint(obj["pk"]))
	if !ok {
		return fmt.Errorf("%s: the API returned no usable pk (%v)", m.Name, obj["pk"])
	}
	switch {
	case x.password != nil && *x.password != "":
		// authentik only calls set_password for a non-empty password; an
		// empty one leaves the unusable password a new user starts with.
		hash := t.HashPassword
		if hash == nil {
			hash = auth.HashPassword
		}
		h, err := hash(*x.password)
		if err != nil {
			return fmt.Errorf("set password of %s %v: %w", m.Name, pk, err)
		}
		set := store.Row{m.MustColumn("password"): h, m.MustColumn("password_change_date"): store.NowUTC(t.engine.Now())}
		if _, err := t.tx.UpdateWhere(ctx, m.Table, store.Eq(m.PKColumn, pk), set); err != nil {
			return fmt.Errorf("set password of %s %v: %w", m.Name, pk, err)
		}
		if t.Events != nil {
			if err := t.Events.RecordTx(ctx, t.tx, actionPasswordSet, passwordSetApp, map[string]any{}); err != nil {
				return fmt.Errorf("record password_set: %w", err)
			}
		}
	case x.key != nil:
		if _, err := t.tx.UpdateWhere(ctx, m.Table, store.Eq(m.PKColumn, pk), store.Row{m.MustColumn(keyField): *x.key}); err != nil {
			var ue *store.UniqueError
			if errors.As(err, &ue) {
				return engine.Invalid(keyField, "token with this key already exists.")
			}
			return fmt.Errorf("set key of %s %v: %w", m.Name, pk, err)
		}
	}
	return nil
}

// wrap gives an engine error the shapes the blueprint applier understands:
// field messages (blueprint.FieldErrorer) for validation errors, and
// blueprint.ErrNotFound for a missing object. The engine's own error stays
// reachable with errors.As.
func wrap(op string, err error) error {
	if v, ok := engine.AsValidation(err); ok {
		return &fieldError{op: op, v: v}
	}
	var nf *engine.NotFoundError
	if errors.As(err, &nf) {
		return fmt.Errorf("%s: %w: %w", op, blueprint.ErrNotFound, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// fieldError is an engine validation error seen through
// blueprint.FieldErrorer.
type fieldError struct {
	op string
	v  *engine.ValidationError
}

func (e *fieldError) Error() string { return e.op + ": " + e.v.Error() }
func (e *fieldError) Unwrap() error { return e.v }

// FieldErrors implements blueprint.FieldErrorer ("" holds non-field errors).
func (e *fieldError) FieldErrors() map[string][]string {
	out := make(map[string][]string, len(e.v.Fields)+1)
	for k, msgs := range e.v.Fields {
		out[k] = append([]string(nil), msgs...)
	}
	if len(e.v.NonField) > 0 {
		out[""] = append([]string(nil), e.v.NonField...)
	}
	return out
}

var _ blueprint.FieldErrorer = (*fieldError)(nil)
