package apispec

import (
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// trim drops from a loaded document what the server never reads: the
// parsed schema was 8.4 MB of an idle server's 12 MB live heap; trimmed
// it is 4.2 MB, and 2.3 MB once equal leaves are shared and compact has
// copied it. The server reads:
//
//   - per operation its operationId, method, path and security (routing
//     and authentication); parameters, request bodies and responses are
//     described again by the registry and the component schemas;
//   - the component schemas, for request validation and response
//     projection, including a component's own description (enum labels
//     are parsed from it, see admin's enumChoices);
//   - info (the version).
//
// Inline schemas below a component lose their documentation (description,
// title, examples): validation and projection never look at it, and the
// error messages are built from the failing keyword, not the schema's text.
// Equal inline leaf schemas (a property's `type: string, maxLength: 150`
// repeated across hundreds of components) then share one copy: nothing
// mutates a loaded schema or tells two equal ones apart.
//
// GET /api/v3/schema/ serves the embedded bytes, not this document.
func trim(doc *openapi3.T) {
	if doc.Paths != nil {
		for _, item := range doc.Paths.Map() {
			item.Summary, item.Description, item.Parameters, item.Servers = "", "", nil, nil
			for _, op := range item.Operations() {
				*op = openapi3.Operation{OperationID: op.OperationID, Security: op.Security, Deprecated: op.Deprecated}
			}
		}
	}
	doc.Tags, doc.ExternalDocs, doc.Webhooks = nil, nil, nil
	if c := doc.Components; c != nil {
		c.Parameters, c.Headers, c.RequestBodies, c.Responses = nil, nil, nil, nil
		c.Examples, c.Links, c.Callbacks = nil, nil, nil
		t := trimmer{seen: map[*openapi3.Schema]bool{}, leaves: map[leafKey][]*openapi3.Schema{}}
		// Sorted, so which copy of equal leaves is kept does not depend
		// on map order.
		for _, name := range slices.Sorted(maps.Keys(c.Schemas)) {
			ref := c.Schemas[name]
			if ref == nil || ref.Value == nil {
				continue
			}
			// The component itself keeps its description; its inline
			// parts do not.
			s := ref.Value
			s.Title, s.Example, s.Examples, s.ExternalDocs = "", nil, nil, nil
			t.seen[s] = true
			t.below(s)
		}
	}
}

type trimmer struct {
	seen   map[*openapi3.Schema]bool
	leaves map[leafKey][]*openapi3.Schema // the kept copies
}

// leafKey narrows the leaves a new one is compared with.
type leafKey struct {
	typ, format, pattern string
	readOnly, nullable   bool
	enum                 int
}

func keyOf(s *openapi3.Schema) leafKey {
	k := leafKey{format: s.Format, pattern: s.Pattern, readOnly: s.ReadOnly, nullable: s.Nullable, enum: len(s.Enum)}
	if s.Type != nil {
		k.typ = strings.Join(*s.Type, ",")
	}
	return k
}

// below strips documentation from the inline schemas under s and shares
// equal leaves. A reference leads to a component, which trim handles as a
// root.
func (t *trimmer) below(s *openapi3.Schema) {
	visit := func(ref *openapi3.SchemaRef) {
		if ref == nil || ref.Ref != "" || ref.Value == nil || t.seen[ref.Value] {
			return
		}
		v := ref.Value
		t.seen[v] = true
		v.Title, v.Description, v.Example, v.Examples, v.ExternalDocs = "", "", nil, nil, nil
		if isLeaf(v) {
			k := keyOf(v)
			for _, same := range t.leaves[k] {
				if reflect.DeepEqual(same, v) {
					ref.Value = same
					return
				}
			}
			t.leaves[k] = append(t.leaves[k], v)
			return
		}
		t.below(v)
	}
	for _, refs := range []openapi3.SchemaRefs{s.OneOf, s.AnyOf, s.AllOf, s.PrefixItems} {
		for _, r := range refs {
			visit(r)
		}
	}
	for _, r := range []*openapi3.SchemaRef{s.Not, s.Items, s.AdditionalProperties.Schema, s.Contains,
		s.PropertyNames, s.If, s.Then, s.Else} {
		visit(r)
	}
	for _, m := range []openapi3.Schemas{s.Properties, s.PatternProperties, s.DependentSchemas} {
		for _, r := range m {
			visit(r)
		}
	}
}

// isLeaf reports whether a schema has no subschemas, so comparing two
// is cheap.
func isLeaf(s *openapi3.Schema) bool {
	return len(s.OneOf)+len(s.AnyOf)+len(s.AllOf)+len(s.PrefixItems) == 0 &&
		s.Not == nil && s.Items == nil && s.AdditionalProperties.Schema == nil && s.AdditionalProperties.Has == nil &&
		s.Contains == nil && s.PropertyNames == nil && s.If == nil && s.Then == nil && s.Else == nil && s.ContentSchema == nil &&
		len(s.Properties)+len(s.PatternProperties)+len(s.DependentSchemas)+len(s.Defs) == 0 &&
		s.UnevaluatedItems.Schema == nil && s.UnevaluatedProperties.Schema == nil &&
		s.Always == nil && len(s.Extensions) == 0 && s.Discriminator == nil
}
