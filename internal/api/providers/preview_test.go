package providers_test

import (
	"fmt"
	"net/http"
	"regexp"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
)

var hexUID = regexp.MustCompile(`^[0-9a-f]{64}$`)

func TestOAuth2PreviewUser(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, h *apitest.Harness) {
		flow := createFlow(t, h, "authz", "authorization")
		alice := int(h.Do(http.MethodPost, "/core/users/", map[string]any{"username": "alice", "name": "Alice A", "email": "alice@example.org"}).
			Expect(t, http.StatusCreated).Object()["pk"].(float64))
		scope := func(name, scopeName, expr string) string {
			return h.Do(http.MethodPost, "/propertymappings/scope/", map[string]any{"name": name, "scope_name": scopeName, "expression": expr}).
				Expect(t, http.StatusCreated).Object()["pk"].(string)
		}
		mappings := []string{
			scope("email", "email", `return {"email": request.user.email, "email_verified": True}`),
			scope("profile", "profile", `return {"name": request.user.name, "preferred_username": request.user.username, "nested": {"a": 1}}`),
			scope("extra", "zextra", `return {"client": provider.name, "nested": {"b": 2}}`),
			scope("broken", "broken", `return 1/0`),
			scope("not a dict", "list", `return ["ignored"]`),
		}
		newProvider := func(name string, extra map[string]any) int {
			body := map[string]any{"name": name, "authorization_flow": flow, "property_mappings": mappings, "include_claims_in_id_token": true}
			for k, v := range extra {
				body[k] = v
			}
			pk := int(h.Do(http.MethodPost, "/providers/oauth2/", body).Expect(t, http.StatusCreated).Object()["pk"].(float64))
			createApp(t, h, name, pk)
			return pk
		}
		withClaims := newProvider("claims", nil)
		withoutClaims := newProvider("no-claims", map[string]any{"include_claims_in_id_token": false, "sub_mode": "user_username"})

		cases := []struct {
			name  string
			path  string
			check func(t *testing.T, p map[string]any)
		}{
			{"claims for another user", fmt.Sprintf("/providers/oauth2/%d/preview_user/?for_user=%d", withClaims, alice), func(t *testing.T, p map[string]any) {
				if p["email"] != "alice@example.org" || p["email_verified"] != true || p["preferred_username"] != "alice" || p["client"] != "claims" {
					t.Errorf("claims = %v", p)
				}
				if n, _ := p["nested"].(map[string]any); n["a"] != float64(1) || n["b"] != float64(2) {
					t.Errorf("nested claims not merged: %v", p["nested"])
				}
				if !hexUID.MatchString(fmt.Sprint(p["sub"])) || p["iss"] != h.URL+"/application/o/claims/" || p["acr"] != "goauthentik.io/providers/oauth2/default" {
					t.Errorf("token = %v", p)
				}
				if p["exp"].(float64)-p["iat"].(float64) != 3600 {
					t.Errorf("exp - iat = %v, want the default access token validity (hours=1)", p["exp"].(float64)-p["iat"].(float64))
				}
			}},
			{"caller, no claims in the ID token", fmt.Sprintf("/providers/oauth2/%d/preview_user/", withoutClaims), func(t *testing.T, p map[string]any) {
				if p["sub"] != "akadmin" || p["email"] != nil {
					t.Errorf("token = %v", p)
				}
			}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got := h.Do(http.MethodGet, tc.path, nil).Expect(t, http.StatusOK).Object()
				tc.check(t, got["preview"].(map[string]any))
			})
		}
		failures := []struct {
			name, path string
			status     int
		}{
			{"for_user not a number", fmt.Sprintf("/providers/oauth2/%d/preview_user/?for_user=abc", withClaims), http.StatusBadRequest},
			{"for_user unknown", fmt.Sprintf("/providers/oauth2/%d/preview_user/?for_user=999999", withClaims), http.StatusBadRequest},
			{"missing provider", "/providers/oauth2/999999/preview_user/", http.StatusNotFound},
		}
		for _, tc := range failures {
			t.Run(tc.name, func(t *testing.T) {
				r := send(t, h, http.MethodGet, tc.path, "", nil)
				if r.Status != tc.status {
					t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
				}
				if tc.status == http.StatusBadRequest && r.json(t)["for_user"] == nil {
					t.Errorf("no for_user error: %s", r.Body)
				}
			})
		}
	})
}

func TestSAMLPreviewUser(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, h *apitest.Harness) {
		flow := createFlow(t, h, "authz", "authorization")
		mapping := func(name, samlName, friendly, expr string) string {
			return h.Do(http.MethodPost, "/propertymappings/saml/", map[string]any{"name": name, "saml_name": samlName,
				"friendly_name": friendly, "expression": expr}).Expect(t, http.StatusCreated).Object()["pk"].(string)
		}
		mappings := []string{
			mapping("username", "http://schemas.goauthentik.io/2021/02/saml/username", "username", `return request.user.username`),
			mapping("values", "urn:values", "", `return [1, True, "x", provider.name]`),
			mapping("nothing", "urn:nothing", "", `return None`),
		}
		emailNameID := mapping("email nameid", "urn:email", "", `return request.user.email`)
		newProvider := func(name string, extra map[string]any) int {
			body := map[string]any{"name": name, "authorization_flow": flow, "acs_url": "https://sp.example.com/acs", "property_mappings": mappings}
			for k, v := range extra {
				body[k] = v
			}
			return int(h.Do(http.MethodPost, "/providers/saml/", body).Expect(t, http.StatusCreated).Object()["pk"].(float64))
		}
		plain := newProvider("plain", nil)
		mapped := newProvider("mapped", map[string]any{"name_id_mapping": emailNameID})

		t.Run("attributes and persistent NameID", func(t *testing.T) {
			p := h.Do(http.MethodGet, fmt.Sprintf("/providers/saml/%d/preview_user/", plain), nil).Expect(t, http.StatusOK).Object()["preview"].(map[string]any)
			attrs := p["attributes"].([]any)
			if len(attrs) != 2 {
				t.Fatalf("attributes = %v", attrs)
			}
			first, second := attrs[0].(map[string]any), attrs[1].(map[string]any)
			if first["Name"] != "http://schemas.goauthentik.io/2021/02/saml/username" || first["FriendlyName"] != "username" ||
				fmt.Sprint(first["Value"]) != "[akadmin]" {
				t.Errorf("first = %v", first)
			}
			if _, has := second["FriendlyName"]; has || fmt.Sprint(second["Value"]) != "[1 True x plain]" {
				t.Errorf("second = %v", second)
			}
			if !hexUID.MatchString(fmt.Sprint(p["nameID"])) {
				t.Errorf("nameID = %v", p["nameID"])
			}
		})
		t.Run("NameID mapping", func(t *testing.T) {
			p := h.Do(http.MethodGet, fmt.Sprintf("/providers/saml/%d/preview_user/", mapped), nil).Expect(t, http.StatusOK).Object()["preview"].(map[string]any)
			if p["nameID"] != "root@localhost" {
				t.Errorf("nameID = %v", p["nameID"])
			}
		})
		failures := []struct {
			name, path string
			status     int
		}{
			{"for_user not a number", fmt.Sprintf("/providers/saml/%d/preview_user/?for_user=x", plain), http.StatusBadRequest},
			{"missing provider", "/providers/saml/999999/preview_user/", http.StatusNotFound},
		}
		for _, tc := range failures {
			t.Run(tc.name, func(t *testing.T) {
				if r := send(t, h, http.MethodGet, tc.path, "", nil); r.Status != tc.status {
					t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
				}
			})
		}
	})
}
