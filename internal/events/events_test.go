package events_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/events"
)

func TestModelEvents(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			h.Do(http.MethodPost, "/flows/instances/", map[string]any{"name": "Audited", "slug": "audited", "title": "t", "designation": "authentication"}).Expect(t, http.StatusCreated)
			h.Do(http.MethodPatch, "/flows/instances/audited/", map[string]any{"title": "t2"}).Expect(t, http.StatusOK)
			h.Do(http.MethodDelete, "/flows/instances/audited/", nil).Expect(t, http.StatusNoContent)
			// A failed write records nothing.
			h.Do(http.MethodPost, "/flows/instances/", map[string]any{"name": "x"}).Expect(t, http.StatusBadRequest)
			page := h.Do(http.MethodGet, "/events/events/?context_model_name=flow&ordering=created", nil).Expect(t, http.StatusOK).Object()
			results := page["results"].([]any)
			var actions []string
			for _, r := range results {
				ev := r.(map[string]any)
				actions = append(actions, ev["action"].(string))
				model := ev["context"].(map[string]any)["model"].(map[string]any)
				if model["app"] != "authentik_flows" || model["name"] != "Flow Audited (audited)" {
					t.Errorf("context.model = %v", model)
				}
				if ev["user"].(map[string]any)["username"] != "akadmin" || ev["client_ip"] != "127.0.0.1" {
					t.Errorf("user %v, client_ip %v", ev["user"], ev["client_ip"])
				}
			}
			want := []string{events.ModelCreated, events.ModelUpdated, events.ModelDeleted}
			if len(actions) != len(want) {
				t.Fatalf("actions = %v, want %v", actions, want)
			}
			for i := range want {
				if actions[i] != want[i] {
					t.Fatalf("actions = %v, want %v", actions, want)
				}
			}
			for _, q := range []string{"search=audited", "username=akadmin", "action=model_created"} {
				if n := len(h.Do(http.MethodGet, "/events/events/?"+q, nil).Expect(t, http.StatusOK).Object()["results"].([]any)); n == 0 {
					t.Errorf("?%s finds no event", q)
				}
			}
		})
	}
}

func TestParseRetention(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
	}{
		{"days=365", 365 * 24 * time.Hour},
		{"days=1;hours=2", 26 * time.Hour},
		{"minutes=30", 30 * time.Minute},
		{"garbage", events.DefaultRetention},
		{"", events.DefaultRetention},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			if got := events.ParseRetention(tc.in); got != tc.want {
				t.Fatalf("ParseRetention(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}
