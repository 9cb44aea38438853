package resource

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/akgo/akgo/internal/akctl/output"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/spelling"
)

// Resource is one API endpoint as akctl presents it.
type Resource struct {
	// Name is the canonical (plural) name, Singular the singular, Aliases
	// the other names it answers to (short names, API path, model name).
	Name     string
	Singular string
	Aliases  []string
	Endpoint *registry.Endpoint
	Model    *registry.Model
	// PKField is the JSON field holding the primary key ("pk", "id",
	// "tenant_uuid", ...; "" when the response has none).
	PKField string
	// Columns are the table columns (-o wide adds those marked Wide).
	Columns []output.Column

	registry *registry.Registry
}

// Verb is something akctl can do with a resource, by the operation that
// does it.
type Verb struct {
	Name string
	Op   registry.Op
}

// Verbs are the resource verbs in the order api-resources lists them.
var Verbs = []Verb{
	{"get", registry.OpList}, {"describe", registry.OpRetrieve}, {"create", registry.OpCreate},
	{"edit", registry.OpPartialUpdate}, {"delete", registry.OpDestroy},
}

// Can reports whether the endpoint has the operation.
func (r *Resource) Can(op registry.Op) bool {
	_, ok := r.Endpoint.Ops[op]
	return ok
}

// VerbNames lists what akctl can do with the resource.
func (r *Resource) VerbNames() []string {
	var out []string
	for _, v := range Verbs {
		if r.Can(v.Op) {
			out = append(out, v.Name)
		}
	}
	return out
}

// ShortNames are the aliases without the API path and model name, for
// listings.
func (r *Resource) ShortNames() []string {
	var out []string
	for _, a := range r.Aliases {
		if a != apiPathName(r.Endpoint.Path) && a != r.Model.Name {
			out = append(out, a)
		}
	}
	return out
}

// Lookup returns an object's value for the endpoint's detail path (its
// slug or pk), as a string.
func (r *Resource) Lookup(obj map[string]any) string {
	field := r.Endpoint.LookupField
	if field == "pk" {
		field = r.PKField
	}
	if field == "" {
		// No pk in the response (system tasks): the detail path takes
		// the natural key.
		field = r.NaturalKeyField()
	}
	v, ok := obj[field]
	if !ok {
		return ""
	}
	return output.Scalar(v)
}

// Display names an object for people: its natural key when it has a
// single one, else its lookup value.
func (r *Resource) Display(obj map[string]any) string {
	if len(r.Model.NaturalKey) == 1 {
		if v, ok := obj[r.Model.NaturalKey[0]]; ok && v != nil && output.Scalar(v) != "" {
			return output.Scalar(v)
		}
	}
	if s := r.Lookup(obj); s != "" {
		return s
	}
	if r.PKField != "" {
		return output.Scalar(obj[r.PKField])
	}
	return ""
}

// QualifiedName is "singular/display", what -o name prints.
func (r *Resource) QualifiedName(obj map[string]any) string {
	return r.Singular + "/" + r.Display(obj)
}

// View is how objects of the resource print.
func (r *Resource) View() output.View {
	return output.View{Columns: r.Columns, Name: r.QualifiedName, Empty: "No " + r.Name + " found."}
}

// Catalog is every resource, by every name.
type Catalog struct {
	Resources []*Resource
	Registry  *registry.Registry
	byName    map[string]*Resource
	byModel   map[string]*Resource
}

// NewCatalog builds the resources of a registry.
func NewCatalog(reg *registry.Registry) *Catalog {
	c := &Catalog{Registry: reg, byName: map[string]*Resource{}, byModel: map[string]*Resource{}}
	for _, ep := range reg.Endpoints {
		m, ok := reg.Model(ep.Model)
		if !ok {
			continue
		}
		r := &Resource{Endpoint: ep, Model: m, PKField: pkField(m), registry: reg}
		ns, named := names[ep.Path]
		if !named {
			ns = []string{apiPathName(ep.Path)}
		}
		r.Name = ns[0]
		r.Singular = r.Name
		if len(ns) > 1 {
			r.Singular = ns[1]
		}
		r.Aliases = append(r.Aliases, ns[min(2, len(ns)):]...)
		if p := apiPathName(ep.Path); p != r.Name && !slices.Contains(r.Aliases, p) {
			r.Aliases = append(r.Aliases, p)
		}
		r.Columns = columnsFor(ep, m, r.PKField)
		c.Resources = append(c.Resources, r)
	}
	sort.Slice(c.Resources, func(i, j int) bool { return c.Resources[i].Name < c.Resources[j].Name })
	// Models served by several endpoints (own and admin authenticator
	// devices, outpost configurations) are named after the endpoint that
	// creates them.
	for _, r := range c.Resources {
		cur, taken := c.byModel[r.Model.Name]
		if !taken || (!cur.Can(registry.OpCreate) && r.Can(registry.OpCreate)) {
			c.byModel[r.Model.Name] = r
		}
	}
	for model, r := range c.byModel {
		r.Aliases = append(r.Aliases, model)
	}
	for _, r := range c.Resources {
		for _, n := range append([]string{r.Name, r.Singular}, r.Aliases...) {
			if _, dup := c.byName[n]; !dup {
				c.byName[n] = r
			}
		}
	}
	return c
}

// apiPathName is an endpoint's path without surrounding slashes:
// "/core/users/" is "core/users".
func apiPathName(path string) string { return strings.Trim(path, "/") }

// pkField finds the response field holding the primary key.
func pkField(m *registry.Model) string {
	if f, ok := m.Field("pk"); ok && !f.Hidden {
		return "pk"
	}
	for i := range m.Fields {
		f := &m.Fields[i]
		if f.Column == m.PKColumn && !f.Hidden && !f.WriteOnly {
			return f.Name
		}
	}
	return ""
}

// UnknownResourceError names a resource akctl does not know.
type UnknownResourceError struct {
	Name        string
	Suggestions []string
}

func (e *UnknownResourceError) Error() string {
	msg := fmt.Sprintf("unknown resource %q", e.Name)
	if len(e.Suggestions) > 0 {
		msg += "; did you mean " + strings.Join(e.Suggestions, ", ") + "?"
	}
	return msg + " (`akctl api-resources` lists them all)"
}

// Lookup finds a resource by any of its names (case-insensitive).
func (c *Catalog) Lookup(name string) (*Resource, error) {
	if r, ok := c.byName[name]; ok {
		return r, nil
	}
	if r, ok := c.byName[strings.ToLower(strings.Trim(name, "/"))]; ok {
		return r, nil
	}
	return nil, &UnknownResourceError{Name: name, Suggestions: c.suggest(name)}
}

// ForModel returns the resource that creates objects of a model.
func (c *Catalog) ForModel(model string) (*Resource, bool) {
	r, ok := c.byModel[model]
	return r, ok
}

// Names lists every name a resource answers to, sorted (completion).
func (c *Catalog) Names() []string {
	out := make([]string, 0, len(c.byName))
	for n := range c.byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// suggest returns up to three canonical names close to a mistyped one.
func (c *Catalog) suggest(name string) []string {
	name = strings.ToLower(name)
	type cand struct {
		name string
		d    int
	}
	var cands []cand
	seen := map[string]bool{}
	for n, r := range c.byName {
		d := spelling.Distance(name, n)
		if strings.HasPrefix(n, name) || strings.Contains(n, name) && len(name) >= 3 {
			d = min(d, 1)
		}
		// One edit for short names: two would suggest "roles" for "nope".
		if d <= max(1, len(name)/3) && !seen[r.Name] {
			cands = append(cands, cand{r.Name, d})
			seen[r.Name] = true
		}
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].d != cands[j].d {
			return cands[i].d < cands[j].d
		}
		return cands[i].name < cands[j].name
	})
	var out []string
	for i := 0; i < len(cands) && i < 3; i++ {
		out = append(out, cands[i].name)
	}
	return out
}
