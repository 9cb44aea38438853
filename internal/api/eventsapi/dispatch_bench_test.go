package eventsapi_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/api/eventsapi"
	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/events"
	"github.com/akgo/akgo/internal/store"
)

// bulkEvents is how many events one bulk write records: about what the
// default blueprints or a large blueprint apply leave for the dispatcher.
const bulkEvents = 20000

// recordBulk records n model_created events in one transaction the way a
// server-side blueprint apply does (events.Defer, FlushTx) and returns
// the function that hands them to the observers after the commit.
func recordBulk(t testing.TB, h *apitest.Harness, n int) func() {
	t.Helper()
	ctx, observe := events.Defer(context.Background())
	err := h.App.Store.Update(ctx, func(tx store.Tx) error {
		for i := 0; i < n; i++ {
			model := map[string]any{"app": "authentik_core", "model_name": "group", "pk": fmt.Sprintf("g%d", i), "name": fmt.Sprintf("group %d", i)}
			if err := h.App.API.Events.RecordTx(ctx, tx, events.ModelCreated, "authentik.events.middleware", map[string]any{"model": model}); err != nil {
				return err
			}
		}
		return events.FlushTx(ctx, tx)
	})
	if err != nil {
		t.Fatalf("record %d events: %v", n, err)
	}
	return observe
}

// BenchmarkDispatchBulk measures how long the dispatcher takes to match
// the events of one bulk write against the notification rules once they
// are committed: with no rule at all, and with rules that never match
// them (event matchers for logins), the usual state of a server.
func BenchmarkDispatchBulk(b *testing.B) {
	for _, backend := range apitest.Backends() {
		for _, rules := range []int{0, 3} {
			b.Run(fmt.Sprintf("%s/rules=%d", backend, rules), func(b *testing.B) {
				h := start(b, backend, nil)
				if rules > 0 {
					group := adminsGroup(b, h)
					local := create(b, h, "/events/transports/", map[string]any{"name": "local", "mode": "local"})
					for i := 0; i < rules; i++ {
						p := create(b, h, "/policies/event_matcher/", map[string]any{"name": fmt.Sprintf("logins %d", i), "action": "login"})
						rule(b, h, fmt.Sprintf("logins %d", i), group, []string{local}, p)
					}
				}
				idle(b, h)
				var total time.Duration
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					observe := recordBulk(b, h, bulkEvents)
					start := time.Now()
					b.StartTimer()
					observe()
					// Longer than idle's limit: before batching, 20,000
					// events with three rules took over 20 s.
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
					err := eventsapi.DispatcherOf(h.App.API).Idle(ctx)
					cancel()
					if err != nil {
						b.Fatal(err)
					}
					total += time.Since(start)
				}
				b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/bulk")
				if n := count(b, h, "authentik_events.notification", nil); n != 0 {
					b.Fatalf("%d notifications for events no rule matches", n)
				}
			})
		}
	}
}
