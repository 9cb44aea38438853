package coreapi_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
)

// TestProviderFieldsShareReads: a provider's backchannel application's
// slug and name come from one read of the providers and applications per
// page (engine.PageShared), on a retrieve and on a list alike, and are
// right.
func TestProviderFieldsShareReads(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			flow := authzFlow(t, h)
			var pks []any
			for i := range 3 {
				pks = append(pks, h.Do(http.MethodPost, "/providers/oauth2/", map[string]any{"name": fmt.Sprintf("rp%d", i),
					"authorization_flow": flow}).Expect(t, http.StatusCreated).Object()["pk"])
			}
			h.Do(http.MethodPost, "/core/applications/", map[string]any{"name": "Back", "slug": "back", "provider": pks[0],
				"backchannel_providers": []any{pks[1]}}).Expect(t, http.StatusCreated)

			counter := &readCounter{Store: h.App.Engine.Store}
			h.App.Engine.Store = counter
			t.Cleanup(func() { h.App.Engine.Store = counter.Store })
			tests := []struct {
				name, path string
			}{
				{"retrieve", fmt.Sprintf("/providers/oauth2/%v/", pks[1])},
				{"list", "/providers/oauth2/?page_size=100"},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					counter.reads = map[string]int{}
					body := h.Do(http.MethodGet, tc.path, nil).Expect(t, http.StatusOK).Object()
					if n := counter.reads["authentik_core_provider"]; n != 1 {
						t.Errorf("read the providers table %d times, want 1 (shared by the backchannel fields)", n)
					}
					objs := []any{body}
					if res, ok := body["results"].([]any); ok {
						objs = res
					}
					for _, o := range objs {
						obj := o.(map[string]any)
						want := any(nil)
						if obj["pk"] == pks[1] {
							want = "back"
						}
						if obj["assigned_backchannel_application_slug"] != want {
							t.Errorf("provider %v: backchannel slug %v, want %v", obj["pk"], obj["assigned_backchannel_application_slug"], want)
						}
					}
				})
			}
		})
	}
}
