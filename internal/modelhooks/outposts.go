package modelhooks

import (
	"context"
	"maps"
	"slices"

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
	appProvider, appSlugCol := col(apps, "provider"), col(apps, "slug")
	h.pointedAt("application_slug", pkColumn, apps.Table, appProvider, appSlugCol, h.appsByProvider(), "")
	h.reads("application_slug")
	// The LDAP outpost binds and the RADIUS outpost authenticates through
	// the provider's authorization flow.
	flowCol := func(m *registry.Model) string { return col(m, "authorization_flow") }
	for _, key := range []string{"ldap_bind_flow_slug", "radius_auth_flow_slug"} {
		h.pointedAt(key, flowCol, flows.Table, flows.PKColumn, col(flows, "slug"), nil, "")
		h.reads(key, "authorization_flow")
	}
	// Connectivity is reported by LDAP sync runs; none has run yet.
	h.compute("authentik_sources_ldap.ldapsource.connectivity", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		return nil, nil
	})
	providers := h.model("authentik_core.provider")
	scopes := h.model("authentik_providers_oauth2.scopemapping")
	kp := h.model("authentik_crypto.certificatekeypair")
	mappings, _ := providers.Field("property_mappings")
	// proxyPage is what the proxy outpost view's fields read for a page
	// of providers, in one ReadMany: their applications' slugs, their
	// scope mappings' names (sorted, each once) and the kind of their
	// signing keys.
	type proxyPage struct {
		slug   map[any]any
		scopes map[any][]any
		keys   map[any]string
	}
	readProxyPage := func(ctx context.Context, tx store.Tx, m *registry.Model, rows []store.Row) (*proxyPage, error) {
		pks := engine.DistinctValues(rows, m.PKColumn)
		pp := &proxyPage{slug: map[any]any{}, scopes: map[any][]any{}, keys: map[any]string{}}
		j, ok := h.e.Join(providers, mappings)
		if len(pks) == 0 || !ok {
			return pp, nil
		}
		linked := store.InCond{Column: j.Self, Values: pks}
		reads := []store.Read{
			{Query: h.appSlugRead(pks)},
			{Query: store.Query{Table: j.Table, Columns: []string{j.Self, j.Other}, Where: linked}},
			{Query: store.Query{Table: scopes.Table, Columns: []string{scopes.PKColumn, col(scopes, "scope_name")},
				Where: store.InQueryCond{Column: scopes.PKColumn, Query: store.Query{Table: j.Table, Columns: []string{j.Other}, Where: linked}}}},
		}
		signing, hasSigning := hasCol(m, "signing_key")
		var keyPKs []any
		if hasSigning {
			keyPKs = engine.DistinctValues(rows, signing)
		}
		if len(keyPKs) > 0 {
			reads = append(reads, store.Read{Query: store.Query{Table: kp.Table, Columns: []string{kp.PKColumn, col(kp, "key_data")},
				Where: store.InCond{Column: kp.PKColumn, Values: keyPKs}}})
		}
		res, err := tx.ReadMany(ctx, reads)
		if err != nil {
			return nil, err
		}
		pp.slug = firstBy(res[0].Rows, appProvider, appSlugCol)
		names := firstBy(res[2].Rows, scopes.PKColumn, col(scopes, "scope_name"))
		for pk, linked := range linkSets(res[1].Rows, j.Self, j.Other) {
			set := map[string]bool{} // a name mapped twice shows once
			for m := range linked {
				if n, ok := names[m]; ok {
					set[str(n)] = true
				}
			}
			if len(set) == 0 {
				continue
			}
			out := []any{}
			for _, n := range slices.Sorted(maps.Keys(set)) {
				out = append(out, n)
			}
			pp.scopes[pk] = out
		}
		if len(keyPKs) > 0 {
			for _, k := range res[3].Rows {
				pp.keys[k[kp.PKColumn]] = PrivateKeyType(str(k[col(kp, "key_data")]))
			}
		}
		return pp, nil
	}
	// Both fields of the view read the page once.
	sharedProxyPage := func(ctx context.Context, tx store.Tx, m *registry.Model, rows []store.Row) (*proxyPage, error) {
		v, err := engine.PageShared(ctx, m, "proxy outpost view", func() (any, error) { return readProxyPage(ctx, tx, m, rows) })
		if err != nil {
			return nil, err
		}
		return v.(*proxyPage), nil
	}
	scopesOf := func(pp *proxyPage, pk any) []any {
		if s := pp.scopes[pk]; s != nil {
			return s
		}
		return []any{}
	}
	h.computeBatch("authentik_providers_proxy.proxyprovider.scopes_to_request", func(ctx context.Context, tx store.Tx, m *registry.Model, rows []store.Row, objs []engine.Object) ([]any, error) {
		pp, err := sharedProxyPage(ctx, tx, m, rows)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(rows))
		for i, r := range rows {
			out[i] = scopesOf(pp, r[m.PKColumn])
		}
		return out, nil
	})
	h.reads("authentik_providers_proxy.proxyprovider.scopes_to_request", "signing_key")
	h.computeBatch("authentik_providers_proxy.proxyprovider.oidc_configuration", func(ctx context.Context, tx store.Tx, m *registry.Model, rows []store.Row, objs []engine.Object) ([]any, error) {
		pp, err := sharedProxyPage(ctx, tx, m, rows)
		if err != nil {
			return nil, err
		}
		signing, hasSigning := hasCol(m, "signing_key")
		out := make([]any, len(rows))
		for i, r := range rows {
			slug := ""
			if v, ok := pp.slug[r[m.PKColumn]]; ok {
				slug = str(v)
			}
			alg := "HS256"
			if hasSigning && r[signing] != nil {
				switch pp.keys[r[signing]] {
				case "rsa":
					alg = "RS256"
				case "ecdsa":
					alg = "ES256"
				}
			}
			out[i] = OIDCConfiguration(engine.BaseURLFrom(ctx), slug, alg, scopesOf(pp, r[m.PKColumn]))
		}
		return out, nil
	})
	h.reads("authentik_providers_proxy.proxyprovider.oidc_configuration", "signing_key")
	// The outpost view shows the proxy provider's token validity in
	// seconds; the provider endpoint shows authentik's timedelta string.
	h.compute("ProxyOutpostConfig.access_token_validity", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		return events.ParseRetention(str(row[col(m, "access_token_validity")])).Seconds(), nil
	})
	// A static device's tokens in creation order; a page query (two
	// columns, so a retrieve on PostgreSQL folds it into its lookup).
	tokens := h.model("authentik_stages_authenticator_static.statictoken")
	deviceCol, tokenCol := col(tokens, "device"), col(tokens, "token")
	h.e.Hooks.AddPageQuery("authentik_stages_authenticator_static.staticdevice.token_set", engine.PageQuery{
		RowColumn: pkColumn,
		Query: func(m *registry.Model, match func(string) store.Cond) store.Query {
			return store.Query{Table: tokens.Table, Columns: []string{deviceCol, tokenCol}, Where: match(deviceCol),
				OrderBy: []store.Order{{Column: deviceCol}, {Column: tokens.PKColumn}}}
		},
		Values: func(m *registry.Model, rows []store.Row, result []store.Row) ([]any, error) {
			by := map[any][]any{}
			for _, r := range result {
				by[r[deviceCol]] = append(by[r[deviceCol]], map[string]any{"token": r[tokenCol]})
			}
			return perKey(rows, m.PKColumn, by), nil
		},
	})
	h.reads("authentik_stages_authenticator_static.staticdevice.token_set")
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
