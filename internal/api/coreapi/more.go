package coreapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/events"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// metrics answers a user's logins, failed logins and authorizations per
// hour over the last day, counted from events.
func (h *handler) metrics(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := chi.URLParam(r, "id")
	if err := api.Require(ctx, "authentik_core.view_user", id); err != nil {
		return err
	}
	out := map[string]any{}
	err := h.e.Store.View(ctx, func(tx store.Tx) error {
		u, err := h.userRow(ctx, tx, id)
		if err != nil {
			return err
		}
		for key, action := range map[string]string{"logins": events.Login, "logins_failed": events.LoginFailed, "authorizations": "authorize_application"} {
			field := []string{"user", "pk"}
			value := fmt.Sprint(u["id"])
			if action == events.LoginFailed {
				// Failed logins name the attempted username in the context.
				field, value = []string{"context", "username"}, fmt.Sprint(u["username"])
			}
			coords, err := HourlyCounts(ctx, tx, h.e, action, store.JSONPathCond{Column: field[0], Path: field[1:], Value: value})
			if err != nil {
				return err
			}
			out[key] = coords
		}
		return nil
	})
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, out)
	return nil
}

// HourlyCounts counts events of an action per hour over the last 24 hours
// as Coordinate objects (x_cord: hour start in ms, y_cord: count).
func HourlyCounts(ctx context.Context, tx store.Tx, e *engine.Engine, action string, extra store.Cond) ([]any, error) {
	em, _ := e.Registry.Model("authentik_events.event")
	now := e.Now().UTC().Truncate(time.Hour)
	since := now.Add(-23 * time.Hour)
	rows, err := tx.Select(ctx, store.Query{Table: em.Table, Columns: []string{"created"},
		Where: store.And(store.Eq("action", action), store.CmpCond{Column: "created", Op: ">=", Value: since}, extra)})
	if err != nil {
		return nil, err
	}
	counts := map[int64]int{}
	for _, r := range rows {
		if t, ok := r["created"].(time.Time); ok {
			counts[t.Truncate(time.Hour).UnixMilli()]++
		}
	}
	out := make([]any, 0, 24)
	for i := 0; i < 24; i++ {
		x := since.Add(time.Duration(i) * time.Hour).UnixMilli()
		out = append(out, map[string]any{"x_cord": x, "y_cord": counts[x]})
	}
	return out, nil
}

// recovery creates a recovery link through the tenant's recovery flow.
func (h *handler) recovery(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := chi.URLParam(r, "id")
	if err := api.Require(ctx, "authentik_core.reset_user_password", id); err != nil {
		return err
	}
	var link string
	err := h.e.Store.Update(ctx, func(tx store.Tx) error {
		u, err := h.userRow(ctx, tx, id)
		if err != nil {
			return err
		}
		rt, err := h.recoveryLink(ctx, tx, r, u)
		link = rt.Link
		return err
	})
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"link": link})
	return nil
}

// RecoveryToken is a created recovery link with its token.
type RecoveryToken struct {
	Link    string
	TokenPK any
	Expires time.Time
}

// RecoveryLink creates, in tx, a recovery token for the user row behind
// the recovery flow of the request's tenant; the recovery email sends the
// same link the recovery action shows. Without a recovery flow it returns
// a validation error.
func RecoveryLink(ctx context.Context, tx store.Tx, e *engine.Engine, r *http.Request, user store.Row) (RecoveryToken, error) {
	h := &handler{e: e, reg: e.Registry}
	return h.recoveryLink(ctx, tx, r, user)
}

func (h *handler) recoveryLink(ctx context.Context, tx store.Tx, r *http.Request, u store.Row) (RecoveryToken, error) {
	tenant, err := h.tenantFor(ctx, tx, r)
	if err != nil {
		return RecoveryToken{}, err
	}
	if tenant == nil || tenant["flow_recovery"] == nil {
		return RecoveryToken{}, engine.Invalid("", "No recovery flow set.")
	}
	fm := h.model("authentik_flows.flow")
	flows, err := tx.Select(ctx, store.Query{Table: fm.Table, Where: store.Eq(fm.PKColumn, tenant["flow_recovery"])})
	if err != nil || len(flows) == 0 {
		return RecoveryToken{}, engine.Invalid("", "No recovery flow set.")
	}
	tokens, _ := h.reg.Endpoint("/core/tokens/")
	// The random part keeps two links created within a second apart.
	ident := engine.Slugify(fmt.Sprintf("ak-recovery-%v-%d-%s", u["username"], h.e.Now().Unix(), engine.RandomString(8, engine.Alphanumeric)))
	t, err := h.e.CreateTx(ctx, tx, tokens, engine.Object{"identifier": ident, "intent": "recovery", "user": u["id"], "expiring": true,
		"description": "Recovery link for " + fmt.Sprint(u["username"])})
	if err != nil {
		return RecoveryToken{}, err
	}
	tm := h.model("authentik_core.token")
	rows, err := tx.Select(ctx, store.Query{Table: tm.Table, Columns: []string{"key", "expires"}, Where: store.Eq(tm.PKColumn, t["pk"])})
	if err != nil || len(rows) == 0 {
		return RecoveryToken{}, fmt.Errorf("read recovery token: %w", err)
	}
	expires, _ := rows[0]["expires"].(time.Time)
	link := engine.BaseURLFrom(ctx) + "/if/flow/" + fmt.Sprint(flows[0]["slug"]) + "/?" + url.Values{"flow_token": {fmt.Sprint(rows[0]["key"])}}.Encode()
	return RecoveryToken{Link: link, TokenPK: t["pk"], Expires: expires}, nil
}

// membership adds or removes a user from a group.
func (h *handler) membership(add bool) api.Action {
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx := r.Context()
		id := chi.URLParam(r, "group_uuid")
		perm := "authentik_core.add_user_to_group"
		if !add {
			perm = "authentik_core.remove_user_from_group"
		}
		if err := api.Require(ctx, perm, id); err != nil {
			return err
		}
		body, err := api.DecodeBody(r)
		if err != nil {
			return err
		}
		if verr := h.e.Validate("UserAccountRequest", body); !verr.Empty() {
			return verr
		}
		gm := h.model("authentik_core.group")
		f, _ := gm.Field("users")
		j, _ := h.e.Join(gm, f)
		err = h.e.Store.Update(ctx, func(tx store.Tx) error {
			gv, ok := engine.ParsePK(gm, id)
			if !ok {
				return &engine.NotFoundError{Detail: "Not found."}
			}
			if n, err := tx.Count(ctx, store.Query{Table: gm.Table, Where: store.Eq(gm.PKColumn, gv)}); err != nil || n == 0 {
				if err != nil {
					return err
				}
				return &engine.NotFoundError{Detail: "Not found."}
			}
			u, err := h.userRow(ctx, tx, fmt.Sprint(int64(body["pk"].(float64))))
			if err != nil {
				if _, nf := err.(*engine.NotFoundError); nf {
					return engine.Invalid("pk", "User does not exist.")
				}
				return err
			}
			where := store.And(store.Eq(j.Self, gv), store.Eq(j.Other, u["id"]))
			if add {
				n, err := tx.Count(ctx, store.Query{Table: j.Table, Where: where})
				if err != nil || n > 0 {
					return err
				}
				_, err = tx.Insert(ctx, j.Table, store.Row{j.Self: gv, j.Other: u["id"]})
				return err
			}
			_, err = tx.DeleteWhere(ctx, j.Table, where)
			return err
		})
		if err != nil {
			return err
		}
		h.s.Auth.Forget()
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// tokenRow loads a token by identifier, visible to its owner or to users
// holding the permission on it.
func (h *handler) tokenRow(ctx context.Context, tx store.Tx, p *api.Principal, identifier, perm string) (store.Row, error) {
	tm := h.model("authentik_core.token")
	rows, err := tx.Select(ctx, store.Query{Table: tm.Table, Where: store.Eq("identifier", identifier)})
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, &engine.NotFoundError{Detail: "Not found."}
	}
	t := rows[0]
	if owner, _ := t["user"].(int64); owner == p.UserPK || p.Subject.HasOn(perm, fmt.Sprint(t[tm.PKColumn])) {
		return t, nil
	}
	if p.Subject.HasOn("authentik_core.view_token", fmt.Sprint(t[tm.PKColumn])) {
		return nil, api.Errorf(http.StatusForbidden, api.DetailNoPermission)
	}
	return nil, &engine.NotFoundError{Detail: "Not found."}
}

// viewKey reveals a token's key and records secret_view.
func (h *handler) viewKey(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var key any
	err = h.e.Store.Update(ctx, func(tx store.Tx) error {
		t, err := h.tokenRow(ctx, tx, p, chi.URLParam(r, "identifier"), "authentik_core.view_token_key")
		if err != nil {
			return err
		}
		key = t["key"]
		tm := h.model("authentik_core.token")
		return h.s.Events.RecordTx(ctx, tx, events.SecretView, "authentik.core.api.tokens", map[string]any{
			"secret": map[string]any{"app": tm.App(), "model_name": tm.ModelName(), "pk": strings.ReplaceAll(fmt.Sprint(t[tm.PKColumn]), "-", ""), "name": h.e.DisplayName(tm, t)}})
	})
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"key": key})
	return nil
}

// setKey replaces a token's key.
func (h *handler) setKey(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r)
	if err != nil {
		return err
	}
	body, err := api.DecodeBody(r)
	if err != nil {
		return err
	}
	if verr := h.e.Validate("TokenSetKeyRequest", body); !verr.Empty() {
		return verr
	}
	ctx := r.Context()
	tm := h.model("authentik_core.token")
	err = h.e.Store.Update(ctx, func(tx store.Tx) error {
		t, err := h.tokenRow(ctx, tx, p, chi.URLParam(r, "identifier"), "authentik_core.change_token")
		if err != nil {
			return err
		}
		_, err = tx.UpdateWhere(ctx, tm.Table, store.Eq(tm.PKColumn, t[tm.PKColumn]), store.Row{"key": body["key"]})
		return err
	})
	if err != nil {
		return err
	}
	h.s.Auth.Forget()
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// tenantFor picks the tenant whose domain matches the request host (the
// longest match), else the default tenant.
func (h *handler) tenantFor(ctx context.Context, tx store.Tx, r *http.Request) (store.Row, error) {
	tm := h.model("authentik_tenants.tenant")
	rows, err := tx.Select(ctx, store.Query{Table: tm.Table})
	if err != nil {
		return nil, err
	}
	host := r.Host
	if i := strings.LastIndex(host, ":"); i >= 0 && !strings.Contains(host[i:], "]") {
		host = host[:i]
	}
	var best, def store.Row
	for _, t := range rows {
		d := fmt.Sprint(t["domain"])
		if d != "" && strings.HasSuffix(host, d) && (best == nil || len(d) > len(fmt.Sprint(best["domain"]))) {
			best = t
		}
		if v, _ := t["default"].(bool); v {
			def = t
		}
	}
	if best != nil {
		return best, nil
	}
	return def, nil
}

// currentTenant answers the tenant of the request (anonymous access).
func (h *handler) currentTenant(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	out := map[string]any{"matched_domain": "", "branding_title": "authentik", "branding_logo": "/static/dist/assets/icons/icon_left_brand.svg",
		"branding_favicon": "/static/dist/assets/icons/icon.png", "ui_footer_links": []any{}, "ui_theme": "automatic", "default_locale": ""}
	err := h.e.Store.View(ctx, func(tx store.Tx) error {
		t, err := h.tenantFor(ctx, tx, r)
		if err != nil || t == nil {
			return err
		}
		out["matched_domain"] = t["domain"]
		for _, k := range []string{"branding_title", "branding_logo", "branding_favicon"} {
			out[k] = t[k]
		}
		fm := h.model("authentik_flows.flow")
		for _, k := range []string{"flow_authentication", "flow_invalidation", "flow_recovery", "flow_unenrollment", "flow_user_settings", "flow_device_code"} {
			if t[k] == nil {
				continue
			}
			rows, err := tx.Select(ctx, store.Query{Table: fm.Table, Columns: []string{"slug"}, Where: store.Eq(fm.PKColumn, t[k])})
			if err != nil {
				return err
			}
			if len(rows) > 0 {
				out[k] = rows[0]["slug"]
			}
		}
		var attrs map[string]any
		if raw, ok := t["attributes"].(json.RawMessage); ok {
			_ = json.Unmarshal(raw, &attrs)
		}
		ui, _ := attrs["settings"].(map[string]any)
		if ui != nil {
			if theme, ok := ui["theme"].(map[string]any); ok {
				if base, ok := theme["base"].(string); ok {
					out["ui_theme"] = base
				}
			}
			if locale, ok := ui["locale"].(string); ok {
				out["default_locale"] = locale
			}
		}
		if links, ok := ui["footer_links"].([]any); ok {
			out["ui_footer_links"] = links
		}
		return nil
	})
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, out)
	return nil
}

// rootConfig answers the capabilities of this server.
func (h *handler) rootConfig(w http.ResponseWriter, r *http.Request) error {
	caps := []any{"can_save_media", "can_impersonate"}
	api.WriteJSON(w, http.StatusOK, map[string]any{
		"error_reporting": map[string]any{"enabled": false, "sentry_dsn": "", "environment": "", "send_pii": false, "traces_sample_rate": 0.0},
		"capabilities":    caps, "cache_timeout": 300, "cache_timeout_flows": 300, "cache_timeout_policies": 300, "cache_timeout_reputation": 300,
	})
	return nil
}

// transactionalApplication creates a provider and an application in one
// transaction: all or nothing, with field errors from either.
func (h *handler) transactionalApplication(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	body, err := api.DecodeBody(r)
	if err != nil {
		return err
	}
	if verr := h.e.Validate("TransactionApplicationRequest", body); !verr.Empty() {
		return verr
	}
	modelName := fmt.Sprint(body["provider_model"])
	pm, ok := h.reg.Model(modelName)
	if !ok {
		return engine.Invalid("provider_model", "Unknown provider model.")
	}
	if err := api.Require(ctx, "authentik_core.add_application", ""); err != nil {
		return err
	}
	if err := api.Require(ctx, pm.App()+".add_"+pm.ModelName(), ""); err != nil {
		return err
	}
	pep := h.endpointOf(modelName)
	aep, _ := h.reg.Endpoint("/core/applications/")
	if pep == nil {
		return engine.Invalid("provider_model", "This provider cannot be created.")
	}
	provider, _ := body["provider"].(map[string]any)
	app, _ := body["app"].(map[string]any)
	logs := []any{}
	err = h.e.Store.Update(ctx, func(tx store.Tx) error {
		p, err := h.e.CreateTx(ctx, tx, pep, provider)
		if err != nil {
			return prefix("provider", err)
		}
		app["provider"] = p["pk"]
		if _, err := h.e.CreateTx(ctx, tx, aep, app); err != nil {
			return prefix("app", err)
		}
		logs = append(logs, fmt.Sprintf("created %s %v", modelName, p["name"]), fmt.Sprintf("created application %v", app["slug"]))
		return nil
	})
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"applied": true, "logs": logs})
	return nil
}

func (h *handler) endpointOf(model string) *registry.Endpoint {
	for _, ep := range h.reg.Endpoints {
		if ep.Model == model && ep.Ops["create"] != "" {
			return ep
		}
	}
	return nil
}

// prefix nests field errors under the request part they came from.
func prefix(part string, err error) error {
	v, ok := engine.AsValidation(err)
	if !ok {
		return err
	}
	out := &engine.ValidationError{}
	for k, msgs := range v.Fields {
		for _, m := range msgs {
			out.Add(part+"."+k, m)
		}
	}
	for _, m := range v.NonField {
		out.Add(part, m)
	}
	return out
}

// impersonate makes the caller's browser session act as another user.
func (h *handler) impersonate(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r)
	if err != nil {
		return err
	}
	id := chi.URLParam(r, "id")
	if p.SessionKey == "" || p.Original != nil || !p.Subject.HasOn("authentik_core.impersonate", id) {
		// authentik answers 401 when impersonation is not possible.
		w.WriteHeader(http.StatusUnauthorized)
		return nil
	}
	ctx := r.Context()
	err = h.e.Store.Update(ctx, func(tx store.Tx) error {
		u, err := h.userRow(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := h.setSessionData(ctx, tx, p.SessionKey, map[string]any{api.ImpersonateUser: u["id"], api.ImpersonateOriginal: p.UserPK}); err != nil {
			return err
		}
		return h.s.Events.RecordTx(ctx, tx, "impersonation_started", "authentik.core.api.users", map[string]any{
			"user": map[string]any{"pk": u["id"], "username": u["username"], "email": u["email"]}})
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// impersonateEnd returns the session to the original user.
func (h *handler) impersonateEnd(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r)
	if err != nil {
		return err
	}
	if p.Original == nil {
		return engine.Invalid("", "Not impersonating anyone.")
	}
	ctx := r.Context()
	err = h.e.Store.Update(ctx, func(tx store.Tx) error {
		if err := h.setSessionData(ctx, tx, p.SessionKey, map[string]any{}); err != nil {
			return err
		}
		return h.s.Events.RecordTx(ctx, tx, "impersonation_ended", "authentik.core.api.users", map[string]any{
			"user": map[string]any{"pk": p.UserPK, "username": p.Username, "email": p.Email}})
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handler) setSessionData(ctx context.Context, tx store.Tx, key string, data map[string]any) error {
	sm := h.model("authentik_core.authenticatedsession")
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	_, err = tx.UpdateWhere(ctx, sm.Table, store.Eq("session_key", key), store.Row{"session_data": json.RawMessage(raw)})
	return err
}
