package providers

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha1" // registers SHA-1 for rsa-sha1 / sha1 digests
	_ "crypto/sha256"
	_ "crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// XML namespaces and algorithm identifiers of SAML metadata and XML-DSig.
const (
	nsMetadata  = "urn:oasis:names:tc:SAML:2.0:metadata"
	nsSignature = "http://www.w3.org/2000/09/xmldsig#"
	nsProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsEnc       = "http://www.w3.org/2001/04/xmlenc#"

	algExcC14N      = "http://www.w3.org/2001/10/xml-exc-c14n#"
	algEnveloped    = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
	algRSASHA1      = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
	algRSASHA256    = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	algRSASHA384    = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
	algRSASHA512    = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
	algDigestSHA1   = "http://www.w3.org/2000/09/xmldsig#sha1"
	algDigestSHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
	algDigestSHA384 = "http://www.w3.org/2001/04/xmldsig-more#sha384"
	algDigestSHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
)

var (
	rsaSignatureHashes = map[string]crypto.Hash{
		algRSASHA1: crypto.SHA1, algRSASHA256: crypto.SHA256, algRSASHA384: crypto.SHA384, algRSASHA512: crypto.SHA512,
	}
	digestHashes = map[string]crypto.Hash{
		algDigestSHA1: crypto.SHA1, algDigestSHA256: crypto.SHA256, algDigestSHA384: crypto.SHA384, algDigestSHA512: crypto.SHA512,
	}
)

// errCannotSign says a key/algorithm pair cannot produce an XML signature
// here (authentik 2023.10 offers RSA and DSA algorithms only; DSA and
// non-RSA keys are not signed).
var errCannotSign = errors.New("cannot sign")

// signEnveloped signs el with an enveloped XML signature as xmlsec does for
// authentik's metadata: exclusive canonicalization, a reference to el's ID
// attribute, the signing certificate in KeyInfo, and the Signature as el's
// first child (where the SAML metadata schema wants it). The digest and
// signature hashes are chosen independently, as the provider configures.
func signEnveloped(el *etree.Element, key crypto.Signer, cert *x509.Certificate, signatureAlg, digestAlg string) error {
	sigHash, ok := rsaSignatureHashes[signatureAlg]
	if !ok {
		return fmt.Errorf("%w: signature algorithm %q is not supported", errCannotSign, signatureAlg)
	}
	if _, isRSA := key.Public().(*rsa.PublicKey); !isRSA {
		return fmt.Errorf("%w: %s needs an RSA key", errCannotSign, signatureAlg)
	}
	digestHash, ok := digestHashes[digestAlg]
	if !ok {
		return fmt.Errorf("%w: digest algorithm %q is not supported", errCannotSign, digestAlg)
	}
	id := el.SelectAttrValue("ID", "")
	if id == "" {
		return errors.New("sign metadata: element has no ID")
	}
	canon := dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	// The canonicalizer rewrites its input, so it works on copies.
	doc, err := canon.Canonicalize(el.Copy())
	if err != nil {
		return fmt.Errorf("canonicalize metadata: %w", err)
	}
	dh := digestHash.New()
	dh.Write(doc)

	signedInfo := etree.NewElement("ds:SignedInfo")
	signedInfo.CreateElement("ds:CanonicalizationMethod").CreateAttr("Algorithm", algExcC14N)
	signedInfo.CreateElement("ds:SignatureMethod").CreateAttr("Algorithm", signatureAlg)
	ref := signedInfo.CreateElement("ds:Reference")
	ref.CreateAttr("URI", "#"+id)
	transforms := ref.CreateElement("ds:Transforms")
	transforms.CreateElement("ds:Transform").CreateAttr("Algorithm", algEnveloped)
	transforms.CreateElement("ds:Transform").CreateAttr("Algorithm", algExcC14N)
	ref.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", digestAlg)
	ref.CreateElement("ds:DigestValue").SetText(base64.StdEncoding.EncodeToString(dh.Sum(nil)))

	// In the document the ds prefix is declared on the root; canonicalized
	// on its own, SignedInfo carries the declaration itself, which is what a
	// verifier computes too.
	detached := signedInfo.Copy()
	detached.CreateAttr("xmlns:ds", nsSignature)
	canonicalInfo, err := canon.Canonicalize(detached)
	if err != nil {
		return fmt.Errorf("canonicalize SignedInfo: %w", err)
	}
	sh := sigHash.New()
	sh.Write(canonicalInfo)
	value, err := key.Sign(rand.Reader, sh.Sum(nil), sigHash)
	if err != nil {
		return fmt.Errorf("sign metadata: %w", err)
	}
	sig := etree.NewElement("ds:Signature")
	sig.AddChild(signedInfo)
	sig.CreateElement("ds:SignatureValue").SetText(base64.StdEncoding.EncodeToString(value))
	sig.CreateElement("ds:KeyInfo").CreateElement("ds:X509Data").CreateElement("ds:X509Certificate").
		SetText(base64.StdEncoding.EncodeToString(cert.Raw))
	el.InsertChildAt(0, sig)
	return nil
}

// parsePrivateKey decodes the first PEM private key of data (PKCS#1,
// SEC 1 or PKCS#8).
func parsePrivateKey(data string) (crypto.Signer, error) {
	block, _ := pem.Decode([]byte(data))
	if block == nil {
		return nil, errors.New("no PEM private key")
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
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	}
	return nil, fmt.Errorf("unsupported private key type %T", key)
}
