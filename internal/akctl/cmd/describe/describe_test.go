package describe

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/akgo/akgo/internal/akctl/output"
	"github.com/akgo/akgo/internal/akctl/resource"
	"github.com/akgo/akgo/internal/registry"

	"github.com/akgo/akgo/internal/akctl/cmd/cmdtest"
)

func TestNewCmdDescribe(t *testing.T) {
	tests := []struct {
		name       string
		args       string
		resource   string
		object     string
		structured bool
		format     output.Format
		wantErr    string
		wantUsage  bool
	}{
		{name: "text", args: "flow default-authentication-flow", resource: "flows", object: "default-authentication-flow", format: output.JSON},
		{name: "family member", args: "policy/expression my-policy", resource: "policies/expression", object: "my-policy", format: output.JSON},
		{name: "composite key", args: "flowbinding my-flow/my-stage/10", resource: "flowbindings", object: "my-flow/my-stage/10", format: output.JSON},
		{name: "short name", args: "task clean_expired_models", resource: "systemtasks", object: "clean_expired_models", format: output.JSON},
		{name: "json", args: "user akadmin -o json", resource: "users", object: "akadmin", structured: true, format: output.JSON},
		{name: "yaml", args: "user akadmin -o yaml", resource: "users", object: "akadmin", structured: true, format: output.YAML},
		{name: "jq", args: "user akadmin --jq .used_by", resource: "users", object: "akadmin", structured: true, format: output.JSON},
		{name: "no object", args: "flow", wantErr: "want a resource and a name or id", wantUsage: true},
		{name: "unknown resource", args: "flowz x", wantErr: `unknown resource "flowz"; did you mean flows`},
		{name: "bad format", args: "flow x -o wide", wantErr: `unknown format "wide"`},
		{name: "bad jq", args: "flow x --jq .[", wantErr: "--jq", wantUsage: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *DescribeOptions
			err := cmdtest.Execute(t, NewCmdDescribe(cmdtest.Factory(), func(_ context.Context, o *DescribeOptions) error { got = o; return nil }), tt.args)
			if cmdtest.CheckErr(t, err, tt.wantErr, tt.wantUsage) {
				return
			}
			if got.Resource.Name != tt.resource || got.Name != tt.object {
				t.Errorf("%s %q, want %s %q", got.Resource.Name, got.Name, tt.resource, tt.object)
			}
			if got.structured != tt.structured || got.Output.Format != tt.format {
				t.Errorf("structured %v format %s, want %v %s", got.structured, got.Output.Format, tt.structured, tt.format)
			}
		})
	}
}

func TestDocument(t *testing.T) {
	cat := resource.NewCatalog(registry.Default())
	flows, _ := cat.Lookup("flows")
	tasks, _ := cat.Lookup("systemtasks")
	raw := json.RawMessage(`{"slug":"f","pk":"u","cache_count":1.50}`)
	tests := []struct {
		name string
		r    *resource.Resource
		used []resource.UsedBy
		rel  []Relation
		want string
	}{
		{name: "object kept as sent, used_by empty", r: flows, want: `{"object":{"slug":"f","pk":"u","cache_count":1.50},"related":[],"used_by":[]}`},
		{name: "used_by and related", r: flows,
			used: []resource.UsedBy{{App: "authentik_flows", ModelName: "flowstagebinding", PK: "b", Name: "n", Action: "CASCADE"}},
			rel:  []Relation{{Field: "stage", Resource: "stage", Value: "s"}},
			want: `{"object":{"slug":"f","pk":"u","cache_count":1.50},"related":[{"field":"stage","resource":"stage","value":"s"}],"used_by":[{"app":"authentik_flows","model_name":"flowstagebinding","pk":"b","name":"n","action":"CASCADE"}]}`},
		{name: "no used_by operation, no key", r: tasks, want: `{"object":{"slug":"f","pk":"u","cache_count":1.50},"related":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Document(tt.r, &resource.Object{Raw: raw}, tt.rel, tt.used)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
