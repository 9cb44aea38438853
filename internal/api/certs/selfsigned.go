package certs

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"sync"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/store"
)

// SelfSignedName is the pair authentik creates at start-up, the default
// signing key of new providers. authentik finds it by name: it carries no
// managed id.
const SelfSignedName = "authentik Self-signed Certificate"

// EnsureSelfSigned creates the "authentik Self-signed Certificate" pair
// unless a pair of that name exists, as authentik's crypto app does on
// every start: RSA, one year, a random "<id>.self-signed.goauthentik.io"
// SAN. It writes the row directly, so no audit event is recorded (authentik
// records none outside a request either). Replicas starting together
// create one pair: the loser of the race sees the unique name and stops.
func EnsureSelfSigned(ctx context.Context, e *engine.Engine) error {
	m, ok := e.Registry.Model(keypairModel)
	if !ok {
		return fmt.Errorf("registry: no model %s", keypairModel)
	}
	nameCol := column(m, "name")
	exists := func(tx store.Tx) (bool, error) {
		n, err := tx.Count(ctx, store.Query{Table: m.Table, Where: store.Eq(nameCol, SelfSignedName)})
		return n > 0, err
	}
	var found bool
	var err error
	if err := e.Store.View(ctx, func(tx store.Tx) error {
		var err error
		found, err = exists(tx)
		return err
	}); err != nil {
		return fmt.Errorf("look up %s: %w", SelfSignedName, err)
	}
	if found {
		return nil
	}
	// The RSA key takes a moment: build it outside the write transaction.
	// Key generation cannot be interrupted; a shutdown does not wait for it.
	type keyResult struct {
		key crypto.Signer
		err error
	}
	done := make(chan keyResult, 1)
	go func() {
		k, err := selfSignedKey()
		done <- keyResult{k, err}
	}()
	var key crypto.Signer
	select {
	case <-ctx.Done():
		return ctx.Err()
	case r := <-done:
		key, err = r.key, r.err
	}
	if err != nil {
		return fmt.Errorf("generate key for %s: %w", SelfSignedName, err)
	}
	pair, err := Build(Request{
		CommonName:   SelfSignedName,
		SANs:         []string{engine.RandomString(40, engine.Alphanumeric) + ".self-signed.goauthentik.io"},
		ValidityDays: 365,
		Alg:          AlgRSA,
		Key:          key,
	}, e.Now())
	if err != nil {
		return fmt.Errorf("build %s: %w", SelfSignedName, err)
	}
	err = e.Store.Update(ctx, func(tx store.Tx) error {
		if found, err := exists(tx); err != nil || found {
			return err
		}
		now := store.NowUTC(e.Now())
		row := store.Row{
			m.PKColumn: e.NewUUID(), nameCol: SelfSignedName,
			column(m, "certificate_data"): pair.Certificate, column(m, "key_data"): pair.PrivateKey,
		}
		for _, name := range []string{"created", "last_updated"} {
			if f, ok := m.Field(name); ok && f.Stored() {
				row[f.Column] = now
			}
		}
		_, err := tx.Insert(ctx, m.Table, row)
		return err
	})
	var ue *store.UniqueError
	if errors.As(err, &ue) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store %s: %w", SelfSignedName, err)
	}
	return nil
}

var (
	selfSignedOnce sync.Once
	selfSignedK    crypto.Signer
	selfSignedErr  error
)

// selfSignedKey generates the start-up certificate's RSA key once per
// process: a server only needs it when the pair is missing, and test
// binaries that start many servers then pay for one key, not one each.
func selfSignedKey() (crypto.Signer, error) {
	selfSignedOnce.Do(func() { selfSignedK, selfSignedErr = generateKey(AlgRSA) })
	return selfSignedK, selfSignedErr
}
