package stagesapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/policies"
	"github.com/akgo/akgo/internal/store"
)

// configurableStages are the stage kinds users configure for themselves,
// in authentik's order (sorted by class name). Authenticator stages always
// offer a settings entry; a password stage only with a configure flow.
var configurableStages = []struct {
	model, component string
	needsFlow        bool
}{
	{"authentik_stages_authenticator_webauthn.authenticatewebauthnstage", "ak-user-settings-authenticator-webauthn", false},
	{"authentik_stages_authenticator_duo.authenticatorduostage", "ak-user-settings-authenticator-duo", false},
	{"authentik_stages_authenticator_mobile.authenticatormobilestage", "ak-user-settings-authenticator-mobile", false},
	{"authentik_stages_authenticator_sms.authenticatorsmsstage", "ak-user-settings-authenticator-sms", false},
	{"authentik_stages_authenticator_static.authenticatorstaticstage", "ak-user-settings-authenticator-static", false},
	{"authentik_stages_authenticator_totp.authenticatortotpstage", "ak-user-settings-authenticator-totp", false},
	{"authentik_stages_password.passwordstage", "ak-user-settings-password", true},
}

// stageSettings lists the settings entries of every configurable stage.
func (h *handler) stageSettings(w http.ResponseWriter, r *http.Request) error {
	if _, err := api.Caller(r); err != nil {
		return err
	}
	ctx := r.Context()
	out := []any{}
	err := h.e.Store.View(ctx, func(tx store.Tx) error {
		for _, kind := range configurableStages {
			m := h.e.Registry.MustModel(kind.model)
			rows, err := tx.Select(ctx, store.Query{Table: m.Table, OrderBy: []store.Order{{Column: m.MustColumn("name")}}})
			if err != nil {
				return fmt.Errorf("list %s: %w", m.Name, err)
			}
			for _, row := range rows {
				flow := row[m.MustColumn("configure_flow")]
				if kind.needsFlow && flow == nil {
					continue
				}
				title := m.VerboseName
				if f, ok := m.Field("friendly_name"); ok && !kind.needsFlow {
					if s, _ := row[f.Column].(string); s != "" {
						title = s
					}
				}
				pk := engine.PKText(row[m.PKColumn])
				entry := map[string]any{"object_uid": pk, "component": kind.component, "title": title}
				if flow != nil {
					entry["configure_url"] = "/flows/-/configure/" + pk + "/"
				}
				out = append(out, entry)
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

// sourceSettings lists the connection settings of the enabled sources
// whose policies let the caller in, by name. LDAP sources have none.
func (h *handler) sourceSettings(w http.ResponseWriter, r *http.Request) error {
	p, err := api.Caller(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	sm := h.e.Registry.MustModel("authentik_core.source")
	type candidate struct {
		pbm   string
		entry map[string]any
	}
	var candidates []candidate
	err = h.e.Store.View(ctx, func(tx store.Tx) error {
		rows, err := tx.Select(ctx, store.Query{Table: sm.Table, Where: store.Eq(sm.MustColumn("enabled"), true),
			OrderBy: []store.Order{{Column: sm.MustColumn("name")}, {Column: sm.PKColumn}}})
		if err != nil {
			return fmt.Errorf("list sources: %w", err)
		}
		// The projection resolves each source's icon URL as the API shows it.
		objs, err := h.e.Project(ctx, tx, sm, "Source", rows)
		if err != nil {
			return err
		}
		for i, row := range rows {
			kind, _ := row[engine.ModelColumn].(string)
			entry, err := h.sourceEntry(ctx, tx, kind, row[sm.PKColumn], objs[i])
			if err != nil {
				return err
			}
			if entry != nil {
				candidates = append(candidates, candidate{engine.PKText(row[sm.PKColumn]), entry})
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	user, err := h.policies.Directory.User(ctx, p.UserPK)
	if err != nil {
		return fmt.Errorf("load caller: %w", err)
	}
	out := []any{}
	for _, c := range candidates {
		res, err := h.policies.Evaluate(ctx, c.pbm, &policies.Request{User: user, HTTP: httpRequest(r, user), SessionKey: p.SessionKey, Context: map[string]any{}})
		if err != nil {
			return err
		}
		if res.Passing {
			out = append(out, c.entry)
		}
	}
	api.WriteJSON(w, http.StatusOK, out)
	return nil
}

// sourceEntry is the UserSetting of one source, or nil for kinds users
// do not connect to themselves.
func (h *handler) sourceEntry(ctx context.Context, tx store.Tx, kind string, pk any, obj engine.Object) (map[string]any, error) {
	slug, _ := obj["slug"].(string)
	entry := map[string]any{"object_uid": slug, "title": obj["name"]}
	icon, _ := obj["icon"].(string)
	switch kind {
	case "authentik_sources_oauth.oauthsource":
		entry["component"] = "ak-user-settings-source-oauth"
		entry["configure_url"] = "/source/oauth/login/" + slug + "/"
		if icon == "" {
			m := h.e.Registry.MustModel(kind)
			row, err := h.concrete(ctx, tx, kind, pk)
			if err != nil {
				return nil, err
			}
			icon = "/static/authentik/sources/" + fmt.Sprint(row[m.MustColumn("provider_type")]) + ".svg"
		}
	case "authentik_sources_plex.plexsource":
		m := h.e.Registry.MustModel(kind)
		row, err := h.concrete(ctx, tx, kind, pk)
		if err != nil {
			return nil, err
		}
		entry["component"] = "ak-user-settings-source-plex"
		entry["configure_url"] = row[m.MustColumn("client_id")]
		if icon == "" {
			icon = "/static/authentik/sources/plex.svg"
		}
	case "authentik_sources_saml.samlsource":
		entry["component"] = "ak-user-settings-source-saml"
		entry["configure_url"] = "/source/saml/" + slug + "/"
	default:
		return nil, nil
	}
	// A source without an icon has none to show; the field is optional.
	if icon != "" {
		entry["icon_url"] = icon
	}
	return entry, nil
}

// concrete loads a source's row of its own kind.
func (h *handler) concrete(ctx context.Context, tx store.Tx, kind string, pk any) (store.Row, error) {
	m := h.e.Registry.MustModel(kind)
	rows, err := tx.Select(ctx, store.Query{Table: m.Table, Where: store.Eq(m.PKColumn, pk), Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("load %s %v: %w", kind, pk, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s %v has no row of its kind", kind, pk)
	}
	return rows[0], nil
}

// jsonObject decodes a JSON column into a map (nil for anything else).
func jsonObject(v any) map[string]any {
	var out map[string]any
	switch raw := v.(type) {
	case json.RawMessage:
		_ = json.Unmarshal(raw, &out)
	case []byte:
		_ = json.Unmarshal(raw, &out)
	case string:
		_ = json.Unmarshal([]byte(raw), &out)
	case map[string]any:
		out = raw
	}
	return out
}
