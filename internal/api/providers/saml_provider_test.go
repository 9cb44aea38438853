package providers_test

import (
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/akgo/akgo/internal/apitest"
)

const (
	mdNS        = "urn:oasis:names:tc:SAML:2.0:metadata"
	postBinding = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
	redirBind   = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
)

func parseXML(t *testing.T, s string) *etree.Element {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(s); err != nil || doc.Root() == nil {
		t.Fatalf("metadata is not well-formed XML: %v\n%s", err, s)
	}
	return doc.Root()
}

// services lists "Tag Binding Location" of an SSO descriptor's services.
func services(desc *etree.Element, tag string) map[string]string {
	out := map[string]string{}
	for _, e := range desc.SelectElements(tag) {
		out[e.SelectAttrValue("Binding", "")] = e.SelectAttrValue("Location", "")
	}
	return out
}

func TestSAMLProviderMetadata(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, h *apitest.Harness) {
		flow := createFlow(t, h, "authz", "authorization")
		pair := testPair(t, "idp")
		kp := createKeypair(t, h, "idp signing", pair, false)
		certOnly := createKeypair(t, h, "idp cert only", testPair(t, "idp2"), true)
		newProvider := func(name string, extra map[string]any) int {
			body := map[string]any{"name": name, "authorization_flow": flow, "acs_url": "https://sp.example.com/acs", "issuer": "https://idp.example.com/" + name}
			for k, v := range extra {
				body[k] = v
			}
			return int(h.Do(http.MethodPost, "/providers/saml/", body).Expect(t, http.StatusCreated).Object()["pk"].(float64))
		}
		cases := []struct {
			name      string
			extra     map[string]any
			query     string
			bindings  []string
			signed    bool
			keyInMeta bool
		}{
			{"unsigned, both bindings", nil, "", []string{postBinding, redirBind}, false, false},
			{"signed sha256", map[string]any{"signing_kp": kp}, "", []string{postBinding, redirBind}, true, true},
			{"signed sha1 digest, rsa-sha512", map[string]any{"signing_kp": kp,
				"digest_algorithm":    "http://www.w3.org/2000/09/xmldsig#sha1",
				"signature_algorithm": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"}, "", []string{postBinding, redirBind}, true, true},
			{"certificate without key is published unsigned", map[string]any{"signing_kp": certOnly}, "", []string{postBinding, redirBind}, false, true},
			{"force POST", nil, "?force_binding=" + url.QueryEscape(postBinding), []string{postBinding}, false, false},
			{"force Redirect", map[string]any{"signing_kp": kp}, "?force_binding=" + url.QueryEscape(redirBind), []string{redirBind}, true, true},
		}
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				slug := fmt.Sprintf("saml-app-%d", i)
				pk := newProvider(slug, tc.extra)
				createApp(t, h, slug, pk)
				got := h.Do(http.MethodGet, fmt.Sprintf("/providers/saml/%d/metadata/%s", pk, tc.query), nil).Expect(t, http.StatusOK).Object()
				wantDownload := fmt.Sprintf("%s/api/v3/providers/saml/%d/metadata/?download", h.URL, pk)
				if got["download_url"] != wantDownload {
					t.Errorf("download_url = %v, want %s", got["download_url"], wantDownload)
				}
				root := parseXML(t, got["metadata"].(string))
				if root.Tag != "EntityDescriptor" || root.NamespaceURI() != mdNS {
					t.Fatalf("root is %s in %s", root.Tag, root.NamespaceURI())
				}
				if root.SelectAttrValue("entityID", "") != "https://idp.example.com/"+slug {
					t.Errorf("entityID = %q", root.SelectAttrValue("entityID", ""))
				}
				idp := root.SelectElement("IDPSSODescriptor")
				if idp == nil {
					t.Fatal("no IDPSSODescriptor")
				}
				if n := len(idp.SelectElements("NameIDFormat")); n != 4 {
					t.Errorf("%d NameIDFormats, want 4", n)
				}
				prefix := h.URL + "/application/saml/" + slug + "/"
				sso, slo := services(idp, "SingleSignOnService"), services(idp, "SingleLogoutService")
				if len(sso) != len(tc.bindings) || len(slo) != len(tc.bindings) {
					t.Errorf("services SSO %v SLO %v, want bindings %v", sso, slo, tc.bindings)
				}
				for _, b := range tc.bindings {
					kind := map[string]string{postBinding: "post", redirBind: "redirect"}[b]
					if sso[b] != prefix+"sso/binding/"+kind+"/" || slo[b] != prefix+"slo/binding/"+kind+"/" {
						t.Errorf("binding %s: SSO %q SLO %q", b, sso[b], slo[b])
					}
				}
				kd := idp.SelectElement("KeyDescriptor")
				if (kd != nil) != tc.keyInMeta {
					t.Fatalf("KeyDescriptor present = %v, want %v", kd != nil, tc.keyInMeta)
				}
				if kd != nil {
					text := kd.FindElement(".//X509Certificate").Text()
					der, _ := base64.StdEncoding.DecodeString(text)
					if kd.SelectAttrValue("use", "") != "signing" || len(der) == 0 {
						t.Errorf("KeyDescriptor use=%q, certificate %d bytes", kd.SelectAttrValue("use", ""), len(der))
					}
				}
				sig := root.SelectElement("Signature")
				if (sig != nil) != tc.signed {
					t.Fatalf("signed = %v, want %v", sig != nil, tc.signed)
				}
				if tc.signed {
					if root.ChildElements()[0] != sig {
						t.Error("Signature is not the first child of EntityDescriptor")
					}
					vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{pair.Cert}})
					if _, err := vc.Validate(root); err != nil {
						t.Fatalf("signature does not verify: %v", err)
					}
					// A changed document must no longer verify.
					idp.SelectElement("SingleSignOnService").CreateAttr("Location", "https://evil.example.com/")
					if _, err := vc.Validate(root); err == nil {
						t.Fatal("tampered metadata still verifies")
					}
				}
			})
		}

		t.Run("download attachment, anonymous", func(t *testing.T) {
			pk := newProvider("download-me", map[string]any{"signing_kp": kp})
			createApp(t, h, "download-app", pk)
			req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/api/v3/providers/saml/%d/metadata/?download", h.URL, pk), nil)
			resp, err := h.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var b strings.Builder
			buf := make([]byte, 4096)
			for {
				n, err := resp.Body.Read(buf)
				b.Write(buf[:n])
				if err != nil {
					break
				}
			}
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/xml" {
				t.Fatalf("status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="download-me_authentik_meta.xml"` {
				t.Errorf("Content-Disposition = %q", cd)
			}
			parseXML(t, b.String())
		})

		t.Run("no application: empty metadata", func(t *testing.T) {
			pk := newProvider("unassigned", map[string]any{"signing_kp": kp})
			got := h.DoAs("", http.MethodGet, fmt.Sprintf("/providers/saml/%d/metadata/", pk), nil).Expect(t, http.StatusOK).Object()
			if got["metadata"] != "" {
				t.Errorf("metadata = %q, want empty", got["metadata"])
			}
		})

		failures := []struct {
			name, path string
			status     int
		}{
			{"missing provider", "/providers/saml/999999/metadata/", http.StatusNotFound},
			{"bad force_binding", "/providers/saml/%d/metadata/?force_binding=urn:nope", http.StatusBadRequest},
		}
		pk := newProvider("failures", nil)
		createApp(t, h, "failures", pk)
		for _, tc := range failures {
			t.Run(tc.name, func(t *testing.T) {
				path := tc.path
				if strings.Contains(path, "%d") {
					path = fmt.Sprintf(path, pk)
					r := send(t, h, http.MethodGet, path, "", nil)
					if r.Status != tc.status || r.json(t)["force_binding"] == nil {
						t.Fatalf("status %d: %s", r.Status, r.Body)
					}
					return
				}
				h.Do(http.MethodGet, path, nil).Expect(t, tc.status)
			})
		}
	})
}
