package rbac

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// Extra lists the permissions authentik's models declare in Meta.permissions
// beyond Django's add/change/delete/view, as codename → name.
var Extra = map[string]map[string]string{
	"authentik_core.user": {
		"reset_user_password":       "Reset Password",
		"impersonate":               "Can impersonate other users",
		"assign_user_permissions":   "Can assign permissions to users",
		"unassign_user_permissions": "Can unassign permissions from users",
	},
	"authentik_core.group": {
		"add_user_to_group":      "Add user to group",
		"remove_user_from_group": "Remove user from group",
	},
	"authentik_core.token": {"view_token_key": "View token's key"},
	"authentik_flows.flow": {"export_flow": "Can export a Flow", "view_flow_cache": "View Flow's cache metrics", "clear_flow_cache": "Clear Flow's cache metrics"},
	"authentik_rbac.role": {
		"assign_role_permissions":   "Can assign permissions to users",
		"unassign_role_permissions": "Can unassign permissions from users",
	},
	"authentik_crypto.certificatekeypair": {
		"view_certificatekeypair_certificate": "View Certificate-Key pair's certificate",
		"view_certificatekeypair_key":         "View Certificate-Key pair's private key",
	},
	"authentik_policies.policy": {"view_policy_cache": "View Policy's cache metrics", "clear_policy_cache": "Clear Policy's cache metrics"},
}

// Perm is one permission, "app_label.codename".
type Perm struct {
	AppLabel, Model, Codename, Name string
}

// String is the Django "app_label.codename" form.
func (p Perm) String() string { return p.AppLabel + "." + p.Codename }

// ModelPerm is the permission for an action ("view", "add", "change",
// "delete") on a model.
func ModelPerm(m *registry.Model, action string) string {
	return m.App() + "." + action + "_" + m.ModelName()
}

// All lists every permission of the registry's models, sorted.
func All(reg *registry.Registry) []Perm {
	var out []Perm
	for _, m := range reg.Models {
		if strings.HasPrefix(m.Name, "auth.") || strings.HasPrefix(m.Name, "guardian.") {
			continue
		}
		vn := m.VerboseName
		if vn == "" {
			vn = m.ModelName()
		}
		for _, a := range []string{"add", "change", "delete", "view"} {
			out = append(out, Perm{m.App(), m.ModelName(), a + "_" + m.ModelName(), "Can " + a + " " + vn})
		}
		for code, name := range Extra[m.Name] {
			out = append(out, Perm{m.App(), m.ModelName(), code, name})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// Seed stores every permission that is missing; it runs at start-up.
func Seed(ctx context.Context, st store.Store, reg *registry.Registry) error {
	pm, ok := reg.Model("auth.permission")
	if !ok {
		return fmt.Errorf("registry has no auth.permission")
	}
	return st.Update(ctx, func(tx store.Tx) error {
		rows, err := tx.Select(ctx, store.Query{Table: pm.Table, Columns: []string{"app_label", "codename"}})
		if err != nil {
			return err
		}
		have := map[string]bool{}
		for _, r := range rows {
			have[fmt.Sprint(r["app_label"], ".", r["codename"])] = true
		}
		var missing []Perm
		for _, p := range All(reg) {
			if !have[p.String()] {
				missing = append(missing, p)
			}
		}
		// One InsertMany: a first start seeds several hundred permissions,
		// and one round trip each was a visible part of PostgreSQL's
		// start-up.
		add := make([]store.Row, len(missing))
		for i, p := range missing {
			add[i] = store.Row{"app_label": p.AppLabel, "model": p.Model, "codename": p.Codename, "name": p.Name}
		}
		if err := tx.InsertMany(ctx, pm.Table, add); err != nil {
			return fmt.Errorf("seed %d permissions: %w", len(add), err)
		}
		return nil
	})
}
