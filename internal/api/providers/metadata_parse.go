package providers

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// errInvalidXML marks input that is not XML at all (authentik's "Invalid
// XML Syntax"), as opposed to XML that is not usable SP metadata.
var errInvalidXML = errors.New("Invalid XML Syntax")

// spDescriptor is what authentik takes from a service provider's metadata
// to configure a SAML provider.
type spDescriptor struct {
	EntityID    string
	ACSBinding  string // the provider's sp_binding: "post" or "redirect"
	ACSLocation string
	// AuthnRequestsSigned: the SP signs its requests, so its certificate
	// becomes the provider's verification certificate.
	AuthnRequestsSigned bool
	// WantAssertionsSigned: the provider should sign with a keypair.
	WantAssertionsSigned bool
	// SigningCertPEM is the SP's signing certificate ("" when absent).
	SigningCertPEM string
}

// parseSPMetadata reads the first SPSSODescriptor of an EntityDescriptor
// and, when the document is signed and carries a signing certificate,
// verifies the signature with that certificate.
func parseSPMetadata(data []byte) (spDescriptor, error) {
	var d spDescriptor
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(data); err != nil || doc.Root() == nil {
		return d, errInvalidXML
	}
	root := doc.Root()
	d.EntityID = root.SelectAttrValue("entityID", "")
	if d.EntityID == "" {
		return d, errors.New("no entityID attribute on the root element")
	}
	descriptors := children(root, nsMetadata, "SPSSODescriptor")
	if len(descriptors) == 0 {
		return d, errors.New("no SPSSODescriptor objects found.")
	}
	sp := descriptors[0]
	d.AuthnRequestsSigned = strings.EqualFold(sp.SelectAttrValue("AuthnRequestsSigned", ""), "true")
	d.WantAssertionsSigned = strings.EqualFold(sp.SelectAttrValue("WantAssertionsSigned", ""), "true")
	services := children(sp, nsMetadata, "AssertionConsumerService")
	if len(services) == 0 {
		return d, errors.New("No AssertionConsumerService found.")
	}
	acs := services[0]
	switch b := acs.SelectAttrValue("Binding", ""); b {
	case bindingPost:
		d.ACSBinding = "post"
	case bindingRedirect:
		d.ACSBinding = "redirect"
	default:
		return d, fmt.Errorf("unsupported AssertionConsumerService binding %q", b)
	}
	d.ACSLocation = acs.SelectAttrValue("Location", "")
	cert, err := signingCertificate(root)
	if err != nil {
		return d, err
	}
	if cert == nil {
		return d, nil
	}
	d.SigningCertPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}))
	if len(children(root, nsSignature, "Signature")) == 1 {
		// Like xmlsec with a key loaded from the certificate, only the
		// signature counts, not the certificate's validity period.
		vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
		vc.Clock = dsig.NewFakeClockAt(cert.NotBefore)
		if _, err := vc.Validate(root); err != nil {
			return d, fmt.Errorf("Failed to verify Metadata signature: %w", err)
		}
	}
	return d, nil
}

// signingCertificate returns the first signing certificate of any
// SPSSODescriptor (nil when there is none).
func signingCertificate(root *etree.Element) (*x509.Certificate, error) {
	for _, sp := range descendants(root, nsMetadata, "SPSSODescriptor") {
		for _, kd := range children(sp, nsMetadata, "KeyDescriptor") {
			if kd.SelectAttrValue("use", "") != "signing" {
				continue
			}
			for _, c := range descendants(kd, nsSignature, "X509Certificate") {
				der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(c.Text()), ""))
				if err != nil {
					return nil, fmt.Errorf("signing certificate is not base64: %w", err)
				}
				cert, err := x509.ParseCertificate(der)
				if err != nil {
					return nil, fmt.Errorf("invalid signing certificate: %w", err)
				}
				return cert, nil
			}
		}
	}
	return nil, nil
}

// children returns the direct child elements in namespace ns named tag.
func children(el *etree.Element, ns, tag string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == ns {
			out = append(out, c)
		}
	}
	return out
}

// descendants returns every element below el in namespace ns named tag,
// in document order.
func descendants(el *etree.Element, ns, tag string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == ns {
			out = append(out, c)
		}
		out = append(out, descendants(c, ns, tag)...)
	}
	return out
}
