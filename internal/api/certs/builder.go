package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/google/uuid"
)

// authentikVersion names the issuer of generated certificates, as
// authentik's builder puts its own version there.
const authentikVersion = "2023.10.4"

// Alg is the private key algorithm of a generated pair.
type Alg string

// The algorithms authentik's certificate builder knows.
const (
	AlgRSA   Alg = "rsa"
	AlgECDSA Alg = "ecdsa"
)

// rsaBits is authentik's RSA key size for generated pairs. It is a
// variable only so the package's HTTP tests can use smaller keys (a
// 4096-bit key takes a second or more); builder_test checks the real size.
var rsaBits = 4096

// Request describes a self-signed certificate to build.
type Request struct {
	CommonName   string
	SANs         []string // DNS names; blank entries are ignored
	ValidityDays int
	Alg          Alg
	// Key, when set, is used instead of generating one.
	Key crypto.Signer
}

// Pair is a generated certificate and its private key, both PEM.
type Pair struct {
	Certificate string
	PrivateKey  string
}

// oidSubjectAltName is the X.509 subjectAltName extension.
var oidSubjectAltName = asn1.ObjectIdentifier{2, 5, 29, 17}

// Build creates a self-signed certificate the way authentik's
// CertificateBuilder does: subject CN (first 64 characters) / O=authentik /
// OU=Self-signed, issuer "authentik <version>", valid from a day before now
// for ValidityDays days, a random 128-bit serial, the SANs as a critical
// extension, signed with SHA-256. The key is written in the traditional
// OpenSSL PEM form (PKCS#1 / SEC 1).
func Build(req Request, now time.Time) (Pair, error) {
	key := req.Key
	if key == nil {
		var err error
		if key, err = generateKey(req.Alg); err != nil {
			return Pair{}, err
		}
	}
	serial := new(big.Int)
	id := uuid.New()
	serial.SetBytes(id[:])
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		// ExtraNames keeps authentik's attribute order (CN, O, OU), which
		// its RFC 4514 subject string shows reversed.
		Subject: pkix.Name{ExtraNames: []pkix.AttributeTypeAndValue{
			{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: truncateRunes(req.CommonName, 64)},
			{Type: asn1.ObjectIdentifier{2, 5, 4, 10}, Value: "authentik"},
			{Type: asn1.ObjectIdentifier{2, 5, 4, 11}, Value: "Self-signed"},
		}},
		NotBefore: now.UTC().Add(-24 * time.Hour),
		NotAfter:  now.UTC().AddDate(0, 0, req.ValidityDays),
	}
	var names []string
	for _, n := range req.SANs {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	if len(names) > 0 {
		ext, err := sanExtension(names)
		if err != nil {
			return Pair{}, err
		}
		tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, ext)
	}
	// The issuer is named after authentik rather than the subject, so the
	// parent is a bare name; the certificate is still signed by its own key.
	issuer := &x509.Certificate{Subject: pkix.Name{CommonName: "authentik " + authentikVersion}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, key.Public(), key)
	if err != nil {
		return Pair{}, fmt.Errorf("sign certificate: %w", err)
	}
	keyPEM, err := marshalKey(key)
	if err != nil {
		return Pair{}, err
	}
	return Pair{
		Certificate: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		PrivateKey:  keyPEM,
	}, nil
}

func generateKey(alg Alg) (crypto.Signer, error) {
	switch alg {
	case AlgRSA, "":
		k, err := rsa.GenerateKey(rand.Reader, rsaBits)
		if err != nil {
			return nil, fmt.Errorf("generate RSA key: %w", err)
		}
		return k, nil
	case AlgECDSA:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("generate ECDSA key: %w", err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("unknown key algorithm %q", alg)
}

func marshalKey(key crypto.Signer) (string, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})), nil
	case *ecdsa.PrivateKey:
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			return "", fmt.Errorf("encode ECDSA key: %w", err)
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})), nil
	}
	return "", fmt.Errorf("unsupported key type %T", key)
}

// sanExtension builds the subjectAltName extension by hand because Go marks
// it critical only for an empty subject, and authentik always marks it so.
func sanExtension(names []string) (pkix.Extension, error) {
	raw := make([]asn1.RawValue, 0, len(names))
	for _, n := range names {
		raw = append(raw, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 2, Bytes: []byte(n)})
	}
	val, err := asn1.Marshal(raw)
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("encode subject alt names: %w", err)
	}
	return pkix.Extension{Id: oidSubjectAltName, Critical: true, Value: val}, nil
}

// truncateRunes cuts s to n characters (Python slicing counts characters).
func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// validDNSName reports whether a SAN can be encoded as a dNSName (an
// IA5String: ASCII only). authentik's library rejects other names with an
// unhandled error; here they are a field error.
func validDNSName(s string) bool {
	for _, c := range s {
		if c > 0x7e || c < 0x20 {
			return false
		}
	}
	return true
}
