package modelhooks

import (
	"context"
	"net/url"
	"strings"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

func (h *hooks) providers() {
	apps := h.model("authentik_core.application")
	providers := h.model("authentik_core.provider")
	appOf := func(ctx context.Context, tx store.Tx, providerPK any) (store.Row, error) {
		rows, err := tx.Select(ctx, store.Query{Table: apps.Table, Where: store.Eq(col(apps, "provider"), providerPK), Limit: 1})
		if err != nil || len(rows) == 0 {
			return nil, err
		}
		return rows[0], nil
	}
	backchannelOf := func(ctx context.Context, tx store.Tx, providerPK any) (store.Row, error) {
		p, err := one(ctx, tx, providers, providerPK)
		if err != nil || p == nil {
			return nil, err
		}
		return one(ctx, tx, apps, p[col(providers, "backchannel_application")])
	}
	field := func(get func(context.Context, store.Tx, any) (store.Row, error), name string) engine.ComputeFunc {
		return func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
			app, err := get(ctx, tx, row[m.PKColumn])
			if err != nil || app == nil {
				return nil, err
			}
			return app[col(apps, name)], nil
		}
	}
	h.compute("*.assigned_application_slug", field(appOf, "slug"))
	h.compute("*.assigned_application_name", field(appOf, "name"))
	h.compute("*.assigned_backchannel_application_slug", field(backchannelOf, "slug"))
	h.compute("*.assigned_backchannel_application_name", field(backchannelOf, "name"))

	outposts := h.model("authentik_outposts.outpost")
	opProviders, _ := outposts.Field("providers")
	h.compute("*.outpost_set", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		j, ok := h.e.Join(outposts, opProviders)
		if !ok {
			return []any{}, nil
		}
		rows, err := tx.Select(ctx, store.Query{Table: outposts.Table, OrderBy: []store.Order{{Column: col(outposts, "name")}},
			Where: store.InQueryCond{Column: outposts.PKColumn, Query: store.Query{Table: j.Table, Columns: []string{j.Self}, Where: store.Eq(j.Other, row[m.PKColumn])}}})
		if err != nil {
			return nil, err
		}
		out := []any{}
		for _, r := range rows {
			out = append(out, "Outpost "+str(r[col(outposts, "name")]))
		}
		return out, nil
	})

	// SAML provider endpoints, absolute as authentik builds them.
	saml := map[string]string{
		"url_sso_post": "sso/binding/post/", "url_sso_redirect": "sso/binding/redirect/", "url_sso_init": "sso/binding/init/",
		"url_slo_post": "slo/binding/post/", "url_slo_redirect": "slo/binding/redirect/",
	}
	for name, suffix := range saml {
		suffix := suffix
		h.compute("authentik_providers_saml.samlprovider."+name, func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
			app, err := appOf(ctx, tx, row[m.PKColumn])
			if err != nil || app == nil {
				return "-", err
			}
			return engine.BaseURLFrom(ctx) + "/application/saml/" + str(app[col(apps, "slug")]) + "/" + suffix, nil
		})
	}
	h.compute("authentik_providers_saml.samlprovider.url_download_metadata", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		return engine.BaseURLFrom(ctx) + "/api/v3/providers/saml/" + str(row[m.PKColumn]) + "/metadata/?download", nil
	})
}

// providerLaunchURL is a provider's launch URL: OAuth2 guesses it from the
// first redirect URI, proxy providers use their external host.
func (h *hooks) providerLaunchURL(ctx context.Context, tx store.Tx, base store.Row) (any, error) {
	concrete, _ := base["akgo_model"].(string)
	cm, ok := h.e.Registry.Model(concrete)
	if !ok {
		return nil, nil
	}
	row, err := one(ctx, tx, cm, base[h.model("authentik_core.provider").PKColumn])
	if err != nil || row == nil {
		return nil, err
	}
	switch concrete {
	case "authentik_providers_proxy.proxyprovider":
		if c, ok := hasCol(cm, "external_host"); ok {
			return row[c], nil
		}
	case "authentik_providers_oauth2.oauth2provider":
		if c, ok := hasCol(cm, "redirect_uris"); ok {
			first, _, _ := strings.Cut(strings.TrimSpace(str(row[c])), "\n")
			u, err := url.Parse(strings.TrimSpace(first))
			if err != nil || u.Scheme == "" || u.Host == "" {
				return nil, nil
			}
			return u.Scheme + "://" + u.Host, nil
		}
	}
	return nil, nil
}
