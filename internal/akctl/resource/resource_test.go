package resource

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/apispec"
	"github.com/akgo/akgo/internal/registry"
)

func catalog(t *testing.T) *Catalog {
	t.Helper()
	return NewCatalog(registry.Default())
}

func TestEveryEndpointIsNamed(t *testing.T) {
	reg := registry.Default()
	for _, ep := range reg.Endpoints {
		if _, ok := names[ep.Path]; !ok {
			t.Errorf("endpoint %s has no entry in names (names.go)", ep.Path)
		}
	}
	for path := range names {
		if _, ok := reg.Endpoint(path); !ok {
			t.Errorf("names has %s, which the registry does not serve", path)
		}
	}
}

func TestNamesAreUnambiguous(t *testing.T) {
	c := catalog(t)
	owner := map[string]string{}
	for _, r := range c.Resources {
		for _, n := range append([]string{r.Name, r.Singular}, r.Aliases...) {
			if prev, dup := owner[n]; dup && prev != r.Endpoint.Path {
				t.Errorf("name %q is used by %s and %s", n, prev, r.Endpoint.Path)
			}
			owner[n] = r.Endpoint.Path
		}
	}
	if len(c.Resources) != len(registry.Default().Endpoints) {
		t.Errorf("%d resources for %d endpoints", len(c.Resources), len(registry.Default().Endpoints))
	}
}

func TestLookup(t *testing.T) {
	c := catalog(t)
	for _, tt := range []struct{ name, path string }{
		{"flows", "/flows/instances/"},
		{"flow", "/flows/instances/"},
		{"flows/instances", "/flows/instances/"},
		{"/flows/instances/", "/flows/instances/"},
		{"authentik_flows.flow", "/flows/instances/"},
		{"FLOWS", "/flows/instances/"},
		{"stage/password", "/stages/password/"},
		{"stages/password", "/stages/password/"},
		{"policy/expression", "/policies/expression/"},
		{"stage", "/stages/all/"},
		{"certs", "/crypto/certificatekeypairs/"},
		{"user", "/core/users/"},
		{"tasks", "/admin/system_tasks/"},
		{"task", "/admin/system_tasks/"},
		{"blueprints", "/managed/blueprints/"},
		// A model served twice is named after the endpoint that creates it.
		{"authentik_providers_ldap.ldapprovider", "/providers/ldap/"},
		{"authentik_stages_authenticator_totp.totpdevice", "/authenticators/admin/totp/"},
	} {
		r, err := c.Lookup(tt.name)
		if err != nil {
			t.Errorf("Lookup(%q): %v", tt.name, err)
			continue
		}
		if r.Endpoint.Path != tt.path {
			t.Errorf("Lookup(%q) = %s, want %s", tt.name, r.Endpoint.Path, tt.path)
		}
	}
	_, err := c.Lookup("nope")
	if err == nil || strings.Contains(err.Error(), "did you mean") {
		t.Errorf("Lookup(nope) suggests something two edits away: %v", err)
	}
	_, err = c.Lookup("flowz")
	var unknown *UnknownResourceError
	if !errors.As(err, &unknown) || !strings.Contains(err.Error(), "did you mean flows") {
		t.Errorf("Lookup(flowz): %v", err)
	}
}

// TestColumnsExistInSchemas checks every table column, hand-written or
// derived, against the endpoint's response schema.
func TestColumnsExistInSchemas(t *testing.T) {
	spec := apispec.MustLoad()
	for _, r := range catalog(t).Resources {
		sch, ok := spec.Schema(r.Endpoint.Schema)
		if !ok {
			t.Errorf("%s: no schema %s", r.Name, r.Endpoint.Schema)
			continue
		}
		if len(r.Columns) == 0 {
			t.Errorf("%s has no columns", r.Name)
		}
		for _, col := range r.Columns {
			top, rest, nested := strings.Cut(col.Path, ".")
			prop, ok := sch.Properties[top]
			if !ok {
				t.Errorf("%s: column %s: %s has no property %q", r.Name, col.Header, r.Endpoint.Schema, top)
				continue
			}
			if nested && prop.Value != nil {
				p := prop.Value
				if len(p.AllOf) == 1 {
					p = p.AllOf[0].Value
				}
				if p != nil && len(p.Properties) > 0 {
					if _, ok := p.Properties[rest]; !ok {
						t.Errorf("%s: column %s: %s.%s has no property %q", r.Name, col.Header, r.Endpoint.Schema, top, rest)
					}
				}
			}
		}
	}
}

func TestLookupValues(t *testing.T) {
	c := catalog(t)
	for _, tt := range []struct {
		resource, obj, lookup, display, qualified string
	}{
		{"flows", `{"pk":"u-1","slug":"my-flow","name":"x"}`, "my-flow", "my-flow", "flow/my-flow"},
		{"users", `{"pk":7,"username":"jane"}`, "7", "jane", "user/jane"},
		{"stage/password", `{"pk":"u-2","name":"pw"}`, "u-2", "pw", "stage/password/pw"},
		{"systemtasks", `{"task_name":"clean"}`, "clean", "clean", "systemtask/clean"},
		{"flowbindings", `{"pk":"u-3","target":"t","order":10}`, "u-3", "u-3", "flowbinding/u-3"},
	} {
		r, err := c.Lookup(tt.resource)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(tt.obj), &m); err != nil {
			t.Fatal(err)
		}
		if got := r.Lookup(m); got != tt.lookup {
			t.Errorf("%s Lookup = %q, want %q", tt.resource, got, tt.lookup)
		}
		if got := r.Display(m); got != tt.display {
			t.Errorf("%s Display = %q, want %q", tt.resource, got, tt.display)
		}
		if got := r.QualifiedName(m); got != tt.qualified {
			t.Errorf("%s QualifiedName = %q, want %q", tt.resource, got, tt.qualified)
		}
	}
}

func TestSetField(t *testing.T) {
	c := catalog(t)
	groups, _ := c.Lookup("groups")
	flows, _ := c.Lookup("flows")
	for _, tt := range []struct {
		name    string
		r       *Resource
		set     string
		want    string // JSON of the body
		wantErr string
	}{
		{"string", flows, "title=Hello", `{"title":"Hello"}`, ""},
		{"bool", flows, "compatibility_mode=true", `{"compatibility_mode":true}`, ""},
		{"enum", flows, "designation=enrollment", `{"designation":"enrollment"}`, ""},
		{"bad enum", flows, "designation=nope", "", "want one of"},
		{"bad bool", groups, "is_superuser=maybe", "", "want true or false"},
		{"nested JSON key", groups, "attributes.team.name=ops", `{"attributes":{"team":{"name":"ops"}}}`, ""},
		{"JSON value", groups, `attributes={"a":[1,2]}`, `{"attributes":{"a":[1,2]}}`, ""},
		{"many-to-many list of int pks", groups, "users=1,2", `{"users":[1,2]}`, ""},
		{"many-to-many JSON", groups, `users=[3]`, `{"users":[3]}`, ""},
		{"null reference", groups, "parent=null", `{"parent":null}`, ""},
		{"unknown field", flows, "nope=1", "", `has no field "nope"; writable fields: `},
		{"read-only field", flows, "pk=1", "", "read-only"},
		{"not an assignment", flows, "title", "", "want FIELD=VALUE"},
		{"nested into a scalar", flows, "title.x=1", "", "not an object"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := map[string]any{}
			err := tt.r.SetField(body, tt.set)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(body)
			if string(got) != tt.want {
				t.Errorf("body %s, want %s", got, tt.want)
			}
		})
	}
}

func TestVerbs(t *testing.T) {
	c := catalog(t)
	tasks, _ := c.Lookup("systemtasks")
	if got := strings.Join(tasks.VerbNames(), ","); got != "get,describe" {
		t.Errorf("systemtasks verbs %s", got)
	}
	flows, _ := c.Lookup("flows")
	if got := strings.Join(flows.VerbNames(), ","); got != "get,describe,create,edit,delete" {
		t.Errorf("flows verbs %s", got)
	}
}
