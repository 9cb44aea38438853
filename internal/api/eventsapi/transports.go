package eventsapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/notify"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// validateTransport is authentik's NotificationTransportSerializer
// validation: webhook URLs must be URLs (without requiring a dotted
// domain), and the webhook modes need one. Like authentik it looks at the
// request body only, so a partial update that sets a webhook mode must
// send the URL too.
func validateTransport(ctx context.Context, tx store.Tx, m *registry.Model, old, row store.Row, body engine.Object) error {
	raw, hasURL := body["webhook_url"].(string)
	if hasURL && raw != "" && !validURL(raw) {
		return engine.Invalid("webhook_url", "Enter a valid URL.")
	}
	mode, _ := body["mode"].(string)
	if (mode == notify.ModeWebhook || mode == notify.ModeWebhookSlack) && raw == "" {
		return engine.Invalid("webhook_url", "Webhook URL may not be empty.")
	}
	return nil
}

// validURL accepts what Django's URLValidator accepts for its default
// schemes, minus the top-level-domain requirement (authentik's
// DomainlessURLValidator), so http://webhook:8080/hook is fine.
func validURL(s string) bool {
	if strings.ContainsAny(s, " \t\r\n") {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "ftp", "ftps":
		return true
	}
	return false
}

// testMessageApp is the app authentik's transport test event names.
const testMessageApp = "authentik.events.api.notification_transports"

// testTransport sends a test notification to the caller through one
// transport and answers the transport's messages. A destination that
// cannot be reached is a 503, one that refuses the message a 400; both
// carry the reason.
func (h *handlers) testTransport(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, err := uuid.Parse(chi.URLParam(r, "uuid"))
	if err != nil {
		return &engine.NotFoundError{Detail: "Not found."}
	}
	pk := id.String()
	tr, err := h.d.LoadTransport(ctx, pk)
	if err != nil {
		return err
	}
	if tr == nil {
		return &engine.NotFoundError{Detail: "Not found."}
	}
	if err := api.Require(ctx, "authentik_events.change_notificationtransport", pk); err != nil {
		return err
	}
	p, _ := api.PrincipalFrom(ctx)
	user, err := h.d.LoadUser(ctx, p.UserPK)
	if err != nil {
		return err
	}
	if user == nil {
		return api.Errorf(http.StatusForbidden, "User inactive or deleted.")
	}
	if h.s.Events == nil {
		return fmt.Errorf("transport test: no event recorder")
	}
	var eventID string
	err = h.s.Engine.Store.Update(ctx, func(tx store.Tx) error {
		eventID, err = h.s.Events.RecordTxID(ctx, tx, "custom_notification_test", testMessageApp, map[string]any{
			"user":    map[string]any{"username": user.Username, "pk": user.PK, "email": user.Email},
			"context": map[string]any{"foo": "bar"},
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("record transport test event: %w", err)
	}
	ev, err := h.d.LoadEvent(ctx, eventID)
	if err != nil {
		return err
	}
	n := &notify.Notification{Severity: "notice", Body: "Test Notification from transport " + tr.Name, Event: ev, User: *user}
	msgs, err := h.d.Send(ctx, tr, n)
	if err != nil {
		te, ok := notify.AsTransportError(err)
		switch {
		case !ok:
			return err
		case te.Unreachable:
			return api.Errorf(http.StatusServiceUnavailable, te.Msg)
		default:
			return engine.Invalid("", te.Msg)
		}
	}
	if msgs == nil {
		msgs = []string{}
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"messages": msgs})
	return nil
}

// markAllSeen marks every unseen notification of the caller as seen. Like
// authentik's bulk update it records no model events.
func (h *handlers) markAllSeen(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, ok := api.PrincipalFrom(ctx)
	if !ok {
		return api.Errorf(http.StatusForbidden, "Authentication credentials were not provided.")
	}
	m, ok := h.s.Engine.Registry.Model("authentik_events.notification")
	if !ok {
		return fmt.Errorf("eventsapi: registry lacks authentik_events.notification")
	}
	err := h.s.Engine.Store.Update(ctx, func(tx store.Tx) error {
		_, err := tx.UpdateWhere(ctx, m.Table, store.And(store.Eq(col(m, "user"), p.UserPK), store.Eq(col(m, "seen"), false)),
			store.Row{col(m, "seen"): true})
		if err != nil {
			return fmt.Errorf("mark notifications seen: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
