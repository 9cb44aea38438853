package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/registry"
)

func ids(page map[string]any, ep *registry.Endpoint) map[string]bool {
	out := map[string]bool{}
	for _, r := range page["results"].([]any) {
		out[lookupOf(ep, r.(map[string]any))] = true
	}
	return out
}

// TestAuthorizationEveryModel checks, for every endpoint that creates
// objects, a user without permissions, one with a global permission and one
// with object permissions.
func TestAuthorizationEveryModel(t *testing.T) {
	h := apitest.Start(t, "sqlite")
	b := apitest.NewBuilder(h)
	eps := append([]*registry.Endpoint(nil), h.App.Registry.Endpoints...)
	sort.Slice(eps, func(i, j int) bool { return eps[i].Path < eps[j].Path })
	n := 0
	for _, ep := range eps {
		if ep.Ops[registry.OpCreate] == "" || ep.Ops[registry.OpList] == "" || ep.Ops[registry.OpRetrieve] == "" {
			continue
		}
		if strings.HasPrefix(ep.Path, "/core/tokens/") || strings.HasPrefix(ep.Path, "/sources/user_connections/") {
			continue // owned objects: TestOwnedObjects
		}
		ep := ep
		n++
		t.Run(ep.Path, func(t *testing.T) {
			bh := *h
			bh.T = t
			bb := *b
			bb.H = &bh
			m, _ := h.App.Registry.Model(ep.Model)
			model := m.Name
			x, y := bb.Create(ep), bb.Create(ep)
			xID, yID := lookupOf(ep, x), lookupOf(ep, y)
			xPK := fmt.Sprint(pkOf(x))
			detail := func(id string) string { return ep.Path + url.PathEscape(id) + "/" }
			name := fmt.Sprintf("authz%d", n)

			// No permissions: empty list, invisible objects, no create.
			_, none := bh.UserWithToken(name + "-none")
			if got := ids(bh.DoAs(none, http.MethodGet, ep.Path, nil).Expect(t, http.StatusOK).Object(), ep); len(got) != 0 {
				t.Errorf("user without permissions lists %v", got)
			}
			bh.DoAs(none, http.MethodGet, detail(xID), nil).Expect(t, http.StatusNotFound)
			bh.DoAs(none, http.MethodPatch, detail(xID), map[string]any{}).Expect(t, http.StatusNotFound)
			bh.DoAs(none, http.MethodDelete, detail(xID), nil).Expect(t, http.StatusNotFound)
			bh.DoAs(none, http.MethodPost, ep.Path, bb.Body(ep, false)).Expect(t, http.StatusForbidden)

			// Global view: sees everything, may not change.
			gPK, global := bh.UserWithToken(name + "-global")
			bh.Grant(gPK, []string{appLabel(model) + ".view_" + modelName(model)}, "", "")
			got := ids(bh.DoAs(global, http.MethodGet, ep.Path+"?page_size=1000", nil).Expect(t, http.StatusOK).Object(), ep)
			if !got[xID] || !got[yID] {
				t.Errorf("global viewer lists %v, want %s and %s", got, xID, yID)
			}
			bh.DoAs(global, http.MethodGet, detail(xID), nil).Expect(t, http.StatusOK)
			bh.DoAs(global, http.MethodPatch, detail(xID), map[string]any{}).Expect(t, http.StatusForbidden)

			// Object permissions: view and change on x only.
			oPK, object := bh.UserWithToken(name + "-object")
			bh.Grant(oPK, []string{appLabel(model) + ".view_" + modelName(model), appLabel(model) + ".change_" + modelName(model)}, model, xPK)
			got = ids(bh.DoAs(object, http.MethodGet, ep.Path, nil).Expect(t, http.StatusOK).Object(), ep)
			if len(got) != 1 || !got[xID] {
				t.Errorf("object viewer lists %v, want only %s", got, xID)
			}
			bh.DoAs(object, http.MethodPatch, detail(xID), map[string]any{}).Expect(t, http.StatusOK)
			bh.DoAs(object, http.MethodGet, detail(yID), nil).Expect(t, http.StatusNotFound)
			bh.DoAs(object, http.MethodDelete, detail(xID), nil).Expect(t, http.StatusForbidden)
		})
	}
	if n < 60 {
		t.Errorf("only %d endpoints checked", n)
	}
}

func pkOf(obj map[string]any) any {
	for _, k := range []string{"pk", "tenant_uuid", "license_uuid", "uuid", "id"} {
		if v, ok := obj[k]; ok {
			if f, ok := v.(float64); ok {
				return int64(f)
			}
			return v
		}
	}
	return nil
}

func appLabel(model string) string  { a, _, _ := strings.Cut(model, "."); return a }
func modelName(model string) string { _, b, _ := strings.Cut(model, "."); return b }

func TestRolesGrantThroughGroups(t *testing.T) {
	h := apitest.Start(t, "sqlite")
	uPK, key := h.UserWithToken("role-member")
	h.DoAs(key, http.MethodGet, "/flows/instances/", nil).Expect(t, http.StatusOK)
	role := h.Do(http.MethodPost, "/rbac/roles/", map[string]any{"name": "flow-admins"}).Expect(t, http.StatusCreated).Object()
	parent := h.Do(http.MethodPost, "/core/groups/", map[string]any{"name": "parent", "roles": []any{role["pk"]}}).Expect(t, http.StatusCreated).Object()
	h.Do(http.MethodPost, "/core/groups/", map[string]any{"name": "child", "parent": parent["pk"], "users": []any{uPK}}).Expect(t, http.StatusCreated)
	body := map[string]any{"name": "n", "slug": "by-role", "title": "t", "designation": "authentication"}
	h.DoAs(key, http.MethodPost, "/flows/instances/", body).Expect(t, http.StatusForbidden)
	h.Do(http.MethodPost, "/rbac/permissions/assigned_by_roles/"+role["pk"].(string)+"/assign/", map[string]any{"permissions": []string{"authentik_flows.add_flow", "authentik_flows.view_flow"}}).Expect(t, http.StatusNoContent)
	h.DoAs(key, http.MethodPost, "/flows/instances/", body).Expect(t, http.StatusCreated)
	list := h.Do(http.MethodGet, "/rbac/permissions/assigned_by_roles/?model=authentik_flows.flow", nil).Expect(t, http.StatusOK).Object()
	if list["results"].([]any)[0].(map[string]any)["name"] != "flow-admins" {
		t.Fatalf("assigned_by_roles = %v", list)
	}
	h.Do(http.MethodPatch, "/rbac/permissions/assigned_by_roles/"+role["pk"].(string)+"/unassign/", map[string]any{"permissions": []string{"authentik_flows.add_flow"}}).Expect(t, http.StatusNoContent)
	body["slug"] = "by-role-2"
	h.DoAs(key, http.MethodPost, "/flows/instances/", body).Expect(t, http.StatusForbidden)
	t.Run("custom actions are superuser-only by default", func(t *testing.T) {
		h.DoAs(key, http.MethodGet, "/rbac/permissions/roles/?uuid="+role["pk"].(string), nil).Expect(t, http.StatusForbidden)
	})
	t.Run("bad permission name", func(t *testing.T) {
		r := h.Do(http.MethodPost, "/rbac/permissions/assigned_by_roles/"+role["pk"].(string)+"/assign/", map[string]any{"permissions": []string{"authentik_flows.nope"}}).Expect(t, http.StatusBadRequest).Object()
		if r["permissions"] == nil {
			t.Fatalf("error body %v", r)
		}
	})
	t.Run("object permissions listed per role", func(t *testing.T) {
		flow := h.Do(http.MethodGet, "/flows/instances/by-role/", nil).Expect(t, http.StatusOK).Object()
		h.Do(http.MethodPost, "/rbac/permissions/assigned_by_roles/"+role["pk"].(string)+"/assign/", map[string]any{"permissions": []string{"authentik_flows.change_flow"}, "model": "authentik_flows.flow", "object_pk": flow["pk"]}).Expect(t, http.StatusNoContent)
		list := h.Do(http.MethodGet, "/rbac/permissions/roles/?uuid="+role["pk"].(string), nil).Expect(t, http.StatusOK).Object()
		items := list["results"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["object_description"] != "Flow n (by-role)" {
			t.Fatalf("role object permissions = %v", items)
		}
	})
}

func TestOwnedObjects(t *testing.T) {
	h := apitest.Start(t, "sqlite")
	aPK, a := h.UserWithToken("owner-a")
	_, b := h.UserWithToken("owner-b")
	// Any user may create tokens, for themselves only.
	tok := h.DoAs(a, http.MethodPost, "/core/tokens/", map[string]any{"identifier": "a-own", "intent": "api", "user": 1}).Expect(t, http.StatusCreated).Object()
	if int64(tok["user"].(float64)) != aPK {
		t.Fatalf("token created for user %v, want %d", tok["user"], aPK)
	}
	h.DoAs(a, http.MethodGet, "/core/tokens/a-own/", nil).Expect(t, http.StatusOK)
	h.DoAs(b, http.MethodGet, "/core/tokens/a-own/", nil).Expect(t, http.StatusNotFound)
	if got := ids(h.DoAs(b, http.MethodGet, "/core/tokens/", nil).Expect(t, http.StatusOK).Object(), &registry.Endpoint{LookupField: "identifier"}); got["a-own"] {
		t.Fatalf("user b lists a's token")
	}
	h.DoAs(a, http.MethodPatch, "/core/tokens/a-own/", map[string]any{"description": "mine"}).Expect(t, http.StatusOK)
	h.DoAs(b, http.MethodDelete, "/core/tokens/a-own/", nil).Expect(t, http.StatusNotFound)
	h.DoAs(a, http.MethodDelete, "/core/tokens/a-own/", nil).Expect(t, http.StatusNoContent)
}
