package modelhooks

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"strings"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// ParseCertificate decodes the first PEM certificate of data.
func ParseCertificate(data string) (*x509.Certificate, bool) {
	block, _ := pem.Decode([]byte(data))
	if block == nil {
		return nil, false
	}
	c, err := x509.ParseCertificate(block.Bytes)
	return c, err == nil
}

// PrivateKeyType names the key algorithm like authentik ("rsa", "ecdsa",
// "ed25519", "ed448"); "" when there is no parsable key.
func PrivateKeyType(data string) string {
	block, _ := pem.Decode([]byte(data))
	if block == nil {
		return ""
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		return ""
	}
	switch key.(type) {
	case *rsa.PrivateKey:
		return "rsa"
	case *ecdsa.PrivateKey:
		return "ecdsa"
	case ed25519.PrivateKey:
		return "ed25519"
	}
	return ""
}

func colonHex(b []byte) string {
	h := hex.EncodeToString(b)
	parts := make([]string, 0, len(h)/2)
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":")
}

func (h *hooks) crypto() {
	kp := h.model("authentik_crypto.certificatekeypair")
	cert := func(row store.Row) *x509.Certificate {
		c, _ := ParseCertificate(str(row[col(kp, "certificate_data")]))
		return c
	}
	h.compute("authentik_crypto.certificatekeypair.fingerprint_sha256", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		if c := cert(row); c != nil {
			sum := sha256.Sum256(c.Raw)
			return colonHex(sum[:]), nil
		}
		return nil, nil
	})
	h.compute("authentik_crypto.certificatekeypair.fingerprint_sha1", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		if c := cert(row); c != nil {
			sum := sha1.Sum(c.Raw)
			return colonHex(sum[:]), nil
		}
		return nil, nil
	})
	h.compute("authentik_crypto.certificatekeypair.cert_expiry", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		if c := cert(row); c != nil {
			return c.NotAfter.UTC().Format(engine.TimeFormat), nil
		}
		return nil, nil
	})
	h.compute("authentik_crypto.certificatekeypair.cert_subject", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		if c := cert(row); c != nil {
			return SubjectString(c), nil
		}
		return nil, nil
	})
	h.compute("authentik_crypto.certificatekeypair.private_key_available", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		return str(row[col(kp, "key_data")]) != "", nil
	})
	h.compute("authentik_crypto.certificatekeypair.private_key_type", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		if t := PrivateKeyType(str(row[col(kp, "key_data")])); t != "" {
			return t, nil
		}
		return nil, nil
	})
	h.compute("authentik_crypto.certificatekeypair.certificate_download_url", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		return "/api/v3/crypto/certificatekeypairs/" + str(row[m.PKColumn]) + "/view_certificate/?download", nil
	})
	h.compute("authentik_crypto.certificatekeypair.private_key_download_url", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		return "/api/v3/crypto/certificatekeypairs/" + str(row[m.PKColumn]) + "/view_private_key/?download", nil
	})
}

// SubjectString renders the subject as RFC 4514 from its encoded order
// (last attribute first), as Python's rfc4514_string does; Go's
// pkix.Name.String re-sorts the attributes.
func SubjectString(c *x509.Certificate) string {
	var seq pkix.RDNSequence
	if _, err := asn1.Unmarshal(c.RawSubject, &seq); err != nil {
		return c.Subject.String()
	}
	return seq.String()
}
