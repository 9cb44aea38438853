package policies

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/akgo/akgo/internal/apispec"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/events"
	"github.com/akgo/akgo/internal/expression"
	"github.com/akgo/akgo/internal/modelhooks"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
	"github.com/akgo/akgo/internal/store/postgres"
	"github.com/akgo/akgo/internal/store/sqlite"
)

// postgresEnv enables the PostgreSQL runs (as in package apitest, which
// these tests do not import: it pulls in every API package).
const postgresEnv = "AKGO_TEST_POSTGRES_URL"

// backends lists SQLite, and PostgreSQL when postgresEnv is set.
func backends() []string {
	if os.Getenv(postgresEnv) != "" {
		return []string{"sqlite", "postgres"}
	}
	return []string{"sqlite"}
}

// freshSchema creates an empty schema dropped at the end of the test and
// returns a URL whose connections use it.
func freshSchema(t testing.TB, raw string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, raw)
	if err != nil {
		t.Fatalf("connect to PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	schema := "akgo_policies_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:16]
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), raw)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("parse %s: %v", postgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// fixture is a migrated store with the generic engine and a policy
// engine, and helpers that create objects through the engine (with every
// hook, as the API would).
type fixture struct {
	t    testing.TB
	ctx  context.Context
	core *engine.Engine
	pe   *Engine
	n    int
}

func newFixture(t testing.TB, backend string) *fixture {
	t.Helper()
	ctx := context.Background()
	var st store.Store
	var err error
	switch backend {
	case "sqlite":
		st, err = sqlite.Open(filepath.Join(t.TempDir(), "policies.db"))
	case "postgres":
		raw := os.Getenv(postgresEnv)
		if raw == "" {
			t.Skip("set " + postgresEnv + " to run PostgreSQL tests")
		}
		st, err = postgres.Open(ctx, freshSchema(t, raw))
	}
	if err != nil {
		t.Fatalf("open %s: %v", backend, err)
	}
	t.Cleanup(func() { st.Close() })
	reg := registry.Default()
	migrations, err := engine.Migrations(reg)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx, migrations); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	core := engine.New(st, reg, apispec.MustLoad())
	modelhooks.Register(core, modelhooks.Settings{SecretKey: "test-secret"})
	rec := &events.Recorder{Engine: core}
	pe := For(core)
	pe.Events = rec
	return &fixture{t: t, ctx: ctx, core: core, pe: pe}
}

func (f *fixture) unique(prefix string) string {
	f.n++
	return fmt.Sprintf("%s-%d", prefix, f.n)
}

// create posts body to an endpoint through the engine.
func (f *fixture) create(path string, body map[string]any) map[string]any {
	f.t.Helper()
	ep, ok := f.core.Registry.Endpoint(path)
	if !ok {
		f.t.Fatalf("no endpoint %s", path)
	}
	obj, err := f.core.Create(f.ctx, ep, body)
	if err != nil {
		f.t.Fatalf("create %s %v: %v", path, body, err)
	}
	return obj
}

func (f *fixture) update(path, pk string, body map[string]any) {
	f.t.Helper()
	ep, _ := f.core.Registry.Endpoint(path)
	if _, err := f.core.Update(f.ctx, ep, pk, body, true); err != nil {
		f.t.Fatalf("update %s %s: %v", path, pk, err)
	}
}

func (f *fixture) flow(mode string) string {
	f.t.Helper()
	slug := f.unique("flow")
	obj := f.create("/flows/instances/", map[string]any{"name": slug, "slug": slug, "title": slug,
		"designation": "authentication", "policy_engine_mode": mode})
	// Bindings target the flow's PolicyBindingModel row.
	return obj["policybindingmodel_ptr_id"].(string)
}

func (f *fixture) expressionPolicy(src string) string {
	f.t.Helper()
	return f.create("/policies/expression/", map[string]any{"name": f.unique("expr"), "expression": src})["pk"].(string)
}

func (f *fixture) policy(path string, body map[string]any) string {
	f.t.Helper()
	body["name"] = f.unique("policy")
	return f.create(path, body)["pk"].(string)
}

// bind creates a binding of target; fields holds policy/group/user and
// options.
func (f *fixture) bind(target string, order int, fields map[string]any) string {
	f.t.Helper()
	body := map[string]any{"target": target, "order": float64(order)}
	for k, v := range fields {
		body[k] = v
	}
	return f.create("/policies/bindings/", body)["pk"].(string)
}

func (f *fixture) group(name, parent string, users ...int64) string {
	f.t.Helper()
	body := map[string]any{"name": name}
	if parent != "" {
		body["parent"] = parent
	}
	var members []any
	for _, u := range users {
		members = append(members, float64(u))
	}
	if members != nil {
		body["users"] = members
	}
	return f.create("/core/groups/", body)["pk"].(string)
}

func (f *fixture) user(username string) *expression.User {
	f.t.Helper()
	obj := f.create("/core/users/", map[string]any{"username": username, "name": username})
	var pk int64
	switch x := obj["pk"].(type) {
	case int64:
		pk = x
	case float64:
		pk = int64(x)
	}
	u, err := f.pe.Directory.User(f.ctx, pk)
	if err != nil || u == nil {
		f.t.Fatalf("load user %s: %v", username, err)
	}
	return u
}

// events returns the contexts of the recorded events with an action.
func (f *fixture) events(action string) []map[string]any {
	f.t.Helper()
	m, _ := f.core.Registry.Model("authentik_events.event")
	var out []map[string]any
	err := f.core.Store.View(f.ctx, func(tx store.Tx) error {
		rows, err := tx.Select(f.ctx, store.Query{Table: m.Table, Where: store.Eq("action", action)})
		for _, row := range rows {
			var c map[string]any
			if err := json.Unmarshal(row["context"].(json.RawMessage), &c); err != nil {
				return err
			}
			c["__app"] = row["app"]
			c["__user"] = string(row["user"].(json.RawMessage))
			out = append(out, c)
		}
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}
