package providers_test

import (
	"encoding/base64"
	"net/http"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
)

func TestSAMLSourceMetadata(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, h *apitest.Harness) {
		pre := createFlow(t, h, "pre-auth", "stage_configuration")
		pair := testPair(t, "sp-source")
		kp := createKeypair(t, h, "source signing", pair, false)
		newSource := func(slug string, extra map[string]any) {
			body := map[string]any{"name": slug, "slug": slug, "sso_url": "https://idp.example.com/sso", "pre_authentication_flow": pre}
			for k, v := range extra {
				body[k] = v
			}
			h.Do(http.MethodPost, "/sources/saml/", body).Expect(t, http.StatusCreated)
		}
		newSource("plain", nil)
		newSource("signed", map[string]any{"issuer": "https://sp.example.com/entity", "signing_kp": kp})

		cases := []struct {
			slug, entityID string
			signingCert    bool
		}{
			{"plain", h.URL + "/source/saml/plain/metadata/", false},
			{"signed", "https://sp.example.com/entity", true},
		}
		for _, tc := range cases {
			t.Run(tc.slug, func(t *testing.T) {
				got := h.Do(http.MethodGet, "/sources/saml/"+tc.slug+"/metadata/", nil).Expect(t, http.StatusOK).Object()
				if got["download_url"] != "/source/saml/"+tc.slug+"/metadata/" {
					t.Errorf("download_url = %v", got["download_url"])
				}
				root := parseXML(t, got["metadata"].(string))
				if root.Tag != "EntityDescriptor" || root.NamespaceURI() != mdNS || root.SelectAttrValue("entityID", "") != tc.entityID {
					t.Fatalf("root %s %s entityID %q", root.Tag, root.NamespaceURI(), root.SelectAttrValue("entityID", ""))
				}
				sp := root.SelectElement("SPSSODescriptor")
				if sp == nil {
					t.Fatal("no SPSSODescriptor")
				}
				acs := sp.SelectElement("AssertionConsumerService")
				if acs == nil || acs.SelectAttrValue("Location", "") != h.URL+"/source/saml/"+tc.slug+"/acs/" ||
					acs.SelectAttrValue("Binding", "") != postBinding {
					t.Fatalf("AssertionConsumerService = %v", acs)
				}
				if n := len(sp.SelectElements("NameIDFormat")); n != 5 {
					t.Errorf("%d NameIDFormats, want 5", n)
				}
				kd := sp.SelectElement("KeyDescriptor")
				if (kd != nil) != tc.signingCert {
					t.Fatalf("KeyDescriptor present = %v", kd != nil)
				}
				if kd != nil {
					der, _ := base64.StdEncoding.DecodeString(kd.FindElement(".//X509Certificate").Text())
					if string(der) != string(pair.Cert.Raw) {
						t.Error("KeyDescriptor does not carry the signing certificate")
					}
				}
			})
		}
		t.Run("missing source", func(t *testing.T) {
			h.Do(http.MethodGet, "/sources/saml/nope/metadata/", nil).Expect(t, http.StatusNotFound)
		})
	})
}
