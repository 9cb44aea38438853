package providers_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
)

func TestOAuth2SetupURLs(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, h *apitest.Harness) {
		flow := createFlow(t, h, "authz", "authorization")
		newProvider := func(name, mode string) int {
			p := h.Do(http.MethodPost, "/providers/oauth2/", map[string]any{
				"name": name, "authorization_flow": flow, "issuer_mode": mode,
			}).Expect(t, http.StatusCreated).Object()
			return int(p["pk"].(float64))
		}
		assigned := newProvider("assigned", "per_provider")
		createApp(t, h, "my-app", assigned)
		global := newProvider("global", "global")
		createApp(t, h, "global-app", global)
		lonely := newProvider("lonely", "per_provider")
		o := h.URL + "/application/o/"

		cases := []struct {
			name string
			id   int
			want map[string]any
			// jwks is absent, as authentik leaves it out without an app.
			noJWKS bool
		}{
			{"per provider issuer", assigned, map[string]any{
				"issuer": o + "my-app/", "authorize": o + "authorize/", "token": o + "token/", "user_info": o + "userinfo/",
				"provider_info": o + "my-app/.well-known/openid-configuration", "logout": o + "my-app/end-session/", "jwks": o + "my-app/jwks/",
			}, false},
			{"global issuer", global, map[string]any{
				"issuer": h.URL + "/", "provider_info": o + "global-app/.well-known/openid-configuration", "jwks": o + "global-app/jwks/",
			}, false},
			{"no application", lonely, map[string]any{
				"issuer": nil, "authorize": o + "authorize/", "provider_info": nil, "logout": nil,
			}, true},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				path := fmt.Sprintf("/providers/oauth2/%d/setup_urls/", tc.id)
				var got map[string]any
				if tc.noJWKS {
					// authentik answers nulls the schema does not allow.
					r := send(t, h, http.MethodGet, path, "", nil)
					if r.Status != http.StatusOK {
						t.Fatalf("status %d: %s", r.Status, r.Body)
					}
					got = r.json(t)
				} else {
					got = h.Do(http.MethodGet, path, nil).Expect(t, http.StatusOK).Object()
				}
				for k, v := range tc.want {
					if got[k] != v {
						t.Errorf("%s = %v, want %v", k, got[k], v)
					}
				}
				if _, has := got["jwks"]; has == tc.noJWKS {
					t.Errorf("jwks present = %v, want %v", has, !tc.noJWKS)
				}
			})
		}

		notFound := []struct{ name, path string }{
			{"missing provider", "/providers/oauth2/999999/setup_urls/"},
			{"non-numeric id", "/providers/oauth2/abc/setup_urls/"},
		}
		for _, tc := range notFound {
			t.Run(tc.name, func(t *testing.T) {
				h.Do(http.MethodGet, tc.path, nil).Expect(t, http.StatusNotFound)
			})
		}
	})
}
