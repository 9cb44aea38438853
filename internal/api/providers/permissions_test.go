package providers_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
)

// TestUnprivilegedCaller checks a user without permissions: objects it may
// not view do not exist for it, writes it may not make are refused, and
// static data is open.
func TestUnprivilegedCaller(t *testing.T) {
	t.Parallel()
	h := apitest.Start(t, "sqlite")
	h.App.API.Config.MediaDir = t.TempDir()
	flow := createFlow(t, h, "authz", "authorization")
	p := h.Do(http.MethodPost, "/providers/oauth2/", map[string]any{"name": "o", "authorization_flow": flow}).Expect(t, http.StatusCreated).Object()
	createApp(t, h, "app", p["pk"])
	_, token := h.UserWithToken("plain")

	cases := []struct {
		name, method, path, contentType, body string
		status                                int
	}{
		{"setup URLs of a provider it cannot view", http.MethodGet, fmt.Sprintf("/providers/oauth2/%v/setup_urls/", p["pk"]), "", "", http.StatusNotFound},
		{"icon of an application it cannot view", http.MethodPost, "/core/applications/app/set_icon_url/", "application/json", `{"url": "https://x/y.png"}`, http.StatusNotFound},
		{"SAML import without add permissions", http.MethodPost, "/providers/saml/import_metadata/", "multipart/form-data; boundary=x", "--x--\r\n", http.StatusForbidden},
		{"OAuth source types", http.MethodGet, "/sources/oauth/source_types/", "", "", http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := sendAs(t, h, token, tc.method, tc.path, tc.contentType, strings.NewReader(tc.body))
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
		})
	}
	if got := h.Do(http.MethodGet, "/core/applications/app/", nil).Expect(t, http.StatusOK).Object()["meta_icon"]; got != nil {
		t.Errorf("meta_icon changed to %v", got)
	}
}
