package cleanup_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/store"
	"github.com/akgo/akgo/internal/tasks"
	"github.com/akgo/akgo/internal/tasks/cleanup"
)

func TestCleanExpiredModels(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			ctx := context.Background()
			eng := h.App.Engine
			now := time.Now().UTC()
			past, future := now.Add(-time.Hour).Format(engine.TimeFormat), now.Add(time.Hour).Format(engine.TimeFormat)
			user := int64(h.Do(http.MethodPost, "/core/users/", map[string]any{"username": "owner", "name": "Owner"}).Expect(t, http.StatusCreated).Object()["pk"].(float64))

			tokens := []struct {
				name     string
				intent   string
				expiring bool
				expires  string
				want     string // rotated, deleted or kept
			}{
				{"expired api token is rotated", "api", true, past, "rotated"},
				{"expired recovery token is deleted", "recovery", true, past, "deleted"},
				{"expired verification token is deleted", "verification", true, past, "deleted"},
				{"expired app password is deleted", "app_password", true, past, "deleted"},
				{"non-expiring token is kept", "api", false, past, "kept"},
				{"valid token is kept", "recovery", true, future, "kept"},
			}
			keys := map[string]string{}
			for i, tc := range tokens {
				id := "token-" + string(rune('a'+i))
				h.Do(http.MethodPost, "/core/tokens/", map[string]any{"identifier": id, "intent": tc.intent, "user": user,
					"expiring": tc.expiring, "expires": tc.expires}).Expect(t, http.StatusCreated)
				keys[id] = tokenRow(t, h, id)["key"].(string)
			}
			em, _ := eng.Registry.Model("authentik_events.event")
			sm, _ := eng.Registry.Model("authentik_core.authenticatedsession")
			err := eng.Store.Update(ctx, func(tx store.Tx) error {
				for _, action := range []string{"custom_old", "custom_new"} {
					if err := h.App.API.Events.RecordTx(ctx, tx, action, "test", nil); err != nil {
						return err
					}
				}
				if _, err := tx.UpdateWhere(ctx, em.Table, store.Eq("action", "custom_old"), store.Row{"expires": now.Add(-time.Minute)}); err != nil {
					return err
				}
				for _, s := range []struct {
					key     string
					expires time.Time
				}{{"old-session", now.Add(-time.Minute)}, {"live-session", now.Add(time.Hour)}} {
					row := store.Row{sm.PKColumn: uuid.NewString(), "session_key": s.key, "user": user, "last_ip": "127.0.0.1",
						"last_user_agent": "", "last_used": now, "expires": s.expires, "expiring": true, "session_data": map[string]any{}}
					if _, err := tx.Insert(ctx, sm.Table, row); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}

			sched, err := tasks.New(tasks.Config{Store: eng.Store, Registry: eng.Registry, Events: h.App.API.Events})
			if err != nil {
				t.Fatal(err)
			}
			if err := sched.Register(cleanup.New(eng, h.App.API.Events).Task()); err != nil {
				t.Fatal(err)
			}
			res, err := sched.Run(ctx, cleanup.Name)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"Expired 4 Tokens", "Expired 1 Events", "Expired 1 Authenticated Sessions", "Expired 0 User Consents"} {
				if res.Status != tasks.StatusSuccessful || !slices.Contains(res.Messages, want) {
					t.Errorf("result %s %q lacks %q", res.Status, res.Messages, want)
				}
			}

			for i, tc := range tokens {
				id := "token-" + string(rune('a'+i))
				t.Run(tc.name, func(t *testing.T) {
					row := tokenRow(t, h, id)
					switch tc.want {
					case "deleted":
						if row != nil {
							t.Fatalf("token still stored: %v", row)
						}
					case "kept":
						if row == nil || row["key"] != keys[id] {
							t.Fatalf("token changed: %v", row)
						}
					case "rotated":
						if row == nil || row["key"] == keys[id] || len(row["key"].(string)) != 128 {
							t.Fatalf("token not rotated: %v", row)
						}
						exp := row["expires"].(time.Time)
						if d := exp.Sub(now); d < 29*time.Minute || d > 31*time.Minute {
							t.Fatalf("new expiry %s is not 30 minutes from now", exp)
						}
					}
				})
			}
			rotated := h.Do(http.MethodGet, "/events/events/?action=secret_rotate", nil).Expect(t, http.StatusOK).Object()["results"].([]any)
			if len(rotated) != 1 {
				t.Fatalf("secret_rotate events: %v", rotated)
			}
			ev := rotated[0].(map[string]any)
			ctxt := ev["context"].(map[string]any)
			if ev["app"] != "authentik.core.models" || ctxt["message"] != "Token token-a's secret was rotated." ||
				ctxt["token"].(map[string]any)["model_name"] != "token" {
				t.Errorf("secret_rotate event = %v", ev)
			}
			for action, want := range map[string]int{"custom_old": 0, "custom_new": 1} {
				if n := count(t, h, em.Table, store.Eq("action", action)); n != int64(want) {
					t.Errorf("%d %s events left, want %d", n, action, want)
				}
			}
			for key, want := range map[string]int64{"old-session": 0, "live-session": 1} {
				if n := count(t, h, sm.Table, store.Eq("session_key", key)); n != want {
					t.Errorf("%d sessions %s left, want %d", n, key, want)
				}
			}
			rec := h.Do(http.MethodGet, "/admin/system_tasks/"+cleanup.Name+"/", nil).Expect(t, http.StatusOK).Object()
			if rec["status"] != "SUCCESSFUL" || rec["task_description"] != "Remove expired objects" {
				t.Errorf("record = %v", rec)
			}
		})
	}
}

func TestCleanerTask(t *testing.T) {
	task := cleanup.New(nil, nil).Task()
	slot := time.Date(2023, 10, 4, 10, 0, 0, 0, time.UTC)
	if task.Name != "clean_expired_models" || !task.RunAtStart || task.Schedule.Next(slot) != slot.Add(2*time.Minute) {
		t.Fatalf("task = %+v", task)
	}
}

func tokenRow(t *testing.T, h *apitest.Harness, identifier string) store.Row {
	t.Helper()
	tm, _ := h.App.Registry.Model("authentik_core.token")
	var rows []store.Row
	err := h.App.Store.View(context.Background(), func(tx store.Tx) error {
		var err error
		rows, err = tx.Select(context.Background(), store.Query{Table: tm.Table, Where: store.Eq("identifier", identifier)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		return nil
	}
	return rows[0]
}

func count(t *testing.T, h *apitest.Harness, table string, where store.Cond) int64 {
	t.Helper()
	var n int64
	err := h.App.Store.View(context.Background(), func(tx store.Tx) error {
		var err error
		n, err = tx.Count(context.Background(), store.Query{Table: table, Where: where})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
