package modelhooks

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// TransportModes are the UI labels of notification transport modes.
var TransportModes = map[string]string{
	"local":         "authentik inbuilt notifications",
	"webhook":       "Generic Webhook",
	"webhook_slack": "Slack Webhook (Slack/Discord)",
	"email":         "Email",
}

func (h *hooks) misc() {
	pbindings := h.model("authentik_policies.policybinding")
	// bound_to: how many bindings use the policy, one read per page
	// (two columns, so a retrieve on PostgreSQL folds it into its lookup).
	policyCol := col(pbindings, "policy")
	h.e.Hooks.AddPageQuery("*.bound_to", engine.PageQuery{
		RowColumn: pkColumn,
		Query: func(m *registry.Model, match func(string) store.Cond) store.Query {
			return store.Query{Table: pbindings.Table, Columns: []string{policyCol, pbindings.PKColumn}, Where: match(policyCol)}
		},
		Values: func(m *registry.Model, rows []store.Row, result []store.Row) ([]any, error) {
			n := map[any]int64{}
			for _, r := range result {
				n[r[policyCol]]++
			}
			out := make([]any, len(rows))
			for i, r := range rows {
				out[i] = n[r[m.PKColumn]]
			}
			return out, nil
		},
	})
	h.reads("*.bound_to")
	h.compute("authentik_events.notificationtransport.mode_verbose", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		mode := str(row[col(m, "mode")])
		if v, ok := TransportModes[mode]; ok {
			return v, nil
		}
		return mode, nil
	})
	h.compute("authentik_outposts.outpost.token_identifier", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		return "ak-outpost-" + str(row[m.PKColumn]) + "-api", nil
	})
	h.compute("oauth2_scope", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		c, ok := hasCol(m, "_scope")
		if !ok {
			return []any{}, nil
		}
		out := []any{}
		for _, s := range strings.Fields(str(row[c])) {
			out = append(out, s)
		}
		return out, nil
	})
	h.compute("oauth2_id_token", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		c, ok := hasCol(m, "_id_token")
		if !ok {
			return "", nil
		}
		switch v := row[c].(type) {
		case json.RawMessage:
			return string(v), nil
		case string:
			return v, nil
		}
		return "", nil
	})
	h.compute("authentik_sources_oauth.oauthsource.callback_url", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		return "/source/oauth/callback/" + str(row[col(m, "slug")]) + "/", nil
	})
	h.compute("authentik_sources_oauth.oauthsource.type", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		return SourceTypeBySlug(str(row[col(m, "provider_type")])).JSON(), nil
	})
	h.compute("*.icon", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		if c, ok := hasCol(m, "icon"); ok {
			return h.mediaURL(ctx, row[c]), nil
		}
		return nil, nil
	})
	// Permissions: verbose names from the registry.
	h.compute("auth.permission.model_verbose", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		if pm, ok := h.e.Registry.Model(str(row[col(m, "app_label")]) + "." + str(row[col(m, "model")])); ok {
			return pm.VerboseName, nil
		}
		return str(row[col(m, "model")]), nil
	})
	h.compute("auth.permission.app_label_verbose", func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		return AppVerboseName(str(row[col(m, "app_label")])), nil
	})
}

// AppVerboseName turns "authentik_stages_password" into authentik's app
// verbose name "authentik Stages.Password".
func AppVerboseName(label string) string {
	rest, ok := strings.CutPrefix(label, "authentik_")
	if !ok {
		return label
	}
	parts := strings.Split(rest, "_")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return "authentik " + strings.Join(parts, ".")
}
