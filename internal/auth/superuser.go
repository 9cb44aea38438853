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
	if len(userPKs) == 0 {
		return map[int64]bool{}, nil
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
	members := make([]Membership, len(rows))
	for i, r := range rows {
		members[i] = Membership{User: r[engine.M2MTarget].(int64), Group: r[engine.M2MSource]}
	}
	return SuperusersOf(ctx, tx, reg, members, nil)
}

// Membership is one user's membership of one group (its pk as stored).
type Membership struct {
	User  int64
	Group any
}

// Group is what the superuser check needs of one group: its own flag and
// its parent's pk as stored (nil at the root).
type Group struct {
	Superuser bool
	Parent    any
}

// SuperusersOf answers Superusers from memberships the caller already
// read (a user list shows them as the users' groups): the groups and their
// ancestors are read, one query per level of the tree. known holds groups
// the caller has read too (a user list shows them as groups_obj), by pk
// as stored; those and, where their parents are known as well, their
// ancestors are not read again.
func SuperusersOf(ctx context.Context, tx store.Tx, reg *registry.Registry, members []Membership, known map[any]Group) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(members) == 0 {
		return out, nil
	}
	gm, _ := reg.Model("authentik_core.group")
	// Load every group the members reach, one level of parents per query.
	groups := map[any]Group{}
	var frontier []any
	var reach func(g any)
	reach = func(g any) {
		if _, seen := groups[g]; seen {
			return
		}
		if k, ok := known[g]; ok {
			groups[g] = k
			if k.Parent != nil {
				reach(k.Parent)
			}
			return
		}
		groups[g] = Group{}
		frontier = append(frontier, g)
	}
	for _, m := range members {
		reach(m.Group)
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
			groups[g[gm.PKColumn]] = Group{Superuser: su, Parent: parent}
			if parent != nil {
				reach(parent)
			}
		}
	}
	// A group is superuser through itself or an ancestor (a cycle ends at
	// a group already seen).
	direct := map[any]bool{}
	for _, m := range members {
		g := m.Group
		if _, done := direct[g]; done {
			continue
		}
		su := false
		seen := map[any]bool{}
		for cur := g; cur != nil && !seen[cur]; cur = groups[cur].Parent {
			seen[cur] = true
			if groups[cur].Superuser {
				su = true
				break
			}
		}
		direct[g] = su
	}
	for _, m := range members {
		if direct[m.Group] {
			out[m.User] = true
		}
	}
	return out, nil
}

func column(m *registry.Model, field string) string {
	return m.MustColumn(field)
}
