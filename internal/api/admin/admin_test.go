package admin_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/store"
)

// TestAdminNeedsCredentials is the failure case every admin operation
// shares: without a token nothing is answered but 403.
func TestAdminNeedsCredentials(t *testing.T) {
	h := apitest.Start(t, "sqlite")
	cases := []struct{ method, path string }{
		{http.MethodGet, "/admin/version/"},
		{http.MethodGet, "/admin/system/"},
		{http.MethodPost, "/admin/system/"},
		{http.MethodGet, "/admin/apps/"},
		{http.MethodGet, "/admin/models/"},
		{http.MethodGet, "/admin/metrics/"},
		{http.MethodGet, "/admin/workers/"},
		{http.MethodGet, "/admin/system_tasks/"},
		{http.MethodGet, "/admin/system_tasks/clean_expired_models/"},
		{http.MethodPost, "/admin/system_tasks/clean_expired_models/retry/"},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			body := h.DoAs("", tc.method, tc.path, nil).Expect(t, http.StatusForbidden).Object()
			if body["detail"] != "Authentication credentials were not provided." {
				t.Fatalf("body = %v", body)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			v := h.Do(http.MethodGet, "/admin/version/", nil).Expect(t, http.StatusOK).Object()
			if v["version_current"] != "2023.10.4" || v["version_latest"] != "2023.10.4" || v["outdated"] != false || v["version_latest_valid"] != true {
				t.Fatalf("version = %v", v)
			}
			if _, ok := v["build_hash"].(string); !ok {
				t.Fatalf("build_hash = %v", v["build_hash"])
			}
			h.DoAs("not-a-token", http.MethodGet, "/admin/version/", nil).Expect(t, http.StatusForbidden)
		})
	}
}

// rawRequest sends a request with extra headers and decodes the JSON
// object it answers (the harness cannot set headers).
func rawRequest(t *testing.T, h *apitest.Harness, method, path string, header map[string]string) map[string]any {
	t.Helper()
	req, err := http.NewRequest(method, h.URL+"/api/v3"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+apitest.Token)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := h.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSystemInfo(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			host := strings.TrimPrefix(h.URL, "http://")
			for _, method := range []string{http.MethodGet, http.MethodPost} {
				info := h.Do(method, "/admin/system/", nil).Expect(t, http.StatusOK).Object()
				if info["http_host"] != host || info["http_is_secure"] != false || info["tenant"] != "Tenant fallback" || info["embedded_outpost_host"] != "" {
					t.Fatalf("%s system = %v", method, info)
				}
				rt := info["runtime"].(map[string]any)
				if rt["python_version"] != runtime.Version() || rt["environment"] == "" || rt["architecture"] == "" || rt["uname"] == "" {
					t.Fatalf("runtime = %v", rt)
				}
				st, err := time.Parse(time.RFC3339Nano, info["server_time"].(string))
				if err != nil || time.Since(st).Abs() > time.Minute {
					t.Fatalf("server_time = %v (%v)", info["server_time"], err)
				}
				headers := info["http_headers"].(map[string]any)
				if headers["REQUEST_METHOD"] != method || headers["PATH_INFO"] != "/api/v3/admin/system/" || headers["HTTP_HOST"] != host {
					t.Fatalf("headers = %v", headers)
				}
			}

			cases := []struct {
				name   string
				setup  func(t *testing.T)
				header map[string]string
				check  func(t *testing.T, info map[string]any)
			}{
				{"request headers as META, credentials cleansed", nil,
					map[string]string{"X-Custom-Thing": "yes", "Cookie": "authentik_session=s3cr3t; theme=dark"},
					func(t *testing.T, info map[string]any) {
						hd := info["http_headers"].(map[string]any)
						if hd["HTTP_X_CUSTOM_THING"] != "yes" || hd["HTTP_AUTHORIZATION"] != "********************" ||
							hd["HTTP_COOKIE"] != "authentik_session=********************; theme=dark" {
							t.Fatalf("headers = %v", hd)
						}
						for _, v := range hd {
							if strings.Contains(v.(string), apitest.Token) || strings.Contains(v.(string), "s3cr3t") {
								t.Fatalf("a credential leaked: %v", hd)
							}
						}
					}},
				{"secure behind a TLS proxy", nil, map[string]string{"X-Forwarded-Proto": "https"},
					func(t *testing.T, info map[string]any) {
						if info["http_is_secure"] != true || info["http_headers"].(map[string]any)["wsgi.url_scheme"] != "https" {
							t.Fatalf("system = %v", info)
						}
					}},
				{"default tenant", func(t *testing.T) {
					h.Do(http.MethodPost, "/core/tenants/", map[string]any{"domain": "authentik-default", "default": true}).Expect(t, http.StatusCreated)
				}, nil, func(t *testing.T, info map[string]any) {
					if info["tenant"] != "Default tenant" {
						t.Fatalf("tenant = %v", info["tenant"])
					}
				}},
				{"tenant matching the host wins", func(t *testing.T) {
					h.Do(http.MethodPost, "/core/tenants/", map[string]any{"domain": host}).Expect(t, http.StatusCreated)
					h.Do(http.MethodPost, "/core/tenants/", map[string]any{"domain": "elsewhere.example"}).Expect(t, http.StatusCreated)
				}, nil, func(t *testing.T, info map[string]any) {
					if info["tenant"] != "Tenant "+host {
						t.Fatalf("tenant = %v", info["tenant"])
					}
				}},
				{"embedded outpost host", func(t *testing.T) {
					// akserver creates the embedded outpost; configure its host.
					var pk string
					for _, o := range h.Do(http.MethodGet, "/outposts/instances/", nil).Expect(t, http.StatusOK).Object()["results"].([]any) {
						if o := o.(map[string]any); o["managed"] == "goauthentik.io/outposts/embedded" {
							pk = o["pk"].(string)
						}
					}
					if pk == "" {
						t.Fatal("no embedded outpost")
					}
					h.Do(http.MethodPatch, "/outposts/instances/"+pk+"/", map[string]any{"config": map[string]any{"authentik_host": "https://auth.example.com"}}).Expect(t, http.StatusOK)
				}, nil, func(t *testing.T, info map[string]any) {
					if info["embedded_outpost_host"] != "https://auth.example.com" {
						t.Fatalf("embedded_outpost_host = %v", info["embedded_outpost_host"])
					}
				}},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					if tc.setup != nil {
						tc.setup(t)
					}
					tc.check(t, rawRequest(t, h, http.MethodGet, "/admin/system/", tc.header))
				})
			}
			h.DoAs("not-a-token", http.MethodPost, "/admin/system/", nil).Expect(t, http.StatusForbidden)
		})
	}
}

func TestAppsAndModels(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			list := func(path string) []map[string]any {
				var out []map[string]any
				for _, v := range h.Do(http.MethodGet, path, nil).Expect(t, http.StatusOK).JSON.([]any) {
					out = append(out, v.(map[string]any))
				}
				return out
			}
			apps := list("/admin/apps/")
			names := map[string]string{}
			for i, a := range apps {
				names[a["name"].(string)] = a["label"].(string)
				if i > 0 && apps[i-1]["name"].(string) > a["name"].(string) {
					t.Fatalf("apps not sorted by name at %v", a)
				}
			}
			for name, label := range map[string]string{
				"authentik.core": "authentik Core", "authentik.stages.authenticator_totp": "authentik Stages.Authenticator.TOTP",
				"authentik.providers.oauth2": "authentik Providers.OAuth2", "authentik.admin": "authentik Admin",
			} {
				if names[name] != label {
					t.Errorf("app %s = %q, want %q", name, names[name], label)
				}
			}
			// Every app the registry stores models of is listed.
			for _, m := range h.App.Registry.Models {
				label := m.App()
				rest, ok := strings.CutPrefix(label, "authentik_")
				if !ok {
					continue
				}
				found := false
				for name := range names {
					if strings.ReplaceAll(strings.TrimPrefix(name, "authentik."), ".", "_") == rest {
						found = true
					}
				}
				if !found {
					t.Errorf("app of %s is not listed", m.Name)
				}
			}
			models := list("/admin/models/")
			if len(models) < 50 || models[0]["name"] != "authentik_crypto.certificatekeypair" || models[0]["label"] != "Certificate-Key Pair" {
				t.Fatalf("models start %v (%d)", models[:1], len(models))
			}
			for _, m := range models {
				if _, ok := h.App.Registry.Model(m["name"].(string)); !ok {
					t.Errorf("model %s is not in the registry", m["name"])
				}
			}
			h.DoAs("not-a-token", http.MethodGet, "/admin/models/", nil).Expect(t, http.StatusForbidden)
		})
	}
}

func TestLoginMetrics(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			now := time.Now().UTC()
			em, _ := h.App.Registry.Model("authentik_events.event")
			events := []struct {
				action string
				age    time.Duration
			}{
				{"login", 10 * time.Minute}, {"login", 50 * time.Minute}, {"login", 150 * time.Minute},
				{"login_failed", 30 * time.Minute}, {"authorize_application", 23*time.Hour + 30*time.Minute},
				{"login", 25 * time.Hour},          // older than a day
				{"model_created", 5 * time.Minute}, // not a login
			}
			err := h.App.Store.Update(context.Background(), func(tx store.Tx) error {
				for _, e := range events {
					created := store.NowUTC(now.Add(-e.age))
					row := store.Row{em.PKColumn: uuid.NewString(), "action": e.action, "app": "authentik.events.signals",
						"user": map[string]any{}, "context": map[string]any{}, "client_ip": nil, "created": created,
						"expires": created.Add(time.Hour * 24 * 365), "expiring": true, "tenant": map[string]any{}}
					if _, err := tx.Insert(context.Background(), em.Table, row); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			got := h.Do(http.MethodGet, "/admin/metrics/", nil).Expect(t, http.StatusOK).Object()
			cases := []struct {
				series string
				want   map[int]float64 // bucket (hours ago) → count; others 0
			}{
				{"logins", map[int]float64{0: 2, 2: 1}},
				{"logins_failed", map[int]float64{0: 1}},
				{"authorizations", map[int]float64{23: 1}},
			}
			for _, tc := range cases {
				t.Run(tc.series, func(t *testing.T) {
					points := got[tc.series].([]any)
					if len(points) != 24 {
						t.Fatalf("%d points", len(points))
					}
					for i, p := range points {
						c := p.(map[string]any)
						if c["y_cord"].(float64) != tc.want[i] {
							t.Errorf("bucket %d = %v, want %v", i, c["y_cord"], tc.want[i])
						}
						x := time.UnixMilli(int64(c["x_cord"].(float64)))
						if d := now.Add(-time.Duration(i) * time.Hour).Sub(x).Abs(); d > time.Minute {
							t.Errorf("bucket %d at %s, want about %s", i, x, now.Add(-time.Duration(i)*time.Hour))
						}
					}
				})
			}
			h.DoAs("not-a-token", http.MethodGet, "/admin/metrics/", nil).Expect(t, http.StatusForbidden)
		})
	}
}
