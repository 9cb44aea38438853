package modelhooks

import (
	"context"
	"fmt"
	"strings"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// filters installs the list parameters that are not plain field lookups:
// django-filter methods and reverse relations of authentik's filter sets.
func (h *hooks) filters() {
	reg := func(path, param string, fn engine.FilterFunc) { h.e.Hooks.Filters[path+":"+param] = fn }
	// path: a Django path with any-of semantics over all values.
	path := func(p string, kind registry.Kind) engine.FilterFunc {
		return func(ctx context.Context, m *registry.Model, vals []string) (store.Cond, error) {
			c, err := h.e.PathCond(m, p, "in", kind, splitAll(vals))
			if err != nil {
				return nil, err
			}
			if c == nil {
				return nil, fmt.Errorf("filter path %s does not resolve on %s", p, m.Name)
			}
			return c, nil
		}
	}
	lookup := func(p, l string, kind registry.Kind) engine.FilterFunc {
		return func(ctx context.Context, m *registry.Model, vals []string) (store.Cond, error) {
			c, err := h.e.PathCond(m, p, l, kind, vals[len(vals)-1:])
			if err == nil && c == nil {
				err = fmt.Errorf("filter path %s does not resolve on %s", p, m.Name)
			}
			return c, err
		}
	}
	noop := func(ctx context.Context, m *registry.Model, vals []string) (store.Cond, error) { return nil, nil }

	// Superusers see every application; the per-user policy check of the
	// non-superuser listing belongs to the RBAC layer.
	reg("/core/applications/", "superuser_full_list", noop)
	reg("/core/groups/", "members_by_pk", path("users__pk", registry.KindInt))
	reg("/core/groups/", "members_by_username", path("users__username", registry.KindString))
	reg("/core/users/", "groups_by_name", path("groups__name", registry.KindString))
	reg("/core/users/", "groups_by_pk", path("groups__pk", registry.KindUUID))
	reg("/core/users/", "is_superuser", lookup("groups__is_superuser", "exact", registry.KindBool))
	reg("/core/users/", "path_startswith", lookup("path", "startswith", registry.KindString))
	// include_details only changes how much the certificate list computes.
	reg("/crypto/certificatekeypairs/", "include_details", noop)
	reg("/crypto/certificatekeypairs/", "has_key", h.emptyText("key_data", "has_key"))
	reg("/sources/oauth/", "has_jwks", func(ctx context.Context, m *registry.Model, vals []string) (store.Cond, error) {
		b, err := engine.ParseBool("has_jwks", vals[len(vals)-1])
		if err != nil {
			return nil, err
		}
		// A JWKS with at least one key.
		has := store.JSONContainsCond{Column: col(m, "oidc_jwks"), Value: map[string]any{"keys": []any{map[string]any{}}}}
		if b {
			return has, nil
		}
		return store.NotCond{Cond: has}, nil
	})
	// Events keep user, tenant and context as JSON.
	for param, p := range map[string][]string{
		"context_model_app": {"context", "model", "app"}, "context_model_name": {"context", "model", "model_name"},
		"context_model_pk": {"context", "model", "pk"}, "context_authorized_app": {"context", "authorized_application", "pk"},
		"tenant_name": {"tenant", "name"}, "username": {"user", "username"},
	} {
		p := p
		fn := func(ctx context.Context, m *registry.Model, vals []string) (store.Cond, error) {
			return store.JSONPathCond{Column: col(m, p[0]), Path: p[1:], Value: vals[len(vals)-1]}, nil
		}
		reg("/events/events/", param, fn)
		reg("/events/events/volume/", param, fn)
	}
	pbind := h.model("authentik_policies.policybinding")
	// Flow stage bindings bound to any of the given policies.
	reg("/flows/bindings/", "policies", func(ctx context.Context, m *registry.Model, vals []string) (store.Cond, error) {
		vs, err := uuids("policies", splitAll(vals))
		if err != nil {
			return nil, err
		}
		return store.InQueryCond{Column: m.ParentColumn, Query: store.Query{Table: pbind.Table, Columns: []string{col(pbind, "target")},
			Where: store.InCond{Column: col(pbind, "policy"), Values: vs}}}, nil
	})
	reg("/outposts/instances/", "providers_by_pk", path("providers__pk", registry.KindInt))
	reg("/outposts/instances/{uuid}/health/", "providers_by_pk", path("providers__pk", registry.KindInt))
	reg("/policies/bindings/", "target_in", path("target", registry.KindUUID))
	reg("/policies/all/", "bindings__isnull", h.reverseIsNull("bindings__isnull", pbind, "policy", ""))
	prompt := h.model("authentik_stages_prompt.promptstage")
	reg("/policies/all/", "promptstage__isnull", func(ctx context.Context, m *registry.Model, vals []string) (store.Cond, error) {
		f, _ := prompt.Field("validation_policies")
		j, ok := h.e.Join(prompt, f)
		if !ok {
			return nil, fmt.Errorf("promptstage.validation_policies is not a set")
		}
		return isNull("promptstage__isnull", vals, store.InQueryCond{Column: m.PKColumn, Query: store.Query{Table: j.Table, Columns: []string{j.Other}}})
	})
	apps := h.model("authentik_core.application")
	for _, p := range []string{"/providers/all/", "/providers/ldap/", "/providers/proxy/", "/providers/radius/"} {
		reg(p, "application__isnull", h.reverseIsNull("application__isnull", apps, "provider", ""))
	}
	reg("/providers/all/", "backchannel_only", func(ctx context.Context, m *registry.Model, vals []string) (store.Cond, error) {
		b, err := engine.ParseBool("backchannel_only", vals[len(vals)-1])
		if err != nil {
			return nil, err
		}
		return store.Eq(col(m, "is_backchannel"), b), nil
	})
	reg("/providers/oauth2/", "application", func(ctx context.Context, m *registry.Model, vals []string) (store.Cond, error) {
		vs, err := uuids("application", vals[len(vals)-1:])
		if err != nil {
			return nil, err
		}
		return store.InQueryCond{Column: m.PKColumn, Query: store.Query{Table: apps.Table, Columns: []string{col(apps, "provider")},
			Where: store.InCond{Column: apps.PKColumn, Values: vs}}}, nil
	})
	roles := h.model("authentik_rbac.role")
	groups := h.model("auth.group")
	users := h.model("authentik_core.user")
	reg("/rbac/permissions/", "role", func(ctx context.Context, m *registry.Model, vals []string) (store.Cond, error) {
		vs, err := uuids("role", vals[len(vals)-1:])
		if err != nil {
			return nil, err
		}
		f, _ := groups.Field("permissions")
		j, _ := h.e.Join(groups, f)
		return store.InQueryCond{Column: m.PKColumn, Query: store.Query{Table: j.Table, Columns: []string{j.Other},
			Where: store.InQueryCond{Column: j.Self, Query: store.Query{Table: roles.Table, Columns: []string{col(roles, "group")},
				Where: store.InCond{Column: roles.PKColumn, Values: vs}}}}}, nil
	})
	reg("/rbac/permissions/", "user", func(ctx context.Context, m *registry.Model, vals []string) (store.Cond, error) {
		c, err := h.e.PathCond(users, "pk", "exact", registry.KindInt, vals[len(vals)-1:])
		if err != nil {
			return nil, err
		}
		f, _ := users.Field("user_permissions")
		j, _ := h.e.Join(users, f)
		return store.InQueryCond{Column: m.PKColumn, Query: store.Query{Table: j.Table, Columns: []string{j.Other},
			Where: store.InQueryCond{Column: j.Self, Query: store.Query{Table: users.Table, Columns: []string{users.PKColumn}, Where: c}}}}, nil
	})
	fsb := h.model("authentik_flows.flowstagebinding")
	reg("/stages/invitation/stages/", "no_flows", h.reverseIsNull("no_flows", fsb, "stage", ""))
}

// reverseIsNull: value true keeps rows that no row of `from` references
// through field; false keeps the referenced ones.
func (h *hooks) reverseIsNull(param string, from *registry.Model, field, _ string) engine.FilterFunc {
	return func(ctx context.Context, m *registry.Model, vals []string) (store.Cond, error) {
		c := store.InQueryCond{Column: m.PKColumn, Query: store.Query{Table: from.Table, Columns: []string{col(from, field)},
			Where: store.NullCond{Column: col(from, field), IsNull: false}}}
		return isNull(param, vals, c)
	}
}

func isNull(param string, vals []string, referenced store.Cond) (store.Cond, error) {
	b, err := engine.ParseBool(param, vals[len(vals)-1])
	if err != nil {
		return nil, err
	}
	if b {
		return store.NotCond{Cond: referenced}, nil
	}
	return referenced, nil
}

// emptyText: true keeps rows whose text column is set, false the others.
func (h *hooks) emptyText(column, param string) engine.FilterFunc {
	return func(ctx context.Context, m *registry.Model, vals []string) (store.Cond, error) {
		b, err := engine.ParseBool(param, vals[len(vals)-1])
		if err != nil {
			return nil, err
		}
		empty := store.OrCond{store.NullCond{Column: col(m, column), IsNull: true}, store.Eq(col(m, column), "")}
		if b {
			return store.NotCond{Cond: empty}, nil
		}
		return empty, nil
	}
}

func splitAll(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func uuids(field string, vals []string) ([]any, error) {
	out := make([]any, 0, len(vals))
	for _, v := range vals {
		if _, err := parseUUID(v); err != nil {
			return nil, engine.Invalid(field, "Enter a valid UUID.")
		}
		out = append(out, strings.ToLower(v))
	}
	return out, nil
}
