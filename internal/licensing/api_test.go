package licensing_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/licensing"
	"github.com/akgo/akgo/internal/licensing/licensingtest"
	"github.com/akgo/akgo/internal/store"
)

// setSetting writes one akgo_settings row.
func setSetting(t *testing.T, h *apitest.Harness, key, value string) {
	t.Helper()
	ctx := context.Background()
	err := h.App.Store.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.DeleteWhere(ctx, "akgo_settings", store.Eq("key", key)); err != nil {
			return err
		}
		_, err := tx.Insert(ctx, "akgo_settings", store.Row{"key": key, "value": value})
		return err
	})
	if err != nil {
		t.Fatalf("set %s: %v", key, err)
	}
}

// unsignedKey is a well-formed ES512 licence key whose signature nobody
// made.
func unsignedKey(installID, name string, exp time.Time) string {
	return token(map[string]any{"alg": "ES512", "typ": "JWT"},
		map[string]any{"aud": licensing.Audience(installID), "exp": exp.Unix(), "name": name}, nil)
}

func installIDOf(t *testing.T, h *apitest.Harness) string {
	t.Helper()
	id, err := licensing.EnsureInstallID(context.Background(), h.App.Store, h.App.Engine.NewUUID)
	if err != nil {
		t.Fatalf("install id: %v", err)
	}
	return id
}

func licenceCount(t *testing.T, h *apitest.Harness) int {
	t.Helper()
	page := h.Do(http.MethodGet, "/enterprise/license/", nil).Expect(t, http.StatusOK).Object()
	return len(page["results"].([]any))
}

// TestLicenceKeyOnSave checks that creating or changing a licence verifies
// its key for this installation, stores the claims, and that a rejected key
// changes nothing.
func TestLicenceKeyOnSave(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			iss := licensingtest.Default()
			exp := time.Now().Add(30 * 24 * time.Hour).Truncate(time.Second)
			// Until the install id exists no key can be issued for it.
			h.Do(http.MethodPost, "/enterprise/license/", map[string]any{"key": iss.Sign(licensingtest.Claims{InstallID: "", Name: "early", Expiry: exp})}).Expect(t, http.StatusBadRequest)
			id := installIDOf(t, h)
			good := iss.Sign(licensingtest.Claims{InstallID: id, Name: "Acme", Expiry: exp, InternalUsers: 12, ExternalUsers: 34})

			created := h.Do(http.MethodPost, "/enterprise/license/", map[string]any{"key": good}).Expect(t, http.StatusCreated).Object()
			if created["name"] != "Acme" || created["internal_users"] != float64(12) || created["external_users"] != float64(34) {
				t.Fatalf("created licence = %v", created)
			}
			if got, err := time.Parse(time.RFC3339, created["expiry"].(string)); err != nil || !got.Equal(exp) {
				t.Fatalf("expiry = %v, want %v", created["expiry"], exp)
			}
			detail := "/enterprise/license/" + created["license_uuid"].(string) + "/"

			rejected := []struct {
				name string
				key  string
			}{
				{"other installation", iss.Sign(licensingtest.Claims{InstallID: "another-install", Name: "x", Expiry: exp})},
				{"expired", iss.Sign(licensingtest.Claims{InstallID: id, Name: "x", Expiry: time.Now().Add(-time.Minute)})},
				{"not a JWT", "not-a-licence"},
			}
			for _, tc := range rejected {
				t.Run(tc.name, func(t *testing.T) {
					r := h.Do(http.MethodPost, "/enterprise/license/", map[string]any{"key": tc.key}).Expect(t, http.StatusBadRequest).Object()
					if msgs, _ := r["key"].([]any); len(msgs) != 1 || msgs[0] != licensing.InvalidMessage {
						t.Fatalf("error body = %v", r)
					}
					h.Do(http.MethodPatch, detail, map[string]any{"key": tc.key}).Expect(t, http.StatusBadRequest)
				})
			}
			if n := licenceCount(t, h); n != 1 {
				t.Fatalf("%d licences after rejected writes, want 1", n)
			}
			if got := h.Do(http.MethodGet, detail, nil).Expect(t, http.StatusOK).Object(); got["name"] != "Acme" {
				t.Fatalf("rejected update changed the licence: %v", got)
			}

			renewed := iss.Sign(licensingtest.Claims{InstallID: id, Name: "Acme renewed", Expiry: exp.Add(time.Hour), InternalUsers: 50})
			got := h.Do(http.MethodPatch, detail, map[string]any{"key": renewed}).Expect(t, http.StatusOK).Object()
			if got["name"] != "Acme renewed" || got["internal_users"] != float64(50) || got["external_users"] != float64(0) {
				t.Fatalf("updated licence = %v", got)
			}
		})
	}
}

// TestLicenceCertificate checks that a stored licensing certificate becomes
// the trust anchor: keys from other issuers and unsigned keys fail, keys
// that chain up to it pass.
func TestLicenceCertificate(t *testing.T) {
	other, err := licensingtest.NewIssuer()
	if err != nil {
		t.Fatal(err)
	}
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			id := installIDOf(t, h)
			exp := time.Now().Add(24 * time.Hour)
			iss := licensingtest.Default()
			unsigned := unsignedKey(id, "Unsigned", exp)

			// Without a certificate, structure, audience and expiry suffice.
			h.Do(http.MethodPost, "/enterprise/license/", map[string]any{"key": unsigned}).Expect(t, http.StatusCreated)

			setSetting(t, h, licensing.CertificateSetting, iss.RootPEM())
			cases := []struct {
				name   string
				key    string
				status int
			}{
				{"unsigned key", unsignedKey(id, "Unsigned 2", exp), http.StatusBadRequest},
				{"other issuer", other.Sign(licensingtest.Claims{InstallID: id, Name: "Other", Expiry: exp}), http.StatusBadRequest},
				{"chain to the certificate", iss.Sign(licensingtest.Claims{InstallID: id, Name: "Chained", Expiry: exp}), http.StatusCreated},
				{"signed by the certificate", iss.SignByRoot(licensingtest.Claims{InstallID: id, Name: "Direct", Expiry: exp}), http.StatusCreated},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					h.Do(http.MethodPost, "/enterprise/license/", map[string]any{"key": tc.key}).Expect(t, tc.status)
				})
			}
			if n := licenceCount(t, h); n != 3 {
				t.Fatalf("%d licences, want 3", n)
			}
		})
	}
}

// TestSettings checks the install id is generated once and that a stored
// licensing certificate that is not one is reported, not ignored.
func TestSettings(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			ctx := context.Background()
			first := installIDOf(t, h)
			if first == "" || installIDOf(t, h) != first {
				t.Fatalf("install id is not stable: %q", first)
			}
			read := func() error {
				return h.App.Store.View(ctx, func(tx store.Tx) error {
					_, err := licensing.RootCertificate(ctx, tx)
					return err
				})
			}
			if err := read(); err != nil {
				t.Fatalf("no certificate stored: %v", err)
			}
			setSetting(t, h, licensing.CertificateSetting, "not a certificate")
			if err := read(); err == nil {
				t.Fatal("a garbage licensing certificate was accepted")
			}
			setSetting(t, h, licensing.CertificateSetting, licensingtest.Default().RootPEM())
			if err := read(); err != nil {
				t.Fatalf("valid certificate: %v", err)
			}
		})
	}
}
