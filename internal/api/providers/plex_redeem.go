package providers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/store"
)

// plexRedemption is a Plex token that passed the source's access rules.
type plexRedemption struct {
	source store.Row
	user   plexUser
	token  string
}

// identifier is the connection identifier: the Plex account id.
func (p *plexRedemption) identifier() string { return strconv.FormatInt(p.user.ID, 10) }

// redeemPlex validates the body and the ?slug source, then checks the
// token against Plex: the account must be the source owner or a friend
// (when friends are allowed) or reach one of the allowed servers.
func (h *handlers) redeemPlex(r *http.Request) (*plexRedemption, error) {
	ctx := r.Context()
	body, err := api.DecodeBody(r)
	if err != nil {
		return nil, err
	}
	token, isString := body["plex_token"].(string)
	switch {
	case body["plex_token"] == nil:
		return nil, engine.Invalid("plex_token", "This field is required.")
	case !isString:
		return nil, engine.Invalid("plex_token", "Not a valid string.")
	case token == "":
		return nil, engine.Invalid("plex_token", "This field may not be blank.")
	}
	m := h.model("authentik_sources_plex.plexsource")
	var source store.Row
	err = h.s.Engine.Store.View(ctx, func(tx store.Tx) error {
		source, err = findRow(ctx, tx, m, "slug", r.URL.Query().Get("slug"))
		return err
	})
	if err != nil {
		return nil, err
	}
	allowFriends := boolean(source[col(m, "allow_friends")])
	ownerToken := str(source[col(m, "plex_token")])
	if allowFriends && ownerToken == "" {
		return nil, engine.Invalid("", "Source has no Plex token configured.")
	}
	clientID := str(source[col(m, "client_id")])
	user, err := plexAPI{clientID: clientID, token: token}.user(ctx)
	if err != nil {
		return nil, plexFailure(err, "plex_token", "Plex did not accept the token.")
	}
	allowed := false
	if allowFriends {
		allowed, err = plexAPI{clientID: clientID, token: ownerToken}.isOwnerOrFriend(ctx, user.ID)
		if err != nil {
			return nil, plexFailure(err, "", "Plex did not accept the source's own Plex token.")
		}
	}
	if !allowed {
		var servers []string
		if raw, ok := source[col(m, "allowed_servers")].(json.RawMessage); ok {
			if err := json.Unmarshal(raw, &servers); err != nil {
				return nil, errors.Join(errors.New("decode allowed_servers"), err)
			}
		}
		allowed, err = plexAPI{clientID: clientID, token: token}.hasServer(ctx, servers)
		if err != nil {
			return nil, plexFailure(err, "plex_token", "Plex did not list the token's resources.")
		}
	}
	if !allowed {
		h.s.Log.Warn("denying Plex access: no allowed server, not a friend and not the owner", "user", user.Username)
		return nil, api.Errorf(http.StatusForbidden, "Access denied.")
	}
	return &plexRedemption{source: source, user: user, token: token}, nil
}

// plexFailure turns a Plex API error into a 400: refused tokens name the
// field, an unreachable Plex says so.
func plexFailure(err error, field, refused string) error {
	var pe *plexError
	if errors.As(err, &pe) && pe.Status >= 400 && pe.Status < 500 {
		return engine.Invalid(field, refused)
	}
	return engine.Invalid("", err.Error())
}

// plexRedeem serves POST /sources/plex/redeem_token/?slug=: after the
// access check it decides, like authentik's source flow manager, whether
// the Plex account authenticates (known connection), links (a signed-in
// caller, or a user matched by email/username), enrolls or is denied, and
// answers the redirect challenge to the flow that continues the login.
func (h *handlers) plexRedeem(w http.ResponseWriter, r *http.Request) error {
	red, err := h.redeemPlex(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var to string
	err = h.s.Engine.Store.Update(ctx, func(tx store.Tx) error {
		to, err = h.plexFlowTarget(ctx, tx, r, red)
		return err
	})
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"type": "redirect", "component": "xak-flow-redirect", "to": to})
	return nil
}

// plexFlowTarget applies the source's user matching and returns where
// the client goes next.
func (h *handlers) plexFlowTarget(ctx context.Context, tx store.Tx, r *http.Request, red *plexRedemption) (string, error) {
	src := h.model("authentik_sources_plex.plexsource")
	conns := h.model("authentik_sources_plex.plexsourceconnection")
	users := h.model("authentik_core.user")
	sourcePK := red.source[src.PKColumn]
	rows, err := tx.Select(ctx, store.Query{Table: conns.Table, Limit: 1, OrderBy: []store.Order{{Column: conns.PKColumn}},
		Where: store.And(store.Eq(col(conns, "source"), sourcePK), store.Eq(col(conns, "identifier"), red.identifier()))})
	if err != nil {
		return "", err
	}
	if len(rows) > 0 {
		if err := h.setFields(ctx, tx, conns, rows[0], map[string]any{"plex_token": red.token}); err != nil {
			return "", err
		}
		return h.flowRedirect(ctx, tx, r, red.source, "authentication_flow")
	}
	if p, ok := api.PrincipalFrom(ctx); ok {
		if err := h.linkPlex(ctx, tx, red, p.UserPK); err != nil {
			return "", err
		}
		source := map[string]any{"app": src.App(), "model_name": src.ModelName(),
			"pk": strings.ReplaceAll(str(sourcePK), "-", ""), "name": str(red.source[col(src, "name")])}
		err := h.s.Events.RecordTx(ctx, tx, "source_linked", "authentik.core.sources.flow_manager",
			map[string]any{"message": "Linked Source", "source": source})
		return "/if/user/#/settings;page-sources", err
	}
	mode := str(red.source[col(src, "user_matching_mode")])
	var match store.Cond
	switch mode {
	case "email_link", "email_deny":
		if red.user.Email == "" {
			return "", h.plexDenied(red)
		}
		match = store.Eq(col(users, "email"), red.user.Email)
	case "username_link", "username_deny":
		if red.user.Username == "" {
			return "", h.plexDenied(red)
		}
		match = store.Eq(col(users, "username"), red.user.Username)
	default: // identifier: a new account enrolls
		return h.flowRedirect(ctx, tx, r, red.source, "enrollment_flow")
	}
	matched, err := tx.Select(ctx, store.Query{Table: users.Table, Where: match, OrderBy: []store.Order{{Column: users.PKColumn}}, Limit: 1})
	if err != nil {
		return "", err
	}
	if len(matched) == 0 {
		return h.flowRedirect(ctx, tx, r, red.source, "enrollment_flow")
	}
	if mode == "email_deny" || mode == "username_deny" {
		return "", h.plexDenied(red)
	}
	userPK, _ := matched[0][users.PKColumn].(int64)
	if err := h.linkPlex(ctx, tx, red, userPK); err != nil {
		return "", err
	}
	return h.flowRedirect(ctx, tx, r, red.source, "authentication_flow")
}

func (h *handlers) plexDenied(red *plexRedemption) error {
	src := h.model("authentik_sources_plex.plexsource")
	return api.Errorf(http.StatusForbidden, "Request to authenticate with "+str(red.source[col(src, "name")])+
		" has been denied. Please authenticate with the source you've previously signed up with.")
}

// flowRedirect is the flow interface URL of the source's flow (field
// "authentication_flow" or "enrollment_flow"), carrying the request's
// query as authentik's redirect_with_qs does.
func (h *handlers) flowRedirect(ctx context.Context, tx store.Tx, r *http.Request, source store.Row, field string) (string, error) {
	src := h.model("authentik_sources_plex.plexsource")
	flows := h.model("authentik_flows.flow")
	flow, err := byPK(ctx, tx, flows, source[col(src, field)])
	if err != nil {
		return "", err
	}
	if flow == nil {
		if field == "enrollment_flow" {
			return "", engine.Invalid("", "Source is not configured for enrollment.")
		}
		return "", engine.Invalid("", "Configured flow does not exist.")
	}
	to := "/if/flow/" + str(flow[col(flows, "slug")]) + "/"
	if q := r.URL.RawQuery; q != "" {
		to += "?" + q
	}
	return to, nil
}

// linkPlex connects the Plex account to a user: a new connection, or the
// user's existing connection to this source takes the new account and
// token (a user has one connection per source).
func (h *handlers) linkPlex(ctx context.Context, tx store.Tx, red *plexRedemption, userPK int64) error {
	src := h.model("authentik_sources_plex.plexsource")
	conns := h.model("authentik_sources_plex.plexsourceconnection")
	sourcePK := red.source[src.PKColumn]
	rows, err := tx.Select(ctx, store.Query{Table: conns.Table, Limit: 1,
		Where: store.And(store.Eq(col(conns, "source"), sourcePK), store.Eq(col(conns, "user"), userPK))})
	if err != nil {
		return err
	}
	if len(rows) > 0 {
		return h.setFields(ctx, tx, conns, rows[0], map[string]any{"identifier": red.identifier(), "plex_token": red.token})
	}
	_, err = h.s.Engine.CreateTx(ctx, tx, h.endpoint("/sources/user_connections/plex/"), engine.Object{
		"source": sourcePK, "user": userPK, "identifier": red.identifier(), "plex_token": red.token,
	})
	return err
}

// plexRedeemAuthenticated serves POST
// /sources/plex/redeem_token_authenticated/?slug=: the signed-in caller's
// account is connected to the Plex account.
func (h *handlers) plexRedeemAuthenticated(w http.ResponseWriter, r *http.Request) error {
	p, ok := api.PrincipalFrom(r.Context())
	if !ok {
		return api.Errorf(http.StatusForbidden, "Authentication credentials were not provided.")
	}
	red, err := h.redeemPlex(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	err = h.s.Engine.Store.Update(ctx, func(tx store.Tx) error { return h.linkPlex(ctx, tx, red, p.UserPK) })
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
