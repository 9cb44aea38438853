package resource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/akgo/akgo/internal/akctl/output"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/pkg/client"
)

// Client calls a resource's uniform operations through pkg/client, on
// the schema's paths, keeping response bodies as the API's JSON.
type Client struct {
	API *client.Client
	// Catalog names the targets of references in natural keys with
	// several fields ("my-flow/my-stage/10"); without it those parts
	// must be primary keys.
	Catalog *Catalog
}

// NotFoundError is an object that does not exist.
type NotFoundError struct {
	Resource string
	Name     string
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("%s %q not found", e.Resource, e.Name) }

// AmbiguousError is a natural key matching several objects.
type AmbiguousError struct {
	Resource, Name, Field string
	Lookups               []string
}

func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("%s %q is ambiguous: %d objects have %s %q; use one of their ids: %s",
		e.Resource, e.Name, len(e.Lookups), e.Field, e.Name, strings.Join(e.Lookups, ", "))
}

// UnsupportedError is a verb the resource's endpoint does not offer.
type UnsupportedError struct {
	Resource string
	Verb     string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("%s cannot be %s through the API (`akctl api-resources` lists what each resource supports)", e.Resource, e.Verb)
}

func (r *Resource) require(op registry.Op, verb string) error {
	if !r.Can(op) {
		return &UnsupportedError{Resource: r.Name, Verb: verb}
	}
	return nil
}

// Page is one page of a list.
type Page struct {
	Pagination client.Pagination
	Results    []json.RawMessage
}

// ListPage fetches one page (the query's page and page_size). Endpoints
// that are not paginated return everything as one page.
func (c *Client) ListPage(ctx context.Context, r *Resource, q url.Values) (*Page, error) {
	if err := r.require(registry.OpList, "listed"); err != nil {
		return nil, err
	}
	var raw []byte
	if err := c.API.Do(ctx, http.MethodGet, r.Endpoint.Path, q, nil, &raw); err != nil {
		return nil, err
	}
	p := &Page{}
	if r.Endpoint.Paginated == "" {
		if err := json.Unmarshal(raw, &p.Results); err != nil {
			return nil, fmt.Errorf("GET %s: decode list: %w", r.Endpoint.Path, err)
		}
		n := float64(len(p.Results))
		p.Pagination = client.Pagination{Count: n, Current: 1, TotalPages: 1, StartIndex: min(1, n), EndIndex: n}
		return p, nil
	}
	if err := json.Unmarshal(raw, p); err != nil {
		return nil, fmt.Errorf("GET %s: decode page: %w", r.Endpoint.Path, err)
	}
	return p, nil
}

// Walk calls fn with page 1 and, when all is true, every following page,
// one at a time (bounded memory).
func (c *Client) Walk(ctx context.Context, r *Resource, q url.Values, all bool, fn func(*Page) error) error {
	q = cloneValues(q)
	for n := 1; ; {
		if n > 1 {
			q.Set("page", strconv.Itoa(n))
		}
		p, err := c.ListPage(ctx, r, q)
		if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
		next := int(p.Pagination.Next)
		if !all || next <= n {
			return nil
		}
		n = next
	}
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

func (r *Resource) detailPath(lookup string) string {
	return r.Endpoint.Path + url.PathEscape(lookup) + "/"
}

// Get fetches an object by its lookup value (slug or pk).
func (c *Client) Get(ctx context.Context, r *Resource, lookup string) (json.RawMessage, error) {
	if err := r.require(registry.OpRetrieve, "retrieved"); err != nil {
		return nil, err
	}
	var raw []byte
	if err := c.API.Do(ctx, http.MethodGet, r.detailPath(lookup), nil, nil, &raw); err != nil {
		if client.IsNotFound(err) {
			return nil, &NotFoundError{Resource: r.Name, Name: lookup}
		}
		return nil, err
	}
	return raw, nil
}

// Object is a fetched object.
type Object struct {
	Raw json.RawMessage
	Map map[string]any
	// Lookup is its value for detail paths (slug or pk).
	Lookup string
}

func (r *Resource) object(raw json.RawMessage) (*Object, error) {
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode %s object: %w", r.Singular, err)
	}
	return &Object{Raw: raw, Map: m, Lookup: r.Lookup(m)}, nil
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$`)

// looksLikePK reports whether s can be the endpoint's lookup value when
// the lookup is the primary key.
func (r *Resource) looksLikePK(s string) bool {
	switch r.Model.PKKind {
	case registry.KindInt:
		_, err := strconv.ParseInt(s, 10, 64)
		return err == nil
	case registry.KindUUID:
		return uuidRE.MatchString(s)
	}
	return true
}

// NaturalKeyField is the one field that names objects for people, or
// "" when the natural key has several fields (bindings, consents).
func (r *Resource) NaturalKeyField() string {
	if len(r.Model.NaturalKey) != 1 {
		return ""
	}
	f, ok := r.Model.Field(r.Model.NaturalKey[0])
	if !ok || f.Hidden || f.WriteOnly {
		return ""
	}
	return f.Name
}

// Resolve finds an object by its primary key or natural key: the
// endpoint's lookup value is tried first (a slug, or a pk-shaped
// argument), then an exact match on the natural key (a filter when the
// endpoint has one, else a search checked field by field).
func (c *Client) Resolve(ctx context.Context, r *Resource, nameOrID string) (*Object, error) {
	if nameOrID == "" {
		return nil, &NotFoundError{Resource: r.Name, Name: nameOrID}
	}
	nk := r.NaturalKeyField()
	direct := r.Endpoint.LookupField != "pk" || r.looksLikePK(nameOrID)
	if direct && r.Can(registry.OpRetrieve) {
		raw, err := c.Get(ctx, r, nameOrID)
		if err == nil {
			return r.object(raw)
		}
		var nf *NotFoundError
		if !errors.As(err, &nf) {
			return nil, err
		}
	}
	if nk == "" && len(r.Model.NaturalKey) > 1 && r.Can(registry.OpList) {
		if strings.Contains(nameOrID, "/") {
			return c.resolveComposite(ctx, r, nameOrID)
		}
		if !r.looksLikePK(nameOrID) {
			return nil, &KeyFormatError{Resource: r.Name, Name: nameOrID, Key: r.Model.NaturalKey}
		}
	}
	field := nk
	if r.Endpoint.LookupField != "pk" && r.looksLikePK(nameOrID) {
		// A pk given for an endpoint looked up by slug: found through
		// the list's pk filter, when it has one.
		if f, ok := r.pkFilter(); ok {
			field = f
		}
	}
	if field == "" || field == r.Endpoint.LookupField || !r.Can(registry.OpList) {
		return nil, &NotFoundError{Resource: r.Name, Name: nameOrID}
	}
	matches, err := c.findByField(ctx, r, field, nameOrID)
	if err != nil {
		return nil, err
	}
	switch len(matches) {
	case 0:
		return nil, &NotFoundError{Resource: r.Name, Name: nameOrID}
	case 1:
		return matches[0], nil
	}
	e := &AmbiguousError{Resource: r.Name, Name: nameOrID, Field: field}
	for _, m := range matches {
		e.Lookups = append(e.Lookups, m.Lookup)
	}
	return nil, e
}

// KeyFormatError is a name that does not have the shape of a resource's
// natural key with several fields.
type KeyFormatError struct {
	Resource, Name string
	Key            []string
	// Part is the field whose value has the wrong type, Want the type
	// ("" when the number of parts is wrong).
	Part, Want string
}

func (e *KeyFormatError) Error() string {
	if e.Part != "" {
		return fmt.Sprintf("%s %q: %s must be %s; name these objects by pk or by %s",
			e.Resource, e.Name, e.Part, e.Want, strings.Join(e.Key, "/"))
	}
	return fmt.Sprintf("%s %q: name these objects by pk or by %s (%d parts separated by /)",
		e.Resource, e.Name, strings.Join(e.Key, "/"), len(e.Key))
}

// misfit says what a key part should be when it cannot be a value of
// the field ("" when it can), so that "my-flow/0" for a binding whose
// target is a UUID is refused before the server answers with a
// validation error about a list filter.
func misfit(m *registry.Model, field, v string) string {
	f, ok := m.Field(field)
	if !ok {
		return ""
	}
	switch f.Kind {
	case registry.KindUUID:
		if !uuidRE.MatchString(v) {
			if f.Ref != "" {
				return "a UUID (the pk of the " + f.Ref + ")"
			}
			return "a UUID"
		}
	case registry.KindInt:
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return "an integer"
		}
	}
	return ""
}

// resolveComposite finds an object by a natural key with several fields,
// written as its values joined by "/" in the key's order: a flow binding
// is "my-flow/my-stage/10". A part that refers to another object may
// name it by its own natural key. Slashes cannot occur inside a part;
// objects whose key values hold one are reached by pk.
func (c *Client) resolveComposite(ctx context.Context, r *Resource, name string) (*Object, error) {
	key := r.Model.NaturalKey
	parts := strings.Split(name, "/")
	if len(parts) != len(key) {
		return nil, &KeyFormatError{Resource: r.Name, Name: name, Key: key}
	}
	want := make([]string, len(key))
	targets := make([]*Resource, len(key))
	q := url.Values{"page_size": {"100"}}
	for i, field := range key {
		want[i] = parts[i]
		if f, ok := r.Model.Field(field); ok && f.Ref != "" && c.Catalog != nil {
			if target, ok := c.Catalog.ForModel(f.Ref); ok {
				targets[i] = target
				pk, err := c.refPK(ctx, target, parts[i])
				if err != nil {
					return nil, fmt.Errorf("%s %q: %s: %w", r.Name, name, field, err)
				}
				want[i] = fmt.Sprint(pk)
			}
		}
		if wantType := misfit(r.Model, field, want[i]); wantType != "" {
			return nil, &KeyFormatError{Resource: r.Name, Name: name, Key: key, Part: field, Want: wantType}
		}
		if r.hasExactFilter(field) {
			q.Set(field, want[i])
		}
	}
	var matches []*Object
	err := c.Walk(ctx, r, q, true, func(p *Page) error {
		for _, raw := range p.Results {
			o, err := r.object(raw)
			if err != nil {
				return err
			}
			if keyMatches(o.Map, key, want, targets) {
				matches = append(matches, o)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	switch len(matches) {
	case 0:
		return nil, &NotFoundError{Resource: r.Name, Name: name}
	case 1:
		return matches[0], nil
	}
	e := &AmbiguousError{Resource: r.Name, Name: name, Field: strings.Join(key, "/")}
	for _, m := range matches {
		e.Lookups = append(e.Lookups, m.Lookup)
	}
	return nil, e
}

// keyMatches compares an object's key fields with the wanted values. A
// reference the API embeds as an object (a consent's application) is
// compared by the embedded object's primary key.
func keyMatches(obj map[string]any, key, want []string, targets []*Resource) bool {
	for i, field := range key {
		v, ok := obj[field]
		if !ok {
			return false
		}
		if m, nested := v.(map[string]any); nested {
			pkf := "pk"
			if targets[i] != nil && targets[i].PKField != "" {
				pkf = targets[i].PKField
			}
			v = m[pkf]
		}
		if output.Scalar(v) != want[i] {
			return false
		}
	}
	return true
}

// findByField lists the objects whose field equals value exactly.
func (c *Client) findByField(ctx context.Context, r *Resource, field, value string) ([]*Object, error) {
	q := url.Values{"page_size": {"100"}}
	if r.hasExactFilter(field) {
		q.Set(field, value)
	} else {
		q.Set("search", value)
	}
	var out []*Object
	err := c.Walk(ctx, r, q, true, func(p *Page) error {
		for _, raw := range p.Results {
			o, err := r.object(raw)
			if err != nil {
				return err
			}
			key := field
			if _, ok := o.Map[key]; !ok && r.PKField != "" {
				key = r.PKField // the pk filter's name is the column's
			}
			if v, ok := o.Map[key]; ok && fmt.Sprint(v) == value {
				out = append(out, o)
			}
		}
		return nil
	})
	return out, err
}

// pkFilter finds the list filter on the primary key ("flow_uuid").
func (r *Resource) pkFilter() (string, bool) {
	for _, f := range r.Endpoint.Filters {
		if f.Lookup == "exact" && f.Custom == "" && (f.Path == r.Model.PKColumn || f.Path == "pk") {
			return f.Param, true
		}
	}
	return "", false
}

func (r *Resource) hasExactFilter(field string) bool {
	for _, f := range r.Endpoint.Filters {
		if f.Param == field && f.Lookup == "exact" && f.Custom == "" {
			return true
		}
	}
	return false
}

// Create creates an object from a request body.
func (c *Client) Create(ctx context.Context, r *Resource, body map[string]any) (json.RawMessage, error) {
	if err := r.require(registry.OpCreate, "created"); err != nil {
		return nil, err
	}
	var raw []byte
	if err := c.API.Do(ctx, http.MethodPost, r.Endpoint.Path, nil, body, &raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// Patch changes the given fields of an object.
func (c *Client) Patch(ctx context.Context, r *Resource, lookup string, body map[string]any) (json.RawMessage, error) {
	if err := r.require(registry.OpPartialUpdate, "edited"); err != nil {
		return nil, err
	}
	var raw []byte
	if err := c.API.Do(ctx, http.MethodPatch, r.detailPath(lookup), nil, body, &raw); err != nil {
		if client.IsNotFound(err) {
			return nil, &NotFoundError{Resource: r.Name, Name: lookup}
		}
		return nil, err
	}
	return raw, nil
}

// Delete deletes an object (the server cascades).
func (c *Client) Delete(ctx context.Context, r *Resource, lookup string) error {
	if err := r.require(registry.OpDestroy, "deleted"); err != nil {
		return err
	}
	err := c.API.Do(ctx, http.MethodDelete, r.detailPath(lookup), nil, nil, nil)
	if client.IsNotFound(err) {
		return &NotFoundError{Resource: r.Name, Name: lookup}
	}
	return err
}

// UsedBy is one object that refers to another, with what deleting the
// referred-to object does to it (authentik's UsedBy schema).
type UsedBy struct {
	App       string `json:"app"`
	ModelName string `json:"model_name"`
	PK        string `json:"pk"`
	Name      string `json:"name"`
	Action    string `json:"action"`
}

// UsedBy lists the objects referring to an object; endpoints without a
// used_by operation return nil.
func (c *Client) UsedBy(ctx context.Context, r *Resource, lookup string) ([]UsedBy, error) {
	if !r.Can(registry.OpUsedBy) {
		return nil, nil
	}
	var out []UsedBy
	if err := c.API.Do(ctx, http.MethodGet, r.detailPath(lookup)+"used_by/", nil, nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}
