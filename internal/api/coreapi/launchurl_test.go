package coreapi_test

import (
	"net/http"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
)

// TestApplicationLaunchURL: an application's launch_url is its
// meta_launch_url when set, else what its provider suggests (an OAuth2
// provider's first redirect URI's origin, a proxy provider's external
// host), else null; the same on a retrieve and on a list page.
func TestApplicationLaunchURL(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			flow := authzFlow(t, h)
			provider := func(kind string, body map[string]any) any {
				body["authorization_flow"] = flow
				return h.Do(http.MethodPost, "/providers/"+kind+"/", body).Expect(t, http.StatusCreated).Object()["pk"]
			}
			// An OAuth2 provider serves one application, so each case
			// has a provider of its own.
			withMeta := provider("oauth2", map[string]any{"name": "meta", "redirect_uris": "https://ignored.example.com/cb"})
			oauth := provider("oauth2", map[string]any{"name": "rp", "redirect_uris": " https://rp.example.com:8443/cb?x=1\nhttps://other.example.com/"})
			badURI := provider("oauth2", map[string]any{"name": "bad", "redirect_uris": "not a url"})
			proxy := provider("proxy", map[string]any{"name": "px", "external_host": "https://proxy.example.com"})
			tests := []struct {
				name, slug string
				body       map[string]any
				want       any
			}{
				{"meta_launch_url wins", "app-meta", map[string]any{"provider": withMeta, "meta_launch_url": "https://launch.example.com/go"}, "https://launch.example.com/go"},
				{"OAuth2 redirect URI", "app-oauth", map[string]any{"provider": oauth}, "https://rp.example.com:8443"},
				{"OAuth2 without a usable URI", "app-bad", map[string]any{"provider": badURI}, nil},
				{"proxy external host", "app-proxy", map[string]any{"provider": proxy}, "https://proxy.example.com"},
				{"no provider", "app-none", map[string]any{}, nil},
			}
			for _, tc := range tests {
				tc.body["name"], tc.body["slug"] = tc.name, tc.slug
			}
			for _, tc := range tests {
				h.Do(http.MethodPost, "/core/applications/", tc.body).Expect(t, http.StatusCreated)
			}
			page := h.Do(http.MethodGet, "/core/applications/?page_size=100", nil).Expect(t, http.StatusOK).Object()["results"].([]any)
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					slug := tc.slug
					got := h.Do(http.MethodGet, "/core/applications/"+slug+"/", nil).Expect(t, http.StatusOK).Object()["launch_url"]
					if got != tc.want {
						t.Errorf("retrieve: launch_url %v, want %v", got, tc.want)
					}
					for _, o := range page {
						if obj := o.(map[string]any); obj["slug"] == slug && obj["launch_url"] != tc.want {
							t.Errorf("list: launch_url %v, want %v", obj["launch_url"], tc.want)
						}
					}
				})
			}
		})
	}
}

// authzFlow creates an authorization flow, which providers need.
func authzFlow(t *testing.T, h *apitest.Harness) any {
	t.Helper()
	return h.Do(http.MethodPost, "/flows/instances/", map[string]any{"name": "authz", "slug": "authz", "title": "t",
		"designation": "authorization"}).Expect(t, http.StatusCreated).Object()["pk"]
}
