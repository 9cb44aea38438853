package providers_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/akgo/akgo/internal/apitest"
)

// spMetadataXML is a service provider's metadata; cert ("" for none) is
// its signing certificate as base64 DER.
func spMetadataXML(entityID, binding, acs, cert string, requestsSigned, wantSigned bool) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" ID="sp-md" entityID="` + entityID + `">`)
	b.WriteString(`<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"`)
	if requestsSigned {
		b.WriteString(` AuthnRequestsSigned="true"`)
	}
	if wantSigned {
		b.WriteString(` WantAssertionsSigned="true"`)
	}
	b.WriteString(`>`)
	if cert != "" {
		b.WriteString(`<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>` + cert + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`)
	}
	b.WriteString(`<md:AssertionConsumerService Binding="` + binding + `" Location="` + acs + `" index="0"/>`)
	b.WriteString(`</md:SPSSODescriptor></md:EntityDescriptor>`)
	return b.String()
}

// signedSPMetadata signs the SP metadata with the SP's key, as a real SP
// would publish it.
func signedSPMetadata(t *testing.T, p *rsaPair, doc string) string {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromString(doc); err != nil {
		t.Fatal(err)
	}
	ctx, err := dsig.NewSigningContext(p.Key, [][]byte{p.Cert.Raw})
	if err != nil {
		t.Fatal(err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	signed, err := ctx.SignEnveloped(d.Root())
	if err != nil {
		t.Fatal(err)
	}
	d.SetRoot(signed)
	s, _ := d.WriteToString()
	return s
}

func TestSAMLImportMetadata(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, h *apitest.Harness) {
		authz := createFlow(t, h, "authz", "authorization")
		authn := createFlow(t, h, "authn", "authentication")
		createKeypair(t, h, "idp key", testPair(t, "idp"), false)
		sp := testPair(t, "sp")
		spCert := base64.StdEncoding.EncodeToString(sp.Cert.Raw)
		other := testPair(t, "other")

		cases := []struct {
			name   string
			fields map[string]string
			file   string
			// wantStatus 204 creates a provider; otherwise wantField names the
			// field of the 400.
			wantStatus int
			wantField  string
			check      func(t *testing.T, p map[string]any)
		}{
			{"signed requests and assertions", map[string]string{"name": "sp-one", "authorization_flow": authz},
				spMetadataXML("https://sp.example.com/one", postBinding, "https://sp.example.com/acs", spCert, true, true),
				http.StatusNoContent, "", func(t *testing.T, p map[string]any) {
					if p["acs_url"] != "https://sp.example.com/acs" || p["issuer"] != "https://sp.example.com/one" || p["sp_binding"] != "post" {
						t.Errorf("provider = %v", p)
					}
					// authentik takes the first keypair with a private key (the
					// server may also hold its self-signed one).
					skp, _ := p["signing_kp"].(string)
					if skp == "" {
						t.Fatal("no signing keypair")
					}
					if kp := h.Do(http.MethodGet, "/crypto/certificatekeypairs/"+skp+"/", nil).Expect(t, http.StatusOK).Object(); kp["private_key_available"] != true {
						t.Errorf("signing keypair %v has no private key", kp["name"])
					}
					vkp, _ := p["verification_kp"].(string)
					if vkp == "" {
						t.Fatal("no verification keypair")
					}
					kp := h.Do(http.MethodGet, "/crypto/certificatekeypairs/"+vkp+"/", nil).Expect(t, http.StatusOK).Object()
					if kp["name"] != "Provider sp-one - SAML Signing Certificate" || kp["private_key_available"] != false {
						t.Errorf("verification keypair = %v", kp)
					}
				}},
			{"redirect binding, unsigned", map[string]string{"name": "sp-two", "authorization_flow": authz},
				spMetadataXML("https://sp.example.com/two", redirBind, "https://sp.example.com/acs2", "", false, false),
				http.StatusNoContent, "", func(t *testing.T, p map[string]any) {
					if p["sp_binding"] != "redirect" || p["signing_kp"] != nil || p["verification_kp"] != nil {
						t.Errorf("provider = %v", p)
					}
				}},
			{"signed metadata verifies", map[string]string{"name": "sp-three", "authorization_flow": authz},
				signedSPMetadata(t, sp, spMetadataXML("https://sp.example.com/three", postBinding, "https://sp.example.com/acs3", spCert, true, false)),
				http.StatusNoContent, "", nil},
			{"signature by another key", map[string]string{"name": "sp-forged", "authorization_flow": authz},
				signedSPMetadata(t, other, spMetadataXML("https://sp.example.com/forged", postBinding, "https://sp.example.com/acs4", spCert, true, false)),
				http.StatusBadRequest, "file", nil},
			{"not XML", map[string]string{"name": "sp-bad", "authorization_flow": authz}, "this is not <xml",
				http.StatusBadRequest, "file", nil},
			{"no SPSSODescriptor", map[string]string{"name": "sp-idp", "authorization_flow": authz},
				`<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>`, http.StatusBadRequest, "file", nil},
			{"missing name", map[string]string{"authorization_flow": authz},
				spMetadataXML("https://sp.example.com/x", postBinding, "https://sp.example.com/acs", "", false, false), http.StatusBadRequest, "name", nil},
			{"not an authorization flow", map[string]string{"name": "sp-flow", "authorization_flow": authn},
				spMetadataXML("https://sp.example.com/y", postBinding, "https://sp.example.com/acs", "", false, false), http.StatusBadRequest, "authorization_flow", nil},
			{"no file", map[string]string{"name": "sp-nofile", "authorization_flow": authz}, "", http.StatusBadRequest, "file", nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before := count(t, h, "/providers/saml/")
				keypairs := count(t, h, "/crypto/certificatekeypairs/")
				var files map[string][2]string
				if tc.file != "" {
					files = map[string][2]string{"file": {"metadata.xml", tc.file}}
				}
				r := upload(t, h, "/providers/saml/import_metadata/", tc.fields, files)
				if r.Status != tc.wantStatus {
					t.Fatalf("status %d, want %d: %s", r.Status, tc.wantStatus, r.Body)
				}
				if tc.wantStatus != http.StatusNoContent {
					if msgs, _ := r.json(t)[tc.wantField].([]any); len(msgs) == 0 {
						t.Fatalf("no %q error in %s", tc.wantField, r.Body)
					}
					if count(t, h, "/providers/saml/") != before || count(t, h, "/crypto/certificatekeypairs/") != keypairs {
						t.Fatal("a refused import left objects behind")
					}
					return
				}
				list := h.Do(http.MethodGet, "/providers/saml/?name="+tc.fields["name"], nil).Expect(t, http.StatusOK).Object()["results"].([]any)
				if len(list) != 1 {
					t.Fatalf("%d providers named %s", len(list), tc.fields["name"])
				}
				p := list[0].(map[string]any)
				if p["authorization_flow"] != authz {
					t.Errorf("authorization_flow = %v", p["authorization_flow"])
				}
				if tc.check != nil {
					tc.check(t, p)
				}
			})
		}

		t.Run("JSON body is refused", func(t *testing.T) {
			r := send(t, h, http.MethodPost, "/providers/saml/import_metadata/", "application/json", strings.NewReader(`{"name":"x"}`))
			if r.Status != http.StatusBadRequest {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
		})
	})
}
