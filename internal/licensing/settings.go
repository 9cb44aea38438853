package licensing

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/akgo/akgo/internal/store"
)

// The akgo_settings rows this package keeps.
const (
	settingsTable = "akgo_settings"
	// InstallIDSetting holds the installation id, generated once.
	InstallIDSetting = "install_id"
	// CertificateSetting holds the PEM of the licensing certificate that
	// licence keys must chain up to.
	CertificateSetting = "license_certificate"
)

func setting(ctx context.Context, tx store.Tx, key string) (string, bool, error) {
	rows, err := tx.Select(ctx, store.Query{Table: settingsTable, Where: store.Eq("key", key), Limit: 1})
	if err != nil {
		return "", false, fmt.Errorf("read setting %s: %w", key, err)
	}
	if len(rows) == 0 {
		return "", false, nil
	}
	v, _ := rows[0]["value"].(string)
	return v, true, nil
}

// InstallID returns the installation id, storing newID() the first time.
// authentik creates its id once in a migration and never changes it:
// licences are issued for it.
func InstallID(ctx context.Context, tx store.Tx, newID func() string) (string, error) {
	id, ok, err := setting(ctx, tx, InstallIDSetting)
	if err != nil || ok {
		return id, err
	}
	id = newID()
	if _, err := tx.Insert(ctx, settingsTable, store.Row{"key": InstallIDSetting, "value": id}); err != nil {
		return "", fmt.Errorf("store install id: %w", err)
	}
	return id, nil
}

// EnsureInstallID is InstallID in its own transaction. Two first callers
// may race on PostgreSQL; the loser re-reads the winner's id.
func EnsureInstallID(ctx context.Context, st store.Store, newID func() string) (string, error) {
	var id string
	err := st.Update(ctx, func(tx store.Tx) error {
		var err error
		id, err = InstallID(ctx, tx, newID)
		return err
	})
	if err == nil {
		return id, nil
	}
	var ue *store.UniqueError
	if !errors.As(err, &ue) {
		return "", err
	}
	err = st.View(ctx, func(tx store.Tx) error {
		var ok bool
		var err error
		id, ok, err = setting(ctx, tx, InstallIDSetting)
		if err == nil && !ok {
			err = errors.New("install id vanished after a concurrent insert")
		}
		return err
	})
	return id, err
}

// RootCertificate returns the stored licensing certificate, or nil when
// none is configured. A stored value that is not a PEM certificate is a
// configuration error, not a reason to accept every key.
func RootCertificate(ctx context.Context, tx store.Tx) (*x509.Certificate, error) {
	v, ok, err := setting(ctx, tx, CertificateSetting)
	if err != nil || !ok || v == "" {
		return nil, err
	}
	block, _ := pem.Decode([]byte(v))
	if block == nil {
		return nil, fmt.Errorf("setting %s is not PEM", CertificateSetting)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("setting %s: %w", CertificateSetting, err)
	}
	return c, nil
}

// VerifierFor builds the verifier for this installation: its audience and
// its trust anchor. It only reads: before anyone has asked for the install
// id no key can name it, so there is nothing to create here (and a licence
// write never races the id's first insert).
func VerifierFor(ctx context.Context, tx store.Tx, now func() time.Time) (Verifier, error) {
	id, _, err := setting(ctx, tx, InstallIDSetting)
	if err != nil {
		return Verifier{}, err
	}
	root, err := RootCertificate(ctx, tx)
	if err != nil {
		return Verifier{}, err
	}
	v := Verifier{Root: root, Now: now()}
	if id != "" {
		v.Audience = Audience(id)
	}
	return v, nil
}
