package httptarget

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/akgo/akgo/internal/blueprint"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/pkg/client"
)

// PageSize is how many objects one list request asks for.
const PageSize = 1000

// Target applies blueprints through an authentik API. It is safe for
// concurrent use.
type Target struct {
	c *client.Client

	mu sync.Mutex
	// lookups remembers, per model, the URL lookup value (a flow's slug, a
	// token's identifier) of each primary key seen.
	lookups map[string]map[string]string
}

var _ blueprint.Target = (*Target)(nil)

// New returns a target calling the API through c.
func New(c *client.Client) *Target {
	return &Target{c: c, lookups: map[string]map[string]string{}}
}

// Error is an API error with its validation messages per field.
type Error struct {
	API *client.APIError
}

func (e *Error) Error() string { return e.API.Error() }

// Unwrap exposes the API error, and blueprint.ErrNotFound for a 404.
func (e *Error) Unwrap() []error {
	if e.API.StatusCode == 404 {
		return []error{e.API, blueprint.ErrNotFound}
	}
	return []error{e.API}
}

// FieldErrors implements blueprint.FieldErrorer: a 400's field messages,
// its non-field messages under "".
func (e *Error) FieldErrors() map[string][]string {
	if e.API.StatusCode != 400 {
		return nil
	}
	out := map[string][]string{}
	for k, v := range e.API.Fields {
		out[k] = v
	}
	if len(e.API.NonField) > 0 {
		out[""] = e.API.NonField
	}
	return out
}

func wrap(err error) error {
	var api *client.APIError
	if errors.As(err, &api) {
		return &Error{API: api}
	}
	return err
}

// List reads every object of a model, page by page.
func (t *Target) List(ctx context.Context, model string) ([]blueprint.Object, error) {
	ep, err := blueprint.Endpoint(model)
	if err != nil {
		return nil, err
	}
	if _, ok := ep.Ops[registry.OpList]; !ok {
		return nil, fmt.Errorf("model %s cannot be listed through %s", model, ep.Path)
	}
	var out []blueprint.Object
	for page := 1; ; {
		q := url.Values{"page_size": {strconv.Itoa(PageSize)}, "page": {strconv.Itoa(page)}}
		for _, f := range ep.Filters {
			// Applications are filtered by the caller's access unless a
			// superuser asks for the full list.
			if f.Param == "superuser_full_list" {
				q.Set(f.Param, "true")
			}
		}
		var raw json.RawMessage
		if err := t.c.Do(ctx, "GET", ep.Path, q, nil, &raw); err != nil {
			return nil, fmt.Errorf("list %s: %w", model, wrap(err))
		}
		objs, next, err := decodePage(raw)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", model, err)
		}
		out = append(out, objs...)
		if next <= page {
			break
		}
		page = next
	}
	t.remember(model, ep, out...)
	return out, nil
}

// decodePage reads a paginated envelope ({pagination, results}) or a plain
// array (unpaginated endpoints).
func decodePage(raw json.RawMessage) ([]blueprint.Object, int, error) {
	if len(raw) > 0 && raw[0] == '[' {
		var objs []blueprint.Object
		if err := json.Unmarshal(raw, &objs); err != nil {
			return nil, 0, fmt.Errorf("decode list: %w", err)
		}
		return objs, 0, nil
	}
	var env struct {
		Pagination struct {
			Next float64 `json:"next"`
		} `json:"pagination"`
		Results []blueprint.Object `json:"results"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, 0, fmt.Errorf("decode list: %w", err)
	}
	return env.Results, int(env.Pagination.Next), nil
}

// Create creates the object on its concrete endpoint, then sets the
// blueprint-only values.
func (t *Target) Create(ctx context.Context, model string, attrs blueprint.Object) (blueprint.Object, error) {
	ep, err := blueprint.Endpoint(model)
	if err != nil {
		return nil, err
	}
	if _, ok := ep.Ops[registry.OpCreate]; !ok {
		return nil, fmt.Errorf("model %s cannot be created through the API (%s)", model, ep.Path)
	}
	body, extra := split(model, attrs)
	var obj blueprint.Object
	if err := t.c.Do(ctx, "POST", ep.Path, nil, body, &obj); err != nil {
		return nil, wrap(err)
	}
	t.remember(model, ep, obj)
	if err := t.writeExtra(ctx, model, ep, obj, extra); err != nil {
		return obj, err
	}
	return obj, nil
}

// Update patches the given fields, then sets the blueprint-only values.
func (t *Target) Update(ctx context.Context, model string, pk any, attrs blueprint.Object) (blueprint.Object, error) {
	ep, err := blueprint.Endpoint(model)
	if err != nil {
		return nil, err
	}
	path, err := t.detail(ctx, model, ep, pk)
	if err != nil {
		return nil, err
	}
	body, extra := split(model, attrs)
	var obj blueprint.Object
	if len(body) > 0 {
		err = t.c.Do(ctx, "PATCH", path, nil, body, &obj)
	} else {
		err = t.c.Do(ctx, "GET", path, nil, nil, &obj)
	}
	if err != nil {
		return nil, wrap(err)
	}
	t.remember(model, ep, obj)
	if err := t.writeExtra(ctx, model, ep, obj, extra); err != nil {
		return obj, err
	}
	return obj, nil
}

// Delete deletes one object.
func (t *Target) Delete(ctx context.Context, model string, pk any) error {
	ep, err := blueprint.Endpoint(model)
	if err != nil {
		return err
	}
	path, err := t.detail(ctx, model, ep, pk)
	if err != nil {
		return err
	}
	if err := t.c.Do(ctx, "DELETE", path, nil, nil, nil); err != nil {
		return wrap(err)
	}
	return nil
}

// extra holds the blueprint-only values of a write.
type extra struct {
	password, key *string
}

// split takes the blueprint-only fields out of a write's body.
func split(model string, attrs blueprint.Object) (blueprint.Object, extra) {
	body := make(blueprint.Object, len(attrs))
	for k, v := range attrs {
		body[k] = v
	}
	var x extra
	take := func(field string) *string {
		v, ok := body[field]
		delete(body, field)
		if s, isStr := v.(string); ok && isStr && s != "" {
			return &s
		}
		return nil
	}
	switch strings.ToLower(model) {
	case "authentik_core.user":
		x.password = take("password")
	case "authentik_core.token":
		x.key = take("key")
	}
	return body, x
}

// writeExtra sets a user's password and a token's key through their API
// actions (authentik sets them in the serializer; the REST API cannot).
func (t *Target) writeExtra(ctx context.Context, model string, ep *registry.Endpoint, obj blueprint.Object, x extra) error {
	path, err := t.detail(ctx, model, ep, obj[blueprint.PKField(model)])
	if err != nil {
		return err
	}
	switch {
	case x.password != nil:
		if err := t.c.Do(ctx, "POST", path+"set_password/", nil, map[string]any{"password": *x.password}, nil); err != nil {
			return fieldError("password", wrap(err))
		}
	case x.key != nil:
		if err := t.c.Do(ctx, "POST", path+"set_key/", nil, map[string]any{"key": *x.key}, nil); err != nil {
			return fieldError("key", wrap(err))
		}
	}
	return nil
}

// fieldError attributes an action's error to the blueprint field it sets.
func fieldError(field string, err error) error {
	var e *Error
	if errors.As(err, &e) && e.API.StatusCode == 400 {
		msgs := append(append([]string(nil), e.API.NonField...), flatten(e.API.Fields)...)
		return &actionError{field: field, msgs: msgs, err: err}
	}
	return err
}

func flatten(m map[string][]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v...)
	}
	return out
}

type actionError struct {
	field string
	msgs  []string
	err   error
}

func (e *actionError) Error() string { return e.field + ": " + strings.Join(e.msgs, " ") }
func (e *actionError) Unwrap() error { return e.err }
func (e *actionError) FieldErrors() map[string][]string {
	return map[string][]string{e.field: e.msgs}
}

// detail is the detail path of an object: the endpoint's lookup value
// when it is not the pk (read from a list when not seen yet).
func (t *Target) detail(ctx context.Context, model string, ep *registry.Endpoint, pk any) (string, error) {
	key := pkText(pk)
	if key == "" {
		return "", fmt.Errorf("%s: no primary key", model)
	}
	if ep.LookupField == "" || ep.LookupField == "pk" || ep.LookupField == blueprint.PKField(model) {
		return ep.Path + url.PathEscape(key) + "/", nil
	}
	v, ok := t.lookup(model, key)
	if !ok {
		if _, err := t.List(ctx, model); err != nil {
			return "", err
		}
		if v, ok = t.lookup(model, key); !ok {
			return "", fmt.Errorf("%s %s: %w", model, key, blueprint.ErrNotFound)
		}
	}
	return ep.Path + url.PathEscape(v) + "/", nil
}

func (t *Target) lookup(model, key string) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	v, ok := t.lookups[strings.ToLower(model)][strings.ToLower(key)]
	return v, ok
}

func (t *Target) remember(model string, ep *registry.Endpoint, objs ...blueprint.Object) {
	if ep.LookupField == "" || ep.LookupField == "pk" {
		return
	}
	model = strings.ToLower(model)
	pkf := blueprint.PKField(model)
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.lookups[model]
	if m == nil {
		m = map[string]string{}
		t.lookups[model] = m
	}
	for _, o := range objs {
		if o == nil {
			continue
		}
		if v := pkText(o[ep.LookupField]); v != "" {
			m[strings.ToLower(pkText(o[pkf]))] = v
		}
	}
}

func pkText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case json.Number:
		return x.String()
	}
	return fmt.Sprint(v)
}
