package providers

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/store"
)

// oauth2SetupURLs serves GET /providers/oauth2/{id}/setup_urls/: the
// endpoints a client configures, as authentik builds them from the request
// host. Without an assigned application authentik still answers 200: the
// per-application URLs are null (jwks is left out) and so is a
// per-provider issuer.
func (h *handlers) oauth2SetupURLs(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	m := h.model("authentik_providers_oauth2.oauth2provider")
	apps := h.model("authentik_core.application")
	var provider, app store.Row
	err := h.s.Engine.Store.View(ctx, func(tx store.Tx) error {
		var err error
		if provider, err = findRow(ctx, tx, m, "pk", chi.URLParam(r, "id")); err != nil {
			return err
		}
		app, err = h.applicationOf(ctx, tx, provider[m.PKColumn])
		return err
	})
	if err != nil {
		return err
	}
	if err := checkView(r, m, provider[m.PKColumn]); err != nil {
		return err
	}
	base := engine.BaseURLFrom(ctx)
	o := base + "/application/o/"
	data := map[string]any{
		"issuer":        nil,
		"authorize":     o + "authorize/",
		"token":         o + "token/",
		"user_info":     o + "userinfo/",
		"provider_info": nil,
		"logout":        nil,
	}
	if str(provider[col(m, "issuer_mode")]) == "global" {
		data["issuer"] = base + "/"
	}
	if app != nil {
		slug := str(app[col(apps, "slug")])
		if data["issuer"] == nil {
			data["issuer"] = o + slug + "/"
		}
		data["provider_info"] = o + slug + "/.well-known/openid-configuration"
		data["logout"] = o + slug + "/end-session/"
		data["jwks"] = o + slug + "/jwks/"
	}
	api.WriteJSON(w, http.StatusOK, data)
	return nil
}
