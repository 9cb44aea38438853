package apitest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"sync"
	"time"
)

// TestCertificate returns a self-signed ECDSA certificate and its private
// key as PEM, the valid certificate_data / key_data of a certificate-key
// pair. One pair serves the whole test binary; P-256 keeps it quick.
func TestCertificate() (certPEM, keyPEM string) {
	testCertOnce.Do(func() {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(fmt.Sprintf("apitest: certificate key: %v", err))
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "akgo test"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(10 * 365 * 24 * time.Hour)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
		if err != nil {
			panic(fmt.Sprintf("apitest: certificate: %v", err))
		}
		kder, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			panic(fmt.Sprintf("apitest: certificate key: %v", err))
		}
		testCertPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
		testKeyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}))
	})
	return testCertPEM, testKeyPEM
}

var (
	testCertOnce            sync.Once
	testCertPEM, testKeyPEM string
)
