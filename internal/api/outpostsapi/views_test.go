package outpostsapi_test

import (
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/store"
)

// TestOutpostProviderViews: the fields the outpost views derive from what
// surrounds a provider (its application's slug in the OIDC issuer, its
// scope mappings' names, the flow LDAP binds and RADIUS authenticates
// through) and a static device's tokens are the same on a list page and
// on a retrieve, for providers with and without those relations.
func TestOutpostProviderViews(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			post := func(path string, body map[string]any) map[string]any {
				return h.Do(http.MethodPost, path, body).Expect(t, http.StatusCreated).Object()
			}
			flow := post("/flows/instances/", map[string]any{"name": "authz", "slug": "authz", "title": "t", "designation": "authorization"})["pk"]
			scope := func(name, scopeName string) any {
				return post("/propertymappings/scope/", map[string]any{"name": name, "scope_name": scopeName, "expression": "return {}"})["pk"]
			}
			mappings := []any{scope("m-zeta", "zeta"), scope("m-alpha", "alpha"), scope("m-alpha-2", "alpha")}
			withApp := post("/providers/proxy/", map[string]any{"name": "with-app", "authorization_flow": flow,
				"external_host": "https://a.example.com", "property_mappings": mappings})["pk"]
			bare := post("/providers/proxy/", map[string]any{"name": "bare", "authorization_flow": flow, "external_host": "https://b.example.com"})["pk"]
			post("/core/applications/", map[string]any{"name": "App", "slug": "app-a", "provider": withApp})
			ldap := post("/providers/ldap/", map[string]any{"name": "ldap", "authorization_flow": flow})["pk"]
			radius := post("/providers/radius/", map[string]any{"name": "radius", "authorization_flow": flow})["pk"]
			device := post("/authenticators/admin/static/", map[string]any{"name": "codes"})["pk"]
			tokens, _ := h.App.Registry.Model("authentik_stages_authenticator_static.statictoken")
			if err := h.App.Store.Update(t.Context(), func(tx store.Tx) error {
				for _, tok := range []string{"t-2", "t-1"} {
					if _, err := tx.Insert(t.Context(), tokens.Table, store.Row{tokens.MustColumn("device"): int64(device.(float64)), tokens.MustColumn("token"): tok}); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}

			tests := []struct {
				name, list string
				pk         any
				field      string
				want       any
			}{
				{"scopes of a provider with mappings", "/outposts/proxy/", withApp, "scopes_to_request", []any{"alpha", "zeta"}},
				{"scopes of a provider without", "/outposts/proxy/", bare, "scopes_to_request", []any{}},
				{"issuer with an application", "/outposts/proxy/", withApp, "issuer", "/application/o/app-a/"},
				{"issuer without", "/outposts/proxy/", bare, "issuer", "/application/o//"},
				{"LDAP bind flow", "/outposts/ldap/", ldap, "bind_flow_slug", "authz"},
				{"RADIUS flow", "/outposts/radius/", radius, "auth_flow_slug", "authz"},
				{"static tokens", "/authenticators/admin/static/", device, "token_set", []any{map[string]any{"token": "t-2"}, map[string]any{"token": "t-1"}}},
			}
			value := func(obj map[string]any, field string) any {
				if field != "issuer" {
					return obj[field]
				}
				issuer, _ := obj["oidc_configuration"].(map[string]any)["issuer"].(string)
				base := h.URL
				if len(issuer) >= len(base) && issuer[:len(base)] == base {
					return issuer[len(base):]
				}
				return issuer
			}
			t.Run("cookie secrets generated", func(t *testing.T) {
				seen := map[string]bool{}
				for _, o := range h.Do(http.MethodGet, "/outposts/proxy/", nil).Expect(t, http.StatusOK).Object()["results"].([]any) {
					secret, _ := o.(map[string]any)["cookie_secret"].(string)
					if !regexp.MustCompile(`^[A-Z0-9]{32}$`).MatchString(secret) || seen[secret] {
						t.Errorf("cookie_secret %q: want 32 upper-case letters and digits, unique", secret)
					}
					seen[secret] = true
				}
			})
			t.Run("a provider stored without a cookie secret gets one on its next write", func(t *testing.T) {
				pm, _ := h.App.Registry.Model("authentik_providers_proxy.proxyprovider")
				secretCol := pm.MustColumn("cookie_secret")
				if err := h.App.Store.Update(t.Context(), func(tx store.Tx) error {
					_, err := tx.UpdateWhere(t.Context(), pm.Table, store.Eq(pm.PKColumn, int64(bare.(float64))), store.Row{secretCol: ""})
					return err
				}); err != nil {
					t.Fatal(err)
				}
				h.Do(http.MethodPatch, fmt.Sprintf("/providers/proxy/%v/", bare), map[string]any{"name": "bare"}).Expect(t, http.StatusOK)
				secret, _ := h.Do(http.MethodGet, fmt.Sprintf("/outposts/proxy/%v/", bare), nil).Expect(t, http.StatusOK).Object()["cookie_secret"].(string)
				if !regexp.MustCompile(`^[A-Z0-9]{32}$`).MatchString(secret) {
					t.Errorf("cookie_secret %q after the update: want 32 upper-case letters and digits", secret)
				}
				// A secret a client writes is not made again: set empty, an
				// OAuth2 client secret stays empty (a public client).
				oauth := post("/providers/oauth2/", map[string]any{"name": "public", "authorization_flow": flow})["pk"]
				got := h.Do(http.MethodPatch, fmt.Sprintf("/providers/oauth2/%v/", oauth), map[string]any{"client_secret": ""}).Expect(t, http.StatusOK).Object()["client_secret"]
				if got != "" {
					t.Errorf("client_secret %q after setting it empty, want it kept empty", got)
				}
			})
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					pk := fmt.Sprint(tc.pk)
					got := value(h.Do(http.MethodGet, tc.list+pk+"/", nil).Expect(t, http.StatusOK).Object(), tc.field)
					if !reflect.DeepEqual(got, tc.want) {
						t.Errorf("retrieve: %s = %#v, want %#v", tc.field, got, tc.want)
					}
					found := false
					for _, o := range h.Do(http.MethodGet, tc.list+"?page_size=100", nil).Expect(t, http.StatusOK).Object()["results"].([]any) {
						if obj := o.(map[string]any); fmt.Sprint(obj["pk"]) == pk {
							found = true
							if got := value(obj, tc.field); !reflect.DeepEqual(got, tc.want) {
								t.Errorf("list: %s = %#v, want %#v", tc.field, got, tc.want)
							}
						}
					}
					if !found {
						t.Errorf("%s does not list %s", tc.list, pk)
					}
				})
			}
		})
	}
}
