package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/akgo/akgo/internal/apispec"
	"github.com/akgo/akgo/internal/app"
	"github.com/akgo/akgo/internal/config"
	"github.com/akgo/akgo/internal/store"
)

// Token is the bootstrap admin's API token in every harness.
const Token = "akgo-test-bootstrap-token"

// PostgresEnv names the variable that enables the PostgreSQL runs.
const PostgresEnv = "AKGO_TEST_POSTGRES_URL"

// Backends lists the databases tests should run on: SQLite always,
// PostgreSQL when PostgresEnv is set.
func Backends() []string {
	if os.Getenv(PostgresEnv) != "" {
		return []string{"sqlite", "postgres"}
	}
	return []string{"sqlite"}
}

// Harness is a running server with a client.
type Harness struct {
	T      testing.TB
	App    *app.App
	URL    string
	Client *http.Client
	router routers.Router
}

// Start opens a fresh server on backend ("sqlite" or "postgres"). It
// skips blueprint discovery, so the database holds only what start-up
// code creates (the bootstrap admin, the built-in source, ...) and tests
// stay fast; StartWith can turn it on.
func Start(t testing.TB, backend string) *Harness {
	t.Helper()
	return StartWith(t, backend, nil)
}

// StartWith is Start with the configuration adjusted by configure before
// the server opens (e.g. SkipBlueprints = false applies the default
// blueprints as akserver does).
func StartWith(t testing.TB, backend string, configure func(*config.Config)) *Harness {
	t.Helper()
	ctx := context.Background()
	var db config.DatabaseURL
	switch backend {
	case "sqlite":
		db = config.DatabaseURL{Driver: config.DriverSQLite, DSN: filepath.Join(t.TempDir(), "akserver.db")}
	case "postgres":
		raw := os.Getenv(PostgresEnv)
		if raw == "" {
			t.Skip("set " + PostgresEnv + " to run PostgreSQL tests")
		}
		db = config.DatabaseURL{Driver: config.DriverPostgres, DSN: FreshPostgresSchema(t, raw)}
	default:
		t.Fatalf("unknown backend %q", backend)
	}
	cfg := config.Config{Listen: "127.0.0.1:0", Database: db, LogLevel: "error",
		BootstrapPassword: "akadmin-password", BootstrapToken: Token, BootstrapEmail: "root@localhost",
		SkipBlueprints: true}
	if configure != nil {
		configure(&cfg)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		t.Fatalf("start akserver: %v", err)
	}
	a.WaitStartup()
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() {
		srv.Close()
		a.Close()
	})
	router, err := legacy.NewRouter(validationDoc(t))
	if err != nil {
		t.Fatalf("router: %v", err)
	}
	return &Harness{T: t, App: a, URL: srv.URL, Client: srv.Client(), router: router}
}

// Response is a decoded API response.
type Response struct {
	Status int
	Body   []byte
	JSON   any
}

// Object returns the body as a JSON object.
func (r *Response) Object() map[string]any {
	m, _ := r.JSON.(map[string]any)
	return m
}

// Do sends a request as the bootstrap admin and validates the response
// against the schema (status, content type and body).
func (h *Harness) Do(method, path string, body any) *Response {
	return h.DoAs(Token, method, path, body)
}

// DoAs sends a request with the given token ("" for none).
func (h *Harness) DoAs(token, method, path string, body any) *Response {
	h.T.Helper()
	return h.DoWith(method, path, body, func(req *http.Request) {
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
	})
}

// DoSession sends a request in a browser session (with its CSRF pair).
func (h *Harness) DoSession(session, method, path string, body any) *Response {
	h.T.Helper()
	return h.DoWith(method, path, body, func(req *http.Request) {
		req.AddCookie(&http.Cookie{Name: "authentik_session", Value: session})
		req.AddCookie(&http.Cookie{Name: "authentik_csrf", Value: "csrf-" + session})
		req.Header.Set("X-authentik-CSRF", "csrf-"+session)
	})
}

// NewSession stores a live browser session for a user and returns its key.
func (h *Harness) NewSession(userPK int64) string {
	h.T.Helper()
	sm, _ := h.App.Registry.Model("authentik_core.authenticatedsession")
	key := "session-" + h.App.Engine.NewUUID()
	err := h.App.Store.Update(context.Background(), func(tx store.Tx) error {
		_, err := tx.Insert(context.Background(), sm.Table, store.Row{"uuid": h.App.Engine.NewUUID(), "session_key": key, "user": userPK,
			"last_ip": "127.0.0.1", "last_user_agent": "apitest", "last_used": time.Now().UTC(), "expires": time.Now().Add(time.Hour).UTC(), "expiring": true, "session_data": map[string]any{}})
		return err
	})
	if err != nil {
		h.T.Fatalf("new session: %v", err)
	}
	return key
}

// DoWith sends a request prepared by prep and validates the response.
func (h *Harness) DoWith(method, path string, body any, prep func(*http.Request)) *Response {
	h.T.Helper()
	var rd io.Reader
	var raw []byte
	if body != nil {
		switch b := body.(type) {
		case []byte:
			raw = b
		case string:
			raw = []byte(b)
		default:
			var err error
			raw, err = json.Marshal(body)
			if err != nil {
				h.T.Fatalf("marshal body: %v", err)
			}
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, h.URL+"/api/v3"+path, rd)
	if err != nil {
		h.T.Fatalf("request: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	prep(req)
	resp, err := h.Client.Do(req)
	if err != nil {
		h.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	out := &Response{Status: resp.StatusCode, Body: data}
	if len(data) > 0 && strings.Contains(resp.Header.Get("Content-Type"), "json") {
		if err := json.Unmarshal(data, &out.JSON); err != nil {
			h.T.Fatalf("%s %s: invalid JSON response: %v\n%s", method, path, err, data)
		}
	}
	if err := h.validate(req, raw, resp, data); err != nil {
		h.T.Errorf("%s %s → %d: response does not match the schema: %v\nbody: %s", method, path, resp.StatusCode, err, truncate(data))
	}
	return out
}

func (h *Harness) validate(req *http.Request, body []byte, resp *http.Response, data []byte) error {
	if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed {
		// authentik answers these with {"detail": ...} although the schema
		// declares neither status.
		var v map[string]any
		if err := json.Unmarshal(data, &v); err != nil {
			return fmt.Errorf("%d body is not JSON: %w", resp.StatusCode, err)
		}
		if _, ok := v["detail"].(string); !ok || len(v) != 1 {
			return fmt.Errorf("%d body is not {\"detail\": ...}: %s", resp.StatusCode, data)
		}
		return nil
	}
	vreq := req.Clone(context.Background())
	u, _ := url.Parse(req.URL.String())
	vreq.URL = u
	vreq.URL.Scheme, vreq.URL.Host = "", ""
	vreq.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := h.router.FindRoute(vreq)
	if err != nil {
		return fmt.Errorf("find route: %w", err)
	}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status: resp.StatusCode,
		Header: resp.Header,
		Body:   io.NopCloser(bytes.NewReader(data)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true,
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	return openapi3filter.ValidateResponse(context.Background(), input)
}

func truncate(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "..."
	}
	return string(b)
}

// Expect fails the test unless the response has the wanted status.
func (r *Response) Expect(t testing.TB, status int) *Response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, truncate(r.Body))
	}
	return r
}

// validationDoc is the schema used to validate responses: authentik's
// schema with two documented corrections. drf-spectacular marks read-only
// fields that follow an optional relation (X_obj, parent_name,
// assigned_application_name, ...) as non-nullable, but authentik renders
// them as null when the relation is empty, and so does akserver.
func validationDoc(t testing.TB) *openapi3.T {
	t.Helper()
	docOnce.Do(func() {
		spec, err := apispec.Parse(apispec.YAML)
		if err != nil {
			docErr = err
			return
		}
		for _, ref := range spec.Doc.Components.Schemas {
			if ref.Value == nil {
				continue
			}
			for name, p := range ref.Value.Properties {
				if p.Value == nil {
					continue
				}
				if p.Value.ReadOnly && RelationDerived(name) {
					p.Value.Nullable = true
				}
				// Free-form dictionaries ("additionalProperties: {}") hold
				// any JSON value, null included, in authentik's serializers.
				if ap := p.Value.AdditionalProperties.Schema; ap != nil && ap.Value != nil && ap.Value.Type == nil && ap.Ref == "" {
					ap.Value.Nullable = true
				}
			}
		}
		doc = spec.Doc
	})
	if docErr != nil {
		t.Fatalf("load schema: %v", docErr)
	}
	return doc
}

var (
	docOnce sync.Once
	doc     *openapi3.T
	docErr  error
)

// RelationDerived names the read-only properties that follow an optional
// relation in authentik's serializers.
func RelationDerived(name string) bool {
	return strings.HasSuffix(name, "_obj") || strings.HasPrefix(name, "assigned_") || name == "parent_name"
}

// UserWithToken creates a user (no groups, no permissions) and an API token
// for it, and returns the user's pk and the token key.
func (h *Harness) UserWithToken(username string) (int64, string) {
	h.T.Helper()
	u := h.Do(http.MethodPost, "/core/users/", map[string]any{"username": username, "name": username}).Expect(h.T, http.StatusCreated).Object()
	pk := int64(u["pk"].(float64))
	key := "key-" + username
	h.Do(http.MethodPost, "/core/tokens/", map[string]any{"identifier": "token-" + username, "intent": "api", "user": pk, "expiring": false}).Expect(h.T, http.StatusCreated)
	tm, _ := h.App.Registry.Model("authentik_core.token")
	err := h.App.Store.Update(context.Background(), func(tx store.Tx) error {
		_, err := tx.UpdateWhere(context.Background(), tm.Table, store.Eq("identifier", "token-"+username), store.Row{"key": key})
		return err
	})
	if err != nil {
		h.T.Fatalf("set token key: %v", err)
	}
	return pk, key
}

// Grant assigns permissions to a user through the RBAC API: globally, or
// on one object when model is set.
func (h *Harness) Grant(userPK int64, perms []string, model, objectPK string) {
	h.T.Helper()
	body := map[string]any{"permissions": perms}
	if model != "" {
		body["model"], body["object_pk"] = model, objectPK
	}
	h.Do(http.MethodPost, fmt.Sprintf("/rbac/permissions/assigned_by_users/%d/assign/", userPK), body).Expect(h.T, http.StatusNoContent)
}
