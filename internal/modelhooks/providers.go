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
	appProvider := col(apps, "provider")
	backchannel := col(providers, "backchannel_application")

	// assigned_application_*: the application whose provider is the row
	// (authentik's one-to-one); null without one.
	appOrder := h.appsByProvider()
	for _, name := range []string{"slug", "name"} {
		key := "*.assigned_application_" + name
		h.pointedAt(key, pkColumn, apps.Table, appProvider, col(apps, name), appOrder, nil)
		h.reads(key)
	}

	// assigned_backchannel_application_*: the application the provider's
	// base row points at. Application.backchannel_providers writes only
	// the base table, so the concrete row's copy of the column is not
	// read. Both fields share one ReadMany of both reads per page.
	slugCol, nameCol := col(apps, "slug"), col(apps, "name")
	type named struct{ slug, name any }
	backchannels := func(ctx context.Context, tx store.Tx, m *registry.Model, rows []store.Row) (map[any]named, error) {
		v, err := engine.PageShared(ctx, m, "assigned_backchannel_application", func() (any, error) {
			out := map[any]named{}
			pks := engine.DistinctValues(rows, m.PKColumn)
			if len(pks) == 0 {
				return out, nil
			}
			inPage := store.InCond{Column: providers.PKColumn, Values: pks}
			res, err := tx.ReadMany(ctx, []store.Read{
				{Query: store.Query{Table: providers.Table, Columns: []string{providers.PKColumn, backchannel}, Where: inPage}},
				{Query: store.Query{Table: apps.Table, Columns: []string{apps.PKColumn, slugCol, nameCol},
					Where: store.InQueryCond{Column: apps.PKColumn, Query: store.Query{Table: providers.Table, Columns: []string{backchannel}, Where: inPage}}}},
			})
			if err != nil {
				return nil, err
			}
			byApp := make(map[any]named, len(res[1].Rows))
			for _, r := range res[1].Rows {
				byApp[r[apps.PKColumn]] = named{r[slugCol], r[nameCol]}
			}
			for _, r := range res[0].Rows {
				if a, ok := byApp[r[backchannel]]; ok {
					out[r[providers.PKColumn]] = a
				}
			}
			return out, nil
		})
		if err != nil {
			return nil, err
		}
		return v.(map[any]named), nil
	}
	for name, pick := range map[string]func(named) any{"slug": func(n named) any { return n.slug }, "name": func(n named) any { return n.name }} {
		key := "*.assigned_backchannel_application_" + name
		h.computeBatch(key, func(ctx context.Context, tx store.Tx, m *registry.Model, rows []store.Row, objs []engine.Object) ([]any, error) {
			by, err := backchannels(ctx, tx, m, rows)
			if err != nil {
				return nil, err
			}
			out := make([]any, len(rows))
			for i, r := range rows {
				if a, ok := by[r[m.PKColumn]]; ok {
					out[i] = pick(a)
				}
			}
			return out, nil
		})
		h.reads(key)
	}

	// outpost_set: "Outpost <name>" for each outpost serving the provider,
	// by name; the links and the outposts of a page in one ReadMany.
	outposts := h.model("authentik_outposts.outpost")
	opProviders, _ := outposts.Field("providers")
	h.computeBatch("*.outpost_set", func(ctx context.Context, tx store.Tx, m *registry.Model, rows []store.Row, objs []engine.Object) ([]any, error) {
		out := make([]any, len(rows))
		for i := range out {
			out[i] = []any{}
		}
		j, ok := h.e.Join(outposts, opProviders)
		pks := engine.DistinctValues(rows, m.PKColumn)
		if !ok || len(pks) == 0 {
			return out, nil
		}
		links := store.InCond{Column: j.Other, Values: pks}
		res, err := tx.ReadMany(ctx, []store.Read{
			{Query: store.Query{Table: j.Table, Columns: []string{j.Self, j.Other}, Where: links}},
			{Query: store.Query{Table: outposts.Table, Columns: []string{outposts.PKColumn, col(outposts, "name")},
				Where:   store.InQueryCond{Column: outposts.PKColumn, Query: store.Query{Table: j.Table, Columns: []string{j.Self}, Where: links}},
				OrderBy: []store.Order{{Column: col(outposts, "name")}, {Column: outposts.PKColumn}}}},
		})
		if err != nil {
			return nil, err
		}
		serves := linkSets(res[0].Rows, j.Self, j.Other) // outpost -> providers
		for i, r := range rows {
			names := []any{}
			for _, o := range res[1].Rows {
				if serves[o[outposts.PKColumn]][r[m.PKColumn]] {
					names = append(names, "Outpost "+str(o[col(outposts, "name")]))
				}
			}
			out[i] = names
		}
		return out, nil
	})
	h.reads("*.outpost_set")

	// SAML provider endpoints, absolute as authentik builds them, from the
	// assigned application's slug ("-" without one).
	saml := map[string]string{
		"url_sso_post": "sso/binding/post/", "url_sso_redirect": "sso/binding/redirect/", "url_sso_init": "sso/binding/init/",
		"url_slo_post": "slo/binding/post/", "url_slo_redirect": "slo/binding/redirect/",
	}
	// The five fields share one read of the page's application slugs.
	samlSlugs := func(ctx context.Context, tx store.Tx, m *registry.Model, rows []store.Row) (map[any]any, error) {
		v, err := engine.PageShared(ctx, m, "assigned application slugs", func() (any, error) {
			pks := engine.DistinctValues(rows, m.PKColumn)
			if len(pks) == 0 {
				return map[any]any{}, nil
			}
			found, err := tx.Select(ctx, h.appSlugRead(pks))
			if err != nil {
				return nil, err
			}
			return firstBy(found, appProvider, slugCol), nil
		})
		if err != nil {
			return nil, err
		}
		return v.(map[any]any), nil
	}
	for name, suffix := range saml {
		key := "authentik_providers_saml.samlprovider." + name
		h.computeBatch(key, func(ctx context.Context, tx store.Tx, m *registry.Model, rows []store.Row, objs []engine.Object) ([]any, error) {
			slugs, err := samlSlugs(ctx, tx, m, rows)
			if err != nil {
				return nil, err
			}
			base := engine.BaseURLFrom(ctx)
			out := make([]any, len(rows))
			for i, r := range rows {
				out[i] = "-"
				if slug, ok := slugs[r[m.PKColumn]]; ok {
					out[i] = base + "/application/saml/" + str(slug) + "/" + suffix
				}
			}
			return out, nil
		})
		h.reads(key)
	}
	h.compute("authentik_providers_saml.samlprovider.url_download_metadata", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		return engine.BaseURLFrom(ctx) + "/api/v3/providers/saml/" + str(row[m.PKColumn]) + "/metadata/?download", nil
	})
}

// launchURLs gives the launch URL the provider of each pk suggests (nil
// for none): OAuth2 providers the origin of their first redirect URI,
// proxy providers their external host. The kinds and both kinds' rows
// are read together (one ReadMany).
func (h *hooks) launchURLs(ctx context.Context, tx store.Tx, pks []any) (map[any]any, error) {
	providers := h.model("authentik_core.provider")
	oauth := h.model("authentik_providers_oauth2.oauth2provider")
	proxy := h.model("authentik_providers_proxy.proxyprovider")
	uris, host := col(oauth, "redirect_uris"), col(proxy, "external_host")
	in := func(m *registry.Model) store.Cond { return store.InCond{Column: m.PKColumn, Values: pks} }
	res, err := tx.ReadMany(ctx, []store.Read{
		{Query: store.Query{Table: providers.Table, Columns: []string{providers.PKColumn, engine.ModelColumn}, Where: in(providers)}},
		{Query: store.Query{Table: oauth.Table, Columns: []string{oauth.PKColumn, uris}, Where: in(oauth)}},
		{Query: store.Query{Table: proxy.Table, Columns: []string{proxy.PKColumn, host}, Where: in(proxy)}},
	})
	if err != nil {
		return nil, err
	}
	oauthURIs, proxyHosts := firstBy(res[1].Rows, oauth.PKColumn, uris), firstBy(res[2].Rows, proxy.PKColumn, host)
	out := map[any]any{}
	for _, r := range res[0].Rows {
		pk := r[providers.PKColumn]
		switch str(r[engine.ModelColumn]) {
		case proxy.Name:
			out[pk] = proxyHosts[pk]
		case oauth.Name:
			first, _, _ := strings.Cut(strings.TrimSpace(str(oauthURIs[pk])), "\n")
			if u, err := url.Parse(strings.TrimSpace(first)); err == nil && u.Scheme != "" && u.Host != "" {
				out[pk] = u.Scheme + "://" + u.Host
			}
		}
	}
	return out, nil
}
