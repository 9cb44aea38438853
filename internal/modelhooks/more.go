package modelhooks

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/licensing"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

func (h *hooks) more() {
	// Tokens belong to the requesting user unless the body names one, as
	// authentik's TokenViewSet.perform_create does.
	h.beforeWrite("authentik_core.token", func(ctx context.Context, tx store.Tx, m *registry.Model, old, row store.Row, body engine.Object) error {
		c := col(m, "user")
		if old == nil && row[c] == nil {
			if a, ok := engine.ActorFrom(ctx); ok {
				row[c] = a.UserPK
			} else {
				return engine.Invalid("user", "This field is required.")
			}
		}
		return nil
	})
	// A role owns a Django auth group (named like the role) that carries
	// its permissions.
	groups := h.model("auth.group")
	h.beforeWrite("authentik_rbac.role", func(ctx context.Context, tx store.Tx, m *registry.Model, old, row store.Row, body engine.Object) error {
		name, given := row[col(m, "name")]
		if old == nil {
			id, err := tx.Insert(ctx, groups.Table, store.Row{col(groups, "name"): name})
			if err != nil {
				return err
			}
			row[col(m, "group")] = id
			return nil
		}
		if given {
			_, err := tx.UpdateWhere(ctx, groups.Table, store.Eq(groups.PKColumn, old[col(m, "group")]), store.Row{col(groups, "name"): name})
			return err
		}
		return nil
	})
	// Blueprint instances: last_applied is auto_now.
	h.beforeWrite("authentik_blueprints.blueprintinstance", func(ctx context.Context, tx store.Tx, m *registry.Model, old, row store.Row, body engine.Object) error {
		if c, ok := hasCol(m, "last_applied"); ok && old == nil && row[c] == nil {
			row[c] = store.NowUTC(h.e.Now())
		}
		return nil
	})
	// Licences: the key must verify for this installation (authentik's
	// LicenseSerializer.validate_key); name, expiry and user counts come
	// from its claims.
	h.beforeWrite("authentik_enterprise.license", func(ctx context.Context, tx store.Tx, m *registry.Model, old, row store.Row, body engine.Object) error {
		key, given := row[col(m, "key")]
		if !given {
			return nil
		}
		v, err := licensing.VerifierFor(ctx, tx, h.e.Now)
		if err != nil {
			return fmt.Errorf("licence verifier: %w", err)
		}
		claims, err := v.Verify(str(key))
		if err != nil {
			return engine.Invalid("key", licensing.InvalidMessage)
		}
		set := func(field string, v any) {
			if c, ok := hasCol(m, field); ok {
				row[c] = v
			}
		}
		set("name", claims.Name)
		set("expiry", claims.Expiry)
		set("internal_users", claims.InternalUsers)
		set("external_users", claims.ExternalUsers)
		return nil
	})
	// Mobile devices report their last check-in inside `state`.
	h.compute("authentik_stages_authenticator_mobile.mobiledevice.last_checkin", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		info := map[string]any{"platform": "other", "os_version": "", "model": "", "hostname": "", "app_version": "", "others": map[string]any{}}
		var state map[string]any
		if raw, ok := row[col(m, "state")].(json.RawMessage); ok {
			_ = json.Unmarshal(raw, &state)
		}
		for k := range info {
			if v, ok := state[k]; ok {
				info[k] = v
			}
		}
		return info, nil
	})
}
