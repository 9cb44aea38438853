package apispec

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestLoadKeepsWhatTheServerReads compares the server's trimmed and
// compacted copy with the full parse: the same operations with the same
// security, the same info, and every component schema the same once the
// documentation of its inline parts is removed from the full one.
func TestLoadKeepsWhatTheServerReads(t *testing.T) {
	full, err := Parse(YAML)
	if err != nil {
		t.Fatal(err)
	}
	s := MustLoad()
	if got, want := s.Doc.Info.Version, full.Doc.Info.Version; got != want {
		t.Errorf("info version %q, want %q", got, want)
	}
	if len(s.Operations) != len(full.Operations) {
		t.Fatalf("%d operations, want %d", len(s.Operations), len(full.Operations))
	}
	for i, want := range full.Operations {
		got := s.Operations[i]
		if got.ID != want.ID || got.Method != want.Method || got.Path != want.Path ||
			!reflect.DeepEqual(got.Op.Security, want.Op.Security) {
			t.Errorf("operation %d: got %s %s %s %v, want %s %s %s %v", i,
				got.ID, got.Method, got.Path, got.Op.Security, want.ID, want.Method, want.Path, want.Op.Security)
		}
		if byID, _ := s.Operation(want.ID); byID != got {
			t.Errorf("Operation(%s) is not the listed operation", want.ID)
		}
	}
	if len(s.Doc.Components.Schemas) != len(full.Doc.Components.Schemas) {
		t.Fatalf("%d component schemas, want %d", len(s.Doc.Components.Schemas), len(full.Doc.Components.Schemas))
	}
	for name, ref := range full.Doc.Components.Schemas {
		want := schemaJSON(t, ref.Value)
		stripDocs(want, true)
		got := schemaJSON(t, s.Doc.Components.Schemas[name].Value)
		if !reflect.DeepEqual(got, want) {
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			t.Errorf("component %s:\n got %s\nwant %s", name, g, w)
		}
	}
}

func schemaJSON(t *testing.T, s *openapi3.Schema) map[string]any {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// stripDocs removes the documentation keywords from a schema in JSON form
// and from the schemas inside it, but not from the root: a component keeps
// its own description.
func stripDocs(s map[string]any, root bool) {
	if !root {
		for _, k := range []string{"description", "title", "example", "examples", "externalDocs"} {
			delete(s, k)
		}
	}
	for k, v := range s {
		switch k {
		case "properties", "patternProperties":
			for _, p := range v.(map[string]any) {
				stripDocs(p.(map[string]any), false)
			}
		case "items", "not", "additionalProperties":
			if m, ok := v.(map[string]any); ok {
				stripDocs(m, false)
			}
		case "allOf", "oneOf", "anyOf":
			for _, p := range v.([]any) {
				stripDocs(p.(map[string]any), false)
			}
		}
	}
}

func TestTrimSharesEqualLeaves(t *testing.T) {
	s := MustLoad()
	a, ok := s.Schema("Flow")
	if !ok {
		t.Fatal("no Flow schema")
	}
	b, ok := s.Schema("Stage")
	if !ok {
		t.Fatal("no Stage schema")
	}
	// Both pks are read-only uuid strings that differ only in their title.
	if a.Properties["pk"].Value != b.Properties["pk"].Value {
		t.Errorf("equal inline leaves Flow.pk and Stage.pk are separate copies:\n%#v\n%#v", a.Properties["pk"].Value, b.Properties["pk"].Value)
	}
}
