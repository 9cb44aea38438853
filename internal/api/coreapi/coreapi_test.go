package coreapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
)

func TestMe(t *testing.T) {
	h := apitest.Start(t, "sqlite")
	me := h.Do(http.MethodGet, "/core/users/me/", nil).Expect(t, http.StatusOK).Object()["user"].(map[string]any)
	if me["username"] != "akadmin" || me["is_superuser"] != true {
		t.Fatalf("me = %v", me)
	}
	_, key := h.UserWithToken("plain")
	me = h.DoAs(key, http.MethodGet, "/core/users/me/", nil).Expect(t, http.StatusOK).Object()["user"].(map[string]any)
	if me["username"] != "plain" || me["is_superuser"] != false {
		t.Fatalf("plain me = %v", me)
	}
	h.DoAs("", http.MethodGet, "/core/users/me/", nil).Expect(t, http.StatusForbidden)
}

func TestSetPasswordAndServiceAccount(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			uPK, key := h.UserWithToken("pw-user")
			path := fmt.Sprintf("/core/users/%d/set_password/", uPK)
			h.Do(http.MethodPost, path, map[string]any{"password": "n3w-Passw0rd"}).Expect(t, http.StatusNoContent)
			h.Do(http.MethodPost, path, map[string]any{}).Expect(t, http.StatusBadRequest)
			h.DoAs(key, http.MethodPost, path, map[string]any{"password": "x"}).Expect(t, http.StatusForbidden)
			h.Do(http.MethodPost, "/core/users/99999/set_password/", map[string]any{"password": "x"}).Expect(t, http.StatusNotFound)
			if n := len(h.Do(http.MethodGet, "/events/events/?action=password_set", nil).Expect(t, http.StatusOK).Object()["results"].([]any)); n != 1 {
				t.Errorf("%d password_set events", n)
			}

			sa := h.Do(http.MethodPost, "/core/users/service_account/", map[string]any{"name": "robot", "create_group": true, "expiring": false}).Expect(t, http.StatusOK).Object()
			if sa["username"] != "robot" || sa["group_pk"] == nil || len(sa["token"].(string)) < 64 {
				t.Fatalf("service account = %v", sa)
			}
			// The returned token authenticates? It is an app password, not an API token.
			h.DoAs(sa["token"].(string), http.MethodGet, "/core/users/me/", nil).Expect(t, http.StatusForbidden)
			h.Do(http.MethodPost, "/core/users/service_account/", map[string]any{"name": "robot"}).Expect(t, http.StatusBadRequest)
			paths := h.Do(http.MethodGet, "/core/users/paths/?search=service", nil).Expect(t, http.StatusOK).Object()["paths"].([]any)
			if len(paths) != 1 || paths[0] != "goauthentik.io/service-accounts" {
				t.Fatalf("paths = %v", paths)
			}
			m := h.Do(http.MethodGet, fmt.Sprintf("/core/users/%d/metrics/", uPK), nil).Expect(t, http.StatusOK).Object()
			if len(m["logins"].([]any)) != 24 {
				t.Fatalf("metrics = %v", m)
			}
		})
	}
}

func TestGroupMembershipAndTokens(t *testing.T) {
	h := apitest.Start(t, "sqlite")
	uPK, key := h.UserWithToken("member")
	g := h.Do(http.MethodPost, "/core/groups/", map[string]any{"name": "team"}).Expect(t, http.StatusCreated).Object()
	add := "/core/groups/" + g["pk"].(string) + "/add_user/"
	h.Do(http.MethodPost, add, map[string]any{"pk": uPK}).Expect(t, http.StatusNoContent)
	h.Do(http.MethodPost, add, map[string]any{"pk": 424242}).Expect(t, http.StatusBadRequest)
	h.Do(http.MethodPost, "/core/groups/00000000-0000-4000-8000-000000000000/add_user/", map[string]any{"pk": uPK}).Expect(t, http.StatusNotFound)
	h.DoAs(key, http.MethodPost, add, map[string]any{"pk": uPK}).Expect(t, http.StatusForbidden)
	users := h.Do(http.MethodGet, "/core/groups/"+g["pk"].(string)+"/", nil).Expect(t, http.StatusOK).Object()["users"].([]any)
	if len(users) != 1 {
		t.Fatalf("users = %v", users)
	}
	h.Do(http.MethodPost, "/core/groups/"+g["pk"].(string)+"/remove_user/", map[string]any{"pk": uPK}).Expect(t, http.StatusNoContent)
	if users := h.Do(http.MethodGet, "/core/groups/"+g["pk"].(string)+"/", nil).Expect(t, http.StatusOK).Object()["users"].([]any); len(users) != 0 {
		t.Fatalf("users after remove = %v", users)
	}

	// Tokens: the owner views and sets the key; others cannot.
	got := h.DoAs(key, http.MethodGet, "/core/tokens/token-member/view_key/", nil).Expect(t, http.StatusOK).Object()
	if got["key"] != key {
		t.Fatalf("view_key = %v", got)
	}
	_, other := h.UserWithToken("other")
	h.DoAs(other, http.MethodGet, "/core/tokens/token-member/view_key/", nil).Expect(t, http.StatusNotFound)
	h.DoAs(key, http.MethodPost, "/core/tokens/token-member/set_key/", map[string]any{"key": "rotated-key"}).Expect(t, http.StatusNoContent)
	h.DoAs("rotated-key", http.MethodGet, "/core/users/me/", nil).Expect(t, http.StatusOK)
	h.DoAs(key, http.MethodGet, "/core/users/me/", nil).Expect(t, http.StatusForbidden)
	h.Do(http.MethodGet, "/core/tokens/missing/view_key/", nil).Expect(t, http.StatusNotFound)
	if n := len(h.Do(http.MethodGet, "/events/events/?action=secret_view", nil).Expect(t, http.StatusOK).Object()["results"].([]any)); n != 1 {
		t.Errorf("%d secret_view events", n)
	}
}

func TestTenantConfigRecoveryTransactional(t *testing.T) {
	h := apitest.Start(t, "sqlite")
	cur := h.DoAs("", http.MethodGet, "/core/tenants/current/", nil).Expect(t, http.StatusOK).Object()
	if cur["branding_title"] == nil {
		t.Fatalf("current tenant = %v", cur)
	}
	h.DoAs("", http.MethodGet, "/root/config/", nil).Expect(t, http.StatusOK)

	uPK, _ := h.UserWithToken("lost")
	h.Do(http.MethodGet, fmt.Sprintf("/core/users/%d/recovery/", uPK), nil).Expect(t, http.StatusBadRequest)
	flow := h.Do(http.MethodPost, "/flows/instances/", map[string]any{"name": "Recovery", "slug": "recover", "title": "R", "designation": "recovery"}).Expect(t, http.StatusCreated).Object()
	h.Do(http.MethodPost, "/core/tenants/", map[string]any{"domain": "example.test", "default": true, "flow_recovery": flow["pk"]}).Expect(t, http.StatusCreated)
	link := h.Do(http.MethodGet, fmt.Sprintf("/core/users/%d/recovery/", uPK), nil).Expect(t, http.StatusOK).Object()["link"].(string)
	if !strings.Contains(link, "/if/flow/recover/?flow_token=") {
		t.Fatalf("link = %s", link)
	}
	if h.DoAs("", http.MethodGet, "/core/tenants/current/", nil).Expect(t, http.StatusOK).Object()["flow_recovery"] != "recover" {
		t.Fatalf("current tenant lacks the recovery flow")
	}

	auth := h.Do(http.MethodPost, "/flows/instances/", map[string]any{"name": "Authz", "slug": "authz", "title": "A", "designation": "authorization"}).Expect(t, http.StatusCreated).Object()
	body := map[string]any{
		"app":            map[string]any{"name": "Txn", "slug": "txn"},
		"provider_model": "authentik_providers_oauth2.oauth2provider",
		"provider":       map[string]any{"name": "txn-provider", "authorization_flow": auth["pk"], "provider_model": "authentik_providers_oauth2.oauth2provider"},
	}
	res := h.Do(http.MethodPut, "/core/transactional/applications/", body).Expect(t, http.StatusOK).Object()
	if res["applied"] != true {
		t.Fatalf("transactional = %v", res)
	}
	// A failing application leaves no provider behind.
	body["app"] = map[string]any{"name": "Txn2", "slug": "txn"}
	body["provider"] = map[string]any{"name": "txn-provider-2", "authorization_flow": auth["pk"], "provider_model": "authentik_providers_oauth2.oauth2provider"}
	h.Do(http.MethodPut, "/core/transactional/applications/", body).Expect(t, http.StatusBadRequest)
	if n := len(h.Do(http.MethodGet, "/providers/oauth2/?name=txn-provider-2", nil).Expect(t, http.StatusOK).Object()["results"].([]any)); n != 0 {
		t.Fatalf("provider of a failed transaction was stored")
	}
}

func TestImpersonation(t *testing.T) {
	h := apitest.Start(t, "sqlite")
	targetPK, _ := h.UserWithToken("target")
	adminPK := int64(h.Do(http.MethodGet, "/core/users/me/", nil).Expect(t, http.StatusOK).Object()["user"].(map[string]any)["pk"].(float64))
	admin := h.NewSession(adminPK)
	path := fmt.Sprintf("/core/users/%d/impersonate/", targetPK)
	h.Do(http.MethodPost, path, nil).Expect(t, http.StatusUnauthorized) // token auth has no session
	h.DoSession(admin, http.MethodPost, path, nil).Expect(t, http.StatusNoContent)
	me := h.DoSession(admin, http.MethodGet, "/core/users/me/", nil).Expect(t, http.StatusOK).Object()
	if me["user"].(map[string]any)["username"] != "target" || me["original"].(map[string]any)["username"] != "akadmin" {
		t.Fatalf("impersonated me = %v", me)
	}
	h.DoSession(admin, http.MethodGet, "/core/users/impersonate_end/", nil).Expect(t, http.StatusNoContent)
	if u := h.DoSession(admin, http.MethodGet, "/core/users/me/", nil).Expect(t, http.StatusOK).Object()["user"].(map[string]any); u["username"] != "akadmin" {
		t.Fatalf("after end me = %v", u)
	}
	h.DoSession(admin, http.MethodGet, "/core/users/impersonate_end/", nil).Expect(t, http.StatusBadRequest)
}

func TestCheckAccess(t *testing.T) {
	h := apitest.Start(t, "sqlite")
	app := h.Do(http.MethodPost, "/core/applications/", map[string]any{"name": "Gate", "slug": "gate"}).Expect(t, http.StatusCreated).Object()
	res := h.Do(http.MethodGet, "/core/applications/gate/check_access/", nil).Expect(t, http.StatusOK).Object()
	if res["passing"] != true {
		t.Fatalf("no bindings: %v", res)
	}
	deny := h.Do(http.MethodPost, "/policies/expression/", map[string]any{"name": "deny", "expression": "ak_message('nope')\nreturn False"}).Expect(t, http.StatusCreated).Object()
	h.Do(http.MethodPost, "/policies/bindings/", map[string]any{"target": app["pk"], "policy": deny["pk"], "order": 0}).Expect(t, http.StatusCreated)
	res = h.Do(http.MethodGet, "/core/applications/gate/check_access/", nil).Expect(t, http.StatusOK).Object()
	if res["passing"] != false {
		t.Fatalf("deny binding: %v", res)
	}
	uPK, key := h.UserWithToken("outsider")
	h.Do(http.MethodGet, fmt.Sprintf("/core/applications/gate/check_access/?for_user=%d", uPK), nil).Expect(t, http.StatusOK)
	h.Do(http.MethodGet, "/core/applications/gate/check_access/?for_user=987654", nil).Expect(t, http.StatusNotFound)
	h.Do(http.MethodGet, "/core/applications/missing/check_access/", nil).Expect(t, http.StatusNotFound)
	h.DoAs(key, http.MethodGet, "/core/applications/gate/check_access/", nil).Expect(t, http.StatusForbidden)
}
