package app_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/app"
	"github.com/akgo/akgo/internal/auth"
	"github.com/akgo/akgo/internal/config"
	"github.com/akgo/akgo/internal/store"
)

func open(t *testing.T, path string, mutate func(*config.Config)) *app.App {
	t.Helper()
	cfg := config.Config{Database: config.DatabaseURL{Driver: config.DriverSQLite, DSN: path}, BootstrapEmail: "admin@example.com"}
	if mutate != nil {
		mutate(&cfg)
	}
	a, err := app.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return a
}

func rows(t *testing.T, a *app.App, model string, where store.Cond) []store.Row {
	t.Helper()
	m, _ := a.Registry.Model(model)
	var out []store.Row
	err := a.Store.View(context.Background(), func(tx store.Tx) error {
		var err error
		out, err = tx.Select(context.Background(), store.Query{Table: m.Table, Where: where})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBootstrap(t *testing.T) {
	// Start-up code bootstraps when a password or token is configured; the
	// bootstrap blueprint (system/bootstrap.yaml) also creates akadmin
	// without either, as authentik does, with an unusable password.
	cases := []struct {
		name       string
		password   string
		token      string
		blueprints bool
		wantUser   bool
		wantToken  bool
	}{
		{"password and token", "s3cret", "the-token", false, true, true},
		{"password only", "s3cret", "", false, true, false},
		{"token only", "", "the-token", false, true, true},
		{"neither", "", "", false, false, false},
		{"password and token, with blueprints", "s3cret", "the-token", true, true, true},
		{"neither, with blueprints", "", "", true, true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := open(t, filepath.Join(t.TempDir(), "db"), func(c *config.Config) {
				c.BootstrapPassword, c.BootstrapToken = tc.password, tc.token
				c.SkipBlueprints = !tc.blueprints
			})
			defer a.Close()
			users := rows(t, a, "authentik_core.user", store.Eq("username", "akadmin"))
			if (len(users) == 1) != tc.wantUser {
				t.Fatalf("akadmin users: %d, want user %v", len(users), tc.wantUser)
			}
			if !tc.wantUser {
				return
			}
			u := users[0]
			if u["name"] != "authentik Default Admin" || u["email"] != "admin@example.com" || u["is_active"] != true {
				t.Errorf("akadmin = %v", u)
			}
			if tc.password != "" && !auth.CheckPassword(tc.password, u["password"].(string)) {
				t.Errorf("password hash does not verify")
			}
			if tc.password == "" && !strings.HasPrefix(u["password"].(string), "!") {
				t.Errorf("password %q is usable", u["password"])
			}
			groups := rows(t, a, "authentik_core.group", store.Eq("name", "authentik Admins"))
			if len(groups) != 1 || groups[0]["is_superuser"] != true {
				t.Fatalf("admin group = %v", groups)
			}
			tokens := rows(t, a, "authentik_core.token", store.Eq("identifier", "authentik-bootstrap-token"))
			if (len(tokens) == 1) != tc.wantToken {
				t.Fatalf("bootstrap tokens: %d", len(tokens))
			}
			if tc.wantToken {
				tok := tokens[0]
				if tok["key"] != tc.token || tok["intent"] != "api" || tok["expiring"] != false || tok["user"] != u["id"] {
					t.Errorf("token = %v", tok)
				}
			}
		})
	}
}

// TestRestartKeepsEverything reopens the same database: nothing is
// bootstrapped twice, data and the generated secret key survive.
func TestRestartKeepsEverything(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	boot := func(c *config.Config) { c.BootstrapPassword, c.BootstrapToken = "pw", "tok" }
	a := open(t, path, boot)
	key := a.Config.SecretKey
	if len(key) < 32 {
		t.Fatalf("generated secret key %q", key)
	}
	ep, _ := a.Registry.Endpoint("/flows/instances/")
	if _, err := a.Engine.Create(context.Background(), ep, map[string]any{"name": "n", "slug": "kept", "title": "t", "designation": "authentication"}); err != nil {
		t.Fatal(err)
	}
	a.Close()
	b := open(t, path, boot)
	defer b.Close()
	if b.Config.SecretKey != key {
		t.Errorf("secret key changed across restarts")
	}
	if n := len(rows(t, b, "authentik_core.user", store.Eq("username", "akadmin"))); n != 1 {
		t.Errorf("%d akadmin users after restart", n)
	}
	if n := len(rows(t, b, "authentik_flows.flow", store.Eq("slug", "kept"))); n != 1 {
		t.Errorf("flow lost across restart")
	}
}

func TestSchemaEndpoint(t *testing.T) {
	h := apitest.Start(t, "sqlite")
	cases := []struct {
		name, query, contentType, prefix string
	}{
		{"yaml by default", "", "application/vnd.oai.openapi", "openapi: 3.0.3"},
		{"json on request", "?format=json", "application/vnd.oai.openapi+json", "{"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Get(h.URL + "/api/v3/schema/" + tc.query)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != tc.contentType || len(body) < len(tc.prefix) || string(body[:len(tc.prefix)]) != tc.prefix {
				t.Fatalf("status %d, type %q, body starts %q", resp.StatusCode, resp.Header.Get("Content-Type"), body[:min(40, len(body))])
			}
		})
	}
}

func TestStartupObjects(t *testing.T) {
	h := apitest.Start(t, "sqlite")
	src := h.Do(http.MethodGet, "/sources/all/?slug=authentik-built-in", nil).Expect(t, http.StatusOK).Object()["results"].([]any)
	if len(src) != 1 || src[0].(map[string]any)["managed"] != "goauthentik.io/sources/inbuilt" {
		t.Fatalf("built-in source = %v", src)
	}
	op := h.Do(http.MethodGet, "/outposts/instances/?managed__iexact=goauthentik.io/outposts/embedded", nil).Expect(t, http.StatusOK).Object()["results"].([]any)
	if len(op) != 1 || op[0].(map[string]any)["name"] != "authentik Embedded Outpost" || op[0].(map[string]any)["type"] != "proxy" {
		t.Fatalf("embedded outpost = %v", op)
	}
	users := h.Do(http.MethodGet, "/core/users/?username=AnonymousUser", nil).Expect(t, http.StatusOK).Object()["results"].([]any)
	if len(users) != 0 {
		t.Fatalf("AnonymousUser is listed")
	}
}

func TestMediaServed(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "application-icons"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "application-icons", "x.png"), []byte("png"), 0o644); err != nil {
		t.Fatal(err)
	}
	a := open(t, filepath.Join(t.TempDir(), "db"), func(c *config.Config) { c.MediaDir = dir })
	defer a.Close()
	cases := []struct {
		path   string
		status int
	}{
		{"/media/application-icons/x.png", 200},
		{"/media/application-icons/", 404},
		{"/media/missing.png", 404},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			a.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d", rec.Code, tc.status)
			}
		})
	}
}

// TestStartupKeepsCounts: on PostgreSQL a started server keeps row counts
// (in the background, after ready), and whole-table counts read them;
// with AKGO_COUNT_ROWS it keeps none and counts rows.
func TestStartupKeepsCounts(t *testing.T) {
	raw := os.Getenv(apitest.PostgresEnv)
	if raw == "" {
		t.Skipf("set %s to run PostgreSQL tests", apitest.PostgresEnv)
	}
	dsn := apitest.FreshPostgresSchema(t, raw)
	cfg := config.Config{Database: config.DatabaseURL{Driver: config.DriverPostgres, DSN: dsn}}
	a, err := app.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	a.WaitStartup()
	m, _ := a.Registry.Model("authentik_flows.flow")
	count := func() int64 {
		var n int64
		err := a.Store.View(context.Background(), func(tx store.Tx) error {
			var err error
			n, err = tx.Count(context.Background(), store.Query{Table: m.Table})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	flows := int64(len(rows(t, a, "authentik_flows.flow", nil)))
	if n := count(); n != flows || n == 0 {
		t.Fatalf("count %d, %d flows", n, flows)
	}
	err = a.Store.Update(context.Background(), func(tx store.Tx) error {
		return tx.Exec(context.Background(), `UPDATE akgo_row_counts SET n = n + 1000 WHERE tbl = '`+m.Table+`' AND pid = 0`)
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(); n != flows+1000 {
		t.Fatalf("count %d after adding 1000 to the kept count of %d flows: counts are not kept", n, flows)
	}
	a.Close()

	cfg.CountRows = true
	b, err := app.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	b.WaitStartup()
	a = b
	if n := count(); n != flows {
		t.Fatalf("count %d with AKGO_COUNT_ROWS, %d flows", n, flows)
	}
}

// TestReplicasStartTogether: replicas started at the same moment on a new
// PostgreSQL database all start, share one secret key and one bootstrap
// admin, although each found them missing.
func TestReplicasStartTogether(t *testing.T) {
	raw := os.Getenv(apitest.PostgresEnv)
	if raw == "" {
		t.Skipf("set %s to run PostgreSQL tests", apitest.PostgresEnv)
	}
	for round := range 3 {
		t.Run(fmt.Sprint("round ", round), func(t *testing.T) {
			dsn := apitest.FreshPostgresSchema(t, raw)
			cfg := config.Config{Database: config.DatabaseURL{Driver: config.DriverPostgres, DSN: dsn},
				BootstrapPassword: "pw", BootstrapToken: "tok", BootstrapEmail: "admin@example.com", SkipBlueprints: true}
			apps := make([]*app.App, 3)
			errs := make([]error, len(apps))
			var wg sync.WaitGroup
			for i := range apps {
				wg.Go(func() {
					apps[i], errs[i] = app.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
				})
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("replica %d: %v", i, err)
				}
				defer apps[i].Close()
			}
			for i, a := range apps[1:] {
				if a.Config.SecretKey != apps[0].Config.SecretKey {
					t.Errorf("replica %d has another secret key", i+1)
				}
			}
			if n := len(rows(t, apps[0], "authentik_core.user", store.Eq("username", "akadmin"))); n != 1 {
				t.Errorf("%d akadmin users", n)
			}
		})
	}
}
