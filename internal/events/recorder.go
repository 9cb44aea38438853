package events

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// Actions authentik records.
const (
	ModelCreated = "model_created"
	ModelUpdated = "model_updated"
	ModelDeleted = "model_deleted"
	SecretView   = "secret_view"
	Login        = "login"
	LoginFailed  = "login_failed"
	Logout       = "logout"
	PasswordSet  = "password_set"
)

// DefaultRetention is authentik's fallback event retention (days=365).
const DefaultRetention = 365 * 24 * time.Hour

// Recorder writes events.
type Recorder struct {
	Engine *engine.Engine
	// Observers learn about every event written through the recorder,
	// inside the transaction that writes it. They must neither block nor
	// write: whatever reacts to events (notification rules) has to wait for
	// the commit elsewhere, since the transaction may still roll back.
	// Install them before serving; the slice is not guarded.
	Observers []func(ctx context.Context, eventUUID string)
}

// ignored lists models whose writes are not audited, as authentik's audit
// middleware ignores them (the events themselves, sessions, secrets that
// rotate on their own, OAuth2 grants, ...).
var ignored = map[string]bool{
	"authentik_events.event": true, "authentik_events.notification": true, "authentik_events.systemtask": true,
	"authentik_core.authenticatedsession":               true,
	"authentik_stages_authenticator_static.statictoken": true,
	"authentik_providers_oauth2.authorizationcode":      true,
	"authentik_providers_oauth2.accesstoken":            true,
	"authentik_providers_oauth2.refreshtoken":           true,
	"authentik_policies_reputation.reputation":          true,
	"auth.permission": true, "auth.group": true,
}

// Install records model_created / model_updated / model_deleted for every
// write through the engine.
func (r *Recorder) Install() {
	r.Engine.Hooks.AfterWrite = append(r.Engine.Hooks.AfterWrite, func(ctx context.Context, tx store.Tx, op string, m *registry.Model, before, after store.Row) error {
		if m.Name == tenantModel {
			forgetTenant(ctx)
		}
		if ignored[m.Name] {
			return nil
		}
		row := after
		action := map[string]string{"create": ModelCreated, "update": ModelUpdated, "delete": ModelDeleted}[op]
		if row == nil {
			row = before
		}
		model := map[string]any{"app": m.App(), "model_name": m.ModelName(), "pk": pkJSON(row[m.PKColumn]), "name": r.Engine.DisplayName(m, row)}
		return r.RecordTx(ctx, tx, action, "authentik.events.middleware", map[string]any{"model": model})
	})
}

func pkJSON(v any) any {
	switch x := v.(type) {
	case string:
		return strings.ReplaceAll(x, "-", "")
	}
	return v
}

// Record writes one event in its own transaction.
func (r *Recorder) Record(ctx context.Context, action, app string, data map[string]any) error {
	return r.Engine.Store.Update(ctx, func(tx store.Tx) error { return r.RecordTx(ctx, tx, action, app, data) })
}

// RecordTx writes one event inside tx.
func (r *Recorder) RecordTx(ctx context.Context, tx store.Tx, action, app string, data map[string]any) error {
	_, err := r.RecordTxID(ctx, tx, action, app, data)
	return err
}

// RecordTxID writes one event inside tx and returns its UUID, for callers
// that reference the event (a notification points at its event). Under a
// Defer context the event is queued and inserted with others (FlushTx).
func (r *Recorder) RecordTxID(ctx context.Context, tx store.Tx, action, app string, data map[string]any) (string, error) {
	em, _ := r.Engine.Registry.Model("authentik_events.event")
	now := store.NowUTC(r.Engine.Now())
	user := map[string]any{"username": "AnonymousUser", "pk": 0, "email": "", "is_anonymous": true}
	var ip any
	if a, ok := engine.ActorFrom(ctx); ok {
		if a.UserPK != 0 {
			user = map[string]any{"username": a.Username, "pk": a.UserPK, "email": a.Email}
		}
		if a.ClientIP != "" {
			ip = a.ClientIP
		}
		if a.Path != "" {
			if data == nil {
				data = map[string]any{}
			}
			if _, set := data["http_request"]; !set {
				data["http_request"] = map[string]any{"path": a.Path, "method": a.Method, "args": a.Query}
			}
		}
	}
	if data == nil {
		data = map[string]any{}
	}
	tenant, retention, err := r.cachedTenant(ctx, tx)
	if err != nil {
		return "", err
	}
	enc := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	id := r.Engine.NewUUID()
	row := store.Row{
		em.PKColumn: id, "action": action, "app": app, "user": enc(user), "context": enc(data),
		"client_ip": ip, "created": now, "expires": now.Add(retention), "expiring": true, "tenant": tenant,
	}
	if d, ok := ctx.Value(deferKey{}).(*deferred); ok {
		if err := d.queue(ctx, tx, em.Table, row); err != nil {
			return "", fmt.Errorf("record event %s: %w", action, err)
		}
		d.add(r, ctx, id)
		return id, nil
	}
	// The event's INSERT waits for nothing: on PostgreSQL it travels with
	// the transaction's next statement or its COMMIT.
	if err := tx.InsertLater(ctx, em.Table, row); err != nil {
		return "", fmt.Errorf("record event %s: %w", action, err)
	}
	for _, observe := range r.Observers {
		observe(ctx, id)
	}
	return id, nil
}

type deferKey struct{}

// deferred holds the events recorded under a Defer context.
type deferred struct {
	mu     sync.Mutex
	events []deferredEvent
	// The default tenant as the events of tenantTx store it: a bulk write
	// (a blueprint) records one event per object, and looking the tenant
	// up for each was one more query per object. Writes of tenants
	// through the engine drop it (forgetTenant); a savepoint rolled back
	// (a blueprint's dry run) has its own Defer context.
	tenantTx        store.Tx
	tenantJSON      json.RawMessage
	tenantRetention time.Duration
	// Event rows of queuedTx not inserted yet: they go in multi-row
	// INSERTs of eventsPerInsert rows (one round trip instead of one per
	// event on PostgreSQL), the last ones by FlushTx.
	queuedTx    store.Tx
	queuedTable string
	queued      []store.Row
}

// eventsPerInsert is how many queued events are inserted together (one
// InsertMany, which splits them further only past its parameter bound).
const eventsPerInsert = 100

// queue adds an event row of tx, inserting the queue when it is full.
// Rows queued for another transaction (one that was rolled back and
// retried) are dropped with it.
func (d *deferred) queue(ctx context.Context, tx store.Tx, table string, row store.Row) error {
	d.mu.Lock()
	if d.queuedTx != tx {
		d.queuedTx, d.queuedTable, d.queued = tx, table, nil
	}
	d.queued = append(d.queued, row)
	full := len(d.queued) >= eventsPerInsert
	d.mu.Unlock()
	if full {
		return d.flush(ctx, tx)
	}
	return nil
}

// flush inserts the rows queued for tx.
func (d *deferred) flush(ctx context.Context, tx store.Tx) error {
	d.mu.Lock()
	rows, table := d.queued, d.queuedTable
	if d.queuedTx != tx {
		rows = nil
	}
	d.queued = nil
	d.mu.Unlock()
	if err := tx.InsertMany(ctx, table, rows); err != nil {
		return fmt.Errorf("record events: %w", err)
	}
	return nil
}

// FlushTx inserts the events recorded in tx under ctx, a Defer context,
// that are still queued. Whoever records events under Defer calls it
// before tx commits; until then they are not in the table.
func FlushTx(ctx context.Context, tx store.Tx) error {
	d, ok := ctx.Value(deferKey{}).(*deferred)
	if !ok {
		return nil
	}
	return d.flush(ctx, tx)
}

type deferredEvent struct {
	r   *Recorder
	ctx context.Context
	id  string
}

func (d *deferred) add(r *Recorder, ctx context.Context, id string) {
	d.mu.Lock()
	d.events = append(d.events, deferredEvent{r, ctx, id})
	d.mu.Unlock()
}

// Defer holds back the observers of events recorded through the returned
// context until flush is called, which the caller does once the
// transaction has committed (and skips when it rolled back). A long
// transaction writing many events (a blueprint creating thousands of
// objects) would otherwise have the observers wait, polling, for a commit
// that is minutes away. Such a transaction also inserts its events in
// batches: the caller must call FlushTx before it commits.
func Defer(ctx context.Context) (context.Context, func()) {
	d := &deferred{}
	return context.WithValue(ctx, deferKey{}, d), func() {
		d.mu.Lock()
		evs := d.events
		d.events = nil
		d.mu.Unlock()
		for _, ev := range evs {
			ctx := context.WithValue(ev.ctx, committedKey{}, true)
			for _, observe := range ev.r.Observers {
				observe(ctx, ev.id)
			}
		}
	}
}

type committedKey struct{}

// Committed reports whether an observer is told about an event after its
// transaction committed (a Defer context's flush), so the event is known
// to be visible; otherwise the observer runs inside the transaction.
func Committed(ctx context.Context) bool {
	v, _ := ctx.Value(committedKey{}).(bool)
	return v
}

const tenantModel = "authentik_tenants.tenant"

// cachedTenant is tenant encoded as events store it, cached for the
// transaction under a Defer context.
func (r *Recorder) cachedTenant(ctx context.Context, tx store.Tx) (json.RawMessage, time.Duration, error) {
	d, deferring := ctx.Value(deferKey{}).(*deferred)
	if deferring {
		d.mu.Lock()
		if d.tenantTx == tx && d.tenantJSON != nil {
			t, ret := d.tenantJSON, d.tenantRetention
			d.mu.Unlock()
			return t, ret, nil
		}
		d.mu.Unlock()
	}
	tenant, retention, err := r.tenant(ctx, tx)
	if err != nil {
		return nil, 0, err
	}
	b, err := json.Marshal(tenant)
	if err != nil {
		return nil, 0, fmt.Errorf("encode the event tenant: %w", err)
	}
	if deferring {
		d.mu.Lock()
		d.tenantTx, d.tenantJSON, d.tenantRetention = tx, b, retention
		d.mu.Unlock()
	}
	return b, retention, nil
}

// forgetTenant drops the tenant cached under a Defer context.
func forgetTenant(ctx context.Context) {
	if d, ok := ctx.Value(deferKey{}).(*deferred); ok {
		d.mu.Lock()
		d.tenantTx, d.tenantJSON = nil, nil
		d.mu.Unlock()
	}
}

// tenant returns the default tenant as events store it and its retention.
func (r *Recorder) tenant(ctx context.Context, tx store.Tx) (map[string]any, time.Duration, error) {
	tm, ok := r.Engine.Registry.Model(tenantModel)
	if !ok {
		return map[string]any{}, DefaultRetention, nil
	}
	rows, err := tx.Select(ctx, store.Query{Table: tm.Table, Where: store.Eq("default", true), Limit: 1})
	if err != nil || len(rows) == 0 {
		return map[string]any{}, DefaultRetention, err
	}
	t := rows[0]
	out := map[string]any{"app": tm.App(), "model_name": tm.ModelName(), "pk": pkJSON(t[tm.PKColumn]), "name": fmt.Sprint("Tenant ", t["domain"])}
	return out, ParseRetention(fmt.Sprint(t["event_retention"])), nil
}

// ParseRetention reads authentik's timedelta strings ("days=365;hours=1").
func ParseRetention(s string) time.Duration {
	var d time.Duration
	unit := map[string]time.Duration{"weeks": 7 * 24 * time.Hour, "days": 24 * time.Hour, "hours": time.Hour,
		"minutes": time.Minute, "seconds": time.Second, "microseconds": time.Microsecond, "milliseconds": time.Millisecond}
	for _, part := range strings.Split(s, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if !ok || err != nil || unit[k] == 0 {
			continue
		}
		d += time.Duration(f * float64(unit[k]))
	}
	if d <= 0 {
		return DefaultRetention
	}
	return d
}
