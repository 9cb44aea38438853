package stagesapi

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strconv"
	"strings"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/store"
)

// deviceKinds are the authenticator device models in authentik's app
// order, each with its class name: a device's type is Django's model label
// ("<app_label>.<ClassName>").
var deviceKinds = []struct{ model, class string }{
	{"authentik_stages_authenticator_duo.duodevice", "DuoDevice"},
	{"authentik_stages_authenticator_mobile.mobiledevice", "MobileDevice"},
	{"authentik_stages_authenticator_sms.smsdevice", "SMSDevice"},
	{"authentik_stages_authenticator_static.staticdevice", "StaticDevice"},
	{"authentik_stages_authenticator_totp.totpdevice", "TOTPDevice"},
	{"authentik_stages_authenticator_webauthn.webauthndevice", "WebAuthnDevice"},
}

// ownDevices lists the caller's confirmed devices of every kind.
func (h *handler) ownDevices(w http.ResponseWriter, r *http.Request) error {
	p, err := api.Caller(r)
	if err != nil {
		return err
	}
	confirmed := true
	return h.writeDevices(w, r.Context(), &p.UserPK, &confirmed)
}

// adminDevices lists every device, or one user's with ?user=, confirmed
// or not.
func (h *handler) adminDevices(w http.ResponseWriter, r *http.Request) error {
	var user *int64
	if raw, ok := r.URL.Query()["user"]; ok {
		pk, err := strconv.ParseInt(strings.TrimSpace(raw[0]), 10, 64)
		if err != nil {
			return engine.Invalid("user", "A valid integer is required.")
		}
		user = &pk
	}
	return h.writeDevices(w, r.Context(), user, nil)
}

func (h *handler) writeDevices(w http.ResponseWriter, ctx context.Context, user *int64, confirmed *bool) error {
	out := []any{}
	err := h.e.Store.View(ctx, func(tx store.Tx) error {
		for _, kind := range deviceKinds {
			m := h.e.Registry.MustModel(kind.model)
			var conds []store.Cond
			if user != nil {
				conds = append(conds, store.Eq(m.MustColumn("user"), *user))
			}
			if confirmed != nil {
				conds = append(conds, store.Eq(m.MustColumn("confirmed"), *confirmed))
			}
			q := store.Query{Table: m.Table, OrderBy: []store.Order{{Column: m.PKColumn}}}
			if len(conds) > 0 {
				q.Where = store.And(conds...)
			}
			rows, err := tx.Select(ctx, q)
			if err != nil {
				return fmt.Errorf("list %s: %w", m.Name, err)
			}
			for _, row := range rows {
				c, _ := row[m.MustColumn("confirmed")].(bool)
				out = append(out, map[string]any{
					"verbose_name":        m.VerboseName,
					"verbose_name_plural": m.VerboseNamePlural,
					"meta_model_name":     m.Name,
					"pk":                  devicePK(row[m.PKColumn]),
					"name":                row[m.MustColumn("name")],
					"type":                m.App() + "." + kind.class,
					"confirmed":           c,
				})
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, out)
	return nil
}

// devicePK is a device's pk as the Device serializer's integer field
// renders it. Mobile devices have uuid keys, which Python turns into their
// 128-bit integer value; json.Number keeps every digit.
func devicePK(v any) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	n, ok := new(big.Int).SetString(strings.ReplaceAll(s, "-", ""), 16)
	if !ok {
		return v
	}
	return json.Number(n.String())
}
