package coreapi

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/policies"
)

// checkAccess runs the application's policy bindings for the caller (or,
// with ?for_user, for another user) without the result cache, as the
// application library's access check does.
func (h *handler) checkAccess(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	ep, _ := h.reg.Endpoint("/core/applications/")
	app, err := h.e.Lookup(ctx, ep, chi.URLParam(r, "slug"))
	if err != nil {
		return err
	}
	am := h.model("authentik_core.application")
	if err := api.Require(ctx, "authentik_core.view_application", fmt.Sprint(app[am.PKColumn])); err != nil {
		return err
	}
	userPK := p.UserPK
	if s := r.URL.Query().Get("for_user"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return engine.Invalid("for_user", "A valid integer is required.")
		}
		if err := api.Require(ctx, "authentik_core.view_user", s); err != nil {
			return err
		}
		userPK = n
	}
	pe := policies.For(h.e)
	user, err := pe.Directory.User(ctx, userPK)
	if err != nil {
		return err
	}
	if user == nil {
		return &engine.NotFoundError{Detail: "Not found."}
	}
	res, err := pe.Evaluate(ctx, fmt.Sprint(app[am.PKColumn]), &policies.Request{User: user, NoCache: true, Obj: app})
	if err != nil {
		return err
	}
	msgs := res.Messages
	if msgs == nil {
		msgs = []string{}
	}
	logs := res.LogMessages
	if logs == nil {
		logs = []map[string]any{}
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"passing": res.Passing, "messages": msgs, "log_messages": logs})
	return nil
}
