package blueprintsapi_test

import (
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/config"
)

const groupsBlueprint = `version: 1
metadata:
  name: API groups
  labels:
    team: platform
entries:
  - model: authentik_core.group
    id: parent
    identifiers:
      name: bp-api-parent
  - model: authentik_core.group
    identifiers:
      name: bp-api-child
    attrs:
      parent: !KeyOf parent
`

func start(t *testing.T, backend string) (*apitest.Harness, string) {
	t.Helper()
	dir := t.TempDir()
	h := apitest.StartWith(t, backend, func(c *config.Config) { c.BlueprintsDir = dir })
	return h, dir
}

func groups(t *testing.T, h *apitest.Harness, name string) []any {
	t.Helper()
	return h.Do(http.MethodGet, "/core/groups/?name="+name, nil).Expect(t, http.StatusOK).Object()["results"].([]any)
}

func TestAvailable(t *testing.T) {
	h, dir := start(t, "sqlite")
	if err := os.MkdirAll(filepath.Join(dir, "mine"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "mine", "groups.yaml"), []byte(groupsBlueprint), 0o644); err != nil {
		t.Fatal(err)
	}
	list := h.Do(http.MethodGet, "/managed/blueprints/available/", nil).Expect(t, http.StatusOK).JSON.([]any)
	byPath := map[string]map[string]any{}
	for _, it := range list {
		f := it.(map[string]any)
		byPath[f["path"].(string)] = f
	}
	mine := byPath["mine/groups.yaml"]
	sum := sha512.Sum512([]byte(groupsBlueprint))
	if mine == nil || mine["hash"] != hex.EncodeToString(sum[:]) {
		t.Fatalf("mine/groups.yaml = %v", mine)
	}
	if meta := mine["meta"].(map[string]any); meta["name"] != "API groups" || meta["labels"].(map[string]any)["team"] != "platform" {
		t.Errorf("meta = %v", meta)
	}
	for _, p := range []string{"default/flow-default-authentication-flow.yaml", "system/bootstrap.yaml", "example/flow-enrollment-simple.yaml"} {
		if byPath[p] == nil {
			t.Errorf("shipped blueprint %s not available", p)
		}
	}
}

func TestInstanceWrites(t *testing.T) {
	h, dir := start(t, "sqlite")
	if err := os.WriteFile(filepath.Join(dir, "groups.yaml"), []byte(groupsBlueprint), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		method string
		body   map[string]any
		status int
		field  string
		msg    string
	}{
		{"valid content", http.MethodPost, map[string]any{"name": "c1", "content": groupsBlueprint}, 201, "", ""},
		{"available path", http.MethodPost, map[string]any{"name": "p1", "path": "groups.yaml"}, 201, "", ""},
		{"missing file", http.MethodPost, map[string]any{"name": "p2", "path": "nope.yaml"}, 400, "path", "Blueprint file does not exist"},
		{"path escaping the directory", http.MethodPost, map[string]any{"name": "p3", "path": "../groups.yaml"}, 400, "path", "Blueprint file does not exist"},
		{"neither path nor content", http.MethodPost, map[string]any{"name": "n1"}, 400, "non_field_errors", "Either path or content must be set."},
		{"content that does not parse", http.MethodPost, map[string]any{"name": "b1", "content": "version: 1\nentries: [\n"}, 400, "content", "Failed to validate blueprint: "},
		{"content with an unknown model", http.MethodPost, map[string]any{"name": "b2", "content": "version: 1\nentries:\n  - model: authentik_nope.nothing\n    identifiers: {name: x}\n"}, 400, "content", "Failed to validate blueprint: "},
		{"content whose write fails", http.MethodPost, map[string]any{"name": "b3", "content": "version: 1\nentries:\n  - model: authentik_flows.flow\n    identifiers: {slug: bad}\n    attrs: {designation: nonsense, name: x, title: x}\n"}, 400, "content", "Failed to validate blueprint: "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.Do(tc.method, "/managed/blueprints/", tc.body).Expect(t, tc.status)
			if tc.field != "" {
				msgs, _ := r.Object()[tc.field].([]any)
				if len(msgs) == 0 || !strings.HasPrefix(msgs[0].(string), tc.msg) {
					t.Errorf("%s errors = %v", tc.field, r.Object())
				}
			}
		})
	}
	// Validation is a dry run: nothing it wrote is kept.
	if n := len(groups(t, h, "bp-api-parent")); n != 0 {
		t.Errorf("validating content created %d groups", n)
	}
	inst := h.Do(http.MethodGet, "/managed/blueprints/?name=c1", nil).Expect(t, 200).Object()["results"].([]any)[0].(map[string]any)
	if inst["status"] != "unknown" || inst["last_applied_hash"] != "" {
		t.Errorf("a created instance is applied: %v", inst)
	}
	// The stored instance keeps its content, so a PATCH of other fields
	// works (authentik refuses it); clearing the only source does not.
	h.Do(http.MethodPatch, "/managed/blueprints/"+inst["pk"].(string)+"/", map[string]any{"enabled": false}).Expect(t, 200)
	h.Do(http.MethodPatch, "/managed/blueprints/"+inst["pk"].(string)+"/", map[string]any{"content": ""}).Expect(t, 400)
}

func TestApply(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h, _ := start(t, backend)
			inst := h.Do(http.MethodPost, "/managed/blueprints/", map[string]any{"name": "API groups", "content": groupsBlueprint}).Expect(t, 201).Object()
			pk := inst["pk"].(string)
			applied := h.Do(http.MethodPost, "/managed/blueprints/"+pk+"/apply/", nil).Expect(t, 200).Object()
			sum := sha512.Sum512([]byte(groupsBlueprint))
			if applied["status"] != "successful" || applied["last_applied_hash"] != hex.EncodeToString(sum[:]) {
				t.Fatalf("applied instance = %v", applied)
			}
			if md := applied["metadata"].(map[string]any); md["name"] != "API groups" {
				t.Errorf("metadata = %v", md)
			}
			parent, child := groups(t, h, "bp-api-parent"), groups(t, h, "bp-api-child")
			if len(parent) != 1 || len(child) != 1 || child[0].(map[string]any)["parent"] != parent[0].(map[string]any)["pk"] {
				t.Fatalf("groups: parent %v child %v", parent, child)
			}
			owned := applied["managed_models"].([]any)
			for _, g := range []any{parent[0], child[0]} {
				want := "authentik_core.group:" + g.(map[string]any)["pk"].(string)
				if !slices.Contains(owned, any(want)) {
					t.Errorf("managed_models %v lacks %s", owned, want)
				}
			}
			// The apply recorded model events with the caller.
			ev := h.Do(http.MethodGet, "/events/events/?action=model_created&username=akadmin", nil).Expect(t, 200).Object()
			if ev["pagination"].(map[string]any)["count"].(float64) < 2 {
				t.Errorf("no model_created events for the applied groups")
			}

			t.Run("a failing apply answers 200 with the error status", func(t *testing.T) {
				bad := "version: 1\nmetadata:\n  name: Needs parent\nentries:\n  - model: authentik_core.group\n    identifiers: {name: bp-api-orphan}\n    attrs:\n      parent: !Find [authentik_core.group, [name, bp-api-temp]]\n"
				h.Do(http.MethodPost, "/core/groups/", map[string]any{"name": "bp-api-temp"}).Expect(t, 201)
				in := h.Do(http.MethodPost, "/managed/blueprints/", map[string]any{"name": "Needs parent", "content": bad}).Expect(t, 201).Object()
				tmp := groups(t, h, "bp-api-temp")[0].(map[string]any)
				h.Do(http.MethodDelete, "/core/groups/"+tmp["pk"].(string)+"/", nil).Expect(t, 204)
				out := h.Do(http.MethodPost, "/managed/blueprints/"+in["pk"].(string)+"/apply/", nil).Expect(t, 200).Object()
				if out["status"] != "error" || out["last_applied_hash"] != "" {
					t.Errorf("failed apply = %v", out)
				}
				rec := h.Do(http.MethodGet, "/admin/system_tasks/apply_blueprint:needs-parent/", nil).Expect(t, 200).Object()
				if rec["status"] != "ERROR" || !strings.Contains(fmt.Sprint(rec["messages"]), "bp-api-temp") {
					t.Errorf("task record = %v", rec)
				}
				if len(groups(t, h, "bp-api-orphan")) != 0 {
					t.Errorf("a failed apply left objects")
				}
			})

			t.Run("prune deletes what is owned and no longer declared", func(t *testing.T) {
				only := strings.Split(groupsBlueprint, "  - model: authentik_core.group\n    identifiers:\n      name: bp-api-child")[0]
				up := h.Do(http.MethodPatch, "/managed/blueprints/"+pk+"/", map[string]any{"content": only}).Expect(t, 200).Object()
				if n := len(up["managed_models"].([]any)); n != 2 {
					t.Errorf("after dropping an entry, still owned: %d, want 2 (the child still exists)", n)
				}
				out := h.Do(http.MethodPost, "/managed/blueprints/"+pk+"/apply/", nil).Expect(t, 200).Object()
				if len(groups(t, h, "bp-api-child")) != 1 || out["status"] != "successful" {
					t.Fatalf("apply without prune deleted or failed: %v", out)
				}
				out = h.Do(http.MethodPost, "/managed/blueprints/"+pk+"/apply/?prune=true", nil).Expect(t, 200).Object()
				if len(groups(t, h, "bp-api-child")) != 0 || len(groups(t, h, "bp-api-parent")) != 1 {
					t.Errorf("prune: child %d parent %d", len(groups(t, h, "bp-api-child")), len(groups(t, h, "bp-api-parent")))
				}
				if n := len(out["managed_models"].([]any)); n != 1 {
					t.Errorf("after prune %d owned, want 1", n)
				}
				h.Do(http.MethodPost, "/managed/blueprints/"+pk+"/apply/?prune=maybe", nil).Expect(t, 400)
			})

			t.Run("content written after a client-side apply records ownership", func(t *testing.T) {
				// akctl applies over HTTP, then stores the blueprint.
				g := h.Do(http.MethodPost, "/core/groups/", map[string]any{"name": "bp-api-client"}).Expect(t, 201).Object()
				content := "version: 1\nentries:\n  - model: authentik_core.group\n    identifiers: {name: bp-api-client}\n"
				in := h.Do(http.MethodPost, "/managed/blueprints/", map[string]any{"name": "client side", "content": content}).Expect(t, 201).Object()
				if owned := in["managed_models"].([]any); len(owned) != 1 || owned[0] != "authentik_core.group:"+g["pk"].(string) {
					t.Errorf("managed_models = %v", owned)
				}
			})

			t.Run("apply of an unknown instance", func(t *testing.T) {
				h.Do(http.MethodPost, "/managed/blueprints/00000000-0000-4000-8000-000000000000/apply/", nil).Expect(t, 404)
			})

			t.Run("apply needs view permission", func(t *testing.T) {
				_, token := h.UserWithToken("bp-no-perms")
				h.DoAs(token, http.MethodPost, "/managed/blueprints/"+pk+"/apply/", nil).Expect(t, 403)
				h.DoAs(token, http.MethodGet, "/managed/blueprints/available/", nil).Expect(t, 403)
			})
		})
	}
}

// TestDefaultsOnEveryBackend: a server that discovers blueprints starts
// with authentik's default objects, on both databases.
func TestDefaultsOnEveryBackend(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.StartWith(t, backend, func(c *config.Config) { c.SkipBlueprints = false })
			flow := h.Do(http.MethodGet, "/flows/instances/default-authentication-flow/", nil).Expect(t, http.StatusOK).Object()
			tenants := h.Do(http.MethodGet, "/core/tenants/?domain=authentik-default", nil).Expect(t, http.StatusOK).Object()["results"].([]any)
			if len(tenants) != 1 || tenants[0].(map[string]any)["flow_authentication"] != flow["pk"] {
				t.Errorf("default tenant = %v", tenants)
			}
			insts := h.Do(http.MethodGet, "/managed/blueprints/?page_size=100", nil).Expect(t, http.StatusOK).Object()["results"].([]any)
			if len(insts) < 20 {
				t.Errorf("%d instances", len(insts))
			}
			for _, it := range insts {
				in := it.(map[string]any)
				if in["status"] != "successful" || len(in["managed_models"].([]any)) == 0 {
					t.Errorf("%s: status %v, %d owned", in["name"], in["status"], len(in["managed_models"].([]any)))
				}
			}
		})
	}
}
