package storetarget_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/auth"
	"github.com/akgo/akgo/internal/blueprint"
	"github.com/akgo/akgo/internal/blueprint/storetarget"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/store"
)

// fastHash keeps the tests quick; the real hash is checked once below.
func fastHash(pw string) (string, error) { return "test$" + pw, nil }

func count(t *testing.T, h *apitest.Harness, model string, where store.Cond) int64 {
	t.Helper()
	m := h.App.Registry.MustModel(model)
	var n int64
	err := h.App.Store.View(context.Background(), func(tx store.Tx) error {
		var err error
		n, err = tx.Count(context.Background(), store.Query{Table: m.Table, Where: where})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func run(t *testing.T, h *apitest.Harness, ctx context.Context, fn func(*storetarget.Target) error) error {
	t.Helper()
	return storetarget.Run(ctx, h.App.Engine, func(_ context.Context, tg *storetarget.Target) error {
		tg.HashPassword = fastHash
		tg.Events = h.App.API.Events
		return fn(tg)
	})
}

func TestTarget(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			actor := engine.Actor{UserPK: 1, Username: "blueprint-tester", Email: "bp@example.com"}
			ctx := engine.WithActor(context.Background(), actor)

			t.Run("create, update by slug and by pk, list", func(t *testing.T) {
				var flowPK any
				err := run(t, h, ctx, func(tg *storetarget.Target) error {
					f, err := tg.Create(ctx, "authentik_flows.flow", map[string]any{"name": "BP", "slug": "bp-flow", "title": "BP", "designation": "authentication"})
					if err != nil {
						return err
					}
					flowPK = f["pk"]
					if _, err := tg.Update(ctx, "authentik_flows.flow", "bp-flow", map[string]any{"title": "by slug"}); err != nil {
						return err
					}
					u, err := tg.Update(ctx, "authentik_flows.flow", flowPK, map[string]any{"name": "by pk"})
					if err != nil {
						return err
					}
					if u["title"] != "by slug" || u["name"] != "by pk" {
						return fmt.Errorf("partial updates lost a field: %v", u)
					}
					list, err := tg.List(ctx, "authentik_flows.flow")
					if err != nil {
						return err
					}
					for _, o := range list {
						if o["slug"] == "bp-flow" {
							return nil
						}
					}
					return errors.New("created flow not listed in the same transaction")
				})
				if err != nil {
					t.Fatal(err)
				}
				if n := count(t, h, "authentik_flows.flow", store.Eq("slug", "bp-flow")); n != 1 {
					t.Fatalf("%d flows committed, want 1", n)
				}
				// The engine's AfterWrite hook recorded the writes with the actor.
				ev := h.Do("GET", "/events/events/?action=model_created&username=blueprint-tester", nil).Expect(t, 200).Object()
				if c := ev["pagination"].(map[string]any)["count"].(float64); c < 1 {
					t.Errorf("no model_created event by the acting user")
				}
				ev = h.Do("GET", "/events/events/?action=model_updated&username=blueprint-tester", nil).Expect(t, 200).Object()
				if c := ev["pagination"].(map[string]any)["count"].(float64); c != 2 {
					t.Errorf("%v model_updated events, want 2", c)
				}
			})

			t.Run("inherited model and cascading delete", func(t *testing.T) {
				err := run(t, h, ctx, func(tg *storetarget.Target) error {
					f, err := tg.Create(ctx, "authentik_flows.flow", map[string]any{"name": "Del", "slug": "bp-del", "title": "Del", "designation": "authentication"})
					if err != nil {
						return err
					}
					s, err := tg.Create(ctx, "authentik_stages_dummy.dummystage", map[string]any{"name": "bp-dummy"})
					if err != nil {
						return err
					}
					if _, err := tg.Create(ctx, "authentik_flows.flowstagebinding", map[string]any{"target": f["pk"], "stage": s["pk"], "order": 10}); err != nil {
						return err
					}
					return tg.Delete(ctx, "authentik_flows.flow", "bp-del")
				})
				if err != nil {
					t.Fatal(err)
				}
				if n := count(t, h, "authentik_flows.flowstagebinding", nil); n != 0 {
					t.Errorf("%d bindings survive their flow", n)
				}
				if n := count(t, h, "authentik_flows.stage", store.Eq("name", "bp-dummy")); n != 1 {
					t.Errorf("stage base rows: %d, want 1", n)
				}
			})

			t.Run("failure rolls everything back", func(t *testing.T) {
				boom := errors.New("later entry failed")
				err := run(t, h, ctx, func(tg *storetarget.Target) error {
					if _, err := tg.Create(ctx, "authentik_core.group", map[string]any{"name": "bp-rolled-back"}); err != nil {
						return err
					}
					if _, err := tg.Create(ctx, "authentik_stages_dummy.dummystage", map[string]any{"name": "bp-rolled-back"}); err != nil {
						return err
					}
					return boom
				})
				if !errors.Is(err, boom) {
					t.Fatalf("err = %v", err)
				}
				if n := count(t, h, "authentik_core.group", store.Eq("name", "bp-rolled-back")); n != 0 {
					t.Errorf("group survived the rollback")
				}
				if n := count(t, h, "authentik_flows.stage", store.Eq("name", "bp-rolled-back")); n != 0 {
					t.Errorf("stage survived the rollback")
				}
			})

			t.Run("request schema validation", func(t *testing.T) {
				err := run(t, h, ctx, func(tg *storetarget.Target) error {
					_, err := tg.Create(ctx, "authentik_flows.flow", map[string]any{"name": "x", "slug": "not a slug!", "title": "x", "designation": "authentication"})
					return err
				})
				v, ok := engine.AsValidation(err)
				if !ok || len(v.Fields["slug"]) == 0 {
					t.Fatalf("err = %v, want a slug validation error", err)
				}
			})

			t.Run("errors the applier understands", func(t *testing.T) {
				err := run(t, h, ctx, func(tg *storetarget.Target) error {
					return tg.Delete(ctx, "authentik_flows.flow", "no-such-flow")
				})
				if !errors.Is(err, blueprint.ErrNotFound) {
					t.Errorf("delete of a missing flow: %v, want ErrNotFound", err)
				}
				err = run(t, h, ctx, func(tg *storetarget.Target) error {
					_, err := tg.Create(ctx, "authentik_core.group", map[string]any{})
					return err
				})
				var fe blueprint.FieldErrorer
				if !errors.As(err, &fe) || len(fe.FieldErrors()["name"]) == 0 {
					t.Errorf("create without a name: %v, want field errors for name", err)
				}
			})

			t.Run("unknown model", func(t *testing.T) {
				err := run(t, h, ctx, func(tg *storetarget.Target) error {
					_, err := tg.List(ctx, "authentik_nope.thing")
					return err
				})
				if err == nil {
					t.Fatal("listing an unknown model succeeded")
				}
			})

			t.Run("blueprint-only fields: password and token key", func(t *testing.T) {
				var userPK any
				err := run(t, h, ctx, func(tg *storetarget.Target) error {
					u, err := tg.Create(ctx, "authentik_core.user", map[string]any{"username": "bp-user", "name": "BP", "password": "first"})
					if err != nil {
						return err
					}
					userPK = u["pk"]
					if _, err := tg.Update(ctx, "authentik_core.user", userPK, map[string]any{"password": "second"}); err != nil {
						return err
					}
					_, err = tg.Create(ctx, "authentik_core.token", map[string]any{"identifier": "bp-token", "user": userPK, "intent": "api", "key": "bp-fixed-key"})
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				if n := count(t, h, "authentik_core.user", store.And(store.Eq("username", "bp-user"), store.Eq("password", "test$second"))); n != 1 {
					t.Errorf("password not set through the hash function")
				}
				if n := count(t, h, "authentik_core.token", store.And(store.Eq("identifier", "bp-token"), store.Eq("key", "bp-fixed-key"))); n != 1 {
					t.Errorf("token key not stored")
				}
				// Two passwords set: two password_set events.
				ev := h.Do("GET", "/events/events/?action=password_set&username=blueprint-tester", nil).Expect(t, 200).Object()
				if c := ev["pagination"].(map[string]any)["count"].(float64); c != 2 {
					t.Errorf("%v password_set events, want 2", c)
				}
				// The real hash is Django's pbkdf2_sha256.
				err = storetarget.Run(ctx, h.App.Engine, func(ctx context.Context, tg *storetarget.Target) error {
					_, err := tg.Update(ctx, "authentik_core.user", userPK, map[string]any{"password": "real"})
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				m := h.App.Registry.MustModel("authentik_core.user")
				_ = h.App.Store.View(ctx, func(tx store.Tx) error {
					rows, _ := tx.Select(ctx, store.Query{Table: m.Table, Where: store.Eq("username", "bp-user")})
					if len(rows) != 1 || !auth.CheckPassword("real", rows[0]["password"].(string)) {
						t.Errorf("stored hash does not verify")
					}
					return nil
				})
			})

			t.Run("blank token key refused", func(t *testing.T) {
				err := run(t, h, ctx, func(tg *storetarget.Target) error {
					_, err := tg.Create(ctx, "authentik_core.token", map[string]any{"identifier": "bp-blank", "user": 1, "key": ""})
					return err
				})
				if v, ok := engine.AsValidation(err); !ok || len(v.Fields["key"]) == 0 {
					t.Fatalf("err = %v", err)
				}
			})

			t.Run("list hides the anonymous user", func(t *testing.T) {
				err := run(t, h, ctx, func(tg *storetarget.Target) error {
					users, err := tg.List(ctx, "authentik_core.user")
					if err != nil {
						return err
					}
					for _, u := range users {
						if u["username"] == "AnonymousUser" {
							return errors.New("AnonymousUser listed")
						}
					}
					if len(users) == 0 {
						return errors.New("no users listed")
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}
