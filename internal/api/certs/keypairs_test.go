package certs_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/api/certs"
	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/store"
)

const keypairs = "/crypto/certificatekeypairs/"

// on returns the harness reporting to t, so a failure inside a subtest is
// the subtest's.
func on(t *testing.T, h *apitest.Harness) *apitest.Harness {
	c := *h
	c.T = t
	return &c
}

// countPairs counts the stored pairs named name (all pairs for "").
func countPairs(t *testing.T, h *apitest.Harness, name string) int {
	t.Helper()
	path := keypairs + "?page_size=1"
	if name != "" {
		path += "&name=" + url.QueryEscape(name)
	}
	page := h.Do(http.MethodGet, path, nil).Expect(t, http.StatusOK).Object()
	return int(page["pagination"].(map[string]any)["count"].(float64))
}

func generate(t *testing.T, h *apitest.Harness, body map[string]any) map[string]any {
	t.Helper()
	return h.Do(http.MethodPost, keypairs+"generate/", body).Expect(t, http.StatusOK).Object()
}

func pemCertificate(t *testing.T, data string) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode([]byte(data))
	if block == nil {
		t.Fatalf("no PEM in %q", data)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestKeypairs runs the pair actions and checks on one server per backend;
// each part only asserts on the objects it creates.
func TestKeypairs(t *testing.T) {
	defer certs.UseSmallRSAKeys()()
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			t.Run("generate", func(t *testing.T) { testGenerate(t, on(t, h)) })
			t.Run("view PEM", func(t *testing.T) { testViewPEM(t, on(t, h)) })
			t.Run("PEM validation on save", func(t *testing.T) { testPEMValidationOnSave(t, on(t, h)) })
			t.Run("EnsureSelfSigned", func(t *testing.T) { testEnsureSelfSigned(t, on(t, h)) })
		})
	}
}

func testGenerate(t *testing.T, h *apitest.Harness) {
	t.Run("ecdsa with SANs", func(t *testing.T) {
		obj := generate(t, h, map[string]any{"common_name": "  web.example.com ", "subject_alt_name": "web.example.com, www.example.com",
			"validity_days": 30, "alg": "ecdsa"})
		if obj["name"] != "web.example.com" || obj["private_key_type"] != "ecdsa" || obj["private_key_available"] != true {
			t.Fatalf("generated %v", obj)
		}
		if !strings.Contains(obj["cert_subject"].(string), "CN=web.example.com") {
			t.Errorf("cert_subject %v", obj["cert_subject"])
		}
		data := h.Do(http.MethodGet, keypairs+obj["pk"].(string)+"/view_certificate/", nil).Expect(t, http.StatusOK).Object()["data"].(string)
		c := pemCertificate(t, data)
		if strings.Join(c.DNSNames, ",") != "web.example.com,www.example.com" {
			t.Errorf("SANs %v", c.DNSNames)
		}
	})
	t.Run("rsa by default", func(t *testing.T) {
		obj := generate(t, h, map[string]any{"common_name": "rsa default", "validity_days": 365})
		if obj["private_key_type"] != "rsa" {
			t.Fatalf("private_key_type %v, want rsa", obj["private_key_type"])
		}
		got := h.Do(http.MethodGet, keypairs+obj["pk"].(string)+"/", nil).Expect(t, http.StatusOK).Object()
		if got["fingerprint_sha256"] != obj["fingerprint_sha256"] {
			t.Errorf("stored pair differs from the generated one: %v vs %v", got, obj)
		}
	})
	generate(t, h, map[string]any{"common_name": "taken", "validity_days": 1, "alg": "ecdsa"})
	failures := []struct {
		name  string
		body  map[string]any
		field string
		msg   string
	}{
		{"name taken", map[string]any{"common_name": "taken", "validity_days": 1, "alg": "ecdsa"},
			"common_name", "certificate-Key Pair with this name already exists."},
		{"no validity", map[string]any{"common_name": "x1"}, "validity_days", "This field is required."},
		{"blank name", map[string]any{"common_name": "   ", "validity_days": 1}, "common_name", "This field may not be blank."},
		{"negative validity", map[string]any{"common_name": "x2", "validity_days": -1}, "validity_days", "Ensure this value is greater than or equal to 0."},
		{"unknown alg", map[string]any{"common_name": "x3", "validity_days": 1, "alg": "dsa"}, "alg", `"dsa" is not a valid choice.`},
		{"non-ASCII SAN", map[string]any{"common_name": "x4", "validity_days": 1, "alg": "ecdsa", "subject_alt_name": "bücher.example"},
			"subject_alt_name", `"bücher.example" is not a valid DNS name.`},
	}
	for _, tc := range failures {
		t.Run(tc.name, func(t *testing.T) {
			before := countPairs(t, h, "")
			body := h.Do(http.MethodPost, keypairs+"generate/", tc.body).Expect(t, http.StatusBadRequest).Object()
			msgs, _ := body[tc.field].([]any)
			if len(body) != 1 || len(msgs) != 1 || msgs[0] != tc.msg {
				t.Errorf("body %v, want {%q: [%q]}", body, tc.field, tc.msg)
			}
			if after := countPairs(t, h, ""); after != before {
				t.Errorf("%d pairs before, %d after a refused generate", before, after)
			}
		})
	}
}

func testViewPEM(t *testing.T, h *apitest.Harness) {
	cert, key := apitest.TestCertificate()
	pair := h.Do(http.MethodPost, keypairs, map[string]any{"name": "viewed", "certificate_data": cert, "key_data": key}).
		Expect(t, http.StatusCreated).Object()
	pk := pair["pk"].(string)
	cases := []struct {
		action, kind, want string
	}{
		{"view_certificate", "certificate", cert},
		{"view_private_key", "private_key", key},
	}
	for _, tc := range cases {
		t.Run(tc.action, func(t *testing.T) {
			got := h.Do(http.MethodGet, keypairs+pk+"/"+tc.action+"/", nil).Expect(t, http.StatusOK).Object()
			if got["data"] != tc.want {
				t.Fatalf("data %q, want %q", got["data"], tc.want)
			}
			assertSecretView(t, h, pk, tc.kind, 1)

			// ?download answers the PEM as a file (not JSON, so
			// outside what the schema describes).
			req, _ := http.NewRequest(http.MethodGet, h.URL+"/api/v3"+keypairs+pk+"/"+tc.action+"/?download", nil)
			req.Header.Set("Authorization", "Bearer "+apitest.Token)
			resp, err := h.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK || string(data) != tc.want {
				t.Fatalf("download: %d %q", resp.StatusCode, data)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/x-pem-file" {
				t.Errorf("Content-Type %q", ct)
			}
			wantCD := `attachment; filename="viewed_` + tc.kind + `.pem"`
			if cd := resp.Header.Get("Content-Disposition"); cd != wantCD {
				t.Errorf("Content-Disposition %q, want %q", cd, wantCD)
			}
			assertSecretView(t, h, pk, tc.kind, 2)
		})
	}

	// The internal JWT pair is hidden from the pair API.
	jwt := h.Do(http.MethodPost, keypairs, map[string]any{"name": "jwt", "certificate_data": cert, "key_data": key}).
		Expect(t, http.StatusCreated).Object()["pk"].(string)
	err := h.App.Store.Update(context.Background(), func(tx store.Tx) error {
		_, err := tx.UpdateWhere(context.Background(), "authentik_crypto_certificatekeypair", store.Eq("kp_uuid", jwt),
			store.Row{"managed": "goauthentik.io/crypto/jwt-managed"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	missing := []struct{ name, path string }{
		{"unknown pair", keypairs + "00000000-0000-4000-8000-000000000000/view_certificate/"},
		{"unknown pair key", keypairs + "00000000-0000-4000-8000-000000000000/view_private_key/"},
		{"not a uuid", keypairs + "nope/view_private_key/"},
		{"jwt pair", keypairs + jwt + "/view_private_key/"},
	}
	for _, tc := range missing {
		t.Run(tc.name, func(t *testing.T) {
			body := h.Do(http.MethodGet, tc.path, nil).Expect(t, http.StatusNotFound).Object()
			if body["detail"] != "Not found." {
				t.Errorf("body %v", body)
			}
		})
	}
	assertSecretView(t, h, jwt, "private_key", 0)
}

// assertSecretView checks how many secret_view events name the pair with
// the given access type.
func assertSecretView(t *testing.T, h *apitest.Harness, pk, kind string, want int) {
	t.Helper()
	page := h.Do(http.MethodGet, "/events/events/?action=secret_view&page_size=100", nil).Expect(t, http.StatusOK).Object()
	n := 0
	for _, r := range page["results"].([]any) {
		ev := r.(map[string]any)
		ctx, _ := ev["context"].(map[string]any)
		secret, _ := ctx["secret"].(map[string]any)
		if secret["pk"] == strings.ReplaceAll(pk, "-", "") && ctx["type"] == kind {
			n++
			if ev["app"] != "authentik.crypto.api" || secret["model_name"] != "certificatekeypair" ||
				!strings.HasPrefix(secret["name"].(string), "Certificate-Key Pair ") {
				t.Errorf("event %v", ev)
			}
		}
	}
	if n != want {
		t.Errorf("%d secret_view events of type %s for %s, want %d", n, kind, pk, want)
	}
}

func testPEMValidationOnSave(t *testing.T, h *apitest.Harness) {
	cert, key := apitest.TestCertificate()
	other := generate(t, h, map[string]any{"common_name": "other", "validity_days": 1, "alg": "ecdsa"})
	otherKey := h.Do(http.MethodGet, keypairs+other["pk"].(string)+"/view_private_key/", nil).Expect(t, http.StatusOK).Object()["data"]
	pair := h.Do(http.MethodPost, keypairs, map[string]any{"name": "valid", "certificate_data": cert, "key_data": key}).
		Expect(t, http.StatusCreated).Object()
	detail := keypairs + pair["pk"].(string) + "/"
	cases := []struct {
		name   string
		method string
		path   string
		body   map[string]any
		field  string
		msg    string
	}{
		{"create, bad certificate", http.MethodPost, keypairs, map[string]any{"name": "c1", "certificate_data": "nope"},
			"certificate_data", "Unable to load certificate."},
		{"create, bad key", http.MethodPost, keypairs, map[string]any{"name": "c2", "certificate_data": cert, "key_data": "nope"},
			"key_data", "Unable to load private key (possibly encrypted?)."},
		{"create, foreign key", http.MethodPost, keypairs, map[string]any{"name": "c3", "certificate_data": cert, "key_data": otherKey},
			"key_data", "Private key does not match the certificate's public key."},
		{"patch, foreign key", http.MethodPatch, detail, map[string]any{"key_data": otherKey},
			"key_data", "Private key does not match the certificate's public key."},
		{"put, bad certificate", http.MethodPut, detail, map[string]any{"name": "valid", "certificate_data": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"},
			"certificate_data", "Unable to load certificate."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := countPairs(t, h, "")
			body := h.Do(tc.method, tc.path, tc.body).Expect(t, http.StatusBadRequest).Object()
			msgs, _ := body[tc.field].([]any)
			if len(body) != 1 || len(msgs) != 1 || msgs[0] != tc.msg {
				t.Errorf("body %v, want {%q: [%q]}", body, tc.field, tc.msg)
			}
			if after := countPairs(t, h, ""); after != before {
				t.Errorf("%d pairs before, %d after", before, after)
			}
		})
	}
	// The refused writes changed nothing.
	got := h.Do(http.MethodGet, detail+"view_private_key/", nil).Expect(t, http.StatusOK).Object()
	if got["data"] != key {
		t.Errorf("key changed to %v", got["data"])
	}
	if f := h.Do(http.MethodGet, detail, nil).Expect(t, http.StatusOK).Object()["fingerprint_sha256"]; f != pair["fingerprint_sha256"] {
		t.Errorf("certificate changed: %v", f)
	}
	// Dropping the key and renaming are fine.
	h.Do(http.MethodPatch, detail, map[string]any{"key_data": "", "name": "renamed"}).Expect(t, http.StatusOK)
}

func testEnsureSelfSigned(t *testing.T, h *apitest.Harness) {
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if err := certs.EnsureSelfSigned(ctx, h.App.Engine); err != nil {
			t.Fatal(err)
		}
	}
	page := h.Do(http.MethodGet, keypairs+"?name="+url.QueryEscape(certs.SelfSignedName), nil).Expect(t, http.StatusOK).Object()
	results := page["results"].([]any)
	if len(results) != 1 {
		t.Fatalf("%d self-signed pairs after two calls, want 1", len(results))
	}
	obj := results[0].(map[string]any)
	if obj["private_key_type"] != "rsa" || obj["managed"] != nil {
		t.Errorf("self-signed pair %v", obj)
	}
	data := h.Do(http.MethodGet, keypairs+obj["pk"].(string)+"/view_certificate/", nil).Expect(t, http.StatusOK).Object()["data"].(string)
	c := pemCertificate(t, data)
	if c.Subject.CommonName != certs.SelfSignedName || len(c.DNSNames) != 1 || !strings.HasSuffix(c.DNSNames[0], ".self-signed.goauthentik.io") {
		t.Errorf("subject %s, SANs %v", c.Subject, c.DNSNames)
	}
	if days := c.NotAfter.Sub(c.NotBefore).Hours() / 24; days != 366 {
		t.Errorf("valid for %v days, want 365 from a day ago", days)
	}
	// A renamed pair is no longer the self-signed one: a new one is made.
	h.Do(http.MethodPatch, keypairs+obj["pk"].(string)+"/", map[string]any{"name": "kept"}).Expect(t, http.StatusOK)
	if err := certs.EnsureSelfSigned(ctx, h.App.Engine); err != nil {
		t.Fatal(err)
	}
	if n := countPairs(t, h, certs.SelfSignedName); n != 1 {
		t.Errorf("%d self-signed pairs after the rename, want 1", n)
	}
}
