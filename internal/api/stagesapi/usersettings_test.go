package stagesapi_test

import (
	"net/http"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
)

func TestStageUserSettings(t *testing.T) {
	h := apitest.Start(t, "sqlite")
	flow := create(t, h, "/flows/instances/", map[string]any{"slug": "configure", "designation": "stage_configuration"})
	totp := create(t, h, "/stages/authenticator/totp/", map[string]any{"name": "b-totp", "friendly_name": "My TOTP", "configure_flow": flow["pk"]})
	static := create(t, h, "/stages/authenticator/static/", map[string]any{"name": "a-static"})
	webauthn := create(t, h, "/stages/authenticator/webauthn/", map[string]any{"name": "z-webauthn"})
	password := create(t, h, "/stages/password/", map[string]any{"name": "pw", "configure_flow": flow["pk"]})
	create(t, h, "/stages/password/", map[string]any{"name": "pw-without-flow"})
	_, plain := h.UserWithToken("settings-user")

	want := []map[string]any{
		{"object_uid": webauthn["pk"], "component": "ak-user-settings-authenticator-webauthn", "title": "WebAuthn Authenticator Setup Stage"},
		{"object_uid": static["pk"], "component": "ak-user-settings-authenticator-static", "title": "Static Authenticator Stage"},
		{"object_uid": totp["pk"], "component": "ak-user-settings-authenticator-totp", "title": "My TOTP", "configure_url": "/flows/-/configure/" + totp["pk"].(string) + "/"},
		{"object_uid": password["pk"], "component": "ak-user-settings-password", "title": "Password Stage", "configure_url": "/flows/-/configure/" + password["pk"].(string) + "/"},
	}
	cases := []struct {
		name   string
		token  string
		status int
	}{
		{"any user sees every configurable stage", plain, http.StatusOK},
		{"anonymous is refused", "", http.StatusForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := h.DoAs(tc.token, http.MethodGet, "/stages/all/user_settings/", nil).Expect(t, tc.status)
			if tc.status != http.StatusOK {
				return
			}
			got := res.JSON.([]any)
			if len(got) != len(want) {
				t.Fatalf("settings %v, want %v", got, want)
			}
			for i, w := range want {
				g := got[i].(map[string]any)
				if len(g) != len(w) {
					t.Errorf("entry %d: %v, want %v", i, g, w)
				}
				for k, v := range w {
					if g[k] != v {
						t.Errorf("entry %d %s = %v, want %v", i, k, g[k], v)
					}
				}
			}
		})
	}
}

func TestSourceUserSettings(t *testing.T) {
	h := apitest.Start(t, "sqlite")
	create(t, h, "/sources/oauth/", map[string]any{"name": "b GitHub", "slug": "github", "provider_type": "github"})
	create(t, h, "/sources/plex/", map[string]any{"name": "c Plex", "slug": "plex", "client_id": "plex-client"})
	create(t, h, "/sources/saml/", map[string]any{"name": "d SAML", "slug": "saml"})
	create(t, h, "/sources/oauth/", map[string]any{"name": "a Disabled", "slug": "disabled", "provider_type": "github", "enabled": false})
	create(t, h, "/sources/ldap/", map[string]any{"name": "e LDAP", "slug": "ldap"})
	guarded := create(t, h, "/sources/oauth/", map[string]any{"name": "f Admins only", "slug": "admins", "provider_type": "google"})
	policy := create(t, h, "/policies/expression/", map[string]any{"name": "superusers-only", "expression": "return request.user.is_superuser"})
	create(t, h, "/policies/bindings/", map[string]any{"policy": policy["pk"], "target": guarded["pk"], "order": 0})
	_, plain := h.UserWithToken("source-user")

	github := map[string]any{"object_uid": "github", "title": "b GitHub", "component": "ak-user-settings-source-oauth",
		"configure_url": "/source/oauth/login/github/", "icon_url": "/static/authentik/sources/github.svg"}
	plex := map[string]any{"object_uid": "plex", "title": "c Plex", "component": "ak-user-settings-source-plex",
		"configure_url": "plex-client", "icon_url": "/static/authentik/sources/plex.svg"}
	saml := map[string]any{"object_uid": "saml", "title": "d SAML", "component": "ak-user-settings-source-saml", "configure_url": "/source/saml/saml/"}
	admins := map[string]any{"object_uid": "admins", "title": "f Admins only", "component": "ak-user-settings-source-oauth",
		"configure_url": "/source/oauth/login/admins/", "icon_url": "/static/authentik/sources/google.svg"}
	cases := []struct {
		name   string
		token  string
		status int
		want   []map[string]any
	}{
		{"admin passes the policy", apitest.Token, http.StatusOK, []map[string]any{github, plex, saml, admins}},
		{"user is kept out by the policy", plain, http.StatusOK, []map[string]any{github, plex, saml}},
		{"anonymous is refused", "", http.StatusForbidden, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := h.DoAs(tc.token, http.MethodGet, "/sources/all/user_settings/", nil).Expect(t, tc.status)
			if tc.status != http.StatusOK {
				return
			}
			got := res.JSON.([]any)
			if len(got) != len(tc.want) {
				t.Fatalf("settings %s", res.Body)
			}
			for i, w := range tc.want {
				g := got[i].(map[string]any)
				if len(g) != len(w) {
					t.Errorf("entry %d: %v, want %v", i, g, w)
				}
				for k, v := range w {
					if g[k] != v {
						t.Errorf("entry %d %s = %v, want %v", i, k, g[k], v)
					}
				}
			}
		})
	}
}
