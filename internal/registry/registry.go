package registry

import (
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/akgo/akgo/internal/registry/ident"
)

// Kind is the value kind of a field, as stored and as seen in JSON.
type Kind string

const (
	KindString Kind = "string"
	KindInt    Kind = "int"
	KindFloat  Kind = "float"
	KindBool   Kind = "bool"
	KindUUID   Kind = "uuid"
	KindTime   Kind = "time" // date-time, JSON RFC 3339
	KindDate   Kind = "date" // date only, JSON YYYY-MM-DD; stored as text
	KindJSON   Kind = "json" // objects, arrays and free-form values
)

// OnDelete is authentik's (Django's) on_delete behaviour of a foreign key.
type OnDelete string

const (
	Cascade    OnDelete = "cascade"
	SetNull    OnDelete = "set_null"
	SetDefault OnDelete = "set_default"
	Protect    OnDelete = "protect"
)

// Field is one attribute of a model.
type Field struct {
	// Name is the API (serializer) name; Column the database column ("" for
	// fields that are not stored: computed or many-to-many).
	Name   string
	Column string
	Kind   Kind
	// Nullable: the column accepts NULL (API null).
	Nullable bool
	// Default is the value used on create when the field is omitted (a JSON
	// value: string, float64, bool, nil, []any, map[string]any).
	Default any
	// HasDefault distinguishes a nil Default from no default.
	HasDefault bool
	// Ref is the target model of a foreign key; OnDelete its action.
	Ref      string
	OnDelete OnDelete
	// M2M is the target model of a many-to-many set stored in join table
	// Through (columns "<source>" and "<target>" pk values: see Model.M2MTable).
	M2M string
	// ReadOnly fields are never taken from request bodies; WriteOnly fields
	// are never returned; Hidden fields are stored but never in the API
	// (e.g. the user's password hash).
	ReadOnly  bool
	WriteOnly bool
	Hidden    bool
	// Computed names a Go hook that produces the value on read ("auto" when
	// the engine derives it generically).
	Computed string
	// Array is true for JSON arrays and many-to-many sets; Enum lists the
	// allowed values of an enum field.
	Array bool
	Enum  []string
}

// Stored reports whether the field has a column.
func (f *Field) Stored() bool { return f.Column != "" }

// Model is one stored authentik model.
type Model struct {
	// Name is the blueprint/Django name, e.g. "authentik_flows.flow".
	Name string
	// Table is the database table.
	Table string
	// PKColumn is the primary key column; PKKind its kind; PKAuto tells
	// whether the database generates it (integer serial), else the engine
	// generates a UUID when PKKind is uuid and none was given.
	PKColumn string
	PKKind   Kind
	PKAuto   bool
	// Family is the polymorphic base model for concrete members (e.g.
	// "authentik_flows.stage" for the password stage); Abstract is true on
	// the base itself. A base's table holds pk, name and the concrete model
	// name; each concrete table's pk references the base's pk (cascade).
	Family   string
	Abstract bool
	// Parent is the model this one inherits from (multi-table inheritance)
	// and ParentColumn the column of this table holding the parent's pk
	// (equal to PKColumn when the pk is shared).
	Parent       string
	ParentColumn string
	// Ancestors lists Parent, its parent, ... (filled by New).
	Ancestors []string
	// Aliases maps extra names that filters use to field names.
	Aliases map[string]string
	// VerboseName / VerboseNamePlural as Django's Meta; Component is the
	// UI component name authentik returns (e.g. "ak-stage-password-form").
	VerboseName       string
	VerboseNamePlural string
	Component         string
	// Description is the model's docstring, which authentik's types/
	// listings show.
	Description string
	// NaturalKey lists the fields that identify an object for humans and
	// blueprints (slug, name, username, ...).
	NaturalKey []string
	// Unique lists unique sets of field names.
	Unique [][]string
	// Search lists the searchable field paths (Django __ paths allowed);
	// Ordering the fields ?ordering may use; DefaultOrdering the fields
	// lists are sorted by (the pk is always appended for stability).
	Search          []string
	Ordering        []string
	DefaultOrdering []string
	Fields          []Field

	byName map[string]*Field
}

// Field returns the field with the given API name.
func (m *Model) Field(name string) (*Field, bool) {
	if m.byName == nil {
		m.byName = make(map[string]*Field, len(m.Fields))
		for i := range m.Fields {
			m.byName[m.Fields[i].Name] = &m.Fields[i]
		}
	}
	f, ok := m.byName[name]
	return f, ok
}

// MustColumn returns the column of a stored field. The callers name fields
// the registry is generated with; a missing one is a programming error that
// the tests of the caller catch, so it panics.
func (m *Model) MustColumn(field string) string {
	f, ok := m.Field(field)
	if !ok || !f.Stored() {
		panic("registry: " + m.Name + " has no stored field " + field)
	}
	return f.Column
}

// FieldByColumn returns the first field stored in the column.
func (m *Model) FieldByColumn(col string) (*Field, bool) {
	for i := range m.Fields {
		if m.Fields[i].Column == col {
			return &m.Fields[i], true
		}
	}
	return nil, false
}

// App returns the Django app label ("authentik_flows").
func (m *Model) App() string { a, _, _ := strings.Cut(m.Name, "."); return a }

// ModelName returns the Django model name ("flow").
func (m *Model) ModelName() string { _, b, _ := strings.Cut(m.Name, "."); return b }

// M2MTable is the join table of a many-to-many field.
func (m *Model) M2MTable(f *Field) string { return ident.TableName(m.Table + "_" + f.Name) }

// Op is a uniform view-set operation.
type Op string

const (
	OpList          Op = "list"
	OpCreate        Op = "create"
	OpRetrieve      Op = "retrieve"
	OpUpdate        Op = "update"
	OpPartialUpdate Op = "partial_update"
	OpDestroy       Op = "destroy"
	OpUsedBy        Op = "used_by"
)

// Filter is one list query parameter the schema declares.
type Filter struct {
	Param string
	// Path is the Django lookup path without the lookup suffix
	// ("user__username"); Lookup the comparison ("exact", "iexact",
	// "icontains", "isnull", "in", "gt", "gte", "lt", "lte", "startswith").
	Path   string
	Lookup string
	// Kind is the parameter's value kind; Multi is true for array params
	// (repeated ?p=a&p=b, any of them matches).
	Kind  Kind
	Multi bool
	Enum  []string
	// Custom names a Go filter hook for parameters that are not plain
	// lookups (e.g. "users_groups_by_name").
	Custom string
}

// Endpoint is one API resource path serving a model.
type Endpoint struct {
	// Path is the list path ("/flows/instances/"); Lookup the detail path
	// parameter ("slug") and LookupField the model field it matches.
	Path        string
	Lookup      string
	LookupField string
	Model       string
	// Schema is the response schema; Request/Patch the write schemas ("" when
	// the endpoint is read-only); Paginated the list envelope schema.
	Schema    string
	Request   string
	Patch     string
	Paginated string
	// Ops maps each uniform operation to its operationId.
	Ops     map[Op]string
	Filters []Filter
	// Family is true for a polymorphic "/all/" endpoint listing every kind.
	Family bool
}

// Registry holds every model and endpoint.
type Registry struct {
	Models    []*Model
	Endpoints []*Endpoint

	models    map[string]*Model
	endpoints map[string]*Endpoint
	ops       map[string]opRef
}

type opRef struct {
	ep *Endpoint
	op Op
}

// New indexes models and endpoints.
func New(models []*Model, endpoints []*Endpoint) *Registry {
	r := &Registry{Models: models, Endpoints: endpoints,
		models: map[string]*Model{}, endpoints: map[string]*Endpoint{}, ops: map[string]opRef{}}
	for _, m := range models {
		r.models[m.Name] = m
		m.Field("") // build the index before concurrent use
	}
	for _, m := range models {
		m.Ancestors = nil
		for p := m.Parent; p != ""; {
			m.Ancestors = append(m.Ancestors, p)
			pm, ok := r.models[p]
			if !ok {
				break
			}
			if m.Family == "" && pm.Abstract {
				m.Family = p
			}
			p = pm.Parent
		}
	}
	for _, e := range endpoints {
		r.endpoints[e.Path] = e
		for op, id := range e.Ops {
			r.ops[id] = opRef{e, op}
		}
	}
	return r
}

// Model returns a model by its blueprint name.
func (r *Registry) Model(name string) (*Model, bool) { m, ok := r.models[name]; return m, ok }

// MustModel returns a model the caller knows is registered (a name from
// the generated registry); a missing one is a programming error.
func (r *Registry) MustModel(name string) *Model {
	m, ok := r.models[name]
	if !ok {
		panic("registry: model " + name + " is not registered")
	}
	return m
}

// Endpoint returns an endpoint by list path.
func (r *Registry) Endpoint(path string) (*Endpoint, bool) { e, ok := r.endpoints[path]; return e, ok }

// Operation returns the endpoint and uniform operation of an operationId.
func (r *Registry) Operation(id string) (*Endpoint, Op, bool) {
	o, ok := r.ops[id]
	return o.ep, o.op, ok
}

// Members returns the concrete models of a polymorphic family, sorted.
func (r *Registry) Members(family string) []*Model {
	var out []*Model
	for _, m := range r.Models {
		if m.Family == family {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Reference is a foreign key or many-to-many field pointing at a model.
type Reference struct {
	From  *Model
	Field *Field
}

// ReferencesTo lists every field of every model that references target (or
// its family base), sorted by model and field name.
func (r *Registry) ReferencesTo(target *Model) []Reference {
	var out []Reference
	for _, m := range r.Models {
		for i := range m.Fields {
			f := &m.Fields[i]
			t := f.Ref
			if t == "" {
				t = f.M2M
			}
			if t == "" || f.Computed != "" {
				continue
			}
			if t == target.Name || slices.Contains(target.Ancestors, t) {
				out = append(out, Reference{m, f})
			}
		}
	}
	return out
}

var (
	defaultOnce sync.Once
	defaultReg  *Registry
)

// Default returns the registry generated from the schema and overlay.
func Default() *Registry {
	defaultOnce.Do(func() { defaultReg = New(generatedModels(), generatedEndpoints()) })
	return defaultReg
}
