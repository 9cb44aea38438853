package certs

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/modelhooks"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// authentik's messages for PEM data it cannot load.
const (
	msgBadCertificate = "Unable to load certificate."
	msgBadKey         = "Unable to load private key (possibly encrypted?)."
	// authentik does not compare the key with the certificate; akserver
	// does, so a pair that cannot work is refused when it is saved.
	msgKeyMismatch = "Private key does not match the certificate's public key."
)

// keypairModel is the registry name of certificate-key pairs.
const keypairModel = "authentik_crypto.certificatekeypair"

// ParsePrivateKey loads an unencrypted PEM private key (PKCS#1, SEC 1 or
// PKCS#8) the way authentik does: surrounding whitespace of every line is
// ignored, and blocks of other types before the key are skipped.
func ParsePrivateKey(data string) (crypto.Signer, error) {
	lines := strings.Split(data, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	rest := []byte(strings.Join(lines, "\n"))
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("no PEM private key found")
		}
		if strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") {
			return nil, errors.New("the private key is encrypted")
		}
		var key any
		var err error
		switch block.Type {
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "ENCRYPTED PRIVATE KEY":
			return nil, errors.New("the private key is encrypted")
		default:
			continue
		}
		if err != nil {
			return nil, err
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, errors.New("unsupported private key type")
		}
		return signer, nil
	}
}

// KeyMatches reports whether key is the private half of cert's public key.
func KeyMatches(cert *x509.Certificate, key crypto.Signer) bool {
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	return ok && pub.Equal(cert.PublicKey)
}

// checkKeypair is the BeforeWrite hook of certificate-key pairs: the
// certificate and key that are being written must load, and together with
// the stored half that is not being written they must form a pair.
func checkKeypair(ctx context.Context, tx store.Tx, m *registry.Model, old, row store.Row, body engine.Object) error {
	certCol, keyCol := column(m, "certificate_data"), column(m, "key_data")
	certVal, certGiven := row[certCol]
	keyVal, keyGiven := row[keyCol]
	if !certGiven && !keyGiven {
		return nil
	}
	if !certGiven {
		certVal = old[certCol]
	}
	if !keyGiven {
		keyVal = old[keyCol]
	}
	certPEM, _ := certVal.(string)
	keyPEM, _ := keyVal.(string)
	verr := &engine.ValidationError{}
	cert, certOK := modelhooks.ParseCertificate(certPEM)
	if certGiven && !certOK {
		verr.Add("certificate_data", msgBadCertificate)
	}
	var key crypto.Signer
	if keyPEM != "" {
		var err error
		key, err = ParsePrivateKey(keyPEM)
		if err != nil && keyGiven {
			verr.Add("key_data", msgBadKey)
		}
	}
	if !verr.Empty() {
		return verr
	}
	if certOK && key != nil && !KeyMatches(cert, key) {
		return engine.Invalid("key_data", msgKeyMismatch)
	}
	return nil
}

// column returns the column of a stored field; the registry is generated
// from the schema, so a missing one is a programming error.
func column(m *registry.Model, field string) string {
	return m.MustColumn(field)
}
