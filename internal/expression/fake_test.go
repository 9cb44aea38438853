package expression

import (
	"context"
	"errors"
)

// fakeDirectory is an in-memory Directory: users, groups with parents and
// memberships, and device classes per user.
type fakeDirectory struct {
	users   []*User
	groups  []*Group
	members map[int64][]string // user pk → direct group pks
	devices map[int64][]string
	fail    bool
}

var errDirectory = errors.New("directory unavailable")

func (d *fakeDirectory) UserBy(_ context.Context, filters []Filter) (*User, error) {
	if d.fail {
		return nil, errDirectory
	}
	for _, u := range d.users {
		if MatchUser(u, filters) {
			return u, nil
		}
	}
	return nil, nil
}

func (d *fakeDirectory) group(pk string) *Group {
	for _, g := range d.groups {
		if g.PK == pk {
			return g
		}
	}
	return nil
}

func (d *fakeDirectory) Groups(_ context.Context, u *User) ([]*Group, error) {
	if d.fail {
		return nil, errDirectory
	}
	var out []*Group
	for _, pk := range d.members[u.PK] {
		out = append(out, d.group(pk))
	}
	return out, nil
}

func (d *fakeDirectory) AllGroups(ctx context.Context, u *User) ([]*Group, error) {
	direct, err := d.Groups(ctx, u)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []*Group
	for _, g := range direct {
		for g != nil && !seen[g.PK] {
			seen[g.PK] = true
			out = append(out, g)
			g = d.group(g.ParentPK)
		}
	}
	return out, nil
}

func (d *fakeDirectory) Group(_ context.Context, pk string) (*Group, error) { return d.group(pk), nil }

func (d *fakeDirectory) HasAuthenticator(_ context.Context, u *User, kind string) (bool, error) {
	for _, k := range d.devices[u.PK] {
		if kind == "" || k == kind {
			return true, nil
		}
	}
	return false, nil
}

// newFixture builds akadmin (in "editors", a child of "admins") and alice
// (in no group).
func newFixture() (*fakeDirectory, *User, *User) {
	admin := &User{PK: 1, Username: "akadmin", Backend: "authentik.core.auth.InbuiltBackend", Name: "authentik Default Admin", Email: "root@localhost", IsActive: true,
		IsSuperuser: true, PasswordUsable: true, Type: "internal", Path: "users",
		Attributes: map[string]any{"team": "core", "settings": map[string]any{"locale": "de"}}}
	alice := &User{PK: 2, Username: "alice", Name: "Alice", Email: "alice@example.com", IsActive: true, Type: "external",
		Attributes: map[string]any{}}
	d := &fakeDirectory{
		users: []*User{admin, alice},
		groups: []*Group{
			{PK: "00000000-0000-0000-0000-00000000000a", Name: "admins", IsSuperuser: true, Attributes: map[string]any{"level": 1, "tags": []any{"a"}}},
			{PK: "00000000-0000-0000-0000-00000000000b", Name: "editors", ParentPK: "00000000-0000-0000-0000-00000000000a", Attributes: map[string]any{"level": 2, "tags": []any{"b"}}},
		},
		members: map[int64][]string{1: {"00000000-0000-0000-0000-00000000000b"}},
		devices: map[int64][]string{1: {"totp"}},
	}
	return d, admin, alice
}
