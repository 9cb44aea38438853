package policies

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/expression"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// groupDepthLimit bounds the walk up a group's parents, as authentik's
// recursive query stops at 20 levels.
const groupDepthLimit = 20

// Directory is expression.Directory over the store. It keeps each user's
// groups for TTL, since every group binding and ak_is_group_member asks
// for them; writes to users or groups through this server call Forget.
type Directory struct {
	Core *engine.Engine
	// TTL bounds how long a user's groups are reused (0: not cached).
	TTL time.Duration

	mu     sync.Mutex
	cached map[int64]*userGroups
}

type userGroups struct {
	direct, all []*expression.Group
	loaded      time.Time
}

// Forget drops the cached group memberships.
func (d *Directory) Forget() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cached = nil
}

// memberships returns the user's direct and inherited groups, from the
// cache when fresh. Callers get copies: an expression may change a
// group's attributes in place, which must not leak into other requests.
func (d *Directory) memberships(ctx context.Context, tx store.Tx, user int64) (direct, all []*expression.Group, err error) {
	now := d.Core.Now()
	d.mu.Lock()
	ug, ok := d.cached[user]
	d.mu.Unlock()
	if !ok || d.TTL <= 0 || now.Sub(ug.loaded) >= d.TTL || now.Before(ug.loaded) {
		ug = &userGroups{loaded: now}
		load := func(tx store.Tx) error {
			if ug.direct, err = d.directGroups(ctx, tx, user); err != nil {
				return err
			}
			ug.all, err = d.ancestors(ctx, tx, ug.direct)
			return err
		}
		if tx != nil {
			err = load(tx)
		} else {
			err = d.Core.Store.View(ctx, load)
		}
		if err != nil {
			return nil, nil, err
		}
		if d.TTL > 0 {
			d.mu.Lock()
			if d.cached == nil {
				d.cached = map[int64]*userGroups{}
			}
			d.cached[user] = ug
			d.mu.Unlock()
		}
	}
	return cloneGroups(ug.direct), cloneGroups(ug.all), nil
}

func cloneGroups(gs []*expression.Group) []*expression.Group {
	out := make([]*expression.Group, len(gs))
	for i, g := range gs {
		c := *g
		c.Attributes = cloneMap(g.Attributes)
		out[i] = &c
	}
	return out
}

func cloneMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch x := v.(type) {
		case map[string]any:
			out[k] = cloneMap(x)
		case []any:
			l := make([]any, len(x))
			for i, e := range x {
				if em, ok := e.(map[string]any); ok {
					l[i] = cloneMap(em)
				} else {
					l[i] = e
				}
			}
			out[k] = l
		default:
			out[k] = v
		}
	}
	return out
}

var _ expression.Directory = (*Directory)(nil)

func (d *Directory) models() (users, groups *registry.Model, err error) {
	users, ok := d.Core.Registry.Model("authentik_core.user")
	if !ok {
		return nil, nil, fmt.Errorf("model authentik_core.user is not registered")
	}
	groups, ok = d.Core.Registry.Model("authentik_core.group")
	if !ok {
		return nil, nil, fmt.Errorf("model authentik_core.group is not registered")
	}
	return users, groups, nil
}

// User loads a user by pk; nil when there is none.
func (d *Directory) User(ctx context.Context, pk int64) (*expression.User, error) {
	um, _, err := d.models()
	if err != nil {
		return nil, err
	}
	var u *expression.User
	err = d.Core.Store.View(ctx, func(tx store.Tx) error {
		rows, err := tx.Select(ctx, store.Query{Table: um.Table, Where: store.Eq(um.PKColumn, pk), Limit: 1})
		if err != nil || len(rows) == 0 {
			return err
		}
		u, err = d.user(ctx, tx, um, rows[0])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("load user %d: %w", pk, err)
	}
	return u, nil
}

// user builds an expression user from a row, with is_superuser from its
// groups and their parents.
func (d *Directory) user(ctx context.Context, tx store.Tx, um *registry.Model, row store.Row) (*expression.User, error) {
	r := record{um, row}
	attrs, err := r.object("attributes")
	if err != nil {
		return nil, err
	}
	password := r.str("password")
	u := &expression.User{
		PK: r.int("pk"), UUID: r.str("uuid"), Username: r.str("username"), Name: r.str("name"), Email: r.str("email"),
		IsActive: r.bool("is_active"), Type: r.str("type"), Path: r.str("path"), Attributes: attrs,
		PasswordUsable:     password != "" && !strings.HasPrefix(password, "!"),
		PasswordChangeDate: r.time("password_change_date"), LastLogin: r.time("last_login"), DateJoined: r.time("date_joined"),
	}
	_, groups, err := d.memberships(ctx, tx, u.PK)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		u.IsSuperuser = u.IsSuperuser || g.IsSuperuser
	}
	return u, nil
}

// Group loads a group by pk; nil when there is none.
func (d *Directory) Group(ctx context.Context, pk string) (*expression.Group, error) {
	var out *expression.Group
	err := d.Core.Store.View(ctx, func(tx store.Tx) error {
		gs, err := d.groupsByPK(ctx, tx, []any{pk})
		if len(gs) > 0 {
			out = gs[0]
		}
		return err
	})
	return out, err
}

func (d *Directory) groupsByPK(ctx context.Context, tx store.Tx, pks []any) ([]*expression.Group, error) {
	if len(pks) == 0 {
		return nil, nil
	}
	_, gm, err := d.models()
	if err != nil {
		return nil, err
	}
	return d.groups(ctx, tx, store.InCond{Column: gm.PKColumn, Values: pks})
}

// groups loads the groups matching where, ordered by name.
func (d *Directory) groups(ctx context.Context, tx store.Tx, where store.Cond) ([]*expression.Group, error) {
	_, gm, err := d.models()
	if err != nil {
		return nil, err
	}
	rows, err := tx.Select(ctx, store.Query{Table: gm.Table, Where: where,
		OrderBy: []store.Order{{Column: column(gm, "name")}, {Column: gm.PKColumn}}})
	if err != nil {
		return nil, fmt.Errorf("load groups: %w", err)
	}
	out := make([]*expression.Group, 0, len(rows))
	for _, row := range rows {
		r := record{gm, row}
		attrs, err := r.object("attributes")
		if err != nil {
			return nil, err
		}
		out = append(out, &expression.Group{PK: r.str("pk"), Name: r.str("name"), IsSuperuser: r.bool("is_superuser"),
			ParentPK: r.str("parent"), Attributes: attrs})
	}
	return out, nil
}

func (d *Directory) directGroups(ctx context.Context, tx store.Tx, user int64) ([]*expression.Group, error) {
	_, gm, err := d.models()
	if err != nil {
		return nil, err
	}
	users, _ := gm.Field("users")
	member := store.InQueryCond{Column: gm.PKColumn, Query: store.Query{Table: gm.M2MTable(users),
		Columns: []string{engine.M2MSource}, Where: store.Eq(engine.M2MTarget, user)}}
	groups, err := d.groups(ctx, tx, member)
	if err != nil {
		return nil, fmt.Errorf("load groups of user %d: %w", user, err)
	}
	return groups, nil
}

// ancestors returns groups and all their parents (User.all_groups).
func (d *Directory) ancestors(ctx context.Context, tx store.Tx, groups []*expression.Group) ([]*expression.Group, error) {
	seen := map[string]bool{}
	var out []*expression.Group
	frontier := groups
	var err error
	for depth := 0; len(frontier) > 0 && depth <= groupDepthLimit; depth++ {
		var parents []any
		for _, g := range frontier {
			if seen[g.PK] {
				continue
			}
			seen[g.PK] = true
			out = append(out, g)
			if g.ParentPK != "" && !seen[g.ParentPK] {
				parents = append(parents, g.ParentPK)
			}
		}
		if frontier, err = d.groupsByPK(ctx, tx, parents); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Groups implements expression.Directory.
func (d *Directory) Groups(ctx context.Context, u *expression.User) ([]*expression.Group, error) {
	direct, _, err := d.memberships(ctx, nil, u.PK)
	return direct, err
}

// AllGroups implements expression.Directory.
func (d *Directory) AllGroups(ctx context.Context, u *expression.User) ([]*expression.Group, error) {
	_, all, err := d.memberships(ctx, nil, u.PK)
	return all, err
}

// UserBy implements expression.Directory with the API's Django lookup
// translation, so ak_user_by accepts the same paths as list filters.
func (d *Directory) UserBy(ctx context.Context, filters []expression.Filter) (*expression.User, error) {
	um, _, err := d.models()
	if err != nil {
		return nil, err
	}
	var conds []store.Cond
	for _, f := range filters {
		vals := filterValues(f)
		c, err := d.Core.PathCond(um, f.Path, f.Lookup, registry.KindString, vals)
		if err != nil {
			return nil, fmt.Errorf("filter %s__%s: %w", f.Path, f.Lookup, err)
		}
		if c == nil {
			// authentik returns None for a field Django does not know.
			return nil, nil
		}
		conds = append(conds, c)
	}
	var u *expression.User
	err = d.Core.Store.View(ctx, func(tx store.Tx) error {
		rows, err := tx.Select(ctx, store.Query{Table: um.Table, Where: store.And(conds...), OrderBy: []store.Order{{Column: um.PKColumn}}, Limit: 1})
		if err != nil || len(rows) == 0 {
			return err
		}
		u, err = d.user(ctx, tx, um, rows[0])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("find user: %w", err)
	}
	return u, nil
}

// filterValues renders a filter value as the strings list filters take.
func filterValues(f expression.Filter) []string {
	str := func(v any) string {
		switch x := v.(type) {
		case bool:
			if x {
				return "true"
			}
			return "false"
		case nil:
			return ""
		}
		return fmt.Sprint(v)
	}
	if list, ok := f.Value.([]any); ok {
		out := make([]string, len(list))
		for i, v := range list {
			out[i] = str(v)
		}
		return out
	}
	return []string{str(f.Value)}
}

// deviceModels lists the authenticator device models and their class
// names ("totp" for totpdevice), as authentik's devices_for_user walks
// every device model.
func (d *Directory) deviceModels() map[string]*registry.Model {
	out := map[string]*registry.Model{}
	for _, m := range d.Core.Registry.Models {
		name := m.ModelName()
		if !strings.HasPrefix(m.App(), "authentik_stages_authenticator") || !strings.HasSuffix(name, "device") {
			continue
		}
		if _, ok := m.Field("user"); ok {
			out[strings.TrimSuffix(name, "device")] = m
		}
	}
	return out
}

// HasAuthenticator implements expression.Directory.
func (d *Directory) HasAuthenticator(ctx context.Context, u *expression.User, kind string) (bool, error) {
	models := d.deviceModels()
	kinds := make([]string, 0, len(models))
	for k := range models {
		if kind == "" || k == kind {
			kinds = append(kinds, k)
		}
	}
	sort.Strings(kinds)
	found := false
	err := d.Core.Store.View(ctx, func(tx store.Tx) error {
		for _, k := range kinds {
			m := models[k]
			where := store.Eq(column(m, "user"), u.PK)
			if _, ok := m.Field("confirmed"); ok {
				where = store.And(where, store.Eq(column(m, "confirmed"), true))
			}
			n, err := tx.Count(ctx, store.Query{Table: m.Table, Where: where})
			if err != nil {
				return fmt.Errorf("count %s devices: %w", k, err)
			}
			if n > 0 {
				found = true
				return nil
			}
		}
		return nil
	})
	return found, err
}
