package events_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/events"
	"github.com/akgo/akgo/internal/store"
)

func TestModelEvents(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			h.Do(http.MethodPost, "/flows/instances/", map[string]any{"name": "Audited", "slug": "audited", "title": "t", "designation": "authentication"}).Expect(t, http.StatusCreated)
			h.Do(http.MethodPatch, "/flows/instances/audited/", map[string]any{"title": "t2"}).Expect(t, http.StatusOK)
			h.Do(http.MethodDelete, "/flows/instances/audited/", nil).Expect(t, http.StatusNoContent)
			// A failed write records nothing.
			h.Do(http.MethodPost, "/flows/instances/", map[string]any{"name": "x"}).Expect(t, http.StatusBadRequest)
			page := h.Do(http.MethodGet, "/events/events/?context_model_name=flow&ordering=created", nil).Expect(t, http.StatusOK).Object()
			results := page["results"].([]any)
			var actions []string
			for _, r := range results {
				ev := r.(map[string]any)
				actions = append(actions, ev["action"].(string))
				model := ev["context"].(map[string]any)["model"].(map[string]any)
				if model["app"] != "authentik_flows" || model["name"] != "Flow Audited (audited)" {
					t.Errorf("context.model = %v", model)
				}
				if ev["user"].(map[string]any)["username"] != "akadmin" || ev["client_ip"] != "127.0.0.1" {
					t.Errorf("user %v, client_ip %v", ev["user"], ev["client_ip"])
				}
			}
			want := []string{events.ModelCreated, events.ModelUpdated, events.ModelDeleted}
			if len(actions) != len(want) {
				t.Fatalf("actions = %v, want %v", actions, want)
			}
			for i := range want {
				if actions[i] != want[i] {
					t.Fatalf("actions = %v, want %v", actions, want)
				}
			}
			for _, q := range []string{"search=audited", "username=akadmin", "action=model_created"} {
				if n := len(h.Do(http.MethodGet, "/events/events/?"+q, nil).Expect(t, http.StatusOK).Object()["results"].([]any)); n == 0 {
					t.Errorf("?%s finds no event", q)
				}
			}
		})
	}
}

func TestParseRetention(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
	}{
		{"days=365", 365 * 24 * time.Hour},
		{"days=1;hours=2", 26 * time.Hour},
		{"minutes=30", 30 * time.Minute},
		{"garbage", events.DefaultRetention},
		{"", events.DefaultRetention},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			if got := events.ParseRetention(tc.in); got != tc.want {
				t.Fatalf("ParseRetention(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

// TestDeferredTenant: under events.Defer (a blueprint apply) the default
// tenant is looked up once per transaction, and a write of a tenant
// through the engine makes the next event look again, so every event
// still carries the tenant and retention of its moment.
func TestDeferredTenant(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			rec := h.App.API.Events
			ep, ok := h.App.Registry.Endpoint("/core/tenants/")
			if !ok {
				t.Fatal("no /core/tenants/ endpoint")
			}
			em := h.App.Registry.MustModel("authentik_events.event")
			ctx, _ := events.Defer(context.Background())
			type seen struct {
				tenant string
				ttl    time.Duration
			}
			var got []seen
			record := func(tx store.Tx) error {
				id, err := rec.RecordTxID(ctx, tx, "custom_test", "test", nil)
				if err != nil {
					return err
				}
				if err := events.FlushTx(ctx, tx); err != nil {
					return err
				}
				rows, err := tx.Select(ctx, store.Query{Table: em.Table, Where: store.Eq(em.PKColumn, id)})
				if err != nil || len(rows) != 1 {
					return fmt.Errorf("read event %s: %v (%d rows)", id, err, len(rows))
				}
				var tenant map[string]any
				if err := json.Unmarshal(jsonBytes(rows[0]["tenant"]), &tenant); err != nil {
					return err
				}
				name, _ := tenant["name"].(string)
				created, expires := rows[0]["created"].(time.Time), rows[0]["expires"].(time.Time)
				got = append(got, seen{name, expires.Sub(created).Round(time.Hour)})
				return nil
			}
			var tenantPK string
			err := h.App.Store.Update(ctx, func(tx store.Tx) error {
				steps := []func() error{
					func() error { return record(tx) },
					func() error { return record(tx) },
					func() error {
						obj, err := h.App.Engine.CreateTx(ctx, tx, ep, engine.Object{"domain": "first", "default": true, "event_retention": "days=2"})
						tenantPK, _ = obj["tenant_uuid"].(string)
						return err
					},
					func() error { return record(tx) },
					func() error {
						_, err := h.App.Engine.UpdateTx(ctx, tx, ep, tenantPK, engine.Object{"domain": "second", "event_retention": "days=3"}, true)
						return err
					},
					func() error { return record(tx) },
					func() error { return record(tx) },
				}
				for _, step := range steps {
					if err := step(); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			want := []seen{
				{"", events.DefaultRetention}, {"", events.DefaultRetention},
				{"Tenant first", 48 * time.Hour},
				{"Tenant second", 72 * time.Hour}, {"Tenant second", 72 * time.Hour},
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("events saw %v, want %v", got, want)
			}
		})
	}
}

// jsonBytes is a JSON column's value as read back.
func jsonBytes(v any) []byte {
	switch x := v.(type) {
	case []byte:
		return x
	case json.RawMessage:
		return x
	case string:
		return []byte(x)
	}
	b, _ := json.Marshal(v)
	return b
}

// TestDeferredBatches: under events.Defer the events are inserted a
// hundred at a time and the rest by FlushTx, each stored exactly as an
// event recorded on its own.
func TestDeferredBatches(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			rec := h.App.API.Events
			em := h.App.Registry.MustModel("authentik_events.event")
			data := map[string]any{"n": 1, "text": "<a & b>", "nested": map[string]any{"list": []any{true, nil}}}
			actor := engine.WithActor(context.Background(), engine.Actor{UserPK: 7, Username: "batcher", Email: "b@example.com", ClientIP: "10.0.0.1"})
			count := func(tx store.Tx) int64 {
				n, err := tx.Count(actor, store.Query{Table: em.Table, Where: store.Eq("action", "custom_batch")})
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			var direct, batched string
			err := h.App.Store.Update(actor, func(tx store.Tx) error {
				var err error
				if direct, err = rec.RecordTxID(actor, tx, "custom_batch", "test", data); err != nil {
					return err
				}
				ctx, _ := events.Defer(actor)
				for i := 0; i < 250; i++ {
					id, err := rec.RecordTxID(ctx, tx, "custom_batch", "test", data)
					if err != nil {
						return err
					}
					batched = id
				}
				if n := count(tx); n != 1+200 {
					t.Errorf("%d events before FlushTx, want 201 (two full batches)", n)
				}
				if err := events.FlushTx(ctx, tx); err != nil {
					return err
				}
				if n := count(tx); n != 1+250 {
					t.Errorf("%d events after FlushTx, want 251", n)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			row := func(pk string) store.Row {
				var r store.Row
				err := h.App.Store.View(context.Background(), func(tx store.Tx) error {
					rows, err := tx.Select(context.Background(), store.Query{Table: em.Table, Where: store.Eq(em.PKColumn, pk)})
					if err == nil && len(rows) == 1 {
						r = rows[0]
					}
					return err
				})
				if err != nil || r == nil {
					t.Fatalf("read event %s: %v", pk, err)
				}
				return r
			}
			a, b := row(direct), row(batched)
			for col, av := range a {
				switch col {
				case em.PKColumn, "created", "expires":
					if fmt.Sprintf("%T", av) != fmt.Sprintf("%T", b[col]) {
						t.Errorf("%s: %T stored directly, %T batched", col, av, b[col])
					}
				default:
					if fmt.Sprintf("%T %v", av, av) != fmt.Sprintf("%T %v", b[col], b[col]) {
						t.Errorf("%s: %T %v stored directly, %T %v batched", col, av, av, b[col], b[col])
					}
				}
			}
			if len(a) != len(b) {
				t.Errorf("columns %d directly, %d batched", len(a), len(b))
			}
		})
	}
}

// TestCommittedObservers: observers learn whether the event's transaction
// has committed: inside it when recorded directly, after it when a Defer
// context's flush hands the events over.
func TestCommittedObservers(t *testing.T) {
	h := apitest.Start(t, "sqlite")
	rec := &events.Recorder{Engine: h.App.Engine}
	var seen []bool
	rec.Observers = []func(context.Context, string){func(ctx context.Context, _ string) {
		seen = append(seen, events.Committed(ctx))
	}}
	cases := []struct {
		name     string
		deferred bool
		want     bool
	}{
		{"recorded directly", false, false},
		{"flushed after the commit", true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			seen = nil
			ctx, flush := context.Background(), func() {}
			if tc.deferred {
				ctx, flush = events.Defer(ctx)
			}
			err := h.App.Store.Update(ctx, func(tx store.Tx) error {
				if err := rec.RecordTx(ctx, tx, "custom_committed", "test", nil); err != nil {
					return err
				}
				return events.FlushTx(ctx, tx)
			})
			if err != nil {
				t.Fatal(err)
			}
			flush()
			if len(seen) != 1 || seen[0] != tc.want {
				t.Fatalf("observers saw committed=%v, want [%v]", seen, tc.want)
			}
		})
	}
}
