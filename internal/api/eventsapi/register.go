package eventsapi

import (
	"context"
	"sync"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/notify"
	"github.com/akgo/akgo/internal/policies"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// dispatchers remembers each server's dispatcher. api.Server has no slot
// for an action package's state, and the application (tests, shutdown)
// needs to reach it: DispatcherOf and Shutdown.
var dispatchers sync.Map // *api.Server → *notify.Dispatcher

// DispatcherOf returns the notification dispatcher Register started for s.
func DispatcherOf(s *api.Server) *notify.Dispatcher {
	d, _ := dispatchers.Load(s)
	nd, _ := d.(*notify.Dispatcher)
	return nd
}

// Shutdown stops s's dispatcher: queued deliveries are dropped and those
// in flight aborted. Call it before closing the store.
func Shutdown(s *api.Server) {
	if d, ok := dispatchers.LoadAndDelete(s); ok {
		d.(*notify.Dispatcher).Close()
	}
}

// Register installs the event and notification actions and connects the
// dispatcher to every event written: through the recorder, and through
// the engine for events created with the API.
func Register(s *api.Server) {
	h := &handlers{s: s}
	s.RegisterOpen("events_events_actions_list", h.actions)
	s.RegisterOpen("events_events_per_month_list", h.perMonth)
	s.RegisterOpen("events_events_top_per_user_list", h.topPerUser)
	s.RegisterOpen("events_events_volume_list", h.volume)
	s.RegisterOpen("events_notifications_mark_all_seen_create", h.markAllSeen)
	s.RegisterOpen("events_transports_test_create", h.testTransport)
	s.Engine.Hooks.BeforeWrite["authentik_events.notificationtransport"] = append(
		s.Engine.Hooks.BeforeWrite["authentik_events.notificationtransport"], validateTransport)

	d, err := notify.New(s.Engine, s.Events, s.Log)
	if err != nil {
		// The registry is generated; a missing model is a build defect.
		panic(err)
	}
	pe := policies.For(s.Engine)
	if pe.Events == nil {
		pe.Events = s.Events
	}
	d.Policies, d.Mappings = policyBridge{pe}, policyBridge{pe}
	h.d = d
	dispatchers.Store(s, d)
	if s.Events != nil {
		s.Events.Observers = append(s.Events.Observers, d.Observe)
	}
	s.Engine.Hooks.AfterWrite = append(s.Engine.Hooks.AfterWrite,
		func(ctx context.Context, tx store.Tx, op string, m *registry.Model, before, after store.Row) error {
			if op == "create" && m.Name == "authentik_events.event" {
				d.Observe(ctx, engine.PKText(after[m.PKColumn]))
			}
			return nil
		})
}

// handlers serves the actions.
type handlers struct {
	s *api.Server
	d *notify.Dispatcher
}
