package apispec

import (
	"context"
	"encoding/json"
	"testing"
)

func TestSchemaIsValid(t *testing.T) {
	s, err := Parse(YAML)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Doc.Validate(context.Background()); err != nil {
		t.Fatalf("embedded schema is invalid: %v", err)
	}
	if s.Doc.Info.Version != "2023.10.4" {
		t.Fatalf("schema version %s, want 2023.10.4", s.Doc.Info.Version)
	}
}

func TestOperationsAndJSON(t *testing.T) {
	s := MustLoad()
	tests := []struct {
		name   string
		id     string
		method string
		path   string
	}{
		{"list", "flows_instances_list", "GET", "/flows/instances/"},
		{"detail", "core_users_partial_update", "PATCH", "/core/users/{id}/"},
		{"custom", "core_users_me_retrieve", "GET", "/core/users/me/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, ok := s.Operation(tt.id)
			if !ok || o.Method != tt.method || o.Path != tt.path {
				t.Fatalf("Operation(%s) = %+v, %v", tt.id, o, ok)
			}
		})
	}
	var doc map[string]any
	if err := json.Unmarshal(s.JSON(), &doc); err != nil || doc["openapi"] != "3.0.3" {
		t.Fatalf("JSON form: %v, openapi=%v", err, doc["openapi"])
	}
}
