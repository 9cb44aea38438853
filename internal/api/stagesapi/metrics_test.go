package stagesapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
)

func TestApplicationMetrics(t *testing.T) {
	h := apitest.Start(t, "sqlite")
	app := create(t, h, "/core/applications/", map[string]any{"name": "Metrics App", "slug": "metrics-app"})
	other := create(t, h, "/core/applications/", map[string]any{"name": "Other", "slug": "other-app"})
	record := func(appPK string, n int) {
		for i := 0; i < n; i++ {
			err := h.App.API.Events.Record(context.Background(), "authorize_application", "authentik.providers.oauth2.views.authorize",
				map[string]any{"authorized_application": map[string]any{"pk": strings.ReplaceAll(appPK, "-", ""), "name": "x"}})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	record(app["pk"].(string), 3)
	record(other["pk"].(string), 2)
	if err := h.App.API.Events.Record(context.Background(), "login", "authentik.events", map[string]any{
		"authorized_application": map[string]any{"pk": strings.ReplaceAll(app["pk"].(string), "-", "")}}); err != nil {
		t.Fatal(err)
	}
	viewerPK, viewer := h.UserWithToken("metrics-viewer")
	h.Grant(viewerPK, []string{"authentik_core.view_application"}, "authentik_core.application", app["pk"].(string))
	h.Grant(viewerPK, []string{"authentik_events.view_event"}, "", "")
	noEventsPK, noEvents := h.UserWithToken("metrics-no-events")
	h.Grant(noEventsPK, []string{"authentik_core.view_application"}, "", "")
	_, stranger := h.UserWithToken("metrics-stranger")
	cases := []struct {
		name   string
		token  string
		slug   string
		status int
		total  int
	}{
		{"admin counts this application's authorizations", apitest.Token, "metrics-app", http.StatusOK, 3},
		{"other application counted apart", apitest.Token, "other-app", http.StatusOK, 2},
		{"viewer with event permission", viewer, "metrics-app", http.StatusOK, 3},
		{"viewer without event permission", noEvents, "metrics-app", http.StatusForbidden, 0},
		{"invisible application", stranger, "metrics-app", http.StatusNotFound, 0},
		{"missing application", apitest.Token, "no-such-app", http.StatusNotFound, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := h.DoAs(tc.token, http.MethodGet, "/core/applications/"+tc.slug+"/metrics/", nil).Expect(t, tc.status)
			if tc.status != http.StatusOK {
				return
			}
			coords := res.JSON.([]any)
			if len(coords) != 24 {
				t.Fatalf("%d coordinates, want 24", len(coords))
			}
			total := 0
			for _, c := range coords {
				total += int(c.(map[string]any)["y_cord"].(float64))
			}
			if total != tc.total || coords[23].(map[string]any)["y_cord"].(float64) != float64(tc.total) {
				t.Errorf("counts %v, want %d in the current hour", coords, tc.total)
			}
		})
	}
}
