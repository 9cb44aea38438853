package modelhooks

import (
	"context"
	"sort"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/events"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// outposts installs the fields of the outpost-facing provider views and of
// the static device's tokens.
func (h *hooks) outposts() {
	apps := h.model("authentik_core.application")
	flows := h.model("authentik_flows.flow")
	appSlug := func(ctx context.Context, tx store.Tx, providerPK any) (any, error) {
		rows, err := tx.Select(ctx, store.Query{Table: apps.Table, Columns: []string{col(apps, "slug")}, Where: store.Eq(col(apps, "provider"), providerPK), Limit: 1})
		if err != nil || len(rows) == 0 {
			return "", err
		}
		return rows[0][col(apps, "slug")], nil
	}
	h.compute("application_slug", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		return appSlug(ctx, tx, row[m.PKColumn])
	})
	flowSlug := func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		f, err := one(ctx, tx, flows, row[col(m, "authorization_flow")])
		if err != nil || f == nil {
			return "", err
		}
		return f[col(flows, "slug")], nil
	}
	// The LDAP outpost binds and the RADIUS outpost authenticates through
	// the provider's authorization flow.
	h.compute("ldap_bind_flow_slug", flowSlug)
	h.compute("radius_auth_flow_slug", flowSlug)
	// Connectivity is reported by LDAP sync runs; none has run yet.
	h.compute("authentik_sources_ldap.ldapsource.connectivity", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		return nil, nil
	})
	providers := h.model("authentik_core.provider")
	scopes := h.model("authentik_providers_oauth2.scopemapping")
	scopeNames := func(ctx context.Context, tx store.Tx, providerPK any) ([]any, error) {
		f, _ := providers.Field("property_mappings")
		j, ok := h.e.Join(providers, f)
		if !ok {
			return []any{}, nil
		}
		rows, err := tx.Select(ctx, store.Query{Table: scopes.Table, Columns: []string{col(scopes, "scope_name")},
			Where: store.InQueryCond{Column: scopes.PKColumn, Query: store.Query{Table: j.Table, Columns: []string{j.Other}, Where: store.Eq(j.Self, providerPK)}}})
		if err != nil {
			return nil, err
		}
		set := map[string]bool{}
		for _, r := range rows {
			set[str(r[col(scopes, "scope_name")])] = true
		}
		out := []any{}
		names := make([]string, 0, len(set))
		for n := range set {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			out = append(out, n)
		}
		return out, nil
	}
	h.compute("authentik_providers_proxy.proxyprovider.scopes_to_request", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		return scopeNames(ctx, tx, row[m.PKColumn])
	})
	h.compute("authentik_providers_proxy.proxyprovider.oidc_configuration", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		slug, err := appSlug(ctx, tx, row[m.PKColumn])
		if err != nil {
			return nil, err
		}
		names, err := scopeNames(ctx, tx, row[m.PKColumn])
		if err != nil {
			return nil, err
		}
		alg := "HS256"
		if c, ok := hasCol(m, "signing_key"); ok && row[c] != nil {
			kp := h.model("authentik_crypto.certificatekeypair")
			if k, err := one(ctx, tx, kp, row[c]); err == nil && k != nil {
				switch PrivateKeyType(str(k[col(kp, "key_data")])) {
				case "rsa":
					alg = "RS256"
				case "ecdsa":
					alg = "ES256"
				}
			}
		}
		return OIDCConfiguration(engine.BaseURLFrom(ctx), str(slug), alg, names), nil
	})
	// The outpost view shows the proxy provider's token validity in
	// seconds; the provider endpoint shows authentik's timedelta string.
	h.compute("ProxyOutpostConfig.access_token_validity", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		return events.ParseRetention(str(row[col(m, "access_token_validity")])).Seconds(), nil
	})
	tokens := h.model("authentik_stages_authenticator_static.statictoken")
	h.compute("authentik_stages_authenticator_static.staticdevice.token_set", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		rows, err := tx.Select(ctx, store.Query{Table: tokens.Table, Where: store.Eq(col(tokens, "device"), row[m.PKColumn]), OrderBy: []store.Order{{Column: tokens.PKColumn}}})
		if err != nil {
			return nil, err
		}
		out := []any{}
		for _, r := range rows {
			out = append(out, map[string]any{"token": r[col(tokens, "token")]})
		}
		return out, nil
	})
}

// OIDCConfiguration is the OpenID provider metadata authentik publishes for
// an OAuth2 provider of the application slug, as seen from base.
func OIDCConfiguration(base, slug, alg string, scopes []any) map[string]any {
	o := base + "/application/o/"
	return map[string]any{
		"issuer":                                o + slug + "/",
		"authorization_endpoint":                o + "authorize/",
		"token_endpoint":                        o + "token/",
		"userinfo_endpoint":                     o + "userinfo/",
		"end_session_endpoint":                  o + slug + "/end-session/",
		"introspection_endpoint":                o + "introspect/",
		"jwks_uri":                              o + slug + "/jwks/",
		"response_types_supported":              []any{"code", "id_token", "id_token token", "code token", "code id_token", "code id_token token"},
		"id_token_signing_alg_values_supported": []any{alg},
		"subject_types_supported":               []any{"public"},
		"token_endpoint_auth_methods_supported": []any{"client_secret_post", "client_secret_basic"},
		"scopes_supported":                      scopes,
		"claims_supported":                      []any{"sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "amr", "nonce"},
	}
}
