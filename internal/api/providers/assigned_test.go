package providers_test

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/outposts"
)

// TestProviderRelationsOnPagesAndRetrieves: the fields a provider shows
// about what points at it (assigned_application_*, its backchannel
// application's, outpost_set, the SAML endpoints) are the same on a
// retrieve, on its kind's list page and on /providers/all/, whichever
// providers share the page.
func TestProviderRelationsOnPagesAndRetrieves(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, h *apitest.Harness) {
		flow := createFlow(t, h, "authz", "authorization")
		proxy := func(name string) int {
			return int(h.Do(http.MethodPost, "/providers/proxy/", map[string]any{"name": name, "authorization_flow": flow,
				"external_host": "https://" + name + ".example.com"}).Expect(t, http.StatusCreated).Object()["pk"].(float64))
		}
		p1, p2, p3 := proxy("p1"), proxy("p2"), proxy("p3")
		app := func(slug string, body map[string]any) {
			body["name"], body["slug"] = "App "+slug, slug
			h.Do(http.MethodPost, "/core/applications/", body).Expect(t, http.StatusCreated)
		}
		app("app-a", map[string]any{"provider": p1, "backchannel_providers": []any{p2}})
		app("app-b", map[string]any{"provider": p2})
		cfg := outposts.DefaultConfig("http://x/")
		for k, v := range cfg {
			if v == nil {
				delete(cfg, k)
			}
		}
		for name, provs := range map[string][]any{"beta": {p1}, "alpha": {p1, p2}} {
			h.Do(http.MethodPost, "/outposts/instances/", map[string]any{"name": name, "type": "proxy", "providers": provs, "config": cfg}).
				Expect(t, http.StatusCreated)
		}
		samlWith := int(h.Do(http.MethodPost, "/providers/saml/", map[string]any{"name": "s1", "authorization_flow": flow,
			"acs_url": "https://sp.example.com/acs"}).Expect(t, http.StatusCreated).Object()["pk"].(float64))
		samlWithout := int(h.Do(http.MethodPost, "/providers/saml/", map[string]any{"name": "s2", "authorization_flow": flow,
			"acs_url": "https://sp.example.com/acs"}).Expect(t, http.StatusCreated).Object()["pk"].(float64))
		app("saml-app", map[string]any{"provider": samlWith})

		type want struct {
			app, appName, backchannel, backchannelName any
			outposts                                   []any
			sso                                        any // url_sso_post's path, SAML only
		}
		tests := []struct {
			name string
			kind string
			pk   int
			want want
		}{
			{"assigned, serving two outposts", "proxy", p1, want{"app-a", "App app-a", nil, nil, []any{"Outpost alpha", "Outpost beta"}, nil}},
			{"assigned and a backchannel", "proxy", p2, want{"app-b", "App app-b", "app-a", "App app-a", []any{"Outpost alpha"}, nil}},
			{"nothing points at it", "proxy", p3, want{nil, nil, nil, nil, []any{}, nil}},
			{"SAML with an application", "saml", samlWith, want{"saml-app", "App saml-app", nil, nil, []any{}, "/application/saml/saml-app/sso/binding/post/"}},
			{"SAML without", "saml", samlWithout, want{nil, nil, nil, nil, []any{}, "-"}},
		}
		check := func(t *testing.T, where string, obj map[string]any, w want) {
			t.Helper()
			got := want{obj["assigned_application_slug"], obj["assigned_application_name"],
				obj["assigned_backchannel_application_slug"], obj["assigned_backchannel_application_name"], nil, nil}
			got.outposts, _ = obj["outpost_set"].([]any)
			if sso, ok := obj["url_sso_post"].(string); ok {
				if sso != "-" {
					_, sso, _ = strings.Cut(sso, "://")
					sso = sso[strings.Index(sso, "/"):]
				}
				got.sso = sso
			}
			if _, shows := obj["outpost_set"]; !shows {
				got.outposts = w.outposts // /providers/all/ does not show it
			}
			if !reflect.DeepEqual(got, w) {
				t.Errorf("%s: got %+v, want %+v", where, got, w)
			}
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				retrieved := h.Do(http.MethodGet, fmt.Sprintf("/providers/%s/%d/", tc.kind, tc.pk), nil).Expect(t, http.StatusOK).Object()
				check(t, "retrieve", retrieved, tc.want)
				for _, list := range []string{"/providers/" + tc.kind + "/", "/providers/all/"} {
					page := h.Do(http.MethodGet, list+"?page_size=100", nil).Expect(t, http.StatusOK).Object()["results"].([]any)
					found := false
					for _, o := range page {
						obj := o.(map[string]any)
						if int(obj["pk"].(float64)) == tc.pk {
							found = true
							w := tc.want
							if list == "/providers/all/" {
								w.sso = nil // the base schema shows no SAML endpoints
							}
							check(t, list, obj, w)
						}
					}
					if !found {
						t.Errorf("%s: provider %d not listed", list, tc.pk)
					}
				}
			})
		}
	})
}
