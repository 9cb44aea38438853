package modelhooks

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/akgo/akgo/internal/engine"
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
	// Licences: name, expiry and user counts come from the key's claims.
	h.beforeWrite("authentik_enterprise.license", func(ctx context.Context, tx store.Tx, m *registry.Model, old, row store.Row, body engine.Object) error {
		key, given := row[col(m, "key")]
		if !given {
			return nil
		}
		claims, ok := LicenseClaims(str(key))
		if !ok {
			return engine.Invalid("key", "Unable to verify license")
		}
		set := func(field string, v any) {
			if c, ok := hasCol(m, field); ok {
				row[c] = v
			}
		}
		set("name", claims.Name)
		set("expiry", time.Unix(claims.Exp, 0).UTC())
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

// License is the claim set of an authentik enterprise licence key (a JWT).
type License struct {
	Name          string `json:"name"`
	Exp           int64  `json:"exp"`
	InternalUsers int64  `json:"internal_users"`
	ExternalUsers int64  `json:"external_users"`
}

// LicenseClaims decodes the claims of a licence key. Signature checking is
// the licence action's job (it needs authentik's licence certificate).
func LicenseClaims(key string) (License, bool) {
	parts := strings.Split(strings.TrimSpace(key), ".")
	if len(parts) != 3 {
		return License{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return License{}, false
	}
	var l License
	if err := json.Unmarshal(payload, &l); err != nil || l.Exp == 0 {
		return License{}, false
	}
	return l, true
}
