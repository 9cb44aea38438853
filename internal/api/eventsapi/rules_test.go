package eventsapi_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/notify"
	"github.com/akgo/akgo/internal/notify/notifytest"
	"github.com/akgo/akgo/internal/store"
)

// appPolicy matches events about applications.
func appPolicy(t *testing.T, h *apitest.Harness, name string, extra map[string]any) string {
	t.Helper()
	body := map[string]any{"name": name, "model": "authentik_core.application"}
	for k, v := range extra {
		body[k] = v
	}
	return create(t, h, "/policies/event_matcher/", body)
}

func newApp(t *testing.T, h *apitest.Harness, slug string) {
	t.Helper()
	h.Do(http.MethodPost, "/core/applications/", map[string]any{"name": slug, "slug": slug}).Expect(t, http.StatusCreated)
}

func TestRuleToWebhookAndLocal(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := start(t, backend, nil)
			rc := newReceiver(t, http.StatusOK)
			admin := adminPK(t, h)
			group := adminsGroup(t, h)
			bob, _ := userWithToken(t, h, "bob")
			h.Do(http.MethodPatch, "/core/users/"+itoa(bob)+"/", map[string]any{"groups": []any{group}}).Expect(t, http.StatusOK)
			hook := create(t, h, "/events/transports/", map[string]any{"name": "hook", "mode": "webhook", "webhook_url": rc.URL, "send_once": true})
			local := create(t, h, "/events/transports/", map[string]any{"name": "local", "mode": "local"})
			rule(t, h, "apps", group, []string{hook, local}, appPolicy(t, h, "apps", nil))
			idle(t, h)
			if rc.count() != 0 {
				t.Fatalf("setup writes were delivered: %v", rc.bodies)
			}

			newApp(t, h, "grafana")
			b := rc.wait(t)
			idle(t, h)
			t.Run("webhook body", func(t *testing.T) {
				body, _ := b["body"].(string)
				if !strings.HasPrefix(body, "model_created: {'model': {'pk': ") || !strings.Contains(body, "'model_name': 'application'") ||
					b["severity"] != "alert" || b["event_user_username"] != "akadmin" {
					t.Fatalf("webhook body %v", b)
				}
			})
			t.Run("send once posts for one member", func(t *testing.T) {
				if rc.count() != 1 {
					t.Fatalf("%d webhook posts, want 1", rc.count())
				}
			})
			t.Run("local stores one per member", func(t *testing.T) {
				for _, u := range []int64{admin, bob} {
					if n := count(t, h, "authentik_events.notification", store.And(store.Eq("user", u), store.Eq("severity", "alert"))); n != 1 {
						t.Fatalf("user %d has %d notifications", u, n)
					}
				}
				n := notificationOf(t, h, admin)
				if n["event"] == nil || !strings.HasPrefix(n["body"].(string), "model_created: ") {
					t.Fatalf("notification %v", n)
				}
			})
			t.Run("other events do not match", func(t *testing.T) {
				h.Do(http.MethodPost, "/flows/instances/", map[string]any{"name": "F", "slug": "f", "title": "F", "designation": "authentication"}).
					Expect(t, http.StatusCreated)
				idle(t, h)
				if rc.count() != 1 {
					t.Fatalf("a flow event was delivered: %v", rc.bodies)
				}
			})
			t.Run("events created through the API notify too", func(t *testing.T) {
				h.Do(http.MethodPost, "/events/events/", map[string]any{"action": "model_updated", "app": "authentik.core",
					"context": map[string]any{"model": map[string]any{"app": "authentik_core", "model_name": "application"}}}).
					Expect(t, http.StatusCreated)
				rc.wait(t)
			})
		})
	}
}

func TestRuleBindings(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := start(t, backend, nil)
			group := adminsGroup(t, h)
			admin := adminPK(t, h)
			bob, _ := userWithToken(t, h, "bob")
			other := create(t, h, "/core/groups/", map[string]any{"name": "others"})
			parent := create(t, h, "/core/groups/", map[string]any{"name": "parent"})
			child := create(t, h, "/core/groups/", map[string]any{"name": "child", "parent": parent})
			h.Do(http.MethodPatch, "/core/users/"+itoa(admin)+"/", map[string]any{"groups": []any{group, child}}).Expect(t, http.StatusOK)
			exprYes := create(t, h, "/policies/expression/", map[string]any{"name": "is-created",
				"expression": `return request.context["event"]["action"] == "model_created"`})
			exprNo := create(t, h, "/policies/expression/", map[string]any{"name": "never", "expression": "return False"})
			matcher := appPolicy(t, h, "apps", nil)
			cases := []struct {
				name    string
				binding map[string]any
				want    bool
			}{
				{"event matcher", map[string]any{"policy": matcher}, true},
				{"negated event matcher", map[string]any{"policy": matcher, "negate": true}, false},
				{"disabled binding", map[string]any{"policy": matcher, "enabled": false}, false},
				{"expression policy reading the event", map[string]any{"policy": exprYes}, true},
				{"failing expression policy", map[string]any{"policy": exprNo}, false},
				{"group of the event's user", map[string]any{"group": group}, true},
				{"parent group of the event's user", map[string]any{"group": parent}, true},
				{"another group", map[string]any{"group": other}, false},
				{"the event's user", map[string]any{"user": admin}, true},
				{"another user", map[string]any{"user": bob}, false},
			}
			for i, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					transport := create(t, h, "/events/transports/", map[string]any{"name": "t" + itoa(int64(i)), "mode": "local"})
					pk := rule(t, h, "r"+itoa(int64(i)), group, []string{transport})
					tc.binding["target"], tc.binding["order"] = pk, 0
					create(t, h, "/policies/bindings/", tc.binding)
					idle(t, h)
					before := count(t, h, "authentik_events.notification", nil)
					newApp(t, h, "app"+itoa(int64(i)))
					idle(t, h)
					got := count(t, h, "authentik_events.notification", nil) - before
					if (got > 0) != tc.want {
						t.Fatalf("%d notifications, want delivery %v", got, tc.want)
					}
					// Only one rule at a time: drop this one's transport.
					h.Do(http.MethodDelete, "/events/rules/"+pk+"/", nil).Expect(t, http.StatusNoContent)
					idle(t, h)
				})
			}
			t.Run("rule without group", func(t *testing.T) {
				transport := create(t, h, "/events/transports/", map[string]any{"name": "nogroup", "mode": "local"})
				rule(t, h, "nogroup", "", []string{transport}, matcher)
				idle(t, h)
				before := count(t, h, "authentik_events.notification", nil)
				newApp(t, h, "lonely")
				idle(t, h)
				if got := count(t, h, "authentik_events.notification", nil); got != before {
					t.Fatalf("%d notifications from a rule without a group", got-before)
				}
			})
		})
	}
}

func TestDeliveryFailureIsRecorded(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := start(t, backend, nil)
			rc := newReceiver(t, http.StatusBadGateway)
			group := adminsGroup(t, h)
			hook := create(t, h, "/events/transports/", map[string]any{"name": "hook", "mode": "webhook", "webhook_url": rc.URL})
			// The policy also matches the failure events themselves: the
			// delivery of a failure event must not record another one.
			rule(t, h, "apps", group, []string{hook}, appPolicy(t, h, "apps", map[string]any{"action": "system_task_exception"}))
			idle(t, h)
			newApp(t, h, "grafana")
			idle(t, h)
			page := h.Do(http.MethodGet, "/events/events/?action=system_task_exception", nil).Expect(t, http.StatusOK).Object()
			res := page["results"].([]any)
			if len(res) != 1 {
				t.Fatalf("%d failure events, want 1: %v", len(res), res)
			}
			msg, _ := res[0].(map[string]any)["context"].(map[string]any)["message"].(string)
			if !strings.HasPrefix(msg, "Task notification_transport encountered an error: ") || !strings.Contains(msg, "502") {
				t.Fatalf("failure message %q", msg)
			}
			// Three attempts for the application event, three for the
			// failure event, then nothing more.
			if rc.count() != 6 {
				t.Fatalf("%d webhook attempts, want 6", rc.count())
			}
		})
	}
}

func TestMappingFailureIsNotRetried(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := start(t, backend, nil)
			rc := newReceiver(t, http.StatusOK)
			group := adminsGroup(t, h)
			broken := create(t, h, "/propertymappings/notification/", map[string]any{"name": "broken", "expression": `return notification["missing"]`})
			hook := create(t, h, "/events/transports/", map[string]any{"name": "hook", "mode": "webhook", "webhook_url": rc.URL, "webhook_mapping": broken})
			rule(t, h, "apps", group, []string{hook}, appPolicy(t, h, "apps", nil))
			idle(t, h)
			newApp(t, h, "grafana")
			idle(t, h)
			cases := []struct {
				action string
				want   int64
			}{
				{"property_mapping_exception", 1},
				{"system_task_exception", 1},
			}
			for _, tc := range cases {
				t.Run(tc.action, func(t *testing.T) {
					if n := count(t, h, "authentik_events.event", store.Eq("action", tc.action)); n != tc.want {
						t.Fatalf("%d %s events, want %d", n, tc.action, tc.want)
					}
				})
			}
			if rc.count() != 0 {
				t.Fatalf("%d posts despite the failing mapping", rc.count())
			}
		})
	}
}

func TestRuleToEmail(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			sink := notifytest.Start(t, notifytest.Options{})
			h := start(t, backend, func(s *notify.Settings) {
				s.Email = notify.EmailSettings{Host: sink.Host, Port: sink.Port, Timeout: 3 * time.Second, From: "authentik@localhost"}
			})
			group := adminsGroup(t, h)
			mail := create(t, h, "/events/transports/", map[string]any{"name": "mail", "mode": "email"})
			rule(t, h, "apps", group, []string{mail}, appPolicy(t, h, "apps", nil))
			idle(t, h)
			newApp(t, h, "grafana")
			m := sink.Wait(t, 10*time.Second)
			idle(t, h)
			if m.To[0] != "root@localhost" || !strings.Contains(m.Data, "Subject: authentik Notification: model_created") {
				t.Fatalf("mail %+v", m)
			}
			if sink.Pending() != 0 {
				t.Fatalf("%d extra mails", sink.Pending())
			}
			if n := count(t, h, "authentik_events.event", store.Eq("action", "email_sent")); n != 1 {
				t.Fatalf("%d email_sent events, want 1", n)
			}
		})
	}
}

func TestRolledBackEventIsNotDelivered(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := start(t, backend, func(s *notify.Settings) { s.CommitWait = 300 * time.Millisecond })
			group := adminsGroup(t, h)
			local := create(t, h, "/events/transports/", map[string]any{"name": "local", "mode": "local"})
			rule(t, h, "apps", group, []string{local}, appPolicy(t, h, "apps", nil))
			idle(t, h)
			ctxData := map[string]any{"model": map[string]any{"app": "authentik_core", "model_name": "application"}}
			rec := h.App.API.Events
			ctx := context.Background()
			errRollback := errors.New("roll back")
			err := h.App.Store.Update(ctx, func(tx store.Tx) error {
				if err := rec.RecordTx(ctx, tx, "model_created", "authentik.test", ctxData); err != nil {
					return err
				}
				return errRollback
			})
			if !errors.Is(err, errRollback) {
				t.Fatalf("update: %v", err)
			}
			if err := rec.Record(ctx, "model_created", "authentik.test", ctxData); err != nil {
				t.Fatal(err)
			}
			idle(t, h)
			if n := count(t, h, "authentik_events.notification", nil); n != 1 {
				t.Fatalf("%d notifications, want 1 (only the committed event)", n)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestBurstOfWrites: the events of concurrent writes observed within one
// poll interval are matched together; every one of them is still
// notified exactly once, and the events of one rolled-back write never.
func TestBurstOfWrites(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := start(t, backend, nil)
			admin := adminPK(t, h)
			local := create(t, h, "/events/transports/", map[string]any{"name": "local", "mode": "local"})
			rule(t, h, "apps", adminsGroup(t, h), []string{local}, appPolicy(t, h, "apps", nil))
			idle(t, h)
			const writes = 24
			done := make(chan struct{}, writes)
			for i := range writes {
				go func() {
					defer func() { done <- struct{}{} }()
					slug := "burst-" + strconv.Itoa(i)
					status := http.StatusCreated
					if i == 0 {
						slug, status = "not a slug", http.StatusBadRequest // nothing written, nothing notified
					}
					h.Do(http.MethodPost, "/core/applications/", map[string]any{"name": slug, "slug": slug}).Expect(t, status)
				}()
			}
			for range writes {
				<-done
			}
			idle(t, h)
			if n := count(t, h, "authentik_events.notification", store.Eq("user", admin)); n != writes-1 {
				t.Fatalf("%d notifications for %d created applications", n, writes-1)
			}
		})
	}
}
