package modelhooks

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/akgo/akgo/internal/auth"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

func (h *hooks) core() {
	users := h.model("authentik_core.user")
	groups := h.model("authentik_core.group")
	h.computeBatch("authentik_core.user.is_superuser", func(ctx context.Context, tx store.Tx, m *registry.Model, rows []store.Row, objs []engine.Object) ([]any, error) {
		pks := make([]int64, len(rows))
		for i, r := range rows {
			pks[i], _ = r[m.PKColumn].(int64)
		}
		// A page showing the users' groups reads the memberships once for
		// both.
		sets, onPage, err := h.e.PageM2M(ctx, tx, m, "groups")
		if err != nil {
			return nil, err
		}
		var su map[int64]bool
		if onPage {
			var members []auth.Membership
			for i, gs := range sets {
				for _, g := range gs {
					members = append(members, auth.Membership{User: pks[i], Group: g})
				}
			}
			su, err = auth.SuperusersOf(ctx, tx, h.e.Registry, members, shownGroups(objs))
		} else {
			su, err = auth.Superusers(ctx, tx, h.e.Registry, pks)
		}
		if err != nil {
			return nil, err
		}
		out := make([]any, len(rows))
		for i, pk := range pks {
			out[i] = su[pk]
		}
		return out, nil
	})
	// uid: sha256("<id>-<SECRET_KEY>"), as authentik's User.uid.
	h.compute("authentik_core.user.uid", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		var buf [96]byte
		text := buf[:0]
		if pk, ok := row[m.PKColumn].(int64); ok {
			text = strconv.AppendInt(text, pk, 10) // what %v prints, without fmt's cost on every listed user
		} else {
			text = fmt.Append(text, row[m.PKColumn])
		}
		text = append(append(text, '-'), h.s.SecretKey...)
		sum := sha256.Sum256(text)
		return string(hex.AppendEncode(buf[:0], sum[:])), nil // one allocation per listed user, not two
	})
	// avatar: authentik's default "gravatar" mode.
	h.compute("authentik_core.user.avatar", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		email, _ := row[col(users, "email")].(string)
		sum := md5.Sum([]byte(strings.ToLower(email)))
		const prefix, suffix = "https://secure.gravatar.com/avatar/", "?s=158&amp;r=g"
		var buf [len(prefix) + 2*md5.Size + len(suffix)]byte
		return string(append(hex.AppendEncode(append(buf[:0], prefix...), sum[:]), suffix...)), nil
	})
	// num_pk: the first five decimal digits of the uuid's integer value.
	h.compute("authentik_core.group.num_pk", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		return GroupNumPK(str(row[m.PKColumn])), nil
	})
	h.computeBatch("authentik_core.group.parent_name", func(ctx context.Context, tx store.Tx, m *registry.Model, rows []store.Row, objs []engine.Object) ([]any, error) {
		parent := col(groups, "parent")
		parents, err := byPK(ctx, tx, groups, engine.DistinctValues(rows, parent))
		if err != nil {
			return nil, err
		}
		out := make([]any, len(rows))
		for i, r := range rows {
			if p, ok := parents[r[parent]]; ok {
				out[i] = p[col(groups, "name")]
			}
		}
		return out, nil
	})
	h.reads("authentik_core.user.is_superuser")
	h.reads("authentik_core.user.uid")
	h.reads("authentik_core.user.avatar", "email")
	h.reads("authentik_core.group.num_pk")
	h.reads("authentik_core.group.parent_name", "parent")
	// is_expired of ExpiringModel.
	h.compute("*.is_expired", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		if c, ok := hasCol(m, "expiring"); ok {
			if exp, _ := row[c].(bool); !exp {
				return false, nil
			}
		}
		c, ok := hasCol(m, "expires")
		if !ok {
			return false, nil
		}
		at, ok := row[c].(time.Time)
		return ok && h.e.Now().After(at), nil
	})
	apps := h.model("authentik_core.application")
	// launch_url: meta_launch_url, else what the provider suggests; the
	// providers of a page are read together.
	launchCol, providerCol := col(apps, "meta_launch_url"), col(apps, "provider")
	h.computeBatch("authentik_core.application.launch_url", func(ctx context.Context, tx store.Tx, m *registry.Model, rows []store.Row, objs []engine.Object) ([]any, error) {
		out := make([]any, len(rows))
		var pks []any
		for i, r := range rows {
			if u, _ := r[launchCol].(string); u != "" {
				out[i] = u
			} else if p := r[providerCol]; p != nil {
				pks = append(pks, p)
			}
		}
		if len(pks) == 0 {
			return out, nil
		}
		urls, err := h.launchURLs(ctx, tx, pks)
		if err != nil {
			return nil, err
		}
		for i, r := range rows {
			if out[i] == nil {
				if p := r[providerCol]; p != nil {
					out[i] = urls[p]
				}
			}
		}
		return out, nil
	})
	h.reads("authentik_core.application.launch_url", "meta_launch_url", "provider")
	h.compute("authentik_core.application.meta_icon", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		return h.mediaURL(ctx, row[col(apps, "meta_icon")]), nil
	})
	// Sessions: the API user agent is parsed by authentik; we report the
	// raw string split into the ua-parser shape with what we can tell.
	h.compute("authentik_core.authenticatedsession.current", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		return false, nil
	})
	h.compute("authentik_core.authenticatedsession.user_agent", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		ua, _ := row[col(m, "last_user_agent")].(string)
		return ParseUserAgent(ua), nil
	})
	h.compute("authentik_core.authenticatedsession.geo_ip", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		return nil, nil
	})
}

// GroupNumPK is authentik's Group.num_pk: int(str(uuid.int)[:5]).
func GroupNumPK(pk string) int64 {
	u, err := uuid.Parse(pk)
	if err != nil {
		return 0
	}
	n := new(big.Int).SetBytes(u[:]).String()
	if len(n) > 5 {
		n = n[:5]
	}
	var v int64
	fmt.Sscan(n, &v)
	return v
}

// mediaURL renders a stored file name as authentik's FileField URLs: names
// that are URLs or /static paths as they are, else under /media/.
func (h *hooks) mediaURL(ctx context.Context, v any) any {
	name, _ := v.(string)
	if name == "" {
		return nil
	}
	if strings.Contains(name, "://") || strings.HasPrefix(name, "/static") {
		return name
	}
	return "/media/" + strings.TrimPrefix(name, "/")
}

// ParseUserAgent returns the ua-parser shape authentik's API uses, with the
// browser family recognised from common tokens.
func ParseUserAgent(ua string) map[string]any {
	family := "Other"
	for _, cand := range []string{"Firefox", "Edg", "Chrome", "Safari", "curl", "Go-http-client", "python-requests"} {
		if strings.Contains(ua, cand) {
			family = cand
			if cand == "Edg" {
				family = "Edge"
			}
			break
		}
	}
	osFamily := "Other"
	for _, cand := range []string{"Windows", "Mac OS X", "Android", "iPhone", "Linux"} {
		if strings.Contains(ua, cand) {
			osFamily = cand
			break
		}
	}
	part := func(fam string) map[string]any {
		return map[string]any{"family": fam, "major": "", "minor": "", "patch": ""}
	}
	os := part(osFamily)
	os["patch_minor"] = ""
	return map[string]any{
		"device":     map[string]any{"brand": "", "family": "Other", "model": ""},
		"os":         os,
		"user_agent": part(family),
		"string":     ua,
	}
}

func parseUUID(s string) (uuid.UUID, error) { return uuid.Parse(s) }

// shownGroups collects the groups a users page already shows in its
// groups_obj (projected before is_superuser, in name order), so the
// superuser check does not read them again: their pks, flags and parents
// are the stored values the check compares (uuid text).
func shownGroups(objs []engine.Object) map[any]auth.Group {
	var known map[any]auth.Group
	for _, o := range objs {
		list, _ := o["groups_obj"].([]any)
		for _, g := range list {
			obj, ok := g.(engine.Object)
			if !ok {
				continue
			}
			pk, ok := obj["pk"].(string)
			su, okSU := obj["is_superuser"].(bool)
			if !ok || !okSU {
				continue
			}
			var parent any
			if p, ok := obj["parent"].(string); ok {
				parent = p
			} else if obj["parent"] != nil {
				continue
			}
			if known == nil {
				known = map[any]auth.Group{}
			}
			known[pk] = auth.Group{Superuser: su, Parent: parent}
		}
	}
	return known
}
