// Package rbacapi owns the /rbac/permissions/ actions: listing who holds
// permissions on a model or object (by role and by user), assigning and
// unassigning permissions globally or on one object, and listing a role's
// or user's object permissions.
package rbacapi

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/modelhooks"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

type handler struct {
	s   *api.Server
	e   *engine.Engine
	reg *registry.Registry
}

// Register installs the RBAC actions.
func Register(s *api.Server) {
	h := &handler{s: s, e: s.Engine, reg: s.Engine.Registry}
	s.Register("rbac_permissions_assigned_by_roles_list", h.assignedByRoles)
	s.Register("rbac_permissions_assigned_by_users_list", h.assignedByUsers)
	s.Register("rbac_permissions_assigned_by_roles_assign_create", h.assign(roleSide, true))
	s.Register("rbac_permissions_assigned_by_roles_unassign_partial_update", h.assign(roleSide, false))
	s.Register("rbac_permissions_assigned_by_users_assign_create", h.assign(userSide, true))
	s.Register("rbac_permissions_assigned_by_users_unassign_partial_update", h.assign(userSide, false))
	s.Register("rbac_permissions_roles_list", h.objectPermsOf(roleSide))
	s.Register("rbac_permissions_users_list", h.objectPermsOf(userSide))
}

const (
	roleSide = "role"
	userSide = "user"
)

// perm is a stored auth.permission row.
type perm struct {
	ID                        int64
	AppLabel, Model, Codename string
	Name                      string
}

func (p perm) String() string { return p.AppLabel + "." + p.Codename }

func (h *handler) perms(ctx context.Context, tx store.Tx) (map[int64]perm, error) {
	pm, _ := h.reg.Model("auth.permission")
	rows, err := tx.Select(ctx, store.Query{Table: pm.Table})
	if err != nil {
		return nil, err
	}
	out := make(map[int64]perm, len(rows))
	for _, r := range rows {
		id, _ := r[pm.PKColumn].(int64)
		out[id] = perm{id, fmt.Sprint(r["app_label"]), fmt.Sprint(r["model"]), fmt.Sprint(r["codename"]), fmt.Sprint(r["name"])}
	}
	return out, nil
}

// target identifies the role's Django group or the user on the other side.
type target struct {
	side  string
	id    any // auth.group id for roles, user pk for users
	label string
}

func (h *handler) resolve(ctx context.Context, tx store.Tx, side, key string) (target, error) {
	if side == roleSide {
		rm, _ := h.reg.Model("authentik_rbac.role")
		v, ok := engine.ParsePK(rm, key)
		if !ok {
			return target{}, &engine.NotFoundError{Detail: "Not found."}
		}
		rows, err := tx.Select(ctx, store.Query{Table: rm.Table, Where: store.Eq(rm.PKColumn, v)})
		if err != nil || len(rows) == 0 {
			return target{}, orNotFound(err)
		}
		return target{side, rows[0]["group"], fmt.Sprint(rows[0]["name"])}, nil
	}
	um, _ := h.reg.Model("authentik_core.user")
	v, ok := engine.ParsePK(um, key)
	if !ok {
		return target{}, &engine.NotFoundError{Detail: "Not found."}
	}
	rows, err := tx.Select(ctx, store.Query{Table: um.Table, Where: store.Eq(um.PKColumn, v)})
	if err != nil || len(rows) == 0 {
		return target{}, orNotFound(err)
	}
	return target{side, rows[0][um.PKColumn], fmt.Sprint(rows[0]["username"])}, nil
}

func orNotFound(err error) error {
	if err != nil {
		return err
	}
	return &engine.NotFoundError{Detail: "Not found."}
}

// assign grants (grant=true) or revokes permissions, globally or on one
// object, for a role or a user.
func (h *handler) assign(side string, grant bool) api.Action {
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx := r.Context()
		body, err := api.DecodeBody(r)
		if err != nil {
			return err
		}
		schema := "PermissionAssignRequest"
		if !grant {
			schema = "PatchedPermissionAssignRequest"
		}
		if verr := h.e.Validate(schema, body); !verr.Empty() {
			return verr
		}
		key := chi.URLParam(r, "uuid")
		if side == userSide {
			key = chi.URLParam(r, "id")
		}
		names, _ := body["permissions"].([]any)
		model, _ := body["model"].(string)
		objectPK, _ := body["object_pk"].(string)
		err = h.e.Store.Update(ctx, func(tx store.Tx) error {
			t, err := h.resolve(ctx, tx, side, key)
			if err != nil {
				return err
			}
			all, err := h.perms(ctx, tx)
			if err != nil {
				return err
			}
			byName := map[string]perm{}
			for _, p := range all {
				byName[p.String()] = p
			}
			var chosen []perm
			verr := &engine.ValidationError{}
			for _, n := range names {
				p, ok := byName[fmt.Sprint(n)]
				if !ok {
					verr.Add("permissions", fmt.Sprintf("Permission %v does not exist.", n))
					continue
				}
				if model != "" && p.AppLabel+"."+p.Model != model {
					verr.Add("permissions", fmt.Sprintf("Permission %v does not apply to model %s.", n, model))
					continue
				}
				chosen = append(chosen, p)
			}
			if objectPK != "" {
				if model == "" {
					verr.Add("model", "This field is required when object_pk is set.")
				} else if err := h.objectExists(ctx, tx, model, objectPK); err != nil {
					verr.Add("object_pk", err.Error())
				}
			}
			if !verr.Empty() {
				return verr
			}
			for _, p := range chosen {
				if err := h.apply(ctx, tx, t, p, objectPK, grant); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		h.s.Auth.Forget()
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func (h *handler) objectExists(ctx context.Context, tx store.Tx, model, objectPK string) error {
	m, ok := h.reg.Model(model)
	if !ok {
		return fmt.Errorf("unknown model %s", model)
	}
	v, ok := engine.ParsePK(m, objectPK)
	if !ok {
		return fmt.Errorf("object %q does not exist", objectPK)
	}
	n, err := tx.Count(ctx, store.Query{Table: m.Table, Where: store.Eq(m.PKColumn, v)})
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("object %q does not exist", objectPK)
	}
	return nil
}

// apply writes or deletes one grant.
func (h *handler) apply(ctx context.Context, tx store.Tx, t target, p perm, objectPK string, grant bool) error {
	var table string
	var row store.Row
	if objectPK != "" {
		m := "guardian.userobjectpermission"
		owner := "user"
		if t.side == roleSide {
			m, owner = "guardian.groupobjectpermission", "group"
		}
		om, _ := h.reg.Model(m)
		table, row = om.Table, store.Row{owner: t.id, "permission": p.ID, "object_pk": objectPK}
	} else {
		jm, field := "authentik_core.user", "user_permissions"
		if t.side == roleSide {
			jm, field = "auth.group", "permissions"
		}
		om, _ := h.reg.Model(jm)
		f, _ := om.Field(field)
		table, row = om.M2MTable(f), store.Row{engine.M2MSource: t.id, engine.M2MTarget: p.ID}
	}
	conds := make([]store.Cond, 0, len(row))
	for k, v := range row {
		conds = append(conds, store.Eq(k, v))
	}
	where := store.And(conds...)
	n, err := tx.Count(ctx, store.Query{Table: table, Where: where})
	if err != nil {
		return err
	}
	switch {
	case grant && n == 0:
		_, err = tx.Insert(ctx, table, row)
	case !grant && n > 0:
		_, err = tx.DeleteWhere(ctx, table, where)
	}
	return err
}

// objectPermsOf lists the object permissions a role or user holds.
func (h *handler) objectPermsOf(side string) api.Action {
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx := r.Context()
		param := "uuid"
		if side == userSide {
			param = "user_id"
		}
		key := r.URL.Query().Get(param)
		if key == "" {
			return engine.Invalid(param, "This field is required.")
		}
		var items []map[string]any
		err := h.e.Store.View(ctx, func(tx store.Tx) error {
			t, err := h.resolve(ctx, tx, side, key)
			if err != nil {
				if _, ok := err.(*engine.NotFoundError); ok {
					return engine.Invalid(param, "Select a valid choice.")
				}
				return err
			}
			rows, err := h.objectRows(ctx, tx, t)
			if err != nil {
				return err
			}
			all, err := h.perms(ctx, tx)
			if err != nil {
				return err
			}
			for _, r := range rows {
				id, _ := r["permission"].(int64)
				p := all[id]
				rid, _ := r["id"].(int64)
				items = append(items, map[string]any{"id": rid, "codename": p.Codename, "model": p.Model, "app_label": p.AppLabel,
					"object_pk": fmt.Sprint(r["object_pk"]), "name": p.Name, "app_label_verbose": modelhooks.AppVerboseName(p.AppLabel),
					"model_verbose": h.modelVerbose(p), "object_description": h.describe(ctx, tx, p, fmt.Sprint(r["object_pk"]))})
			}
			return nil
		})
		if err != nil {
			return err
		}
		return writePage(w, r, items)
	}
}

func (h *handler) objectRows(ctx context.Context, tx store.Tx, t target) ([]store.Row, error) {
	m, owner := "guardian.userobjectpermission", "user"
	if t.side == roleSide {
		m, owner = "guardian.groupobjectpermission", "group"
	}
	om, _ := h.reg.Model(m)
	return tx.Select(ctx, store.Query{Table: om.Table, Where: store.Eq(owner, t.id), OrderBy: []store.Order{{Column: om.PKColumn}}})
}

func (h *handler) modelVerbose(p perm) string {
	if m, ok := h.reg.Model(p.AppLabel + "." + p.Model); ok && m.VerboseName != "" {
		return m.VerboseName
	}
	return p.Model
}

// describe renders the object a permission is on, like str(obj).
func (h *handler) describe(ctx context.Context, tx store.Tx, p perm, objectPK string) string {
	m, ok := h.reg.Model(p.AppLabel + "." + p.Model)
	if !ok {
		return objectPK
	}
	v, ok := engine.ParsePK(m, objectPK)
	if !ok {
		return objectPK
	}
	rows, err := tx.Select(ctx, store.Query{Table: m.Table, Where: store.Eq(m.PKColumn, v)})
	if err != nil || len(rows) == 0 {
		return objectPK
	}
	return h.e.DisplayName(m, rows[0])
}

// assignedByRoles lists the roles holding permissions on a model (global)
// or, with object_pk, on one object.
func (h *handler) assignedByRoles(w http.ResponseWriter, r *http.Request) error {
	return h.assignedBy(w, r, roleSide)
}

func (h *handler) assignedByUsers(w http.ResponseWriter, r *http.Request) error {
	return h.assignedBy(w, r, userSide)
}

func (h *handler) assignedBy(w http.ResponseWriter, r *http.Request, side string) error {
	ctx := r.Context()
	q := r.URL.Query()
	model, objectPK := q.Get("model"), q.Get("object_pk")
	if model == "" {
		return engine.Invalid("model", "This field is required.")
	}
	if _, ok := h.reg.Model(model); !ok {
		return engine.Invalid("model", fmt.Sprintf("Select a valid choice. %s is not one of the available choices.", model))
	}
	app, modelName, _ := strings.Cut(model, ".")
	var items []map[string]any
	err := h.e.Store.View(ctx, func(tx store.Tx) error {
		all, err := h.perms(ctx, tx)
		if err != nil {
			return err
		}
		// holder key → granted perms on the model / object
		grants := map[string][]map[string]any{}
		holderIDs := map[string]any{}
		addGrant := func(holder any, rowID int64, p perm, opk string) {
			if p.AppLabel != app || p.Model != modelName {
				return
			}
			k := fmt.Sprint(holder)
			holderIDs[k] = holder
			grants[k] = append(grants[k], map[string]any{"id": rowID, "codename": p.Codename, "model": p.Model,
				"app_label": p.AppLabel, "object_pk": opk, "name": p.Name})
		}
		if objectPK != "" {
			m, owner := "guardian.userobjectpermission", "user"
			if side == roleSide {
				m, owner = "guardian.groupobjectpermission", "group"
			}
			om, _ := h.reg.Model(m)
			rows, err := tx.Select(ctx, store.Query{Table: om.Table, Where: store.Eq("object_pk", objectPK), OrderBy: []store.Order{{Column: om.PKColumn}}})
			if err != nil {
				return err
			}
			for _, row := range rows {
				id, _ := row["permission"].(int64)
				rid, _ := row[om.PKColumn].(int64)
				addGrant(row[owner], rid, all[id], objectPK)
			}
		} else {
			jm, field := "authentik_core.user", "user_permissions"
			if side == roleSide {
				jm, field = "auth.group", "permissions"
			}
			om, _ := h.reg.Model(jm)
			f, _ := om.Field(field)
			rows, err := tx.Select(ctx, store.Query{Table: om.M2MTable(f)})
			if err != nil {
				return err
			}
			for _, row := range rows {
				id, _ := row[engine.M2MTarget].(int64)
				addGrant(row[engine.M2MSource], id, all[id], "")
			}
		}
		keys := make([]string, 0, len(grants))
		for k := range grants {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			item, err := h.holder(ctx, tx, side, holderIDs[k])
			if err != nil {
				return err
			}
			if item == nil {
				continue
			}
			item["permissions"] = grants[k]
			items = append(items, item)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return writePage(w, r, items)
}

// holder renders the role or user holding permissions.
func (h *handler) holder(ctx context.Context, tx store.Tx, side string, id any) (map[string]any, error) {
	if side == roleSide {
		rm, _ := h.reg.Model("authentik_rbac.role")
		rows, err := tx.Select(ctx, store.Query{Table: rm.Table, Where: store.Eq("group", id)})
		if err != nil || len(rows) == 0 {
			return nil, err
		}
		return map[string]any{"role_pk": fmt.Sprint(rows[0][rm.PKColumn]), "name": rows[0]["name"]}, nil
	}
	um, _ := h.reg.Model("authentik_core.user")
	rows, err := tx.Select(ctx, store.Query{Table: um.Table, Where: store.Eq(um.PKColumn, id)})
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	objs, err := h.e.Project(ctx, tx, um, "User", rows)
	if err != nil {
		return nil, err
	}
	u := objs[0]
	return map[string]any{"pk": u["pk"], "username": u["username"], "name": u["name"], "is_active": u["is_active"],
		"last_login": u["last_login"], "email": u["email"], "attributes": u["attributes"], "uid": u["uid"], "is_superuser": u["is_superuser"]}, nil
}

// writePage renders items in authentik's pagination envelope.
func writePage(w http.ResponseWriter, r *http.Request, items []map[string]any) error {
	size := engine.DefaultPageSize
	if n, err := strconv.Atoi(r.URL.Query().Get("page_size")); err == nil && n > 0 {
		size = n
	}
	page := 1
	if s := r.URL.Query().Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return &engine.NotFoundError{Detail: "Invalid page."}
		}
		page = n
	}
	total := (len(items) + size - 1) / size
	if total == 0 {
		total = 1
	}
	if page > total {
		return &engine.NotFoundError{Detail: "Invalid page."}
	}
	start := (page - 1) * size
	end := min(start+size, len(items))
	res := make([]engine.Object, 0, end-start)
	for _, it := range items[start:end] {
		res = append(res, it)
	}
	p := &engine.Page{Results: res, Count: int64(len(items)), Current: page, TotalPages: total, PageSize: size}
	api.WriteJSON(w, http.StatusOK, map[string]any{"pagination": p.Pagination(), "results": res})
	return nil
}
