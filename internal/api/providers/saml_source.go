package providers

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/store"
)

// samlSourceMetadata serves GET /sources/saml/{slug}/metadata/: the SP
// metadata of a SAML source, to be given to the IdP. The ACS URL is built
// from the request host and the source slug; the entity ID is the source's
// issuer, or its metadata URL when none is set.
func (h *handlers) samlSourceMetadata(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	m := h.model("authentik_sources_saml.samlsource")
	kps := h.model("authentik_crypto.certificatekeypair")
	var source, kp store.Row
	err := h.s.Engine.Store.View(ctx, func(tx store.Tx) error {
		var err error
		if source, err = findRow(ctx, tx, m, "slug", chi.URLParam(r, "slug")); err != nil {
			return err
		}
		if err := checkView(r, m, source[m.PKColumn]); err != nil {
			return err
		}
		kp, err = byPK(ctx, tx, kps, source[col(m, "signing_kp")])
		return err
	})
	if err != nil {
		return err
	}
	slug := str(source[col(m, "slug")])
	path := "/source/saml/" + slug + "/"
	base := engine.BaseURLFrom(ctx)
	md := spMetadata{EntityID: str(source[col(m, "issuer")]), ACSURL: base + path + "acs/"}
	if md.EntityID == "" {
		md.EntityID = base + path + "metadata/"
	}
	if kp != nil {
		md.Cert, _ = h.keypair(kp, "source "+slug)
	}
	xml, err := md.build()
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"metadata": xml, "download_url": path + "metadata/"})
	return nil
}
