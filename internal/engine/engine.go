package engine

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/akgo/akgo/internal/apispec"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// Object is an API object: JSON field name → JSON value (string, float64,
// bool, nil, []any, map[string]any, json.RawMessage).
type Object = map[string]any

// Engine runs the uniform operations of every endpoint.
type Engine struct {
	Store    store.Store
	Registry *registry.Registry
	Spec     *apispec.Spec
	Hooks    *Hooks
	// Now and NewUUID are injected so tests can pin them.
	Now     func() time.Time
	NewUUID func() string

	tablesOnce sync.Once
	tables     map[string]*store.Table

	// plans caches projection plans by schema and model (projplan.go).
	plans sync.Map
}

// table returns the descriptor Tables derives for a model's table (nil
// when the registry does not describe it).
func (e *Engine) table(m *registry.Model) *store.Table {
	e.tablesOnce.Do(func() {
		e.tables = map[string]*store.Table{}
		ts, err := Tables(e.Registry)
		if err != nil {
			return // the migrations refuse such a registry first
		}
		for i := range ts {
			e.tables[ts[i].Name] = &ts[i]
		}
	})
	return e.tables[m.Table]
}

// New builds an engine with real time and randomness.
func New(st store.Store, reg *registry.Registry, spec *apispec.Spec) *Engine {
	return &Engine{Store: st, Registry: reg, Spec: spec, Hooks: NewHooks(),
		Now: time.Now, NewUUID: func() string { return uuid.NewString() }}
}

// NotFoundError says an object does not exist (404 {"detail": ...}).
type NotFoundError struct{ Detail string }

func (e *NotFoundError) Error() string { return e.Detail }

// notFound is DRF's Http404 answer.
func notFound() error { return &NotFoundError{Detail: "Not found."} }

// ValidationError carries DRF-style field errors (400 ValidationError).
type ValidationError struct {
	Fields   map[string][]string
	NonField []string
}

func (e *ValidationError) Error() string {
	var parts []string
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, k+": "+strings.Join(e.Fields[k], " "))
	}
	parts = append(parts, e.NonField...)
	return "validation failed: " + strings.Join(parts, "; ")
}

// Add records a message for a field ("" for non_field_errors).
func (e *ValidationError) Add(field, msg string) {
	if field == "" || field == "non_field_errors" {
		e.NonField = append(e.NonField, msg)
		return
	}
	if e.Fields == nil {
		e.Fields = map[string][]string{}
	}
	e.Fields[field] = append(e.Fields[field], msg)
}

// Empty reports whether nothing was recorded.
func (e *ValidationError) Empty() bool { return len(e.Fields) == 0 && len(e.NonField) == 0 }

// Invalid returns a ValidationError with one field message.
func Invalid(field, msg string) *ValidationError {
	v := &ValidationError{}
	v.Add(field, msg)
	return v
}

// AsValidation returns err as a *ValidationError when it is one.
func AsValidation(err error) (*ValidationError, bool) {
	var v *ValidationError
	ok := errors.As(err, &v)
	return v, ok
}

// model returns the descriptor of an endpoint's model.
func (e *Engine) model(ep *registry.Endpoint) (*registry.Model, error) {
	m, ok := e.Registry.Model(ep.Model)
	if !ok {
		return nil, fmt.Errorf("endpoint %s: unknown model %s", ep.Path, ep.Model)
	}
	return m, nil
}

// RandomString returns n characters from alphabet using crypto/rand.
func RandomString(n int, alphabet string) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// Alphanumeric is the alphabet authentik's generate_id / generate_key use.
const Alphanumeric = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// ctxKey scopes request data that hooks may need.
type ctxKey int

const actorKey ctxKey = 1

// Actor is who performs an operation: the authenticated user, and where
// the request came from.
type Actor struct {
	UserPK   int64
	Username string
	Email    string
	ClientIP string
	// Request is "METHOD path" and Query the raw query of the API request,
	// recorded in events as authentik does.
	Method, Path, Query string
}

// WithActor attaches the acting user to ctx.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey, a)
}

// ActorFrom returns the acting user, if any.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey).(Actor)
	return a, ok
}

const baseURLKey ctxKey = 2

// WithBaseURL attaches the external base URL of the request
// ("https://host") so computed fields can build absolute URLs as authentik
// does with request.build_absolute_uri.
func WithBaseURL(ctx context.Context, u string) context.Context {
	return context.WithValue(ctx, baseURLKey, u)
}

// BaseURLFrom returns the request's base URL ("" outside a request).
func BaseURLFrom(ctx context.Context) string {
	u, _ := ctx.Value(baseURLKey).(string)
	return u
}

const scopeKey ctxKey = 3

type scope struct {
	model string
	cond  store.Cond
}

// WithScope limits what the engine reads of one model in ctx to rows
// matching cond (the objects the caller may see): lists are filtered and a
// detail lookup outside the scope is a 404, like DRF's filtered querysets.
func WithScope(ctx context.Context, model string, cond store.Cond) context.Context {
	return context.WithValue(ctx, scopeKey, scope{model, cond})
}

func (e *Engine) scopeOf(ctx context.Context, m *registry.Model) store.Cond {
	var conds []store.Cond
	if s, ok := ctx.Value(scopeKey).(scope); ok && s.model == m.Name {
		conds = append(conds, s.cond)
	}
	if hidden, ok := e.Hooks.HiddenRows[m.Name]; ok {
		conds = append(conds, store.NotCond{Cond: hidden})
	}
	if len(conds) == 0 {
		return nil
	}
	return store.And(conds...)
}
