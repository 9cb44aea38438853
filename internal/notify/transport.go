package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/akgo/akgo/internal/store"
)

// TransportError is a delivery that failed (authentik's
// NotificationTransportError). Unreachable is set when the destination
// could not be reached at all (connection refused, DNS, timeout), as
// opposed to a destination that answered with an error. Final marks
// failures retrying cannot fix (a bad configuration, a failing mapping
// expression), which authentik's task does not retry either.
type TransportError struct {
	Msg         string
	Unreachable bool
	Final       bool
	Err         error
}

func (e *TransportError) Error() string { return e.Msg }
func (e *TransportError) Unwrap() error { return e.Err }

// AsTransportError returns err as a *TransportError when it is one.
func AsTransportError(err error) (*TransportError, bool) {
	var te *TransportError
	ok := errors.As(err, &te)
	return te, ok
}

// unreachable classifies a network error: nothing answered.
func unreachable(err error) bool {
	var ne net.Error
	var oe *net.OpError
	var de *net.DNSError
	return errors.As(err, &oe) || errors.As(err, &de) || errors.As(err, &ne) && ne.Timeout() ||
		errors.Is(err, context.DeadlineExceeded)
}

// MappingEvaluator runs a webhook mapping's expression for a notification
// and returns the value to send as the webhook's JSON body.
type MappingEvaluator interface {
	EvaluateMapping(ctx context.Context, m Mapping, n *Notification) (any, error)
}

// Send delivers a notification through a transport and returns the
// transport's messages (for webhooks: the status code and response body).
func (d *Dispatcher) Send(ctx context.Context, t *Transport, n *Notification) ([]string, error) {
	switch t.Mode {
	case ModeLocal:
		return d.sendLocal(ctx, t, n)
	case ModeWebhook:
		return d.sendWebhook(ctx, t, n)
	case ModeWebhookSlack:
		return d.sendSlack(ctx, t, n)
	case ModeEmail:
		return d.sendEmail(ctx, n)
	}
	return nil, &TransportError{Msg: fmt.Sprintf("Invalid mode %s set", t.Mode), Final: true}
}

// sendLocal stores the notification for the admin interface. authentik
// evaluates a configured mapping and drops its result; without an
// expression engine there is nothing to evaluate, so the mapping is
// skipped.
func (d *Dispatcher) sendLocal(ctx context.Context, t *Transport, n *Notification) ([]string, error) {
	if t.Mapping != nil && d.Mappings != nil {
		if _, err := d.Mappings.EvaluateMapping(ctx, *t.Mapping, n); err != nil {
			return nil, mappingFailed(t.Mapping, err)
		}
	}
	m := d.s.notification
	row := store.Row{
		m.PKColumn: d.engine.NewUUID(), col(m, "severity"): n.Severity, col(m, "body"): n.Body,
		col(m, "created"): store.NowUTC(d.engine.Now()), col(m, "seen"): false, col(m, "user"): n.User.PK,
	}
	if n.Event != nil {
		row[col(m, "event")] = n.Event.PK
	}
	err := d.engine.Store.Update(ctx, func(tx store.Tx) error {
		_, err := tx.Insert(ctx, m.Table, row)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store notification for user %d: %w", n.User.PK, err)
	}
	return []string{}, nil
}

// webhookBody is authentik's default webhook payload, in its key order.
type webhookBody struct {
	Body         string `json:"body"`
	Severity     string `json:"severity"`
	UserEmail    string `json:"user_email"`
	UserUsername string `json:"user_username"`
}

// webhookEventBody adds the user who caused the event (null when the
// event's user lacks the key, as Python's dict.get gives None).
type webhookEventBody struct {
	webhookBody
	EventUserEmail    any `json:"event_user_email"`
	EventUserUsername any `json:"event_user_username"`
}

// WebhookPayload builds the body the generic webhook transport posts when
// no mapping is set.
func WebhookPayload(n *Notification) any {
	b := webhookBody{Body: n.Body, Severity: n.Severity, UserEmail: n.User.Email, UserUsername: n.User.Username}
	if n.Event == nil || len(n.Event.User) == 0 {
		return b
	}
	return webhookEventBody{webhookBody: b, EventUserEmail: n.Event.User["email"], EventUserUsername: n.Event.User["username"]}
}

func (d *Dispatcher) sendWebhook(ctx context.Context, t *Transport, n *Notification) ([]string, error) {
	body := WebhookPayload(n)
	if t.Mapping != nil {
		if d.Mappings == nil {
			return nil, &TransportError{Msg: fmt.Sprintf(
				"webhook mapping %q cannot be evaluated: no expression engine is installed", t.Mapping.Name), Final: true}
		}
		v, err := d.Mappings.EvaluateMapping(ctx, *t.Mapping, n)
		if err != nil {
			return nil, mappingFailed(t.Mapping, err)
		}
		body = v
	}
	return d.post(ctx, t.WebhookURL, body)
}

// mappingFailed reports a mapping whose expression failed: final, since
// the same expression fails again (authentik does not retry
// PropertyMappingExpressionException).
func mappingFailed(m *Mapping, err error) error {
	return &TransportError{Msg: fmt.Sprintf("webhook mapping %s failed: %v", m.Name, err), Final: true, Err: err}
}

// SlackPayload builds the Slack-compatible message (Discord accepts it on
// its /slack webhook URLs): severity, recipient and the event's text
// context as attachment fields, at most 25 as Discord allows.
func SlackPayload(n *Notification, version string) map[string]any {
	fields := []any{
		map[string]any{"title": "Severity", "value": n.Severity, "short": true},
		map[string]any{"title": "Dispatched for user", "value": n.User.Username, "short": true},
	}
	title := n.Body
	if n.Event != nil {
		for _, k := range JSONBKeys(n.Event.Context) {
			v, ok := n.Event.Context[k].(string)
			if !ok || len(fields) >= 25 {
				continue
			}
			fields = append(fields, map[string]any{"title": truncRunes(k, 256), "value": truncRunes(v, 1024)})
		}
		title = n.Event.Action
	}
	return map[string]any{
		"username": "authentik",
		"icon_url": "https://goauthentik.io/img/icon.png",
		"attachments": []any{map[string]any{
			"author_name": "authentik",
			"author_link": "https://goauthentik.io",
			"author_icon": "https://goauthentik.io/img/icon.png",
			"title":       title,
			"color":       "#fd4b2d",
			"fields":      fields,
			"footer":      "authentik v" + version,
		}},
	}
}

func truncRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

func (d *Dispatcher) sendSlack(ctx context.Context, t *Transport, n *Notification) ([]string, error) {
	return d.post(ctx, t.WebhookURL, SlackPayload(n, d.Version))
}

// maxResponse bounds how much of a webhook's answer is kept.
const maxResponse = 1 << 20

// post sends body as JSON and returns [status code, response text].
func (d *Dispatcher) post(ctx context.Context, target string, body any) ([]string, error) {
	u, err := url.Parse(target)
	if target == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &TransportError{Msg: fmt.Sprintf("invalid webhook URL %q", target), Final: true}
	}
	data, err := json.Marshal(body)
	if err != nil {
		return nil, &TransportError{Msg: fmt.Sprintf("webhook body is not JSON: %v", err), Final: true, Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(data))
	if err != nil {
		return nil, &TransportError{Msg: fmt.Sprintf("invalid webhook URL %q", target), Final: true, Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "authentik@"+d.Version)
	resp, err := d.http.Do(req)
	if err != nil {
		return nil, &TransportError{Msg: fmt.Sprintf("webhook %s could not be reached: %v", u.Redacted(), rootCause(err)),
			Unreachable: unreachable(err), Err: err}
	}
	defer resp.Body.Close()
	text, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, &TransportError{Msg: fmt.Sprintf("webhook %s: reading the response: %v", u.Redacted(), err),
			Unreachable: unreachable(err), Err: err}
	}
	if resp.StatusCode >= 400 {
		msg := fmt.Sprintf("webhook %s answered %s", u.Redacted(), resp.Status)
		if t := strings.TrimSpace(string(text)); t != "" {
			msg += ": " + t
		}
		return nil, &TransportError{Msg: msg}
	}
	return []string{strconv.Itoa(resp.StatusCode), string(text)}, nil
}

// rootCause drops the "Post \"url\": " wrapping of client errors.
func rootCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
