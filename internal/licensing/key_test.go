package licensing_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/licensing"
	"github.com/akgo/akgo/internal/licensing/licensingtest"
)

const installID = "7d4c0a0e-3c1b-4a39-9d0e-2f8f6a5b1c2d"

func seg(v any) string {
	data, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(data)
}

func baseClaims(now time.Time) map[string]any {
	return map[string]any{
		"aud": licensing.Audience(installID), "exp": now.Add(time.Hour).Unix(), "name": "Acme",
		"internal_users": 10, "external_users": 100,
	}
}

// token signs arbitrary header and claims with key (nil: a well-formed
// but meaningless signature).
func token(hdr, claims map[string]any, key *ecdsa.PrivateKey) string {
	input := seg(hdr) + "." + seg(claims)
	if key == nil {
		return input + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 132))
	}
	return input + "." + licensingtest.SignES512(key, input)
}

func TestVerify(t *testing.T) {
	now := time.Now()
	iss := licensingtest.Default()
	other, err := licensingtest.NewIssuer()
	if err != nil {
		t.Fatal(err)
	}
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	claims := licensingtest.Claims{InstallID: installID, Name: "Acme", Expiry: now.Add(24 * time.Hour), InternalUsers: 10, ExternalUsers: 100}
	signed := iss.Sign(claims)
	with := func(mut func(map[string]any)) map[string]any {
		c := baseClaims(now)
		mut(c)
		return c
	}
	es512 := map[string]any{"alg": "ES512"}
	cases := []struct {
		name     string
		key      string
		anchored bool // verify against iss.Root
		ok       bool
		why      string // part of the rejection reason
	}{
		{"chain to the licensing certificate", signed, true, true, ""},
		{"signed by the licensing certificate itself", iss.SignByRoot(claims), true, true, ""},
		{"chain without an anchor is self-consistent", signed, false, true, ""},
		{"structurally valid unsigned key without an anchor", token(es512, baseClaims(now), nil), false, true, ""},
		{"audience as a list", token(es512, with(func(c map[string]any) { c["aud"] = []string{"x", licensing.Audience(installID)} }), nil), false, true, ""},
		{"unsigned key with an anchor", token(es512, baseClaims(now), nil), true, false, "does not verify"},
		{"key signed by an unknown P-521 key with an anchor", token(es512, baseClaims(now), p521), true, false, "does not verify"},
		{"chain of another issuer", other.Sign(claims), true, false, "licensing certificate"},
		{"tampered claims", strings.Join([]string{strings.Split(signed, ".")[0], seg(baseClaims(now)), strings.Split(signed, ".")[2]}, "."), false, false, "does not verify"},
		{"other installation", iss.Sign(licensingtest.Claims{InstallID: "other", Name: "x", Expiry: now.Add(time.Hour)}), true, false, "audience"},
		{"expired", iss.Sign(licensingtest.Claims{InstallID: installID, Name: "x", Expiry: now.Add(-time.Second)}), true, false, "expired"},
		{"audience without the install id", token(es512, with(func(c map[string]any) { c["aud"] = "enterprise.goauthentik.io/license" }), nil), false, false, "audience"},
		{"missing audience", token(es512, with(func(c map[string]any) { delete(c, "aud") }), nil), false, false, "audience"},
		{"missing exp", token(es512, with(func(c map[string]any) { delete(c, "exp") }), nil), false, false, "exp"},
		{"not yet valid", token(es512, with(func(c map[string]any) { c["nbf"] = now.Add(time.Hour).Unix() }), nil), false, false, "nbf"},
		{"issued in the future", token(es512, with(func(c map[string]any) { c["iat"] = now.Add(time.Hour).Unix() }), nil), false, false, "iat"},
		{"missing name", token(es512, with(func(c map[string]any) { delete(c, "name") }), nil), false, false, "name"},
		{"fractional user count", token(es512, with(func(c map[string]any) { c["internal_users"] = 1.5 }), nil), false, false, "internal_users"},
		{"flags not a list", token(es512, with(func(c map[string]any) { c["flags"] = "trial" }), nil), false, false, "flags"},
		{"wrong algorithm", token(map[string]any{"alg": "HS256"}, baseClaims(now), nil), false, false, "ES512"},
		{"short signature", seg(es512) + "." + seg(baseClaims(now)) + ".c2lnbmF0dXJl", false, false, "bytes"},
		{"x5c not base64", token(map[string]any{"alg": "ES512", "x5c": []string{"%%"}}, baseClaims(now), nil), false, false, "x5c[0]"},
		{"two segments", seg(es512) + "." + seg(baseClaims(now)), false, false, "compact"},
		{"header not JSON", "bm90IGpzb24." + seg(baseClaims(now)) + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 132)), false, false, "header"},
		{"empty", "", false, false, "compact"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := licensing.Verifier{Audience: licensing.Audience(installID), Now: now}
			if tc.anchored {
				v.Root = iss.Root
			}
			got, err := v.Verify(tc.key)
			if tc.ok != (err == nil) {
				t.Fatalf("Verify error = %v, want ok=%v", err, tc.ok)
			}
			if err != nil {
				var ke *licensing.KeyError
				if !errors.As(err, &ke) || !strings.Contains(ke.Reason, tc.why) {
					t.Fatalf("error %v is not a KeyError mentioning %q", err, tc.why)
				}
				return
			}
			if got.Name == "" || got.InternalUsers != 10 || got.ExternalUsers != 100 || !got.Expiry.After(now) {
				t.Fatalf("claims = %+v", got)
			}
		})
	}
}

func TestVerifyReadsClaims(t *testing.T) {
	now := time.Now()
	exp := now.Add(48 * time.Hour).Truncate(time.Second)
	key := licensingtest.Default().Sign(licensingtest.Claims{InstallID: installID, Name: "Acme Corp", Expiry: exp, InternalUsers: 25, ExternalUsers: 7})
	c, err := licensing.Verifier{Root: licensingtest.Default().Root, Audience: licensing.Audience(installID), Now: now}.Verify(key)
	if err != nil {
		t.Fatal(err)
	}
	want := licensing.Claims{Name: "Acme Corp", Expiry: exp.UTC(), InternalUsers: 25, ExternalUsers: 7}
	if c != want {
		t.Fatalf("claims = %+v, want %+v", c, want)
	}
}

func TestVerifyWithoutInstallID(t *testing.T) {
	now := time.Now()
	claims := baseClaims(now)
	claims["aud"] = ""
	cases := []struct {
		name string
		key  string
	}{
		{"empty audience", token(map[string]any{"alg": "ES512"}, claims, nil)},
		{"any audience", token(map[string]any{"alg": "ES512"}, baseClaims(now), nil)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := licensing.Verifier{Now: now}.Verify(tc.key)
			var ke *licensing.KeyError
			if !errors.As(err, &ke) || !strings.Contains(ke.Reason, "no install id") {
				t.Fatalf("Verify error = %v, want a rejection for the missing install id", err)
			}
		})
	}
}
