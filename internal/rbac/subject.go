package rbac

import (
	"context"
	"fmt"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// Subject is what one user may do: superuser status, global permissions,
// and object permissions ("app.codename" → object pks as text).
type Subject struct {
	UserPK    int64
	Superuser bool
	Global    map[string]bool
	Objects   map[string]map[string]bool
}

// Has reports a global permission (or superuser).
func (s *Subject) Has(perm string) bool { return s.Superuser || s.Global[perm] }

// HasOn reports a permission on one object, globally or for that object.
func (s *Subject) HasOn(perm string, objectPK string) bool {
	return s.Has(perm) || s.Objects[perm][objectPK]
}

// ObjectPKs lists the objects the subject holds perm on.
func (s *Subject) ObjectPKs(perm string) []string {
	out := make([]string, 0, len(s.Objects[perm]))
	for pk := range s.Objects[perm] {
		out = append(out, pk)
	}
	return out
}

func col(m *registry.Model, field string) string {
	return m.MustColumn(field)
}

// Load reads a user's permissions: directly granted ones and those of the
// roles of the user's groups (and their ancestors).
func Load(ctx context.Context, tx store.Tx, reg *registry.Registry, userPK int64, superuser bool) (*Subject, error) {
	s := &Subject{UserPK: userPK, Superuser: superuser, Global: map[string]bool{}, Objects: map[string]map[string]bool{}}
	if superuser {
		return s, nil
	}
	authGroups, err := roleGroups(ctx, tx, reg, userPK)
	if err != nil {
		return nil, err
	}
	users, _ := reg.Model("authentik_core.user")
	groups, _ := reg.Model("auth.group")
	var globalIDs []any
	add := func(ids []any) { globalIDs = append(globalIDs, ids...) }
	// Global: user_permissions and the role groups' permissions.
	if f, ok := users.Field("user_permissions"); ok {
		ids, err := m2mTargets(ctx, tx, users, f, []any{userPK})
		if err != nil {
			return nil, err
		}
		add(ids)
	}
	if f, ok := groups.Field("permissions"); ok && len(authGroups) > 0 {
		ids, err := m2mTargets(ctx, tx, groups, f, authGroups)
		if err != nil {
			return nil, err
		}
		add(ids)
	}
	// Object permissions.
	uop, _ := reg.Model("guardian.userobjectpermission")
	gop, _ := reg.Model("guardian.groupobjectpermission")
	var rows []store.Row
	r1, err := tx.Select(ctx, store.Query{Table: uop.Table, Where: store.Eq(col(uop, "user"), userPK)})
	if err != nil {
		return nil, err
	}
	rows = append(rows, r1...)
	if len(authGroups) > 0 {
		r2, err := tx.Select(ctx, store.Query{Table: gop.Table, Where: store.InCond{Column: col(gop, "group"), Values: authGroups}})
		if err != nil {
			return nil, err
		}
		rows = append(rows, r2...)
	}
	ids := append([]any(nil), globalIDs...)
	for _, r := range rows {
		ids = append(ids, r["permission"])
	}
	perms, err := permNames(ctx, tx, reg, ids)
	if err != nil {
		return nil, err
	}
	for _, id := range globalIDs {
		if name, ok := perms[fmt.Sprint(id)]; ok {
			s.Global[name] = true
		}
	}
	for _, r := range rows {
		name, ok := perms[fmt.Sprint(r["permission"])]
		if !ok {
			continue
		}
		if s.Objects[name] == nil {
			s.Objects[name] = map[string]bool{}
		}
		s.Objects[name][fmt.Sprint(r["object_pk"])] = true
	}
	return s, nil
}

// permNames maps the given permission ids to "app.codename".
func permNames(ctx context.Context, tx store.Tx, reg *registry.Registry, ids []any) (map[string]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	pm, _ := reg.Model("auth.permission")
	rows, err := tx.Select(ctx, store.Query{Table: pm.Table, Columns: []string{pm.PKColumn, "app_label", "codename"}, Where: store.InCond{Column: pm.PKColumn, Values: ids}})
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[fmt.Sprint(r[pm.PKColumn])] = fmt.Sprint(r["app_label"], ".", r["codename"])
	}
	return out, nil
}

// roleGroups returns the Django group ids of the roles of the user's
// groups and their ancestors.
func roleGroups(ctx context.Context, tx store.Tx, reg *registry.Registry, userPK int64) ([]any, error) {
	gm, _ := reg.Model("authentik_core.group")
	roles, _ := reg.Model("authentik_rbac.role")
	usersF, _ := gm.Field("users")
	rows, err := tx.Select(ctx, store.Query{Table: gm.M2MTable(usersF), Columns: []string{engine.M2MSource}, Where: store.Eq(engine.M2MTarget, userPK)})
	if err != nil {
		return nil, err
	}
	var groupPKs []any
	seen := map[string]bool{}
	frontier := make([]any, 0, len(rows))
	for _, r := range rows {
		frontier = append(frontier, r[engine.M2MSource])
	}
	for len(frontier) > 0 {
		var next []any
		for _, g := range frontier {
			if k := fmt.Sprint(g); !seen[k] {
				seen[k] = true
				groupPKs = append(groupPKs, g)
			}
		}
		parents, err := tx.Select(ctx, store.Query{Table: gm.Table, Columns: []string{col(gm, "parent")}, Where: store.InCond{Column: gm.PKColumn, Values: frontier}})
		if err != nil {
			return nil, err
		}
		for _, p := range parents {
			if v := p[col(gm, "parent")]; v != nil && !seen[fmt.Sprint(v)] {
				next = append(next, v)
			}
		}
		frontier = next
	}
	if len(groupPKs) == 0 {
		return nil, nil
	}
	rolesF, _ := gm.Field("roles")
	rr, err := tx.Select(ctx, store.Query{Table: gm.M2MTable(rolesF), Columns: []string{engine.M2MTarget}, Where: store.InCond{Column: engine.M2MSource, Values: groupPKs}})
	if err != nil || len(rr) == 0 {
		return nil, err
	}
	rolePKs := make([]any, len(rr))
	for i, r := range rr {
		rolePKs[i] = r[engine.M2MTarget]
	}
	gr, err := tx.Select(ctx, store.Query{Table: roles.Table, Columns: []string{col(roles, "group")}, Where: store.InCond{Column: roles.PKColumn, Values: rolePKs}})
	if err != nil {
		return nil, err
	}
	out := make([]any, 0, len(gr))
	for _, r := range gr {
		if v := r[col(roles, "group")]; v != nil {
			out = append(out, v)
		}
	}
	return out, nil
}

func m2mTargets(ctx context.Context, tx store.Tx, m *registry.Model, f *registry.Field, sources []any) ([]any, error) {
	rows, err := tx.Select(ctx, store.Query{Table: m.M2MTable(f), Columns: []string{engine.M2MTarget}, Where: store.InCond{Column: engine.M2MSource, Values: sources}})
	if err != nil {
		return nil, err
	}
	out := make([]any, len(rows))
	for i, r := range rows {
		out[i] = r[engine.M2MTarget]
	}
	return out, nil
}
