package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// Event is a recorded event as rules and transports see it.
type Event struct {
	PK       string
	Action   string
	App      string
	ClientIP string
	// Context and User keep JSON numbers as json.Number so the summary
	// renders 5 and 5.0 differently, as Python does.
	Context map[string]any
	User    map[string]any
	Created time.Time
}

// User is a notification's recipient.
type User struct {
	PK       int64
	Username string
	Email    string
	Name     string
}

// Notification is one message for one user. Only the local transport
// stores it, as in authentik.
type Notification struct {
	Severity string
	Body     string
	Event    *Event
	User     User
}

// Mapping is a webhook mapping (a property mapping whose expression builds
// the webhook body).
type Mapping struct {
	PK         string
	Name       string
	Expression string
}

// Transport is a notification transport.
type Transport struct {
	PK         string
	Name       string
	Mode       string
	WebhookURL string
	SendOnce   bool
	Mapping    *Mapping
}

// Transport modes.
const (
	ModeLocal        = "local"
	ModeWebhook      = "webhook"
	ModeWebhookSlack = "webhook_slack"
	ModeEmail        = "email"
)

// Rule is a notification rule.
type Rule struct {
	PK       string
	Name     string
	Severity string
	Group    string // "" when the rule has no group
}

// schema holds the tables and columns notify reads, resolved once from the
// registry so a renamed field fails at start-up, not at delivery.
type schema struct {
	event, notification, rule, transport, mapping, user, group *registry.Model
	binding, policy, matcher                                   *registry.Model
	ruleTransports, groupUsers                                 engine.M2MJoin
}

func newSchema(e *engine.Engine) (*schema, error) {
	s := &schema{}
	for _, x := range []struct {
		dst  **registry.Model
		name string
	}{
		{&s.event, "authentik_events.event"},
		{&s.notification, "authentik_events.notification"},
		{&s.rule, "authentik_events.notificationrule"},
		{&s.transport, "authentik_events.notificationtransport"},
		{&s.mapping, "authentik_events.notificationwebhookmapping"},
		{&s.user, "authentik_core.user"},
		{&s.group, "authentik_core.group"},
		{&s.binding, "authentik_policies.policybinding"},
		{&s.policy, "authentik_policies.policy"},
		{&s.matcher, "authentik_policies_event_matcher.eventmatcherpolicy"},
	} {
		m, ok := e.Registry.Model(x.name)
		if !ok {
			return nil, fmt.Errorf("notify: registry has no model %s", x.name)
		}
		*x.dst = m
	}
	var err error
	if s.ruleTransports, err = join(e, s.rule, "transports"); err != nil {
		return nil, err
	}
	if s.groupUsers, err = join(e, s.group, "users"); err != nil {
		return nil, err
	}
	return s, nil
}

func join(e *engine.Engine, m *registry.Model, field string) (engine.M2MJoin, error) {
	f, ok := m.Field(field)
	if !ok {
		return engine.M2MJoin{}, fmt.Errorf("notify: %s has no field %s", m.Name, field)
	}
	j, ok := e.Join(m, f)
	if !ok {
		return engine.M2MJoin{}, fmt.Errorf("notify: %s.%s is not a many-to-many set", m.Name, field)
	}
	return j, nil
}

// col returns the column of a stored field; the registry is generated, so
// a missing field is a programming error the tests catch.
func col(m *registry.Model, field string) string {
	return m.MustColumn(field)
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// decodeObject reads a JSON column into a map, keeping numbers exact.
func decodeObject(v any) (map[string]any, error) {
	var raw []byte
	switch x := v.(type) {
	case nil:
		return map[string]any{}, nil
	case json.RawMessage:
		raw = x
	case []byte:
		raw = x
	case string:
		raw = []byte(x)
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return nil, err
		}
		raw = b
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("decode JSON column: %w", err)
	}
	m, ok := out.(map[string]any)
	if !ok {
		// authentik's JSON defaults are dicts; anything else is shown empty.
		return map[string]any{}, nil
	}
	return m, nil
}

func (s *schema) loadEvent(ctx context.Context, tx store.Tx, pk string) (*Event, error) {
	m := s.event
	rows, err := tx.Select(ctx, store.Query{Table: m.Table, Where: store.Eq(m.PKColumn, pk), Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("load event %s: %w", pk, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return s.event1(rows[0], pk)
}

// loadEvents reads the visible events among pks with one query. An event
// whose row does not decode is left out with its error in bad.
func (s *schema) loadEvents(ctx context.Context, tx store.Tx, pks []any) (evs map[string]*Event, bad map[string]error, err error) {
	m := s.event
	rows, err := tx.Select(ctx, store.Query{Table: m.Table, Where: store.InCond{Column: m.PKColumn, Values: pks}})
	if err != nil {
		return nil, nil, fmt.Errorf("load events: %w", err)
	}
	evs = make(map[string]*Event, len(rows))
	for _, r := range rows {
		pk := str(r[m.PKColumn])
		ev, err := s.event1(r, pk)
		if err != nil {
			if bad == nil {
				bad = map[string]error{}
			}
			bad[pk] = err
			continue
		}
		evs[pk] = ev
	}
	return evs, bad, nil
}

// event1 decodes an event row.
func (s *schema) event1(r store.Row, pk string) (*Event, error) {
	m := s.event
	var err error
	ev := &Event{PK: str(r[m.PKColumn]), Action: str(r[col(m, "action")]), App: str(r[col(m, "app")]),
		ClientIP: str(r[col(m, "client_ip")])}
	if t, ok := r[col(m, "created")].(time.Time); ok {
		ev.Created = t
	}
	if ev.Context, err = decodeObject(r[col(m, "context")]); err != nil {
		return nil, fmt.Errorf("event %s context: %w", pk, err)
	}
	if ev.User, err = decodeObject(r[col(m, "user")]); err != nil {
		return nil, fmt.Errorf("event %s user: %w", pk, err)
	}
	return ev, nil
}

func (s *schema) loadUser(ctx context.Context, tx store.Tx, pk int64) (*User, error) {
	m := s.user
	rows, err := tx.Select(ctx, store.Query{Table: m.Table, Where: store.Eq(m.PKColumn, pk), Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("load user %d: %w", pk, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	r := rows[0]
	id, _ := r[m.PKColumn].(int64)
	return &User{PK: id, Username: str(r[col(m, "username")]), Email: str(r[col(m, "email")]), Name: str(r[col(m, "name")])}, nil
}

func (s *schema) rule1(r store.Row) Rule {
	m := s.rule
	return Rule{PK: str(r[m.PKColumn]), Name: str(r[col(m, "name")]), Severity: str(r[col(m, "severity")]), Group: str(r[col(m, "group")])}
}

func (s *schema) loadRule(ctx context.Context, tx store.Tx, pk string) (*Rule, error) {
	m := s.rule
	rows, err := tx.Select(ctx, store.Query{Table: m.Table, Where: store.Eq(m.PKColumn, pk), Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("load notification rule %s: %w", pk, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	r := s.rule1(rows[0])
	return &r, nil
}

// ruleTransportPKs lists a rule's transports in a stable order.
func (s *schema) ruleTransportPKs(ctx context.Context, tx store.Tx, rulePK string) ([]string, error) {
	j := s.ruleTransports
	rows, err := tx.Select(ctx, store.Query{Table: j.Table, Columns: []string{j.Other}, Where: store.Eq(j.Self, rulePK),
		OrderBy: []store.Order{{Column: j.Other}}})
	if err != nil {
		return nil, fmt.Errorf("load transports of rule %s: %w", rulePK, err)
	}
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, str(r[j.Other]))
	}
	return out, nil
}

// groupMembers lists the users directly in a group, by pk, as Django's
// group.users.all() does.
func (s *schema) groupMembers(ctx context.Context, tx store.Tx, groupPK string) ([]int64, error) {
	j := s.groupUsers
	rows, err := tx.Select(ctx, store.Query{Table: j.Table, Columns: []string{j.Other}, Where: store.Eq(j.Self, groupPK),
		OrderBy: []store.Order{{Column: j.Other}}})
	if err != nil {
		return nil, fmt.Errorf("load members of group %s: %w", groupPK, err)
	}
	out := make([]int64, 0, len(rows))
	for _, r := range rows {
		if pk, ok := r[j.Other].(int64); ok {
			out = append(out, pk)
		}
	}
	return out, nil
}

func (s *schema) loadTransport(ctx context.Context, tx store.Tx, pk string) (*Transport, error) {
	m := s.transport
	rows, err := tx.Select(ctx, store.Query{Table: m.Table, Where: store.Eq(m.PKColumn, pk), Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("load transport %s: %w", pk, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	r := rows[0]
	send, _ := r[col(m, "send_once")].(bool)
	t := &Transport{PK: str(r[m.PKColumn]), Name: str(r[col(m, "name")]), Mode: str(r[col(m, "mode")]),
		WebhookURL: str(r[col(m, "webhook_url")]), SendOnce: send}
	if mp := str(r[col(m, "webhook_mapping")]); mp != "" {
		mm := s.mapping
		rows, err := tx.Select(ctx, store.Query{Table: mm.Table, Where: store.Eq(mm.PKColumn, mp), Limit: 1})
		if err != nil {
			return nil, fmt.Errorf("load webhook mapping %s: %w", mp, err)
		}
		if len(rows) > 0 {
			t.Mapping = &Mapping{PK: mp, Name: str(rows[0][col(mm, "name")]), Expression: str(rows[0][col(mm, "expression")])}
		}
	}
	return t, nil
}

// LoadTransport reads one transport (nil when it does not exist).
func (d *Dispatcher) LoadTransport(ctx context.Context, pk string) (*Transport, error) {
	var t *Transport
	err := d.engine.Store.View(ctx, func(tx store.Tx) error {
		var err error
		t, err = d.s.loadTransport(ctx, tx, pk)
		return err
	})
	return t, err
}

// LoadEvent reads one event (nil when it does not exist).
func (d *Dispatcher) LoadEvent(ctx context.Context, pk string) (*Event, error) {
	var ev *Event
	err := d.engine.Store.View(ctx, func(tx store.Tx) error {
		var err error
		ev, err = d.s.loadEvent(ctx, tx, pk)
		return err
	})
	return ev, err
}

// LoadUser reads one user (nil when it does not exist).
func (d *Dispatcher) LoadUser(ctx context.Context, pk int64) (*User, error) {
	var u *User
	err := d.engine.Store.View(ctx, func(tx store.Tx) error {
		var err error
		u, err = d.s.loadUser(ctx, tx, pk)
		return err
	})
	return u, err
}
