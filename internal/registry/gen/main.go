// Command gen writes the model registry (models.gen.go) from the embedded
// OpenAPI schema and the hand-written overlay. Run through go generate.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"

	"github.com/akgo/akgo/internal/apispec"
	"github.com/akgo/akgo/internal/registry/ident"
)

var allowMissing bool

type overlayField struct {
	Ref      string    `yaml:"ref"`
	OnDelete string    `yaml:"on_delete"`
	M2M      string    `yaml:"m2m"`
	Default  yaml.Node `yaml:"default"`
	Kind     string    `yaml:"kind"`
	Nullable *bool     `yaml:"nullable"`
	Stored   bool      `yaml:"stored"`
	Hidden   bool      `yaml:"hidden"`
	Computed string    `yaml:"computed"`
	Column   string    `yaml:"column"`
}

type overlayModel struct {
	Table string `yaml:"table"`
	PK    struct {
		Column, Kind string
		Auto         bool
	} `yaml:"pk"`
	VerboseName       string                         `yaml:"verbose_name"`
	VerboseNamePlural string                         `yaml:"verbose_name_plural"`
	Component         string                         `yaml:"component"`
	Description       string                         `yaml:"description"`
	NaturalKey        []string                       `yaml:"natural_key"`
	Unique            [][]string                     `yaml:"unique"`
	Search            []string                       `yaml:"search"`
	Ordering          []string                       `yaml:"ordering"`
	DefaultOrdering   []string                       `yaml:"default_ordering"`
	Parent            struct{ Model, Column string } `yaml:"parent"`
	Abstract          bool                           `yaml:"abstract"`
	Aliases           map[string]string              `yaml:"aliases"`
	Fields            map[string]overlayField        `yaml:"fields"`
}

type overlayEndpoint struct {
	Model       string `yaml:"model"`
	LookupField string `yaml:"lookup_field"`
}

type overlay struct {
	Endpoints map[string]overlayEndpoint `yaml:"endpoints"`
	Models    map[string]overlayModel    `yaml:"models"`
}

func main() {
	schemaPath := flag.String("schema", "", "OpenAPI schema")
	overlayPath := flag.String("overlay", "overlay.yaml", "overlay")
	out := flag.String("out", "models.gen.go", "output file")
	flag.BoolVar(&allowMissing, "allow-missing", false, "do not require every schema endpoint in the overlay (for experiments)")
	flag.Parse()
	if err := run(*schemaPath, *overlayPath, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(schemaPath, overlayPath, out string) error {
	data, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	spec, err := apispec.Parse(data)
	if err != nil {
		return err
	}
	odata, err := os.ReadFile(overlayPath)
	if err != nil {
		return err
	}
	var ov overlay
	dec := yaml.NewDecoder(bytes.NewReader(odata))
	dec.KnownFields(true)
	if err := dec.Decode(&ov); err != nil {
		return fmt.Errorf("%s: %w", overlayPath, err)
	}
	g := &generator{spec: spec, ov: ov, fields: map[string]map[string]*field{}}
	if err := g.endpoints(); err != nil {
		return err
	}
	if err := g.models(); err != nil {
		return err
	}
	src, err := g.emit()
	if err != nil {
		return err
	}
	return os.WriteFile(out, src, 0o644)
}

type field struct {
	Name, Column, Kind            string
	Nullable, ReadOnly, WriteOnly bool
	Hidden                        bool
	Default                       string // Go literal, "" for none
	Ref, OnDelete, M2M, Computed  string
	required                      bool
	inRequest, inResponse         bool
	enum                          []string
	array                         bool
}

type endpoint struct {
	Path, Lookup, LookupField, Model, Schema, Request, Patch, Paginated string
	Ops                                                                 map[string]string
	Filters                                                             []filter
	Family                                                              bool
}

type filter struct {
	Param, Path, Lookup, Kind, Custom string
	Multi                             bool
	Enum                              []string
}

type generator struct {
	spec   *apispec.Spec
	ov     overlay
	eps    []*endpoint
	fields map[string]map[string]*field // model → field name → field
	order  map[string][]string
}

var detailRe = regexp.MustCompile(`^(.*/)\{([^}]+)\}/$`)

var lookups = []string{"iexact", "icontains", "isnull", "in", "gte", "gt", "lte", "lt", "startswith", "istartswith", "contains", "exact"}

func (g *generator) endpoints() error {
	listOps := map[string]*apispec.Operation{}
	for _, o := range g.spec.Operations {
		if o.Method == "GET" && strings.HasSuffix(o.ID, "_list") && !strings.HasSuffix(o.ID, "_used_by_list") {
			listOps[o.Path] = o
		}
	}
	var missing []string
	paths := make([]string, 0, len(g.ov.Endpoints))
	for p := range g.ov.Endpoints {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	// Every list path with a detail path must be in the overlay.
	for p := range listOps {
		for _, o := range g.spec.Operations {
			if m := detailRe.FindStringSubmatch(o.Path); m != nil && m[1] == p {
				if _, ok := g.ov.Endpoints[p]; !ok {
					missing = append(missing, p)
				}
				break
			}
		}
	}
	if len(missing) > 0 && !allowMissing {
		sort.Strings(missing)
		return fmt.Errorf("overlay has no endpoint entry for %s", strings.Join(missing, ", "))
	}
	for _, p := range paths {
		oe := g.ov.Endpoints[p]
		if _, ok := g.ov.Models[oe.Model]; !ok {
			return fmt.Errorf("endpoint %s: model %q is not in the overlay", p, oe.Model)
		}
		e := &endpoint{Path: p, Model: oe.Model, Ops: map[string]string{}, LookupField: oe.LookupField}
		if e.LookupField == "" {
			e.LookupField = "pk"
		}
		e.Family = g.ov.Models[oe.Model].Abstract
		if lo, ok := listOps[p]; ok {
			e.Ops["list"] = lo.ID
			resp := lo.Op.Responses.Status(200).Value.Content.Get("application/json").Schema
			if name := apispec.SchemaName(resp); name != "" {
				e.Paginated = name
				if rs := resp.Value.Properties["results"]; rs != nil {
					e.Schema = apispec.SchemaName(rs.Value.Items)
				}
			} else if resp.Value.Items != nil {
				e.Schema = apispec.SchemaName(resp.Value.Items)
			}
			for _, pr := range lo.Op.Parameters {
				pv := pr.Value
				if pv.In != "query" {
					continue
				}
				switch pv.Name {
				case "page", "page_size", "search", "ordering":
					continue
				}
				f := filter{Param: pv.Name}
				sch := pv.Schema.Value
				if sch.Type.Is("array") {
					f.Multi = true
					sch = sch.Items.Value
				}
				f.Kind = kindOf(sch)
				f.Enum = enumOf(sch)
				f.Path, f.Lookup = pv.Name, "exact"
				for _, l := range lookups {
					if strings.HasSuffix(pv.Name, "__"+l) {
						f.Path, f.Lookup = strings.TrimSuffix(pv.Name, "__"+l), l
						break
					}
				}
				if f.Multi && f.Lookup == "exact" {
					f.Lookup = "in"
				}
				e.Filters = append(e.Filters, f)
			}
		}
		if o := g.opAt("POST", p); o != nil {
			e.Ops["create"] = o.ID
			e.Request = apispec.SchemaName(o.Op.RequestBody.Value.Content.Get("application/json").Schema)
		}
		for _, o := range g.spec.Operations {
			m := detailRe.FindStringSubmatch(o.Path)
			if m == nil || m[1] != p {
				continue
			}
			e.Lookup = m[2]
			switch o.Method {
			case "GET":
				e.Ops["retrieve"] = o.ID
				if e.Schema == "" {
					e.Schema = apispec.SchemaName(o.Op.Responses.Status(200).Value.Content.Get("application/json").Schema)
				}
			case "PUT":
				e.Ops["update"] = o.ID
				if o.Op.RequestBody != nil {
					e.Request = apispec.SchemaName(o.Op.RequestBody.Value.Content.Get("application/json").Schema)
				}
			case "PATCH":
				e.Ops["partial_update"] = o.ID
				if o.Op.RequestBody != nil {
					e.Patch = apispec.SchemaName(o.Op.RequestBody.Value.Content.Get("application/json").Schema)
				}
			case "DELETE":
				e.Ops["destroy"] = o.ID
			}
			if ub := g.opAt("GET", o.Path+"used_by/"); ub != nil {
				e.Ops["used_by"] = ub.ID
			}
		}
		if e.Schema == "" {
			return fmt.Errorf("endpoint %s: no response schema found", p)
		}
		g.eps = append(g.eps, e)
	}
	return nil
}

func (g *generator) opAt(method, path string) *apispec.Operation {
	for _, o := range g.spec.Operations {
		if o.Method == method && o.Path == path {
			return o
		}
	}
	return nil
}

func kindOf(s *openapi3.Schema) string {
	if s == nil {
		return "json"
	}
	if len(s.AllOf) == 1 && s.AllOf[0].Value != nil {
		return kindOf(s.AllOf[0].Value)
	}
	if len(s.OneOf) > 0 || len(s.AnyOf) > 0 {
		for _, o := range append(s.OneOf, s.AnyOf...) {
			if o.Value != nil && len(o.Value.Enum) > 0 {
				return kindOf(o.Value)
			}
		}
		return "json"
	}
	switch {
	case s.Type.Is("string"):
		switch s.Format {
		case "uuid":
			return "uuid"
		case "date-time":
			return "time"
		case "date":
			return "date"
		}
		return "string"
	case s.Type.Is("integer"):
		return "int"
	case s.Type.Is("number"):
		return "float"
	case s.Type.Is("boolean"):
		return "bool"
	}
	return "json"
}

func enumOf(s *openapi3.Schema) []string {
	if s == nil {
		return nil
	}
	if len(s.AllOf) == 1 && s.AllOf[0].Value != nil {
		return enumOf(s.AllOf[0].Value)
	}
	for _, o := range append(s.OneOf, s.AnyOf...) {
		if o.Value != nil && len(o.Value.Enum) > 0 {
			return enumOf(o.Value)
		}
	}
	var out []string
	for _, v := range s.Enum {
		if str, ok := v.(string); ok && str != "" {
			out = append(out, str)
		}
	}
	return out
}

func nullableOf(s *openapi3.Schema) bool {
	if s == nil {
		return false
	}
	if s.Nullable {
		return true
	}
	for _, o := range s.OneOf {
		if o.Value != nil && (o.Value.Nullable || len(o.Value.Enum) == 1 && o.Value.Enum[0] == nil) {
			return true
		}
	}
	return false
}

// addSchema merges the properties of a schema into the model's fields.
func (g *generator) addSchema(model, name string, request bool) error {
	if name == "" {
		return nil
	}
	sch, ok := g.spec.Schema(name)
	if !ok {
		return fmt.Errorf("schema %s not found", name)
	}
	req := map[string]bool{}
	for _, r := range sch.Required {
		req[r] = true
	}
	fs := g.fields[model]
	if fs == nil {
		fs = map[string]*field{}
		g.fields[model] = fs
	}
	names := make([]string, 0, len(sch.Properties))
	for n := range sch.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := sch.Properties[n].Value
		f, ok := fs[n]
		if !ok {
			f = &field{Name: n, Kind: kindOf(p), enum: enumOf(p), array: p.Type.Is("array")}
			fs[n] = f
			g.order[model] = append(g.order[model], n)
		}
		if nullableOf(p) {
			f.Nullable = true
		}
		if request {
			f.inRequest = true
			if req[n] {
				f.required = true
			}
			if p.WriteOnly {
				f.WriteOnly = true
			}
		} else {
			f.inResponse = true
			if p.ReadOnly {
				f.ReadOnly = true
			}
		}
	}
	return nil
}

func (g *generator) models() error {
	g.order = map[string][]string{}
	for _, e := range g.eps {
		for _, s := range []struct {
			name string
			req  bool
		}{{e.Schema, false}, {e.Request, true}} {
			if err := g.addSchema(e.Model, s.name, s.req); err != nil {
				return fmt.Errorf("endpoint %s: %w", e.Path, err)
			}
		}
	}
	for name, om := range g.ov.Models {
		fs := g.fields[name]
		if fs == nil {
			fs = map[string]*field{}
			g.fields[name] = fs
		}
		if om.PK.Column == "" || om.PK.Kind == "" {
			return fmt.Errorf("model %s: pk needs column and kind", name)
		}
		onames := make([]string, 0, len(om.Fields))
		for n := range om.Fields {
			onames = append(onames, n)
		}
		sort.Strings(onames)
		for _, n := range onames {
			of := om.Fields[n]
			f, ok := fs[n]
			if !ok {
				if of.Kind == "" && of.M2M == "" && of.Ref == "" {
					return fmt.Errorf("model %s: overlay field %s is not in any schema and has no kind", name, n)
				}
				f = &field{Name: n, Kind: of.Kind, inRequest: true}
				if of.Ref != "" && f.Kind == "" {
					f.Kind = g.pkKind(of.Ref)
				}
				if of.M2M != "" {
					f.array = true
					f.Kind = "json"
				}
				if !of.Hidden && of.M2M == "" && of.Ref == "" && !of.Stored {
					// A field only the overlay knows is a server-side column.
					f.Hidden = true
				}
				fs[n] = f
				g.order[name] = append(g.order[name], n)
			}
			if of.Kind != "" {
				f.Kind = of.Kind
			}
			if of.Nullable != nil {
				f.Nullable = *of.Nullable
			}
			f.Ref, f.OnDelete, f.M2M, f.Computed = of.Ref, of.OnDelete, of.M2M, of.Computed
			if f.Ref != "" && f.OnDelete == "" {
				f.OnDelete = "cascade"
			}
			if of.Hidden {
				f.Hidden = true
			}
			if of.Stored {
				f.Column = n
			}
			if of.Column != "" {
				f.Column = of.Column
			}
			if of.Default.Kind != 0 {
				var v any
				if err := of.Default.Decode(&v); err != nil {
					return fmt.Errorf("model %s field %s default: %w", name, n, err)
				}
				f.Default = goLiteral(v)
			}
			if _, ok := g.ov.Models[f.Ref]; f.Ref != "" && !ok {
				return fmt.Errorf("model %s field %s: ref %q is not a model", name, n, f.Ref)
			}
			if _, ok := g.ov.Models[f.M2M]; f.M2M != "" && !ok {
				return fmt.Errorf("model %s field %s: m2m %q is not a model", name, n, f.M2M)
			}
		}
		// Columns: request fields and overlay-stored fields; pk aliases.
		for _, n := range g.order[name] {
			f := fs[n]
			if n == "pk" || n == om.PK.Column {
				f.Column = om.PK.Column
				if f.Kind == "json" || f.Kind == "" {
					f.Kind = om.PK.Kind
				}
				f.Computed = ""
				continue
			}
			if f.M2M != "" {
				f.Column = ""
				if f.Computed == "" && f.inResponse && !f.inRequest {
					f.ReadOnly = true
				}
				continue
			}
			if f.Computed != "" {
				f.Column = ""
				f.ReadOnly = true
				continue
			}
			if f.Column == "" && (f.inRequest || f.Hidden) && !(f.ReadOnly && !f.Hidden && om.Fields[n].Ref == "") {
				f.Column = n
			}
			if f.inRequest && f.ReadOnly && f.Column != "" {
				// Writable in one serializer (e.g. admin view), read-only in another.
				f.ReadOnly = false
			}
			if f.Column == "" && f.ReadOnly {
				f.Computed = "auto"
			}
			// Server-set columns the API shows as non-null start from
			// their zero value, like Django fields with a blank default.
			if f.Column != "" && f.Default == "" && !f.required && !f.Nullable && !f.Hidden && f.Ref == "" && (f.inRequest || f.ReadOnly) {
				f.Default = zeroDefault(f)
			}
		}
	}
	return nil
}

func (g *generator) pkKind(model string) string {
	if om, ok := g.ov.Models[model]; ok {
		return om.PK.Kind
	}
	return "uuid"
}

func zeroDefault(f *field) string {
	if len(f.enum) > 0 {
		return fmt.Sprintf("%q", f.enum[0])
	}
	switch f.Kind {
	case "string":
		return `""`
	case "int", "float":
		return "float64(0)"
	case "bool":
		return "false"
	case "json":
		if f.array {
			return "[]any{}"
		}
		return "map[string]any{}"
	}
	return ""
}

func goLiteral(v any) string {
	switch x := v.(type) {
	case nil:
		return "nil"
	case string:
		return fmt.Sprintf("%q", x)
	case bool:
		return fmt.Sprintf("%t", x)
	case int:
		return fmt.Sprintf("float64(%d)", x)
	case float64:
		return fmt.Sprintf("float64(%v)", x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = goLiteral(e)
		}
		return "[]any{" + strings.Join(parts, ", ") + "}"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%q: %s", k, goLiteral(x[k]))
		}
		return "map[string]any{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprintf("%#v", v)
}

func strs(ss []string) string {
	if len(ss) == 0 {
		return "nil"
	}
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[]string{" + strings.Join(q, ", ") + "}"
}

var kindConst = map[string]string{"string": "KindString", "int": "KindInt", "float": "KindFloat", "bool": "KindBool",
	"uuid": "KindUUID", "time": "KindTime", "date": "KindDate", "json": "KindJSON", "": "KindJSON"}
var onDeleteConst = map[string]string{"cascade": "Cascade", "set_null": "SetNull", "set_default": "SetDefault", "protect": "Protect"}

func (g *generator) emit() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("// Code generated by internal/registry/gen from the OpenAPI schema and overlay.yaml. DO NOT EDIT.\n\npackage registry\n\n")
	names := make([]string, 0, len(g.ov.Models))
	for n := range g.ov.Models {
		names = append(names, n)
	}
	sort.Strings(names)
	b.WriteString("func generatedModels() []*Model {\n\treturn []*Model{\n")
	for _, n := range names {
		om := g.ov.Models[n]
		table := om.Table
		if table == "" {
			table = strings.ReplaceAll(n, ".", "_")
		}
		table = ident.TableName(table)
		kc, ok := kindConst[om.PK.Kind]
		if !ok {
			return nil, fmt.Errorf("model %s: bad pk kind %q", n, om.PK.Kind)
		}
		fmt.Fprintf(&b, "\t\t{\n\t\t\tName: %q, Table: %q, PKColumn: %q, PKKind: %s, PKAuto: %t,\n", n, table, om.PK.Column, kc, om.PK.Auto)
		if om.Parent.Model != "" {
			if _, ok := g.ov.Models[om.Parent.Model]; !ok {
				return nil, fmt.Errorf("model %s: parent %q is not a model", n, om.Parent.Model)
			}
			fmt.Fprintf(&b, "\t\t\tParent: %q, ParentColumn: %q,\n", om.Parent.Model, om.Parent.Column)
		}
		if om.Abstract {
			b.WriteString("\t\t\tAbstract: true,\n")
		}
		fmt.Fprintf(&b, "\t\t\tVerboseName: %q, VerboseNamePlural: %q, Component: %q,\n", om.VerboseName, om.VerboseNamePlural, om.Component)
		if om.Description != "" {
			fmt.Fprintf(&b, "\t\t\tDescription: %q,\n", om.Description)
		}
		fmt.Fprintf(&b, "\t\t\tNaturalKey: %s, Search: %s, Ordering: %s, DefaultOrdering: %s,\n", strs(om.NaturalKey), strs(om.Search), strs(om.Ordering), strs(om.DefaultOrdering))
		if len(om.Unique) > 0 {
			b.WriteString("\t\t\tUnique: [][]string{")
			for _, u := range om.Unique {
				b.WriteString(strs(u) + ", ")
			}
			b.WriteString("},\n")
		}
		if len(om.Aliases) > 0 {
			keys := make([]string, 0, len(om.Aliases))
			for k := range om.Aliases {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			b.WriteString("\t\t\tAliases: map[string]string{")
			for _, k := range keys {
				fmt.Fprintf(&b, "%q: %q, ", k, om.Aliases[k])
			}
			b.WriteString("},\n")
		}
		b.WriteString("\t\t\tFields: []Field{\n")
		fs := g.fields[n]
		for _, fn := range g.order[n] {
			f := fs[fn]
			var parts []string
			parts = append(parts, fmt.Sprintf("Name: %q", f.Name))
			if f.Column != "" {
				parts = append(parts, fmt.Sprintf("Column: %q", f.Column))
			}
			parts = append(parts, "Kind: "+kindConst[f.Kind])
			if f.Nullable {
				parts = append(parts, "Nullable: true")
			}
			if f.Default != "" {
				parts = append(parts, "Default: "+f.Default, "HasDefault: true")
			}
			if f.Ref != "" {
				parts = append(parts, fmt.Sprintf("Ref: %q, OnDelete: %s", f.Ref, onDeleteConst[f.OnDelete]))
			}
			if f.M2M != "" {
				parts = append(parts, fmt.Sprintf("M2M: %q", f.M2M))
			}
			if f.ReadOnly {
				parts = append(parts, "ReadOnly: true")
			}
			if f.WriteOnly {
				parts = append(parts, "WriteOnly: true")
			}
			if f.Hidden {
				parts = append(parts, "Hidden: true")
			}
			if f.Computed != "" {
				parts = append(parts, fmt.Sprintf("Computed: %q", f.Computed))
			}
			if f.array {
				parts = append(parts, "Array: true")
			}
			if len(f.enum) > 0 {
				parts = append(parts, "Enum: "+strs(f.enum))
			}
			fmt.Fprintf(&b, "\t\t\t\t{%s},\n", strings.Join(parts, ", "))
		}
		b.WriteString("\t\t\t},\n\t\t},\n")
	}
	b.WriteString("\t}\n}\n\n")
	b.WriteString("func generatedEndpoints() []*Endpoint {\n\treturn []*Endpoint{\n")
	for _, e := range g.eps {
		fmt.Fprintf(&b, "\t\t{\n\t\t\tPath: %q, Lookup: %q, LookupField: %q, Model: %q,\n", e.Path, e.Lookup, e.LookupField, e.Model)
		fmt.Fprintf(&b, "\t\t\tSchema: %q, Request: %q, Patch: %q, Paginated: %q, Family: %t,\n", e.Schema, e.Request, e.Patch, e.Paginated, e.Family)
		b.WriteString("\t\t\tOps: map[Op]string{")
		for _, op := range []string{"list", "create", "retrieve", "update", "partial_update", "destroy", "used_by"} {
			if id, ok := e.Ops[op]; ok {
				fmt.Fprintf(&b, "%q: %q, ", op, id)
			}
		}
		b.WriteString("},\n")
		if len(e.Filters) > 0 {
			b.WriteString("\t\t\tFilters: []Filter{\n")
			for _, f := range e.Filters {
				fmt.Fprintf(&b, "\t\t\t\t{Param: %q, Path: %q, Lookup: %q, Kind: %s, Multi: %t", f.Param, f.Path, f.Lookup, kindConst[f.Kind], f.Multi)
				if len(f.Enum) > 0 {
					b.WriteString(", Enum: " + strs(f.Enum))
				}
				b.WriteString("},\n")
			}
			b.WriteString("\t\t\t},\n")
		}
		b.WriteString("\t\t},\n")
	}
	b.WriteString("\t}\n}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		return b.Bytes(), fmt.Errorf("format generated code: %w", err)
	}
	return src, nil
}
