package auth

import (
	"context"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// IsSuperuser tells whether one of the user's groups, or an ancestor of one,
// has is_superuser.
func IsSuperuser(ctx context.Context, tx store.Tx, reg *registry.Registry, userPK int64) (bool, error) {
	su, err := Superusers(ctx, tx, reg, []int64{userPK})
	return su[userPK], err
}

// Superusers answers IsSuperuser for several users at once (a page of a
// user list) with one query for their memberships and one per level of
// the group tree above those groups. The result holds the superusers.
func Superusers(ctx context.Context, tx store.Tx, reg *registry.Registry, userPKs []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(userPKs) == 0 {
		return out, nil
	}
	gm, _ := reg.Model("authentik_core.group")
	usersField, _ := gm.Field("users")
	pks := make([]any, len(userPKs))
	for i, pk := range userPKs {
		pks[i] = pk
	}
	rows, err := tx.Select(ctx, store.Query{Table: gm.M2MTable(usersField), Columns: []string{engine.M2MSource, engine.M2MTarget},
		Where: store.InCond{Column: engine.M2MTarget, Values: pks}})
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return out, nil
	}
	// Load every group the members reach, one level of parents per query.
	type group struct {
		superuser bool
		parent    any
	}
	groups := map[any]group{}
	var frontier []any
	for _, r := range rows {
		g := r[engine.M2MSource]
		if _, seen := groups[g]; !seen {
			groups[g] = group{}
			frontier = append(frontier, g)
		}
	}
	suCol, parentCol := column(gm, "is_superuser"), column(gm, "parent")
	for len(frontier) > 0 {
		loaded, err := tx.Select(ctx, store.Query{Table: gm.Table, Columns: []string{gm.PKColumn, suCol, parentCol},
			Where: store.InCond{Column: gm.PKColumn, Values: frontier}})
		if err != nil {
			return nil, err
		}
		frontier = nil
		for _, g := range loaded {
			su, _ := g[suCol].(bool)
			parent := g[parentCol]
			groups[g[gm.PKColumn]] = group{superuser: su, parent: parent}
			if _, seen := groups[parent]; parent != nil && !seen {
				groups[parent] = group{}
				frontier = append(frontier, parent)
			}
		}
	}
	// A group is superuser through itself or an ancestor (a cycle ends at
	// a group already seen).
	direct := map[any]bool{}
	for _, r := range rows {
		g := r[engine.M2MSource]
		if _, done := direct[g]; done {
			continue
		}
		su := false
		seen := map[any]bool{}
		for cur := g; cur != nil && !seen[cur]; cur = groups[cur].parent {
			seen[cur] = true
			if groups[cur].superuser {
				su = true
				break
			}
		}
		direct[g] = su
	}
	for _, r := range rows {
		if direct[r[engine.M2MSource]] {
			out[r[engine.M2MTarget].(int64)] = true
		}
	}
	return out, nil
}

func column(m *registry.Model, field string) string {
	return m.MustColumn(field)
}
