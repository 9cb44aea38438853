package licensingtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/akgo/akgo/internal/licensing"
)

// Issuer signs licence keys.
type Issuer struct {
	Root         *x509.Certificate
	Intermediate *x509.Certificate
	Leaf         *x509.Certificate
	leafKey      *ecdsa.PrivateKey
	rootKey      *ecdsa.PrivateKey
}

// NewIssuer creates a fresh root, intermediate and P-521 signing key.
func NewIssuer() (*Issuer, error) {
	rootKey, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("root key: %w", err)
	}
	root, err := certificate("Test Licensing Root", rootKey, nil, nil, true)
	if err != nil {
		return nil, err
	}
	interKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("intermediate key: %w", err)
	}
	inter, err := certificate("Test Licensing Intermediate", interKey, root, rootKey, true)
	if err != nil {
		return nil, err
	}
	leafKey, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("leaf key: %w", err)
	}
	leaf, err := certificate("Test Licence Signer", leafKey, inter, interKey, false)
	if err != nil {
		return nil, err
	}
	return &Issuer{Root: root, Intermediate: inter, Leaf: leaf, leafKey: leafKey, rootKey: rootKey}, nil
}

func certificate(cn string, key *ecdsa.PrivateKey, parent *x509.Certificate, parentKey crypto.Signer, ca bool) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(10 * 365 * 24 * time.Hour),
		BasicConstraintsValid: true, IsCA: ca, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	if ca {
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		return nil, fmt.Errorf("certificate %s: %w", cn, err)
	}
	return x509.ParseCertificate(der)
}

// RootPEM is the root certificate as the license_certificate setting
// stores it.
func (i *Issuer) RootPEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: i.Root.Raw}))
}

// Claims describe a licence key.
type Claims struct {
	InstallID     string
	Name          string
	Expiry        time.Time
	InternalUsers int64
	ExternalUsers int64
}

// Sign issues a key the way authentik's licence server does: signed by the
// leaf, with [leaf, intermediate] in x5c.
func (i *Issuer) Sign(c Claims) string {
	return i.sign(c, i.leafKey, []*x509.Certificate{i.Leaf, i.Intermediate})
}

// SignByRoot issues a key signed by the root itself with no x5c chain.
func (i *Issuer) SignByRoot(c Claims) string { return i.sign(c, i.rootKey, nil) }

func (i *Issuer) sign(c Claims, key *ecdsa.PrivateKey, chain []*x509.Certificate) string {
	hdr := map[string]any{"alg": "ES512", "typ": "JWT"}
	if len(chain) > 0 {
		x5c := make([]string, len(chain))
		for n, cert := range chain {
			x5c[n] = base64.StdEncoding.EncodeToString(cert.Raw)
		}
		hdr["x5c"] = x5c
	}
	claims := map[string]any{
		"aud": licensing.Audience(c.InstallID), "exp": c.Expiry.Unix(), "iat": time.Now().Add(-time.Minute).Unix(),
		"name": c.Name, "internal_users": c.InternalUsers, "external_users": c.ExternalUsers, "flags": []string{},
	}
	input := segment(hdr) + "." + segment(claims)
	return input + "." + SignES512(key, input)
}

// SignES512 returns the base64url JWS signature of input.
func SignES512(key *ecdsa.PrivateKey, input string) string {
	sum := sha512.Sum512([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, key, sum[:])
	if err != nil {
		panic(fmt.Sprintf("sign: %v", err))
	}
	sig := make([]byte, 132)
	r.FillBytes(sig[:66])
	s.FillBytes(sig[66:])
	return base64.RawURLEncoding.EncodeToString(sig)
}

func segment(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("marshal: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(data)
}

var (
	defaultOnce   sync.Once
	defaultIssuer *Issuer
	defaultErr    error
)

// Default is one issuer shared by a test binary (key generation is the
// slow part).
func Default() *Issuer {
	defaultOnce.Do(func() { defaultIssuer, defaultErr = NewIssuer() })
	if defaultErr != nil {
		panic(fmt.Sprintf("licensingtest: %v", defaultErr))
	}
	return defaultIssuer
}
