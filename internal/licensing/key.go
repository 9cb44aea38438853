package licensing

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"time"
)

// InvalidMessage is the only thing authentik tells a client about a
// rejected key; the reason stays in the error for logs and tests.
const InvalidMessage = "Unable to verify license"

// AudiencePrefix starts every licence audience; the installation id
// follows, so a key issued for one installation fails on any other.
const AudiencePrefix = "enterprise.goauthentik.io/license/"

// Audience is the audience a key for the given installation carries.
func Audience(installID string) string { return AudiencePrefix + installID }

// es512SignatureLen is r||s of a P-521 signature, 66 bytes each (RFC 7518).
const es512SignatureLen = 132

// Claims are the parts of a licence key authentik stores with the licence.
type Claims struct {
	Name          string
	Expiry        time.Time
	InternalUsers int64
	ExternalUsers int64
}

// Verifier checks licence keys.
type Verifier struct {
	// Root is the trust anchor; nil accepts any structurally valid key.
	Root *x509.Certificate
	// Audience is the audience the key must carry (see Audience); empty
	// when the installation has no id yet, which no key can match.
	Audience string
	Now      time.Time
}

// KeyError says why a key was rejected.
type KeyError struct{ Reason string }

func (e *KeyError) Error() string { return "licence key rejected: " + e.Reason }

func reject(format string, args ...any) error {
	return &KeyError{Reason: fmt.Sprintf(format, args...)}
}

type header struct {
	Alg string   `json:"alg"`
	X5C []string `json:"x5c"`
}

// Verify checks a key's structure, signature (as far as a trust anchor or
// the key's own certificate chain allows), audience and validity window,
// and returns its claims.
func (v Verifier) Verify(key string) (Claims, error) {
	parts := strings.Split(strings.TrimSpace(key), ".")
	if len(parts) != 3 {
		return Claims{}, reject("not a JWS compact serialisation")
	}
	var hdr header
	if err := decodeSegment(parts[0], &hdr); err != nil {
		return Claims{}, reject("header: %v", err)
	}
	// authentik decodes with algorithms=["ES512"] only.
	if hdr.Alg != "ES512" {
		return Claims{}, reject("algorithm %q is not ES512", hdr.Alg)
	}
	sig, err := decodeBase64URL(parts[2])
	if err != nil {
		return Claims{}, reject("signature: %v", err)
	}
	if len(sig) != es512SignatureLen {
		return Claims{}, reject("signature has %d bytes, ES512 needs %d", len(sig), es512SignatureLen)
	}
	signer, err := v.signer(hdr.X5C)
	if err != nil {
		return Claims{}, err
	}
	if signer != nil && !verifyES512(signer, parts[0]+"."+parts[1], sig) {
		return Claims{}, reject("signature does not verify")
	}
	var raw map[string]any
	if err := decodeSegment(parts[1], &raw); err != nil {
		return Claims{}, reject("claims: %v", err)
	}
	return v.claims(raw)
}

// signer returns the key the JWT must be signed with: the first x5c
// certificate once the chain checks out, or the trust anchor itself when
// the key carries no chain. nil means nothing can be checked (no anchor,
// no chain).
func (v Verifier) signer(x5c []string) (*ecdsa.PublicKey, error) {
	if len(x5c) == 0 {
		if v.Root == nil {
			return nil, nil
		}
		return es512Key(v.Root)
	}
	chain := make([]*x509.Certificate, 0, len(x5c))
	for i, enc := range x5c {
		c, err := parseChainCert(enc)
		if err != nil {
			return nil, reject("x5c[%d]: %v", i, err)
		}
		chain = append(chain, c)
	}
	for i := 0; i+1 < len(chain); i++ {
		if err := directlyIssued(chain[i], chain[i+1]); err != nil {
			return nil, reject("x5c[%d] is not issued by x5c[%d]: %v", i, i+1, err)
		}
	}
	if v.Root != nil {
		last := chain[len(chain)-1]
		if !last.Equal(v.Root) {
			if err := directlyIssued(last, v.Root); err != nil {
				return nil, reject("chain does not end at the licensing certificate: %v", err)
			}
		}
	}
	return es512Key(chain[0])
}

// directlyIssued mirrors cryptography's verify_directly_issued_by: names
// chain up and the parent's key signed the child. CA constraints are not
// authentik's check, so they are not ours either.
func directlyIssued(child, parent *x509.Certificate) error {
	if !bytes.Equal(child.RawIssuer, parent.RawSubject) {
		return errors.New("issuer name does not match the parent's subject")
	}
	return parent.CheckSignature(child.SignatureAlgorithm, child.RawTBSCertificate, child.Signature)
}

// parseChainCert reads one x5c entry: base64 DER (RFC 7515), or base64 PEM
// as early authentik licences carried.
func parseChainCert(enc string) (*x509.Certificate, error) {
	data, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, fmt.Errorf("not base64: %w", err)
	}
	if block, _ := pem.Decode(data); block != nil {
		data = block.Bytes
	}
	return x509.ParseCertificate(data)
}

func es512Key(c *x509.Certificate) (*ecdsa.PublicKey, error) {
	pub, ok := c.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P521() {
		return nil, reject("signing certificate %q has no P-521 key", c.Subject.String())
	}
	return pub, nil
}

func verifyES512(pub *ecdsa.PublicKey, signingInput string, sig []byte) bool {
	sum := sha512.Sum512([]byte(signingInput))
	half := es512SignatureLen / 2
	r := new(big.Int).SetBytes(sig[:half])
	s := new(big.Int).SetBytes(sig[half:])
	return ecdsa.Verify(pub, sum[:], r, s)
}

// claims applies PyJWT's registered-claim checks (aud, exp, nbf, iat
// without leeway) and reads authentik's licence claims.
func (v Verifier) claims(raw map[string]any) (Claims, error) {
	if v.Audience == "" {
		return Claims{}, reject("this installation has no install id yet")
	}
	if !hasAudience(raw["aud"], v.Audience) {
		return Claims{}, reject("audience %v does not include %q", raw["aud"], v.Audience)
	}
	now := v.Now.Unix()
	exp, ok := integer(raw["exp"])
	if !ok {
		return Claims{}, reject("exp is missing or not an integer")
	}
	if exp <= now {
		return Claims{}, reject("expired at %s", time.Unix(exp, 0).UTC().Format(time.RFC3339))
	}
	if nbf, set := raw["nbf"]; set {
		n, ok := integer(nbf)
		if !ok || n > now {
			return Claims{}, reject("not valid yet (nbf)")
		}
	}
	if iat, set := raw["iat"]; set {
		n, ok := integer(iat)
		if !ok || n > now {
			return Claims{}, reject("issued in the future (iat)")
		}
	}
	name, ok := raw["name"].(string)
	if !ok {
		return Claims{}, reject("name is missing or not a string")
	}
	c := Claims{Name: name, Expiry: time.Unix(exp, 0).UTC()}
	for field, dst := range map[string]*int64{"internal_users": &c.InternalUsers, "external_users": &c.ExternalUsers} {
		val, set := raw[field]
		if !set {
			continue
		}
		n, ok := integer(val)
		if !ok {
			return Claims{}, reject("%s is not an integer", field)
		}
		*dst = n
	}
	if flags, set := raw["flags"]; set {
		if _, ok := flags.([]any); !ok {
			return Claims{}, reject("flags is not a list")
		}
	}
	return c, nil
}

func hasAudience(aud any, want string) bool {
	switch a := aud.(type) {
	case string:
		return a == want
	case []any:
		for _, x := range a {
			if s, ok := x.(string); ok && s == want {
				return true
			}
		}
	}
	return false
}

// integer accepts a JSON number with no fractional part.
func integer(v any) (int64, bool) {
	f, ok := v.(float64)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

func decodeSegment(seg string, v any) error {
	data, err := decodeBase64URL(seg)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return nil
}

// decodeBase64URL tolerates padding, as PyJWT does.
func decodeBase64URL(s string) ([]byte, error) {
	data, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, fmt.Errorf("not base64url: %w", err)
	}
	return data, nil
}
