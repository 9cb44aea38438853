package certs_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/licensing/licensingtest"
	"github.com/akgo/akgo/internal/store"
)

const licenses = "/enterprise/license/"

// putSetting writes an akgo_settings row.
func putSetting(t *testing.T, h *apitest.Harness, key, value string) {
	t.Helper()
	ctx := context.Background()
	err := h.App.Store.Update(ctx, func(tx store.Tx) error {
		n, err := tx.UpdateWhere(ctx, "akgo_settings", store.Eq("key", key), store.Row{"value": value})
		if err == nil && n == 0 {
			_, err = tx.Insert(ctx, "akgo_settings", store.Row{"key": key, "value": value})
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// plainUser creates a user without groups and returns an API token of it.
func plainUser(t *testing.T, h *apitest.Harness, username string) string {
	t.Helper()
	u := h.Do(http.MethodPost, "/core/users/", map[string]any{"username": username, "name": username}).Expect(t, http.StatusCreated).Object()
	h.Do(http.MethodPost, "/core/tokens/", map[string]any{"identifier": "t-" + username, "intent": "api", "user": u["pk"], "expiring": false}).
		Expect(t, http.StatusCreated)
	key := "key-" + username
	ctx := context.Background()
	err := h.App.Store.Update(ctx, func(tx store.Tx) error {
		_, err := tx.UpdateWhere(ctx, "authentik_core_token", store.Eq("identifier", "t-"+username), store.Row{"key": key})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func installID(t *testing.T, h *apitest.Harness) string {
	t.Helper()
	return h.Do(http.MethodGet, licenses+"get_install_id/", nil).Expect(t, http.StatusOK).Object()["install_id"].(string)
}

// TestLicences runs the licence actions and the key check on one server
// per backend; the parts assert relative to what they find.
func TestLicences(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			putSetting(t, h, "license_certificate", licensingtest.Default().RootPEM())
			t.Run("install id", func(t *testing.T) { testInstallID(t, on(t, h)) })
			t.Run("key verification", func(t *testing.T) { testKeyVerification(t, on(t, h)) })
			t.Run("summary", func(t *testing.T) { testSummary(t, on(t, h)) })
			t.Run("forecast", func(t *testing.T) { testForecast(t, on(t, h)) })
		})
	}
}

func testInstallID(t *testing.T, h *apitest.Harness) {
	first := installID(t, h)
	if _, err := uuid.Parse(first); err != nil {
		t.Errorf("install id %q is not a UUID", first)
	}
	if again := installID(t, h); again != first {
		t.Errorf("install id changed from %s to %s", first, again)
	}
	refused := []struct{ name, token, detail string }{
		{"no credentials", "", "Authentication credentials were not provided."},
		{"not a superuser", plainUser(t, h, "plain"), "You do not have permission to perform this action."},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			body := h.DoAs(tc.token, http.MethodGet, licenses+"get_install_id/", nil).Expect(t, http.StatusForbidden).Object()
			if body["detail"] != tc.detail {
				t.Errorf("body %v", body)
			}
		})
	}
}

// licence issues a key for this installation.
func licence(t *testing.T, h *apitest.Harness, name string, internal, external int64, exp time.Time) map[string]any {
	t.Helper()
	key := licensingtest.Default().Sign(licensingtest.Claims{InstallID: installID(t, h), Name: name, Expiry: exp,
		InternalUsers: internal, ExternalUsers: external})
	return h.Do(http.MethodPost, licenses, map[string]any{"key": key}).Expect(t, http.StatusCreated).Object()
}

func testKeyVerification(t *testing.T, h *apitest.Harness) {
	issuer := licensingtest.Default()
	exp := time.Now().Add(365 * 24 * time.Hour).Truncate(time.Second).UTC()
	obj := licence(t, h, "ACME", 10, 5, exp)
	if obj["name"] != "ACME" || obj["internal_users"] != float64(10) || obj["external_users"] != float64(5) {
		t.Errorf("licence %v", obj)
	}
	if got, err := time.Parse(time.RFC3339, obj["expiry"].(string)); err != nil || !got.Equal(exp) {
		t.Errorf("expiry %v, want %s", obj["expiry"], exp)
	}
	id := installID(t, h)
	good := issuer.Sign(licensingtest.Claims{InstallID: id, Name: "good", Expiry: exp, InternalUsers: 1})
	parts := strings.Split(good, ".")
	forged := strings.Split(issuer.Sign(licensingtest.Claims{InstallID: id, Name: "x", Expiry: exp, InternalUsers: 1000}), ".")[1]
	bad := []struct{ name, key string }{
		{"other installation", issuer.Sign(licensingtest.Claims{InstallID: "another-install", Name: "x", Expiry: exp})},
		{"expired", issuer.Sign(licensingtest.Claims{InstallID: id, Name: "x", Expiry: time.Now().Add(-time.Hour)})},
		{"claims swapped under the signature", parts[0] + "." + forged + "." + parts[2]},
		{"not a JWT", "hello"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			before := countLicences(t, h)
			body := h.Do(http.MethodPost, licenses, map[string]any{"key": tc.key}).Expect(t, http.StatusBadRequest).Object()
			msgs, _ := body["key"].([]any)
			if len(body) != 1 || len(msgs) != 1 || msgs[0] != "Unable to verify license" {
				t.Errorf("body %v", body)
			}
			if after := countLicences(t, h); after != before {
				t.Errorf("%d licences before, %d after a refused key", before, after)
			}
		})
	}
	// An update is verified too, and a refused one changes nothing.
	detail := licenses + obj["license_uuid"].(string) + "/"
	h.Do(http.MethodPatch, detail, map[string]any{"key": bad[0].key}).Expect(t, http.StatusBadRequest)
	if got := h.Do(http.MethodGet, detail, nil).Expect(t, http.StatusOK).Object(); got["name"] != "ACME" {
		t.Errorf("licence changed to %v", got)
	}
	updated := h.Do(http.MethodPatch, detail, map[string]any{"key": good}).Expect(t, http.StatusOK).Object()
	if updated["name"] != "good" || updated["internal_users"] != float64(1) {
		t.Errorf("updated licence %v", updated)
	}
}

func countLicences(t *testing.T, h *apitest.Harness) int {
	t.Helper()
	page := h.Do(http.MethodGet, licenses+"?page_size=1", nil).Expect(t, http.StatusOK).Object()
	return int(page["pagination"].(map[string]any)["count"].(float64))
}

// deleteLicences removes every stored licence.
func deleteLicences(t *testing.T, h *apitest.Harness) {
	t.Helper()
	page := h.Do(http.MethodGet, licenses+"?page_size=1000", nil).Expect(t, http.StatusOK).Object()
	for _, r := range page["results"].([]any) {
		h.Do(http.MethodDelete, licenses+r.(map[string]any)["license_uuid"].(string)+"/", nil).Expect(t, http.StatusNoContent)
	}
}

// activeInternalUsers counts the users a licence's internal seats cover.
func activeInternalUsers(t *testing.T, h *apitest.Harness) int64 {
	t.Helper()
	page := h.Do(http.MethodGet, "/core/users/?type=internal&is_active=true&page_size=1", nil).Expect(t, http.StatusOK).Object()
	return int64(page["pagination"].(map[string]any)["count"].(float64))
}

func summary(t *testing.T, h *apitest.Harness) map[string]any {
	t.Helper()
	return h.Do(http.MethodGet, licenses+"summary/", nil).Expect(t, http.StatusOK).Object()
}

func testSummary(t *testing.T, h *apitest.Harness) {
	deleteLicences(t, h)
	t.Run("no licence", func(t *testing.T) {
		s := summary(t, h)
		want := map[string]any{"internal_users": 0.0, "external_users": 0.0, "valid": false, "has_license": false,
			"show_admin_warning": false, "show_user_warning": false, "read_only": false, "latest_valid": "1970-01-01T00:00:00Z"}
		for k, v := range want {
			if s[k] != v {
				t.Errorf("%s = %v, want %v", k, s[k], v)
			}
		}
	})
	users := activeInternalUsers(t, h)
	exp := time.Now().Add(200 * 24 * time.Hour).Truncate(time.Second).UTC()
	covering := licence(t, h, "covering", users+10, 5, exp)
	licence(t, h, "later", 2, 0, exp.Add(24*time.Hour))
	t.Run("covering licences", func(t *testing.T) {
		s := summary(t, h)
		if s["valid"] != true || s["has_license"] != true || s["internal_users"] != float64(users+12) || s["external_users"] != 5.0 ||
			s["latest_valid"] != exp.Format("2006-01-02T15:04:05Z") || s["show_admin_warning"] != false {
			t.Errorf("summary %v", s)
		}
	})
	// Too few seats: the warnings count from the last time the licences
	// covered the users.
	h.Do(http.MethodDelete, licenses+covering["license_uuid"].(string)+"/", nil).Expect(t, http.StatusNoContent)
	for i := 0; i < 3; i++ {
		h.Do(http.MethodPost, "/core/users/", map[string]any{"username": fmt.Sprintf("seat%d", i), "name": "u"}).Expect(t, http.StatusCreated)
	}
	week := 7 * 24 * time.Hour
	cases := []struct {
		name                  string
		lastValid             time.Duration // before now
		admin, user, readOnly bool
	}{
		{"valid a week ago", week, false, false, false},
		{"valid three weeks ago", 3 * week, true, false, false},
		{"valid five weeks ago", 5 * week, true, true, false},
		{"valid seven weeks ago", 7 * week, true, true, true},
		{"record older than authentik keeps", 100 * 24 * time.Hour, false, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			putSetting(t, h, "license_last_valid", time.Now().Add(-tc.lastValid).UTC().Format(time.RFC3339Nano))
			s := summary(t, h)
			if s["valid"] != false || s["internal_users"] != 2.0 {
				t.Errorf("summary %v, want invalid with 2 seats", s)
			}
			if s["show_admin_warning"] != tc.admin || s["show_user_warning"] != tc.user || s["read_only"] != tc.readOnly {
				t.Errorf("admin/user/read-only %v/%v/%v, want %v/%v/%v", s["show_admin_warning"], s["show_user_warning"], s["read_only"],
					tc.admin, tc.user, tc.readOnly)
			}
		})
	}
	t.Run("any signed-in user", func(t *testing.T) {
		s := h.DoAs(plainUser(t, h, "reader"), http.MethodGet, licenses+"summary/", nil).Expect(t, http.StatusOK).Object()
		if s["has_license"] != true || s["internal_users"] != 2.0 {
			t.Errorf("summary %v", s)
		}
	})
	t.Run("no credentials", func(t *testing.T) {
		h.DoAs("", http.MethodGet, licenses+"summary/", nil).Expect(t, http.StatusForbidden)
	})
}

func forecast(t *testing.T, h *apitest.Harness) map[string]any {
	t.Helper()
	return h.Do(http.MethodGet, licenses+"forecast/", nil).Expect(t, http.StatusOK).Object()
}

func testForecast(t *testing.T, h *apitest.Harness) {
	before := forecast(t, h)
	users := []struct{ name, typ string }{
		{"int1", "internal"}, {"int2", "internal"}, {"ext1", "external"}, {"svc1", "service_account"},
	}
	for _, u := range users {
		h.Do(http.MethodPost, "/core/users/", map[string]any{"username": u.name, "name": u.name, "type": u.typ}).Expect(t, http.StatusCreated)
	}
	// int2 joined long ago: it counts, but not as recent growth.
	ctx := context.Background()
	err := h.App.Store.Update(ctx, func(tx store.Tx) error {
		_, err := tx.UpdateWhere(ctx, "authentik_core_user", store.Eq("username", "int2"),
			store.Row{"date_joined": store.NowUTC(time.Now().Add(-60 * 24 * time.Hour))})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	after := forecast(t, h)
	growth := map[string]float64{"internal_users": 2, "external_users": 1, "forecasted_internal_users": 12, "forecasted_external_users": 12}
	for k, d := range growth {
		if after[k].(float64)-before[k].(float64) != d {
			t.Errorf("%s went from %v to %v, want +%v", k, before[k], after[k], d)
		}
	}
	h.DoAs("", http.MethodGet, licenses+"forecast/", nil).Expect(t, http.StatusForbidden)
}
