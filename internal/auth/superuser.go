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
	gm, _ := reg.Model("authentik_core.group")
	usersField, _ := gm.Field("users")
	rows, err := tx.Select(ctx, store.Query{Table: gm.M2MTable(usersField), Columns: []string{engine.M2MSource}, Where: store.Eq(engine.M2MTarget, userPK)})
	if err != nil {
		return false, err
	}
	seen := map[any]bool{}
	var frontier []any
	for _, r := range rows {
		frontier = append(frontier, r[engine.M2MSource])
	}
	for len(frontier) > 0 {
		groups, err := tx.Select(ctx, store.Query{Table: gm.Table, Where: store.InCond{Column: gm.PKColumn, Values: frontier}})
		if err != nil {
			return false, err
		}
		frontier = nil
		for _, g := range groups {
			if su, _ := g[column(gm, "is_superuser")].(bool); su {
				return true, nil
			}
			seen[g[gm.PKColumn]] = true
			if parent := g[column(gm, "parent")]; parent != nil && !seen[parent] {
				frontier = append(frontier, parent)
			}
		}
	}
	return false, nil
}

func column(m *registry.Model, field string) string {
	return m.MustColumn(field)
}
