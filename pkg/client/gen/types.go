package main

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
)

// kind is what a Go type is made of, which decides how an optional or
// nullable field of that type is represented.
type kind int

const (
	kindScalar kind = iota // string, numbers, bool, time, enums: *T when optional
	kindStruct             // objects and oneOf wrappers: *T when optional
	kindSlice              // nil is "unset", []T{} is "empty"
	kindMap                // nil is "unset", map{} is "empty"
	kindAny                // interfaces (any, io.Reader): nil is "unset"
)

// goType is a resolved Go type.
type goType struct {
	expr string
	kind kind
}

// inlineType is an object schema declared inside a property, emitted as a
// named struct (parent type name + property name).
type inlineType struct {
	name   string
	schema *schema
}

// generator turns the decoded document into Go source.
type generator struct {
	doc *document
	// goNames maps component names to Go type names.
	goNames map[string]string
	// inline holds the inline object types found while resolving fields.
	inline     []inlineType
	inlineSeen map[string]bool
	// multipart lists the components sent as multipart/form-data bodies;
	// their binary fields are io.Readers.
	multipart map[string]bool
	imports   map[string]bool
}

func newGenerator(doc *document) (*generator, error) {
	g := &generator{doc: doc, goNames: map[string]string{}, inlineSeen: map[string]bool{},
		multipart: map[string]bool{}, imports: map[string]bool{}}
	taken := map[string]string{}
	for _, name := range doc.Components.Schemas.Keys {
		gn := typeName(name)
		if other, dup := taken[gn]; dup {
			return nil, fmt.Errorf("schemas %q and %q both become Go type %s", other, name, gn)
		}
		taken[gn] = name
		g.goNames[name] = gn
	}
	for _, path := range doc.Paths.Keys {
		for _, op := range doc.Paths.Values[path].Values {
			if op.RequestBody == nil {
				continue
			}
			if mt, ok := op.RequestBody.Content.Values["multipart/form-data"]; ok && mt.Schema != nil && mt.Schema.Ref != "" {
				g.multipart[refName(mt.Schema.Ref)] = true
			}
		}
	}
	return g, nil
}

// refName is the component name a $ref points at.
func refName(ref string) string {
	return strings.TrimPrefix(ref, "#/components/schemas/")
}

// component returns a component schema by reference.
func (g *generator) component(ref string) (*schema, string, error) {
	name := refName(ref)
	s, ok := g.doc.Components.Schemas.Values[name]
	if !ok {
		return nil, "", fmt.Errorf("unresolved reference %s", ref)
	}
	return s, g.goNames[name], nil
}

// typeOf resolves a schema to a Go type. inlineName names the struct an
// inline object becomes; multipart says binary strings are streamed.
func (g *generator) typeOf(s *schema, inlineName string, multipart bool) (goType, error) {
	switch {
	case s.Ref != "":
		c, name, err := g.component(s.Ref)
		if err != nil {
			return goType{}, err
		}
		switch {
		case len(c.Enum) > 0:
			return goType{name, kindScalar}, nil
		case len(c.OneOf) > 0 || c.Properties.Keys != nil:
			return goType{name, kindStruct}, nil
		case c.Type == "object":
			return goType{name, kindMap}, nil
		}
		return goType{}, fmt.Errorf("component %s has no Go representation", refName(s.Ref))
	case len(s.AllOf) == 1:
		return g.typeOf(s.AllOf[0], inlineName, multipart)
	case len(s.AllOf) > 1 || len(s.OneOf) > 0:
		return goType{"json.RawMessage", kindAny}, g.use("encoding/json")
	}
	switch s.Type {
	case "string":
		switch s.Format {
		case "date-time":
			g.imports["time"] = true
			return goType{"time.Time", kindScalar}, nil
		case "binary":
			if multipart {
				g.imports["io"] = true
				return goType{"io.Reader", kindAny}, nil
			}
			return goType{"[]byte", kindSlice}, nil
		}
		return goType{"string", kindScalar}, nil
	case "integer":
		if s.Format == "int64" {
			return goType{"int64", kindScalar}, nil
		}
		return goType{"int", kindScalar}, nil
	case "number":
		return goType{"float64", kindScalar}, nil
	case "boolean":
		return goType{"bool", kindScalar}, nil
	case "array":
		if s.Items == nil {
			return goType{"[]any", kindSlice}, nil
		}
		item, err := g.typeOf(s.Items, inlineName+"Item", multipart)
		if err != nil {
			return goType{}, err
		}
		return goType{"[]" + item.expr, kindSlice}, nil
	case "object":
		if len(s.Properties.Keys) > 0 {
			if !g.inlineSeen[inlineName] {
				if _, clash := g.doc.Components.Schemas.Values[inlineName]; clash {
					return goType{}, fmt.Errorf("inline object %s clashes with a component", inlineName)
				}
				g.inlineSeen[inlineName] = true
				g.inline = append(g.inline, inlineType{inlineName, s})
			}
			return goType{inlineName, kindStruct}, nil
		}
		if a := s.AdditionalProperties; a != nil && a.Schema != nil && !a.Schema.empty() {
			v, err := g.typeOf(a.Schema, inlineName+"Value", multipart)
			if err != nil {
				return goType{}, err
			}
			return goType{"map[string]" + v.expr, kindMap}, nil
		}
		return goType{"map[string]any", kindMap}, nil
	case "":
		return goType{"any", kindAny}, nil
	}
	return goType{}, fmt.Errorf("unsupported schema type %q", s.Type)
}

func (g *generator) use(pkg string) error {
	g.imports[pkg] = true
	return nil
}

// empty reports whether a schema says nothing about its value ({}).
func (s *schema) empty() bool {
	return s.Ref == "" && s.Type == "" && len(s.AllOf) == 0 && len(s.OneOf) == 0 && s.Items == nil &&
		len(s.Properties.Keys) == 0 && s.AdditionalProperties == nil && len(s.Enum) == 0
}

// nullable reports whether a property allows null, including the
// drf-spectacular form {allOf: [$ref], nullable: true}.
func nullable(s *schema) bool {
	return s.Nullable || (len(s.AllOf) == 1 && s.AllOf[0].Nullable)
}

// quirks are the properties whose values authentik 2023.10 sends in a
// type other than its schema's; the generated field follows the server,
// because a client that cannot decode a real response is of no use.
var quirks = map[string]goType{
	// DeviceSerializer.pk is an IntegerField, and a mobile device's primary
	// key is a UUID, which Python's int() turns into a 128-bit number.
	"Device.pk": {"json.Number", kindScalar},
}

// field is one struct field.
type field struct {
	json, goName, typ, tag, doc string
}

// fieldOf applies the representation rules documented in doc.go.
func fieldOf(prop string, t goType, required, isNullable, readOnly bool) field {
	f := field{json: prop, goName: exported(prop), typ: t.expr}
	switch {
	case required && !isNullable && readOnly && t.kind == kindStruct:
		// authentik sends null for an unset relation's read-only object
		// (a binding's group_obj) although its schema does not say
		// nullable; a pointer keeps that null apart from an empty object.
		f.tag = prop
		f.typ = "*" + t.expr
	case required && !isNullable:
		f.tag = prop
	case required && isNullable:
		f.tag = prop
		if t.kind == kindScalar || t.kind == kindStruct {
			f.typ = "*" + t.expr
		}
	case !isNullable:
		switch t.kind {
		case kindSlice, kindMap:
			f.tag = prop + ",omitzero"
		case kindAny:
			f.tag = prop + ",omitempty"
		default:
			f.typ = "*" + t.expr
			f.tag = prop + ",omitempty"
		}
	default:
		if t.kind == kindAny {
			f.tag = prop + ",omitempty"
		} else {
			f.typ = "Nullable[" + t.expr + "]"
			f.tag = prop + ",omitzero"
		}
	}
	return f
}

// structFields resolves the fields of an object schema.
func (g *generator) structFields(goName string, s *schema, multipart bool) ([]field, error) {
	required := map[string]bool{}
	for _, r := range s.Required {
		required[r] = true
	}
	seen := map[string]string{}
	var fields []field
	for _, prop := range s.Properties.Keys {
		p := s.Properties.Values[prop]
		t, err := g.typeOf(p, goName+exported(prop), multipart)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", goName, prop, err)
		}
		if q, ok := quirks[goName+"."+prop]; ok {
			t = q
			if strings.HasPrefix(q.expr, "json.") {
				g.imports["encoding/json"] = true
			}
		}
		f := fieldOf(prop, t, required[prop], nullable(p), p.ReadOnly)
		if other, dup := seen[f.goName]; dup {
			return nil, fmt.Errorf("%s: properties %q and %q both become field %s", goName, other, prop, f.goName)
		}
		seen[f.goName] = prop
		f.doc = p.Description
		if f.doc == "" {
			f.doc = p.Title
		}
		fields = append(fields, f)
	}
	return fields, nil
}

// writeTypes emits every component schema and the inline objects they
// declare, sorted by Go name.
func (g *generator) writeTypes() ([]byte, error) {
	g.imports = map[string]bool{}
	var body bytes.Buffer
	names := append([]string(nil), g.doc.Components.Schemas.Keys...)
	sort.Slice(names, func(i, j int) bool { return g.goNames[names[i]] < g.goNames[names[j]] })
	for _, name := range names {
		s := g.doc.Components.Schemas.Values[name]
		if err := g.writeComponent(&body, name, s); err != nil {
			return nil, fmt.Errorf("schema %s: %w", name, err)
		}
	}
	// Inline types are found while writing fields (in the sorted order
	// above, so deterministically) and may declare more.
	for i := 0; i < len(g.inline); i++ {
		it := g.inline[i]
		fmt.Fprintf(&body, "// %s is an object declared inline in the schema.\n", it.name)
		if err := g.writeStruct(&body, it.name, it.schema, false); err != nil {
			return nil, err
		}
	}
	return g.file(body.Bytes())
}

func (g *generator) writeComponent(w *bytes.Buffer, name string, s *schema) error {
	goName := g.goNames[name]
	fmt.Fprintf(w, "// %s is the schema component %s.\n", goName, name)
	if s.Description != "" {
		w.WriteString("//\n")
		writeComment(w, s.Description)
	}
	switch {
	case len(s.Enum) > 0:
		return g.writeEnum(w, goName, s)
	case len(s.OneOf) > 0:
		return g.writeOneOf(w, goName, s)
	case s.Type == "object" && s.Properties.Keys == nil:
		fmt.Fprintf(w, "type %s map[string]any\n\n", goName)
		return nil
	case s.Type == "object":
		return g.writeStruct(w, goName, s, g.multipart[name])
	}
	return fmt.Errorf("unsupported top-level schema of type %q", s.Type)
}

func (g *generator) writeEnum(w *bytes.Buffer, goName string, s *schema) error {
	if s.Type != "string" {
		return fmt.Errorf("enum of type %q", s.Type)
	}
	fmt.Fprintf(w, "type %s string\n\n// Values of %s.\nconst (\n", goName, goName)
	seen := map[string]string{}
	for _, v := range s.Enum {
		suffix := exported(v)
		if suffix == "" {
			suffix = "Empty"
		}
		c := goName + suffix
		if other, dup := seen[c]; dup {
			return fmt.Errorf("values %q and %q both become constant %s", other, v, c)
		}
		seen[c] = v
		fmt.Fprintf(w, "\t%s %s = %q\n", c, goName, v)
	}
	w.WriteString(")\n\n")
	return nil
}

func (g *generator) writeStruct(w *bytes.Buffer, goName string, s *schema, multipart bool) error {
	fields, err := g.structFields(goName, s, multipart)
	if err != nil {
		return err
	}
	extra := s.AdditionalProperties != nil && s.AdditionalProperties.Allowed
	fmt.Fprintf(w, "type %s struct {\n", goName)
	for i, f := range fields {
		if f.doc != "" {
			if i > 0 {
				w.WriteString("\n")
			}
			writeComment(w, f.doc)
		}
		fmt.Fprintf(w, "\t%s %s `json:%q`\n", f.goName, f.typ, f.tag)
	}
	if extra {
		if _, clash := s.Properties.Values["additional_properties"]; clash {
			return fmt.Errorf("%s: property additional_properties clashes with the extra-properties field", goName)
		}
		w.WriteString("\n\t// AdditionalProperties holds the properties the schema does not name\n")
		w.WriteString("\t// (the schema allows any); they are sent and received beside the others.\n")
		w.WriteString("\tAdditionalProperties map[string]any `json:\"-\"`\n")
	}
	w.WriteString("}\n\n")
	if extra {
		g.imports["encoding/json"] = true
		keys := make([]string, len(s.Properties.Keys))
		for i, k := range s.Properties.Keys {
			keys[i] = fmt.Sprintf("%q", k)
		}
		fmt.Fprintf(w, `// MarshalJSON sends AdditionalProperties beside the named properties.
func (v %[1]s) MarshalJSON() ([]byte, error) {
	type plain %[1]s
	return marshalWithExtra(plain(v), v.AdditionalProperties)
}

// UnmarshalJSON keeps the properties the schema does not name in
// AdditionalProperties.
func (v *%[1]s) UnmarshalJSON(data []byte) error {
	type plain %[1]s
	extra, err := unmarshalWithExtra(data, (*plain)(v), %[2]s)
	if err != nil {
		return err
	}
	v.AdditionalProperties = extra
	return nil
}

`, goName, "[]string{"+strings.Join(keys, ", ")+"}")
	}
	if item, ok := g.paginated(s); ok {
		fmt.Fprintf(w, `// PageInfo returns the page's position in the whole list.
func (p *%[1]s) PageInfo() Pagination { return p.Pagination }

// Items returns the objects on the page.
func (p *%[1]s) Items() []%[2]s { return p.Results }

`, goName, item)
	}
	return nil
}

// paginated reports whether s is a page of a list ({pagination, results})
// and returns the Go type of its items.
func (g *generator) paginated(s *schema) (string, bool) {
	if len(s.Properties.Keys) != 2 {
		return "", false
	}
	p, r := s.Properties.Values["pagination"], s.Properties.Values["results"]
	if p == nil || r == nil || refName(p.Ref) != "Pagination" || r.Type != "array" || r.Items == nil || r.Items.Ref == "" {
		return "", false
	}
	_, item, err := g.component(r.Items.Ref)
	return item, err == nil
}

// writeOneOf emits a wrapper that keeps the raw JSON of a polymorphic
// value and decodes it on request, since Go has no sum types.
func (g *generator) writeOneOf(w *bytes.Buffer, goName string, s *schema) error {
	if s.Discriminator == nil || s.Discriminator.PropertyName == "" {
		return fmt.Errorf("oneOf without a discriminator")
	}
	g.imports["encoding/json"] = true
	prop := s.Discriminator.PropertyName
	// Each variant type with the discriminator values naming it.
	keysOf := map[string][]string{}
	var variants []string
	for _, key := range s.Discriminator.Mapping.Keys {
		_, t, err := g.component(s.Discriminator.Mapping.Values[key])
		if err != nil {
			return err
		}
		if keysOf[t] == nil {
			variants = append(variants, t)
		}
		keysOf[t] = append(keysOf[t], key)
	}
	for _, v := range s.OneOf {
		_, t, err := g.component(v.Ref)
		if err != nil {
			return err
		}
		if keysOf[t] == nil {
			return fmt.Errorf("variant %s has no discriminator value", t)
		}
	}
	sort.Strings(variants)
	lower := strings.ToLower(goName[:1]) + goName[1:]
	fmt.Fprintf(w, `//
// It is one of several object types, told apart by the %[2]q property.
// Value decodes it into the matching type; Set stores a variant.
type %[1]s struct {
	// Raw is the value's JSON.
	Raw json.RawMessage
}

// MarshalJSON writes Raw (null when unset).
func (v %[1]s) MarshalJSON() ([]byte, error) { return marshalRaw(v.Raw) }

// UnmarshalJSON keeps a copy of the value's JSON.
func (v *%[1]s) UnmarshalJSON(data []byte) error {
	v.Raw = append(v.Raw[:0:0], data...)
	return nil
}

// Discriminator returns the %[2]q property, which names the variant.
func (v %[1]s) Discriminator() (string, error) { return discriminatorOf(v.Raw, %[2]q) }

// Value decodes the variant the discriminator names and returns a pointer
// to it (for example *%[3]s).
func (v %[1]s) Value() (any, error) { return decodeVariant(v.Raw, %[2]q, %[4]sVariants) }

var %[4]sVariants = map[string]func() any{
`, goName, prop, variants[0], lower)
	for _, key := range s.Discriminator.Mapping.Keys {
		_, t, _ := g.component(s.Discriminator.Mapping.Values[key])
		fmt.Fprintf(w, "\t%q: func() any { return new(%s) },\n", key, t)
	}
	w.WriteString("}\n\n")
	fmt.Fprintf(w, `// Set stores a variant, given as a value or a pointer. When the variant
// leaves %[2]q unset and only one discriminator value names its type, Set
// fills that value in.
func (v *%[1]s) Set(variant any) error {
	var key string
	switch variant.(type) {
`, goName, prop)
	for _, t := range variants {
		key := ""
		if len(keysOf[t]) == 1 {
			key = keysOf[t][0]
		}
		fmt.Fprintf(w, "\tcase %[1]s, *%[1]s:\n\t\tkey = %[2]q\n", t, key)
	}
	fmt.Fprintf(w, `	default:
		return fmt.Errorf("%%T is not a variant of %[1]s", variant)
	}
	raw, err := encodeVariant(variant, %[2]q, key)
	if err != nil {
		return err
	}
	v.Raw = raw
	return nil
}

`, goName, prop)
	g.imports["fmt"] = true
	for _, t := range variants {
		fmt.Fprintf(w, `// As%[2]s decodes the value into a %[2]s, whatever its discriminator
// says.
func (v %[1]s) As%[2]s() (*%[2]s, error) {
	out := new(%[2]s)
	if err := decodeRaw(v.Raw, out); err != nil {
		return nil, err
	}
	return out, nil
}

`, goName, t)
	}
	return nil
}

// writeComment writes text as // lines, one per line of the text.
func writeComment(w *bytes.Buffer, text string) {
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		line = strings.TrimRight(line, " \t\r")
		if line == "" {
			w.WriteString("//\n")
			continue
		}
		w.WriteString("// " + line + "\n")
	}
}
