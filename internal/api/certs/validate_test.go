package certs

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

func ecdsaPair(t *testing.T, name string) Pair {
	t.Helper()
	p, err := Build(Request{CommonName: name, ValidityDays: 1, Alg: AlgECDSA}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func pkcs8(t *testing.T, keyPEM string) string {
	t.Helper()
	k, err := ParsePrivateKey(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func TestParsePrivateKey(t *testing.T) {
	p := ecdsaPair(t, "parse")
	indented := strings.ReplaceAll(p.PrivateKey, "\n", "\n    ")
	cases := []struct {
		name string
		data string
		ok   bool
	}{
		{"SEC 1", p.PrivateKey, true},
		{"PKCS #8", pkcs8(t, p.PrivateKey), true},
		{"indented lines", "  " + indented, true},
		{"certificate before the key", p.Certificate + p.PrivateKey, true},
		{"certificate only", p.Certificate, false},
		{"garbage", "not a key", false},
		{"encrypted PKCS #8", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n", false},
		{"legacy encrypted PEM", "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END EC PRIVATE KEY-----\n", false},
		{"corrupt body", "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePrivateKey(tc.data)
			if (err == nil) != tc.ok {
				t.Fatalf("ParsePrivateKey error %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func keypairRegistryModel(t *testing.T) *registry.Model {
	t.Helper()
	m, ok := registry.Default().Model(keypairModel)
	if !ok {
		t.Fatal("no keypair model")
	}
	return m
}

func TestCheckKeypair(t *testing.T) {
	m := keypairRegistryModel(t)
	a, b := ecdsaPair(t, "a"), ecdsaPair(t, "b")
	otherKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalECPrivateKey(otherKey)
	p384 := string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))
	cert, key := column(m, "certificate_data"), column(m, "key_data")
	stored := store.Row{cert: a.Certificate, key: a.PrivateKey}
	cases := []struct {
		name    string
		old     store.Row
		row     store.Row
		wantErr map[string]string // field → message
	}{
		{"create with matching key", nil, store.Row{cert: a.Certificate, key: a.PrivateKey}, nil},
		{"create without key", nil, store.Row{cert: a.Certificate, key: ""}, nil},
		{"create with bad certificate", nil, store.Row{cert: "nope", key: ""}, map[string]string{"certificate_data": msgBadCertificate}},
		{"create with bad key", nil, store.Row{cert: a.Certificate, key: "nope"}, map[string]string{"key_data": msgBadKey}},
		{"create with both bad", nil, store.Row{cert: "x", key: "y"}, map[string]string{"certificate_data": msgBadCertificate, "key_data": msgBadKey}},
		{"create with another pair's key", nil, store.Row{cert: a.Certificate, key: b.PrivateKey}, map[string]string{"key_data": msgKeyMismatch}},
		{"create with a key of another curve", nil, store.Row{cert: a.Certificate, key: p384}, map[string]string{"key_data": msgKeyMismatch}},
		{"rename only", stored, store.Row{column(m, "name"): "renamed"}, nil},
		{"replace the key with a foreign one", stored, store.Row{key: b.PrivateKey}, map[string]string{"key_data": msgKeyMismatch}},
		{"replace the certificate with a foreign one", stored, store.Row{cert: b.Certificate}, map[string]string{"key_data": msgKeyMismatch}},
		{"replace both consistently", stored, store.Row{cert: b.Certificate, key: b.PrivateKey}, nil},
		{"drop the key", stored, store.Row{key: ""}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := checkKeypair(context.Background(), nil, m, tc.old, tc.row, nil)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			v, ok := engine.AsValidation(err)
			if !ok {
				t.Fatalf("error %v, want a validation error", err)
			}
			if len(v.Fields) != len(tc.wantErr) {
				t.Errorf("fields %v, want %v", v.Fields, tc.wantErr)
			}
			for f, msg := range tc.wantErr {
				if got := v.Fields[f]; len(got) != 1 || got[0] != msg {
					t.Errorf("%s: %v, want %q", f, got, msg)
				}
			}
		})
	}
}
