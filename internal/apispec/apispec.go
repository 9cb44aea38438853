package apispec

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"
)

// YAML is the schema exactly as authentik publishes it.
//
//go:embed authentik.yml
var YAML []byte

// BasePath is where the API is mounted.
const BasePath = "/api/v3"

// Operation is one method on one path of the schema.
type Operation struct {
	ID     string
	Method string // GET, POST, ...
	Path   string // as in the schema, e.g. /flows/instances/{slug}/
	Op     *openapi3.Operation
}

// Spec is the loaded schema with operation lookups.
type Spec struct {
	Doc        *openapi3.T
	Operations []*Operation
	byID       map[string]*Operation

	jsonOnce sync.Once
	jsonDoc  []byte
}

var (
	loadOnce sync.Once
	loaded   *Spec
	loadErr  error
)

// Load parses the embedded schema once; later calls return the same Spec.
// It is the server's copy, trimmed to what the server reads (see trim)
// and compacted (see compact): tools that render documentation from the
// schema use Parse.
func Load() (*Spec, error) {
	loadOnce.Do(func() {
		doc, err := parseDoc(YAML)
		if err != nil {
			loadErr = err
			return
		}
		trim(doc)
		loaded = index(compact(doc))
	})
	return loaded, loadErr
}

// MustLoad is Load for callers that cannot continue without the schema.
func MustLoad() *Spec {
	s, err := Load()
	if err != nil {
		panic(err)
	}
	return s
}

// Parse loads a schema document.
func Parse(data []byte) (*Spec, error) {
	doc, err := parseDoc(data)
	if err != nil {
		return nil, err
	}
	return index(doc), nil
}

func parseDoc(data []byte) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("load OpenAPI schema: %w", err)
	}
	// Validation costs start-up time for a document that never changes at
	// run time; TestSchemaIsValid checks the embedded one.
	return doc, nil
}

// index lists a document's operations.
func index(doc *openapi3.T) *Spec {
	s := &Spec{Doc: doc, byID: map[string]*Operation{}}
	paths := doc.Paths.InMatchingOrder()
	sort.Strings(paths)
	for _, p := range paths {
		item := doc.Paths.Value(p)
		for method, op := range item.Operations() {
			o := &Operation{ID: op.OperationID, Method: strings.ToUpper(method), Path: p, Op: op}
			s.Operations = append(s.Operations, o)
			s.byID[o.ID] = o
		}
	}
	sort.Slice(s.Operations, func(i, j int) bool {
		if s.Operations[i].Path != s.Operations[j].Path {
			return s.Operations[i].Path < s.Operations[j].Path
		}
		return s.Operations[i].Method < s.Operations[j].Method
	})
	return s
}

// Operation returns an operation by operationId.
func (s *Spec) Operation(id string) (*Operation, bool) { o, ok := s.byID[id]; return o, ok }

// OperationAt returns the operation of a method on a schema path.
func (s *Spec) OperationAt(method, path string) (*Operation, bool) {
	for _, o := range s.Operations {
		if o.Method == method && o.Path == path {
			return o, true
		}
	}
	return nil, false
}

// Schema returns a component schema by name.
func (s *Spec) Schema(name string) (*openapi3.Schema, bool) {
	ref, ok := s.Doc.Components.Schemas[name]
	if !ok || ref.Value == nil {
		return nil, false
	}
	return ref.Value, true
}

// JSON returns the schema as JSON (for GET /api/v3/schema/?format=json).
func (s *Spec) JSON() []byte {
	s.jsonOnce.Do(func() {
		var v any
		if err := yaml.Unmarshal(YAML, &v); err == nil {
			s.jsonDoc, _ = json.Marshal(v)
		}
	})
	return s.jsonDoc
}

// SchemaName returns the component name a schema reference points at ("" for inline schemas).
func SchemaName(ref *openapi3.SchemaRef) string {
	if ref == nil {
		return ""
	}
	if i := strings.LastIndex(ref.Ref, "/"); i >= 0 {
		return ref.Ref[i+1:]
	}
	return ""
}
