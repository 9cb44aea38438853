package apiop

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/akgo/akgo/pkg/client"
)

// TestTableMatchesClient checks the generated table against the client's
// list of operations: same ids, methods and paths.
func TestTableMatchesClient(t *testing.T) {
	ops := client.Operations()
	if len(ops) != len(operations) {
		t.Fatalf("%d operations in the table, %d in the client", len(operations), len(ops))
	}
	for _, co := range ops {
		o, ok := Lookup(co.ID)
		if !ok {
			t.Errorf("%s missing", co.ID)
			continue
		}
		if o.Method != co.Method || o.Path != co.Path {
			t.Errorf("%s: %s %s, client says %s %s", co.ID, o.Method, o.Path, co.Method, co.Path)
		}
		if o.Body != "" && o.BodySchema() == nil {
			t.Errorf("%s: body schema %s not in the table", o.ID, o.Body)
		}
	}
}

func TestMatch(t *testing.T) {
	for _, tt := range []struct {
		method, path, id string
		vals             map[string]string
	}{
		{"GET", "/flows/instances/", "flows_instances_list", map[string]string{}},
		{"get", "/flows/instances/my-flow/", "flows_instances_retrieve", map[string]string{"slug": "my-flow"}},
		{"GET", "/flows/instances/my-flow", "flows_instances_retrieve", map[string]string{"slug": "my-flow"}},
		{"GET", "/core/users/me/", "core_users_me_retrieve", map[string]string{}},
		{"POST", "/core/users/7/set_password/", "core_users_set_password_create", map[string]string{"id": "7"}},
		{"GET", "/flows/instances/{slug}/", "flows_instances_retrieve", map[string]string{}},
		{"GET", "/flows/instances/a%2Fb/", "flows_instances_retrieve", map[string]string{"slug": "a/b"}},
	} {
		o, vals, ok := Match(tt.method, tt.path)
		if !ok || o.ID != tt.id {
			t.Errorf("Match(%s %s) = %v, %v; want %s", tt.method, tt.path, o, ok, tt.id)
			continue
		}
		if len(vals) != len(tt.vals) {
			t.Errorf("Match(%s %s) values %v, want %v", tt.method, tt.path, vals, tt.vals)
		}
		for k, v := range tt.vals {
			if vals[k] != v {
				t.Errorf("Match(%s %s) %s=%q, want %q", tt.method, tt.path, k, vals[k], v)
			}
		}
	}
	if _, _, ok := Match("GET", "/no/such/thing/"); ok {
		t.Error("matched an unknown path")
	}
	if _, _, ok := Match("PUT", "/core/users/me/"); ok {
		t.Error("matched PUT /core/users/me/")
	}
}

func TestBuild(t *testing.T) {
	tests := []struct {
		name      string
		op        string
		pathVals  map[string]string
		fields    []Field
		body      map[string]any
		wantPath  string
		wantQuery string
		wantBody  string
		wantFiles map[string]string
		wantErr   string
	}{
		{name: "query parameters typed", op: "flows_instances_list",
			fields:   []Field{{Key: "designation", Value: "authentication"}, {Key: "page_size", Value: "5"}},
			wantPath: "/flows/instances/", wantQuery: "designation=authentication&page_size=5"},
		{name: "enum checked", op: "flows_instances_list", fields: []Field{{Key: "designation", Value: "nope"}},
			wantErr: `query parameter designation: want one of authentication, authorization`},
		{name: "integer checked", op: "flows_instances_list", fields: []Field{{Key: "page", Value: "x"}},
			wantErr: `query parameter page: want an integer, got "x"`},
		{name: "unknown parameter names the valid ones", op: "core_users_me_retrieve", fields: []Field{{Key: "x", Value: "1"}},
			wantErr: `core_users_me_retrieve has no parameter "x"; valid: none`},
		{name: "unknown body field names the valid ones", op: "core_users_set_password_create",
			fields:  []Field{{Key: "id", Value: "7"}, {Key: "pasword", Value: "x"}},
			wantErr: `has no parameter "pasword"; valid: id (path, integer), password (body, string)`},
		{name: "path from fields, body from the rest", op: "core_users_set_password_create",
			fields:   []Field{{Key: "id", Value: "7"}, {Key: "password", Value: "s3cret"}},
			wantPath: "/core/users/7/set_password/", wantBody: `{"password":"s3cret"}`},
		{name: "path from Match", op: "flows_instances_retrieve", pathVals: map[string]string{"slug": "a b"},
			wantPath: "/flows/instances/a%20b/"},
		{name: "missing path parameter", op: "flows_instances_retrieve",
			wantErr: "missing path parameter slug (string); give it with -f slug=VALUE"},
		{name: "path parameter type", op: "core_users_retrieve", fields: []Field{{Key: "id", Value: "me"}},
			wantErr: `path parameter id: want an integer, got "me"`},
		{name: "uuid format", op: "core_groups_retrieve", fields: []Field{{Key: "group_uuid", Value: "nope"}},
			wantErr: "want a UUID"},
		{name: "nested and typed body fields", op: "core_groups_create",
			fields:   []Field{{Key: "name", Value: "ops"}, {Key: "is_superuser", Value: "true"}, {Key: "attributes.team.lead", Value: "jane"}, {Key: "attributes.n", Value: "3"}},
			wantPath: "/core/groups/", wantBody: `{"attributes":{"n":3,"team":{"lead":"jane"}},"is_superuser":true,"name":"ops"}`},
		{name: "repeated array field appends", op: "core_groups_create",
			fields:   []Field{{Key: "name", Value: "g"}, {Key: "users", Value: "1"}, {Key: "users", Value: "2"}},
			wantPath: "/core/groups/", wantBody: `{"name":"g","users":[1,2]}`},
		{name: "array field as JSON", op: "core_groups_create",
			fields:   []Field{{Key: "name", Value: "g"}, {Key: "users", Value: "[1, 2]"}},
			wantPath: "/core/groups/", wantBody: `{"name":"g","users":[1,2]}`},
		{name: "array element type", op: "core_groups_create",
			fields: []Field{{Key: "users", Value: `["a"]`}}, wantErr: "want an array of integers"},
		{name: "input body merged with fields", op: "core_groups_create", body: map[string]any{"name": "from-file", "is_superuser": false},
			fields: []Field{{Key: "name", Value: "override"}}, wantPath: "/core/groups/", wantBody: `{"is_superuser":false,"name":"override"}`},
		{name: "input without a body", op: "core_users_me_retrieve", body: map[string]any{}, wantErr: "takes no request body"},
		{name: "file upload", op: "flows_instances_import_create", fields: []Field{{Key: "file", Value: "version: 1", Path: "flow.yaml"}},
			wantPath: "/flows/instances/import/", wantFiles: map[string]string{"file": "flow.yaml"}},
		{name: "file upload needs a file", op: "flows_instances_import_create", fields: []Field{{Key: "file", Value: "x"}},
			wantErr: "file upload; give it with -F file=@PATH"},
		{name: "required query parameter", op: "rbac_permissions_users_list", wantErr: "missing required query parameter user_id"},
		{name: "nullable null", op: "core_groups_create", fields: []Field{{Key: "name", Value: "g"}, {Key: "parent", Value: "null"}},
			wantPath: "/core/groups/", wantBody: `{"name":"g","parent":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op, ok := Lookup(tt.op)
			if !ok {
				t.Fatalf("no operation %s", tt.op)
			}
			req, err := op.Build(tt.pathVals, tt.fields, tt.body)
			if tt.wantErr != "" {
				var ue *UsageError
				if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want a UsageError with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if req.Path != tt.wantPath {
				t.Errorf("path %q, want %q", req.Path, tt.wantPath)
			}
			if q := req.Query.Encode(); q != tt.wantQuery {
				t.Errorf("query %q, want %q", q, tt.wantQuery)
			}
			body := ""
			if req.Body != nil {
				b, _ := json.Marshal(req.Body)
				body = string(b)
			}
			if tt.wantBody != "" && body != tt.wantBody || tt.wantBody == "" && len(req.Body) > 0 {
				t.Errorf("body %s, want %s", body, tt.wantBody)
			}
			for k, v := range tt.wantFiles {
				if req.Files[k] != v {
					t.Errorf("file %s = %q, want %q", k, req.Files[k], v)
				}
			}
		})
	}
}
