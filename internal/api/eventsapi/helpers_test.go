package eventsapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/api/eventsapi"
	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/notify"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// start runs a harness whose dispatcher uses settings adjusted by tune
// (fast retries by default), and stops the dispatcher before the harness
// closes its store.
func start(t testing.TB, backend string, tune func(*notify.Settings)) *apitest.Harness {
	t.Helper()
	saved := notify.Defaults
	notify.Defaults.RetryDelays = []time.Duration{10 * time.Millisecond, 10 * time.Millisecond}
	notify.Defaults.WebhookTimeout = 3 * time.Second
	if tune != nil {
		tune(&notify.Defaults)
	}
	h := apitest.Start(t, backend)
	notify.Defaults = saved
	t.Cleanup(func() { eventsapi.Shutdown(h.App.API) })
	return h
}

// idle waits until the dispatcher has nothing queued or scheduled.
func idle(t testing.TB, h *apitest.Harness) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := eventsapi.DispatcherOf(h.App.API).Idle(ctx); err != nil {
		t.Fatal(err)
	}
}

// insertEvent writes an event row directly, with a chosen age.
func insertEvent(t *testing.T, h *apitest.Harness, action string, created time.Time, user, ctxData map[string]any) {
	t.Helper()
	m, _ := h.App.Registry.Model("authentik_events.event")
	enc := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	if user == nil {
		user = map[string]any{"username": "akadmin", "pk": 1, "email": "root@localhost"}
	}
	err := h.App.Store.Update(context.Background(), func(tx store.Tx) error {
		_, err := tx.Insert(context.Background(), m.Table, store.Row{
			m.PKColumn: h.App.Engine.NewUUID(), "action": action, "app": "authentik.test", "user": enc(user),
			"context": enc(ctxData), "client_ip": "10.0.0.1", "created": store.NowUTC(created),
			"expires": store.NowUTC(created.Add(365 * 24 * time.Hour)), "expiring": true, "tenant": enc(map[string]any{"name": "Default"}),
		})
		return err
	})
	if err != nil {
		t.Fatalf("insert event: %v", err)
	}
}

// count counts rows of a model's table matching where.
func count(t testing.TB, h *apitest.Harness, model string, where store.Cond) int64 {
	t.Helper()
	m, _ := h.App.Registry.Model(model)
	var n int64
	err := h.App.Store.View(context.Background(), func(tx store.Tx) error {
		var err error
		n, err = tx.Count(context.Background(), store.Query{Table: m.Table, Where: where})
		return err
	})
	if err != nil {
		t.Fatalf("count %s: %v", model, err)
	}
	return n
}

// userWithToken creates a user (no permissions) and an API token for it.
func userWithToken(t *testing.T, h *apitest.Harness, username string) (int64, string) {
	t.Helper()
	u := h.Do(http.MethodPost, "/core/users/", map[string]any{"username": username, "name": username, "email": username + "@example.com"}).
		Expect(t, http.StatusCreated).Object()
	pk := int64(u["pk"].(float64))
	key := "token-" + username
	tokens, _ := h.App.Registry.Endpoint("/core/tokens/")
	tm, _ := h.App.Registry.Model("authentik_core.token")
	err := h.App.Store.Update(context.Background(), func(tx store.Tx) error {
		tok, err := h.App.Engine.CreateTx(context.Background(), tx, tokens, engine.Object{
			"identifier": "tok-" + username, "intent": "api", "user": pk, "expiring": false})
		if err != nil {
			return err
		}
		_, err = tx.UpdateWhere(context.Background(), tm.Table, store.Eq(tm.PKColumn, tok["pk"]), store.Row{"key": key})
		return err
	})
	if err != nil {
		t.Fatalf("token for %s: %v", username, err)
	}
	return pk, key
}

// raw sends a request without schema validation, for statuses the schema
// does not declare (503).
func raw(t *testing.T, h *apitest.Harness, method, path string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, h.URL+"/api/v3"+path, nil)
	req.Header.Set("Authorization", "Bearer "+apitest.Token)
	resp, err := h.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var body map[string]any
	data, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(data, &body)
	return resp.StatusCode, body
}

// receiver is a webhook endpoint that records what it gets.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []map[string]any
	status int
	got    chan map[string]any
}

func newReceiver(t *testing.T, status int) *receiver {
	rc := &receiver{status: status, got: make(chan map[string]any, 100)}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		rc.mu.Lock()
		rc.bodies = append(rc.bodies, body)
		rc.mu.Unlock()
		rc.got <- body
		w.WriteHeader(rc.status)
		fmt.Fprint(w, "received")
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) wait(t *testing.T) map[string]any {
	t.Helper()
	select {
	case b := <-rc.got:
		return b
	case <-time.After(10 * time.Second):
		t.Fatal("webhook receiver got nothing")
	}
	return nil
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.bodies)
}

// adminsGroup returns the bootstrap admin group's pk.
func adminsGroup(t testing.TB, h *apitest.Harness) string {
	t.Helper()
	page := h.Do(http.MethodGet, "/core/groups/?name="+strings.ReplaceAll("authentik Admins", " ", "%20"), nil).Expect(t, http.StatusOK).Object()
	res := page["results"].([]any)
	if len(res) != 1 {
		t.Fatalf("admin group: %v", page)
	}
	return res[0].(map[string]any)["pk"].(string)
}

// create POSTs a body and returns the new object's pk.
func create(t testing.TB, h *apitest.Harness, path string, body map[string]any) string {
	t.Helper()
	o := h.Do(http.MethodPost, path, body).Expect(t, http.StatusCreated).Object()
	return fmt.Sprint(o["pk"])
}

// rule creates a notification rule for group over transports, bound to
// the given policies.
func rule(t testing.TB, h *apitest.Harness, name, group string, transports []string, policies ...string) string {
	t.Helper()
	ts := make([]any, len(transports))
	for i, x := range transports {
		ts[i] = x
	}
	body := map[string]any{"name": name, "transports": ts, "severity": "alert"}
	if group != "" {
		body["group"] = group
	}
	pk := create(t, h, "/events/rules/", body)
	for i, p := range policies {
		create(t, h, "/policies/bindings/", map[string]any{"policy": p, "target": pk, "order": i})
	}
	return pk
}

// insertNotification stores an unseen notification for a user.
func insertNotification(t *testing.T, h *apitest.Harness, user int64) {
	t.Helper()
	m, _ := h.App.Registry.Model("authentik_events.notification")
	err := h.App.Store.Update(context.Background(), func(tx store.Tx) error {
		_, err := tx.Insert(context.Background(), m.Table, store.Row{m.PKColumn: h.App.Engine.NewUUID(), "severity": "notice",
			"body": "b", "created": store.NowUTC(time.Now()), "seen": false, "user": user})
		return err
	})
	if err != nil {
		t.Fatalf("insert notification: %v", err)
	}
}

// storeAnd matches a user's notifications by seen state.
func storeAnd(m *registry.Model, user int64, seen bool) store.Cond {
	return store.And(store.Eq("user", user), store.Eq("seen", seen))
}

// adminPK is the bootstrap admin's user pk.
func adminPK(t *testing.T, h *apitest.Harness) int64 {
	t.Helper()
	res := h.Do(http.MethodGet, "/core/users/?username=akadmin", nil).Expect(t, http.StatusOK).Object()["results"].([]any)
	if len(res) != 1 {
		t.Fatalf("akadmin not found: %v", res)
	}
	return int64(res[0].(map[string]any)["pk"].(float64))
}

// notificationOf returns the stored notification row of a user.
func notificationOf(t *testing.T, h *apitest.Harness, user int64) store.Row {
	t.Helper()
	m, _ := h.App.Registry.Model("authentik_events.notification")
	var rows []store.Row
	err := h.App.Store.View(context.Background(), func(tx store.Tx) error {
		var err error
		rows, err = tx.Select(context.Background(), store.Query{Table: m.Table, Where: store.Eq("user", user)})
		return err
	})
	if err != nil || len(rows) != 1 {
		t.Fatalf("notifications of %d: %v (%v)", user, rows, err)
	}
	return rows[0]
}
