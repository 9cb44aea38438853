package app

import (
	"context"
	"fmt"

	"github.com/akgo/akgo/internal/auth"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// Bootstrap names, as authentik's own bootstrap blueprint uses them.
const (
	BootstrapUsername  = "akadmin"
	BootstrapGroup     = "authentik Admins"
	BootstrapName      = "authentik Default Admin"
	BootstrapTokenName = "authentik-bootstrap-token"
)

// Bootstrap creates the admin group, the akadmin user, its password and its
// API token when AUTHENTIK_BOOTSTRAP_PASSWORD or _TOKEN is set and no
// akadmin exists yet. All of it happens in one transaction.
func (a *App) Bootstrap(ctx context.Context) error {
	cfg := a.Config
	if cfg.BootstrapPassword == "" && cfg.BootstrapToken == "" {
		return nil
	}
	reg := a.Registry
	users, _ := reg.Endpoint("/core/users/")
	tokens, _ := reg.Endpoint("/core/tokens/")
	um, _ := reg.Model("authentik_core.user")
	tm, _ := reg.Model("authentik_core.token")
	return a.Store.Update(ctx, func(tx store.Tx) error {
		n, err := tx.Count(ctx, store.Query{Table: um.Table, Where: store.Eq(column(um, "username"), BootstrapUsername)})
		if err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		g, err := a.findOrCreateGroup(ctx, tx)
		if err != nil {
			return err
		}
		u, err := a.Engine.CreateTx(ctx, tx, users, engine.Object{
			"username": BootstrapUsername, "name": BootstrapName, "email": cfg.BootstrapEmail,
			"is_active": true, "groups": []any{g},
		})
		if err != nil {
			return fmt.Errorf("create %s: %w", BootstrapUsername, err)
		}
		pk := u["pk"]
		if cfg.BootstrapPassword != "" {
			hash, err := a.bootstrapPasswordHash()
			if err != nil {
				return err
			}
			if _, err := tx.UpdateWhere(ctx, um.Table, store.Eq(um.PKColumn, pk), store.Row{column(um, "password"): hash,
				column(um, "password_change_date"): store.NowUTC(a.Engine.Now())}); err != nil {
				return err
			}
		}
		if cfg.BootstrapToken != "" {
			t, err := a.Engine.CreateTx(ctx, tx, tokens, engine.Object{
				"identifier": BootstrapTokenName, "intent": "api", "user": pk, "expiring": false,
				"description": "Bootstrap token",
			})
			if err != nil {
				return fmt.Errorf("create bootstrap token: %w", err)
			}
			if _, err := tx.UpdateWhere(ctx, tm.Table, store.Eq(tm.PKColumn, t["pk"]), store.Row{column(tm, "key"): cfg.BootstrapToken}); err != nil {
				return err
			}
		}
		a.Log.Info("bootstrapped admin user", "username", BootstrapUsername)
		return nil
	})
}

// passwordHash is a bootstrap password hash being computed in the
// background.
type passwordHash struct {
	done chan struct{}
	hash string
	err  error
}

// startPasswordHash hashes the bootstrap password in the background, for
// a Bootstrap that is known to come (the database is new). Start-up calls
// it from the goroutine that later runs Bootstrap.
func (a *App) startPasswordHash() {
	if a.pwHash != nil || a.Config.BootstrapPassword == "" {
		return
	}
	h := &passwordHash{done: make(chan struct{})}
	a.pwHash = h
	go func(password string) {
		defer close(h.done)
		h.hash, h.err = auth.HashPassword(password)
	}(a.Config.BootstrapPassword)
}

// bootstrapPasswordHash is the hash started early, or a new one.
func (a *App) bootstrapPasswordHash() (string, error) {
	if a.pwHash == nil {
		return auth.HashPassword(a.Config.BootstrapPassword)
	}
	h := a.pwHash
	a.pwHash = nil // used once: a later Bootstrap salts a new hash
	<-h.done
	return h.hash, h.err
}

func (a *App) findOrCreateGroup(ctx context.Context, tx store.Tx) (any, error) {
	gm, _ := a.Registry.Model("authentik_core.group")
	rows, err := tx.Select(ctx, store.Query{Table: gm.Table, Where: store.Eq(column(gm, "name"), BootstrapGroup), Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(rows) > 0 {
		return rows[0][gm.PKColumn], nil
	}
	ep, _ := a.Registry.Endpoint("/core/groups/")
	g, err := a.Engine.CreateTx(ctx, tx, ep, engine.Object{"name": BootstrapGroup, "is_superuser": true})
	if err != nil {
		return nil, fmt.Errorf("create group %q: %w", BootstrapGroup, err)
	}
	return g["pk"], nil
}

// column returns the column of a stored field; the registry guarantees the
// fields used here, and the start-up tests catch a registry that lost one.
func column(m *registry.Model, field string) string {
	return m.MustColumn(field)
}
