package certs

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"
)

func parseCert(t *testing.T, data string) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode([]byte(data))
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("not a PEM certificate: %q", data)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestBuild(t *testing.T) {
	now := time.Date(2024, 3, 10, 12, 0, 0, 0, time.UTC)
	long := "a-very-long-common-name-that-goes-on-and-on-past-sixty-four-characters-for-sure"
	cases := []struct {
		name     string
		req      Request
		keyBlock string
		wantCN   string
		wantSANs []string
	}{
		{"ecdsa with SANs", Request{CommonName: "example", SANs: []string{"a.example.com", " b.example.com ", ""}, ValidityDays: 30, Alg: AlgECDSA},
			"EC PRIVATE KEY", "example", []string{"a.example.com", "b.example.com"}},
		{"ecdsa without SANs, long name cut to 64", Request{CommonName: long, ValidityDays: 0, Alg: AlgECDSA},
			"EC PRIVATE KEY", long[:64], nil},
		{"rsa", Request{CommonName: "rsa pair", ValidityDays: 365, Alg: AlgRSA},
			"RSA PRIVATE KEY", "rsa pair", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Build(tc.req, now)
			if err != nil {
				t.Fatal(err)
			}
			c := parseCert(t, p.Certificate)
			if c.Subject.CommonName != tc.wantCN {
				t.Errorf("CN %q, want %q", c.Subject.CommonName, tc.wantCN)
			}
			if len(c.Subject.Organization) != 1 || c.Subject.Organization[0] != "authentik" ||
				len(c.Subject.OrganizationalUnit) != 1 || c.Subject.OrganizationalUnit[0] != "Self-signed" {
				t.Errorf("subject %s lacks O=authentik, OU=Self-signed", c.Subject)
			}
			if c.Issuer.CommonName != "authentik "+authentikVersion {
				t.Errorf("issuer %s", c.Issuer)
			}
			if !c.NotBefore.Equal(now.Add(-24*time.Hour)) || !c.NotAfter.Equal(now.AddDate(0, 0, tc.req.ValidityDays)) {
				t.Errorf("validity %s – %s", c.NotBefore, c.NotAfter)
			}
			if err := c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature); err != nil {
				t.Errorf("not signed by its own key: %v", err)
			}
			if len(c.DNSNames) != len(tc.wantSANs) {
				t.Fatalf("SANs %v, want %v", c.DNSNames, tc.wantSANs)
			}
			for i := range tc.wantSANs {
				if c.DNSNames[i] != tc.wantSANs[i] {
					t.Errorf("SANs %v, want %v", c.DNSNames, tc.wantSANs)
				}
			}
			for _, ext := range c.Extensions {
				if ext.Id.Equal(oidSubjectAltName) && !ext.Critical {
					t.Error("subjectAltName is not critical")
				}
			}
			if block, _ := pem.Decode([]byte(p.PrivateKey)); block == nil || block.Type != tc.keyBlock {
				t.Fatalf("key block %v, want %s", block, tc.keyBlock)
			}
			key, err := ParsePrivateKey(p.PrivateKey)
			if err != nil {
				t.Fatal(err)
			}
			if !KeyMatches(c, key) {
				t.Error("key does not match the certificate")
			}
			switch k := key.(type) {
			case *rsa.PrivateKey:
				if k.N.BitLen() != 4096 {
					t.Errorf("RSA key has %d bits", k.N.BitLen())
				}
			case *ecdsa.PrivateKey:
				if k.Curve.Params().Name != "P-256" {
					t.Errorf("ECDSA curve %s", k.Curve.Params().Name)
				}
			}
		})
	}
}

func TestBuildRejectsUnknownAlg(t *testing.T) {
	if _, err := Build(Request{CommonName: "x", Alg: "dsa"}, time.Now()); err == nil {
		t.Fatal("built a pair with an unknown algorithm")
	}
}
