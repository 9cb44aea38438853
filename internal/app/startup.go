package app

import (
	"context"
	"fmt"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/outposts"
	"github.com/akgo/akgo/internal/store"
)

// Start-up objects authentik creates in code rather than through blueprints.
const (
	AnonymousUsername    = "AnonymousUser"
	BuiltInSourceName    = "authentik Built-in"
	BuiltInSourceSlug    = "authentik-built-in"
	BuiltInSourceManaged = "goauthentik.io/sources/inbuilt"
)

// ensureStartupObjects creates, when missing, the anonymous user (hidden
// from the API), the built-in source and the embedded outpost.
func (a *App) ensureStartupObjects(ctx context.Context) error {
	reg := a.Registry
	um, _ := reg.Model("authentik_core.user")
	src, _ := reg.Model("authentik_core.source")
	op, _ := reg.Model("authentik_outposts.outpost")
	a.Engine.Hooks.HiddenRows[um.Name] = store.Eq(column(um, "username"), AnonymousUsername)
	return a.Store.Update(ctx, func(tx store.Tx) error {
		ensure := func(what string, table string, where store.Cond, create func() error) error {
			n, err := tx.Count(ctx, store.Query{Table: table, Where: where})
			if err != nil || n > 0 {
				return err
			}
			if err := create(); err != nil {
				return fmt.Errorf("create %s: %w", what, err)
			}
			return nil
		}
		if err := ensure("anonymous user", um.Table, store.Eq(column(um, "username"), AnonymousUsername), func() error {
			_, err := a.Engine.InsertTx(ctx, tx, um, engine.Object{"username": AnonymousUsername, "name": "", "is_active": true})
			return err
		}); err != nil {
			return err
		}
		if err := ensure("built-in source", src.Table, store.Eq(column(src, "managed"), BuiltInSourceManaged), func() error {
			_, err := a.Engine.InsertTx(ctx, tx, src, engine.Object{"name": BuiltInSourceName, "slug": BuiltInSourceSlug, "managed": BuiltInSourceManaged})
			return err
		}); err != nil {
			return err
		}
		return ensure("embedded outpost", op.Table, store.Eq(column(op, "managed"), outposts.EmbeddedManaged), func() error {
			_, err := a.Engine.InsertTx(ctx, tx, op, engine.Object{"name": outposts.EmbeddedName, "type": "proxy",
				"managed": outposts.EmbeddedManaged, "config": outposts.DefaultConfig("")})
			return err
		})
	})
}
