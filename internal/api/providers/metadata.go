package providers

import (
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"fmt"

	"github.com/beevik/etree"
)

// SAML bindings and NameID formats authentik advertises.
const (
	bindingPost     = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
	bindingRedirect = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"

	nameIDEmail      = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
	nameIDPersistent = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	nameIDX509       = "urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName"
	nameIDWindows    = "urn:oasis:names:tc:SAML:2.0:nameid-format:WindowsDomainQualifiedName"
	nameIDTransient  = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
)

// metadataRoot starts an md:EntityDescriptor declaring the prefixes
// authentik's documents declare.
func metadataRoot(entityID string) (*etree.Document, *etree.Element) {
	doc := etree.NewDocument()
	root := doc.CreateElement("md:EntityDescriptor")
	root.CreateAttr("xmlns:samlp", nsProtocol)
	root.CreateAttr("xmlns:saml", nsAssertion)
	root.CreateAttr("xmlns:ds", nsSignature)
	root.CreateAttr("xmlns:md", nsMetadata)
	root.CreateAttr("xmlns:xenc", nsEnc)
	root.CreateAttr("entityID", entityID)
	return doc, root
}

// keyDescriptor appends a KeyDescriptor carrying cert for use ("signing").
func keyDescriptor(parent *etree.Element, use string, cert *x509.Certificate) {
	kd := parent.CreateElement("md:KeyDescriptor")
	kd.CreateAttr("use", use)
	kd.CreateElement("ds:KeyInfo").CreateElement("ds:X509Data").CreateElement("ds:X509Certificate").
		SetText(base64.StdEncoding.EncodeToString(cert.Raw))
}

func service(parent *etree.Element, tag, binding, location string) {
	e := parent.CreateElement("md:" + tag)
	e.CreateAttr("Binding", binding)
	e.CreateAttr("Location", location)
}

func serialize(doc *etree.Document) (string, error) {
	s, err := doc.WriteToString()
	if err != nil {
		return "", fmt.Errorf("serialize metadata: %w", err)
	}
	return s, nil
}

// idpMetadata describes authentik as a SAML identity provider for one
// provider and its application.
type idpMetadata struct {
	ID, EntityID string
	// SSO and SLO endpoints by binding.
	SSO, SLO map[string]string
	// ForceBinding limits the services to one binding ("" for both).
	ForceBinding string
	// WantAuthnRequestsSigned is advertised when requests are verified.
	WantAuthnRequestsSigned bool
	// Cert is the signing certificate (nil: no KeyDescriptor); Key, when
	// set, signs the document with SignatureAlg / DigestAlg.
	Cert                    *x509.Certificate
	Key                     crypto.Signer
	SignatureAlg, DigestAlg string
}

// build renders the EntityDescriptor with its IDPSSODescriptor in the
// order the metadata schema requires: KeyDescriptor, SingleLogoutService,
// NameIDFormat, SingleSignOnService.
func (m idpMetadata) build() (string, error) {
	doc, root := metadataRoot(m.EntityID)
	root.CreateAttr("ID", m.ID)
	idp := root.CreateElement("md:IDPSSODescriptor")
	idp.CreateAttr("protocolSupportEnumeration", nsProtocol)
	if m.WantAuthnRequestsSigned {
		idp.CreateAttr("WantAuthnRequestsSigned", "true")
	}
	if m.Cert != nil {
		keyDescriptor(idp, "signing", m.Cert)
	}
	bindings := []string{bindingRedirect, bindingPost}
	for _, b := range bindings {
		if m.ForceBinding == "" || m.ForceBinding == b {
			service(idp, "SingleLogoutService", b, m.SLO[b])
		}
	}
	for _, f := range []string{nameIDEmail, nameIDPersistent, nameIDX509, nameIDTransient} {
		idp.CreateElement("md:NameIDFormat").SetText(f)
	}
	for _, b := range bindings {
		if m.ForceBinding == "" || m.ForceBinding == b {
			service(idp, "SingleSignOnService", b, m.SSO[b])
		}
	}
	if m.Key != nil && m.Cert != nil {
		if err := signEnveloped(root, m.Key, m.Cert, m.SignatureAlg, m.DigestAlg); err != nil {
			return "", err
		}
	}
	return serialize(doc)
}

// spMetadata describes a SAML source as a service provider.
type spMetadata struct {
	EntityID, ACSURL string
	// Cert is the signing certificate (nil: no KeyDescriptor).
	Cert *x509.Certificate
}

// build renders the EntityDescriptor with its SPSSODescriptor: signing
// key, NameID formats, and the POST assertion consumer service.
func (m spMetadata) build() (string, error) {
	doc, root := metadataRoot(m.EntityID)
	sp := root.CreateElement("md:SPSSODescriptor")
	sp.CreateAttr("protocolSupportEnumeration", nsProtocol)
	if m.Cert != nil {
		keyDescriptor(sp, "signing", m.Cert)
	}
	for _, f := range []string{nameIDEmail, nameIDPersistent, nameIDX509, nameIDWindows, nameIDTransient} {
		sp.CreateElement("md:NameIDFormat").SetText(f)
	}
	acs := sp.CreateElement("md:AssertionConsumerService")
	acs.CreateAttr("isDefault", "true")
	acs.CreateAttr("index", "0")
	acs.CreateAttr("Binding", bindingPost)
	acs.CreateAttr("Location", m.ACSURL)
	return serialize(doc)
}
