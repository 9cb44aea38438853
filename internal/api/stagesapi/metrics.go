package stagesapi

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/api/coreapi"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/store"
)

// applicationMetrics counts the application's authorizations per hour
// over the last day: authorize_application events whose context names the
// application. Events store a uuid pk as 32 hex digits (Python's
// uuid.hex); the dashed form is matched too.
func (h *handler) applicationMetrics(w http.ResponseWriter, r *http.Request) error {
	p, err := api.Caller(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	am := h.e.Registry.MustModel("authentik_core.application")
	var coords []any
	err = h.e.Store.View(ctx, func(tx store.Tx) error {
		rows, err := tx.Select(ctx, store.Query{Table: am.Table, Where: store.Eq(am.MustColumn("slug"), chi.URLParam(r, "slug")), Limit: 1})
		if err != nil {
			return fmt.Errorf("load application: %w", err)
		}
		if len(rows) == 0 || !p.Subject.HasOn("authentik_core.view_application", engine.PKText(rows[0][am.PKColumn])) {
			return notFound()
		}
		if !p.Subject.Has("authentik_events.view_event") {
			return api.Errorf(http.StatusForbidden, api.DetailNoPermission)
		}
		pk := engine.PKText(rows[0][am.PKColumn])
		path := []string{"authorized_application", "pk"}
		coords, err = coreapi.HourlyCounts(ctx, tx, h.e, "authorize_application", store.Or(
			store.JSONPathCond{Column: "context", Path: path, Value: strings.ReplaceAll(pk, "-", "")},
			store.JSONPathCond{Column: "context", Path: path, Value: pk}))
		return err
	})
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, coords)
	return nil
}
