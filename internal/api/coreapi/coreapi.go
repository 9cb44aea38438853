package coreapi

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/auth"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/events"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

type handler struct {
	s   *api.Server
	e   *engine.Engine
	reg *registry.Registry
}

// Register installs the core actions.
func Register(s *api.Server) {
	h := &handler{s: s, e: s.Engine, reg: s.Engine.Registry}
	s.RegisterOpen("core_users_me_retrieve", h.me)
	s.RegisterOpen("core_users_set_password_create", h.setPassword)
	s.RegisterOpen("core_users_service_account_create", h.serviceAccount)
	s.RegisterOpen("core_users_paths_retrieve", h.paths)
	s.RegisterOpen("core_users_metrics_retrieve", h.metrics)
	s.RegisterOpen("core_users_recovery_retrieve", h.recovery)
	s.RegisterOpen("core_users_impersonate_create", h.impersonate)
	s.RegisterOpen("core_users_impersonate_end_retrieve", h.impersonateEnd)
	s.RegisterOpen("core_groups_add_user_create", h.membership(true))
	s.RegisterOpen("core_groups_remove_user_create", h.membership(false))
	s.RegisterOpen("core_tokens_view_key_retrieve", h.viewKey)
	s.RegisterOpen("core_tokens_set_key_create", h.setKey)
	s.RegisterOpen("core_tenants_current_retrieve", h.currentTenant)
	s.RegisterOpen("core_applications_check_access_retrieve", h.checkAccess)
	s.RegisterOpen("root_config_retrieve", h.rootConfig)
	s.RegisterOpen("core_transactional_applications_update", h.transactionalApplication)
}

func (h *handler) model(name string) *registry.Model {
	m, _ := h.reg.Model(name)
	return m
}

func principal(r *http.Request) (*api.Principal, error) {
	p, ok := api.PrincipalFrom(r.Context())
	if !ok {
		return nil, api.Errorf(http.StatusForbidden, "Authentication credentials were not provided.")
	}
	return p, nil
}

// userRow loads a user by the {id} path parameter, 404 when missing.
func (h *handler) userRow(ctx context.Context, tx store.Tx, id string) (store.Row, error) {
	um := h.model("authentik_core.user")
	v, ok := engine.ParsePK(um, id)
	if !ok {
		return nil, &engine.NotFoundError{Detail: "Not found."}
	}
	rows, err := tx.Select(ctx, store.Query{Table: um.Table, Where: store.Eq(um.PKColumn, v)})
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, &engine.NotFoundError{Detail: "Not found."}
	}
	return rows[0], nil
}

// me answers the caller's own user (SessionUser).
func (h *handler) me(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var self engine.Object
	err = h.e.Store.View(ctx, func(tx store.Tx) error {
		u, err := h.userRow(ctx, tx, fmt.Sprint(p.UserPK))
		if err != nil {
			return err
		}
		self, err = h.userSelf(ctx, tx, u, p)
		return err
	})
	if err != nil {
		return err
	}
	out := map[string]any{"user": self}
	if p.Original != nil {
		err = h.e.Store.View(ctx, func(tx store.Tx) error {
			u, err := h.userRow(ctx, tx, fmt.Sprint(p.Original.UserPK))
			if err != nil {
				return err
			}
			out["original"], err = h.userSelf(ctx, tx, u, p.Original)
			return err
		})
		if err != nil {
			return err
		}
	}
	api.WriteJSON(w, http.StatusOK, out)
	return nil
}

// userSelf renders the UserSelf shape.
func (h *handler) userSelf(ctx context.Context, tx store.Tx, u store.Row, p *api.Principal) (engine.Object, error) {
	um := h.model("authentik_core.user")
	objs, err := h.e.Project(ctx, tx, um, "User", []store.Row{u})
	if err != nil {
		return nil, err
	}
	o := objs[0]
	groups := []any{}
	for _, g := range o["groups_obj"].([]any) {
		gm := g.(map[string]any)
		groups = append(groups, map[string]any{"name": gm["name"], "pk": gm["pk"]})
	}
	attrs, _ := o["attributes"].(map[string]any)
	settings, _ := attrs["settings"].(map[string]any)
	if settings == nil {
		settings = map[string]any{}
	}
	perms := []string{}
	if p != nil && p.Subject != nil {
		for perm := range p.Subject.Global {
			perms = append(perms, perm)
		}
		sort.Strings(perms)
	}
	return engine.Object{"pk": o["pk"], "username": o["username"], "name": o["name"], "is_active": o["is_active"],
		"is_superuser": o["is_superuser"], "groups": groups, "email": o["email"], "avatar": o["avatar"], "uid": o["uid"],
		"settings": settings, "type": o["type"], "system_permissions": perms}, nil
}

// setPassword sets a user's password (Django pbkdf2_sha256), records
// password_set and updates password_change_date.
func (h *handler) setPassword(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	if err := api.Require(r.Context(), "authentik_core.reset_user_password", id); err != nil {
		return err
	}
	body, err := api.DecodeBody(r)
	if err != nil {
		return err
	}
	if verr := h.e.Validate("UserPasswordSetRequest", body); !verr.Empty() {
		return verr
	}
	hash, err := auth.HashPassword(body["password"].(string))
	if err != nil {
		return err
	}
	ctx := r.Context()
	um := h.model("authentik_core.user")
	err = h.e.Store.Update(ctx, func(tx store.Tx) error {
		u, err := h.userRow(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.UpdateWhere(ctx, um.Table, store.Eq(um.PKColumn, u[um.PKColumn]), store.Row{"password": hash, "password_change_date": store.NowUTC(h.e.Now())}); err != nil {
			return err
		}
		return h.s.Events.RecordTx(ctx, tx, events.PasswordSet, "authentik.core.api.users", map[string]any{})
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// serviceAccount creates a service-account user, optionally its own group,
// and an API token for it.
func (h *handler) serviceAccount(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := api.Require(ctx, "authentik_core.add_user", ""); err != nil {
		return err
	}
	if err := api.Require(ctx, "authentik_core.add_token", ""); err != nil {
		return err
	}
	body, err := api.DecodeBody(r)
	if err != nil {
		return err
	}
	if verr := h.e.Validate("UserServiceAccountRequest", body); !verr.Empty() {
		return verr
	}
	name := body["name"].(string)
	expiring := true
	if v, ok := body["expiring"].(bool); ok {
		expiring = v
	}
	users, _ := h.reg.Endpoint("/core/users/")
	groups, _ := h.reg.Endpoint("/core/groups/")
	tokens, _ := h.reg.Endpoint("/core/tokens/")
	tm := h.model("authentik_core.token")
	var out map[string]any
	err = h.e.Store.Update(ctx, func(tx store.Tx) error {
		u, err := h.e.CreateTx(ctx, tx, users, engine.Object{"username": name, "name": name, "type": "service_account",
			"path": "goauthentik.io/service-accounts", "attributes": map[string]any{
				"goauthentik.io/user/service-account": true, "goauthentik.io/user/token-expires": expiring}})
		if err != nil {
			if v, ok := engine.AsValidation(err); ok && v.Fields["username"] != nil {
				return engine.Invalid("name", "A user with that username already exists.")
			}
			return err
		}
		out = map[string]any{"username": name, "user_uid": u["uid"], "user_pk": u["pk"]}
		if create, _ := body["create_group"].(bool); create {
			g, err := h.e.CreateTx(ctx, tx, groups, engine.Object{"name": name, "users": []any{u["pk"]}})
			if err != nil {
				return err
			}
			out["group_pk"] = g["pk"]
		}
		tok := engine.Object{"identifier": engine.Slugify("service-account-" + name + "-password"), "intent": "app_password",
			"user": u["pk"], "expiring": expiring, "description": "App password for " + name}
		if exp, ok := body["expires"]; ok && exp != nil {
			tok["expires"] = exp
		} else if expiring {
			tok["expires"] = h.e.Now().Add(360 * 24 * time.Hour).UTC().Format(time.RFC3339)
		}
		t, err := h.e.CreateTx(ctx, tx, tokens, tok)
		if err != nil {
			return err
		}
		rows, err := tx.Select(ctx, store.Query{Table: tm.Table, Columns: []string{"key"}, Where: store.Eq(tm.PKColumn, t["pk"])})
		if err != nil || len(rows) == 0 {
			return fmt.Errorf("read new token: %w", err)
		}
		out["token"] = rows[0]["key"]
		return nil
	})
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, out)
	return nil
}

// paths lists the distinct user paths (optionally matching ?search=).
func (h *handler) paths(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := api.Require(ctx, "authentik_core.view_user", ""); err != nil {
		return err
	}
	um := h.model("authentik_core.user")
	q := store.Query{Table: um.Table, Columns: []string{"path"}, Distinct: true, OrderBy: []store.Order{{Column: "path"}}}
	if s := r.URL.Query().Get("search"); s != "" {
		q.Where = store.LikeCond{Column: "path", Pattern: s, Mode: "contains", Fold: true}
	}
	paths := []any{}
	err := h.e.Store.View(ctx, func(tx store.Tx) error {
		rows, err := tx.Select(ctx, q)
		for _, row := range rows {
			paths = append(paths, row["path"])
		}
		return err
	})
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"paths": paths})
	return nil
}
