package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
)

func newFlow(t *testing.T, h *apitest.Harness, slug string) map[string]any {
	t.Helper()
	return h.Do(http.MethodPost, "/flows/instances/", map[string]any{
		"name": "Flow " + slug, "slug": slug, "title": "Title " + slug, "designation": "authentication",
	}).Expect(t, http.StatusCreated).Object()
}

func count(t *testing.T, h *apitest.Harness, path string) int {
	t.Helper()
	p := h.Do(http.MethodGet, path, nil).Expect(t, http.StatusOK).Object()
	return int(p["pagination"].(map[string]any)["count"].(float64))
}

func TestValidationErrorsWriteNothing(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			newFlow(t, h, "existing")
			before := count(t, h, "/flows/instances/")
			cases := []struct {
				name  string
				path  string
				body  any
				field string
				msg   string
			}{
				{"missing required", "/flows/instances/", map[string]any{"name": "x"}, "slug", "This field is required."},
				{"bad enum", "/flows/instances/", map[string]any{"name": "x", "slug": "x", "title": "x", "designation": "nope"}, "designation", "is not a valid choice"},
				{"too long", "/flows/instances/", map[string]any{"name": "x", "slug": strings.Repeat("a", 51), "title": "x", "designation": "authentication"}, "slug", "no more than 50 characters"},
				{"bad pattern", "/flows/instances/", map[string]any{"name": "x", "slug": "not a slug", "title": "x", "designation": "authentication"}, "slug", "slug"},
				{"duplicate unique", "/flows/instances/", map[string]any{"name": "x", "slug": "existing", "title": "x", "designation": "authentication"}, "slug", "already exists"},
				{"wrong type", "/flows/instances/", map[string]any{"name": "x", "slug": "y", "title": "x", "designation": "authentication", "compatibility_mode": "maybe"}, "compatibility_mode", "boolean"},
				{"dangling reference", "/flows/bindings/", map[string]any{"target": "00000000-0000-4000-8000-000000000001", "stage": "00000000-0000-4000-8000-000000000002", "order": 0}, "target", "does not exist"},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					r := h.Do(http.MethodPost, tc.path, tc.body).Expect(t, http.StatusBadRequest).Object()
					msgs, _ := r[tc.field].([]any)
					if len(msgs) == 0 || !strings.Contains(msgs[0].(string), tc.msg) {
						t.Fatalf("error for %s = %v, want a message containing %q (body %v)", tc.field, r[tc.field], tc.msg, r)
					}
				})
			}
			if after := count(t, h, "/flows/instances/"); after != before {
				t.Fatalf("flows: %d before, %d after failed writes", before, after)
			}
			if n := count(t, h, "/flows/bindings/"); n != 0 {
				t.Fatalf("bindings written by a failed request: %d", n)
			}
		})
	}
}

func TestRelations(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			t.Run("deleting a flow cascades to its bindings", func(t *testing.T) {
				flow := newFlow(t, h, "cascade")
				stage := h.Do(http.MethodPost, "/stages/dummy/", map[string]any{"name": "dummy-cascade"}).Expect(t, http.StatusCreated).Object()
				h.Do(http.MethodPost, "/flows/bindings/", map[string]any{"target": flow["pk"], "stage": stage["pk"], "order": 10}).Expect(t, http.StatusCreated)
				ub := h.Do(http.MethodGet, "/flows/instances/cascade/used_by/", nil).Expect(t, http.StatusOK).JSON.([]any)
				if len(ub) == 0 || ub[0].(map[string]any)["action"] != "CASCADE" {
					t.Fatalf("used_by = %v, want the binding with action CASCADE", ub)
				}
				h.Do(http.MethodDelete, "/flows/instances/cascade/", nil).Expect(t, http.StatusNoContent)
				if n := count(t, h, "/flows/bindings/?target="+flow["pk"].(string)); n != 0 {
					t.Fatalf("%d bindings survive their flow", n)
				}
				// The stage itself is not owned by the flow.
				h.Do(http.MethodGet, "/stages/dummy/"+stage["pk"].(string)+"/", nil).Expect(t, http.StatusOK)
			})
			t.Run("deleting a group's parent sets it null", func(t *testing.T) {
				parent := h.Do(http.MethodPost, "/core/groups/", map[string]any{"name": "parent"}).Expect(t, http.StatusCreated).Object()
				child := h.Do(http.MethodPost, "/core/groups/", map[string]any{"name": "child", "parent": parent["pk"]}).Expect(t, http.StatusCreated).Object()
				if child["parent_name"] != "parent" {
					t.Errorf("parent_name = %v", child["parent_name"])
				}
				h.Do(http.MethodDelete, "/core/groups/"+parent["pk"].(string)+"/", nil).Expect(t, http.StatusNoContent)
				got := h.Do(http.MethodGet, "/core/groups/"+child["pk"].(string)+"/", nil).Expect(t, http.StatusOK).Object()
				if got["parent"] != nil {
					t.Fatalf("parent = %v, want null", got["parent"])
				}
			})
			t.Run("many-to-many replace", func(t *testing.T) {
				u1 := h.Do(http.MethodPost, "/core/users/", map[string]any{"username": "m2m-1", "name": "One"}).Expect(t, http.StatusCreated).Object()
				u2 := h.Do(http.MethodPost, "/core/users/", map[string]any{"username": "m2m-2", "name": "Two"}).Expect(t, http.StatusCreated).Object()
				g := h.Do(http.MethodPost, "/core/groups/", map[string]any{"name": "m2m", "users": []any{u1["pk"], u2["pk"]}}).Expect(t, http.StatusCreated).Object()
				if users := g["users"].([]any); len(users) != 2 {
					t.Fatalf("users = %v", users)
				}
				g = h.Do(http.MethodPatch, "/core/groups/"+g["pk"].(string)+"/", map[string]any{"users": []any{u2["pk"]}}).Expect(t, http.StatusOK).Object()
				if users := g["users"].([]any); len(users) != 1 || users[0] != u2["pk"] {
					t.Fatalf("after replace users = %v", users)
				}
				if objs := g["users_obj"].([]any); len(objs) != 1 || objs[0].(map[string]any)["username"] != "m2m-2" {
					t.Fatalf("users_obj = %v", objs)
				}
			})
			t.Run("polymorphic listing", func(t *testing.T) {
				h.Do(http.MethodPost, "/stages/dummy/", map[string]any{"name": "poly-dummy"}).Expect(t, http.StatusCreated)
				h.Do(http.MethodPost, "/stages/password/", map[string]any{"name": "poly-password", "backends": []any{"authentik.core.auth.InbuiltBackend"}}).Expect(t, http.StatusCreated)
				page := h.Do(http.MethodGet, "/stages/all/?search=poly-", nil).Expect(t, http.StatusOK).Object()
				kinds := map[string]string{}
				for _, r := range page["results"].([]any) {
					o := r.(map[string]any)
					kinds[o["name"].(string)] = o["meta_model_name"].(string) + " " + o["component"].(string)
				}
				if kinds["poly-dummy"] != "authentik_stages_dummy.dummystage ak-stage-dummy-form" ||
					kinds["poly-password"] != "authentik_stages_password.passwordstage ak-stage-password-form" {
					t.Fatalf("stages/all kinds = %v", kinds)
				}
			})
		})
	}
}

func TestAuthentication(t *testing.T) {
	h := apitest.Start(t, "sqlite")
	cases := []struct {
		name   string
		token  string
		status int
		detail string
	}{
		{"no credentials", "", http.StatusForbidden, "Authentication credentials were not provided."},
		{"bad token", "nope", http.StatusForbidden, "Token invalid/expired"},
		{"bootstrap token", apitest.Token, http.StatusOK, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.DoAs(tc.token, http.MethodGet, "/flows/instances/", nil).Expect(t, tc.status)
			if tc.detail != "" && r.Object()["detail"] != tc.detail {
				t.Fatalf("detail = %v, want %q", r.Object()["detail"], tc.detail)
			}
		})
	}
	t.Run("anonymous operation", func(t *testing.T) {
		h.DoAs("", http.MethodGet, "/schema/?format=json", nil).Expect(t, http.StatusOK)
	})
}

// TestInheritedManyToMany: a set declared on a family base (providers'
// property mappings) is shared by the concrete and the family views and
// used_by reports the concrete object once.
func TestInheritedManyToMany(t *testing.T) {
	h := apitest.Start(t, "sqlite")
	flow := newFlow(t, h, "inherit")
	pm := h.Do(http.MethodPost, "/propertymappings/scope/", map[string]any{"name": "m", "scope_name": "s", "expression": "return {}"}).Expect(t, http.StatusCreated).Object()
	p := h.Do(http.MethodPost, "/providers/oauth2/", map[string]any{"name": "p", "authorization_flow": flow["pk"], "property_mappings": []any{pm["pk"]}}).Expect(t, http.StatusCreated).Object()
	id := fmt.Sprint(int64(p["pk"].(float64)))
	all := h.Do(http.MethodGet, "/providers/all/"+id+"/", nil).Expect(t, http.StatusOK).Object()
	if got := all["property_mappings"].([]any); len(got) != 1 || got[0] != pm["pk"] {
		t.Fatalf("family view property_mappings = %v", got)
	}
	ub := h.Do(http.MethodGet, "/propertymappings/scope/"+pm["pk"].(string)+"/used_by/", nil).Expect(t, http.StatusOK).JSON.([]any)
	if len(ub) != 1 || ub[0].(map[string]any)["model_name"] != "oauth2provider" || ub[0].(map[string]any)["action"] != "CASCADE_MANY" {
		t.Fatalf("used_by = %v", ub)
	}
}

// TestNestedPlainRef: Notification.event is a plain $ref to Event and is
// rendered as the nested event.
func TestNestedPlainRef(t *testing.T) {
	h := apitest.Start(t, "sqlite")
	ev := h.Do(http.MethodPost, "/events/events/", map[string]any{"action": "custom_", "app": "test"}).Expect(t, http.StatusCreated).Object()
	uPK, _ := h.UserWithToken("notified")
	n := h.Do(http.MethodPost, "/events/notifications/", map[string]any{"event": ev["pk"], "user": uPK}).Object()
	if n["event"] != nil {
		if e, ok := n["event"].(map[string]any); !ok || e["action"] != "custom_" {
			t.Fatalf("event = %v", n["event"])
		}
	}
	for _, r := range h.Do(http.MethodGet, "/events/notifications/", nil).Expect(t, http.StatusOK).Object()["results"].([]any) {
		if e, ok := r.(map[string]any)["event"].(map[string]any); ok && e["action"] != "custom_" {
			t.Fatalf("listed event = %v", e)
		}
	}
}
