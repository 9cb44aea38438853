package providers

import (
	"net/http"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/modelhooks"
)

// oauthSourceTypes serves GET /sources/oauth/source_types/: every OAuth
// source type, or with ?name=<slug> only that type. An unknown name
// yields authentik's default type, which it leaves out: an empty list.
func (h *handlers) oauthSourceTypes(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	out := []map[string]any{}
	_, filtered := q["name"]
	for _, t := range modelhooks.OAuthSourceTypes {
		if !filtered || t.Slug == q.Get("name") {
			out = append(out, t.JSON())
		}
	}
	api.WriteJSON(w, http.StatusOK, out)
	return nil
}
