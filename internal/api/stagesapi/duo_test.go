package stagesapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/api/stagesapi"
	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/store"
)

// TestDuoSignature pins the request signature to a value computed with
// Duo's reference canonicalization (Python's quote(s, "~"), sorted
// parameters, HMAC-SHA512).
func TestDuoSignature(t *testing.T) {
	cases := []struct {
		name   string
		params url.Values
		want   string
	}{
		{
			name:   "reserved characters, spaces and non-ASCII are percent-encoded",
			params: url.Values{"realname": {"First Last"}, "username": {"root"}, "filter": {"a/b+c=d~e ü"}},
			want:   "Basic RElXSjhYNkFFWU9SNU9NQzZUUTE6ODE1NjcwYzNiYjFiMTBiOGUwNzk0NDhlNmQwZjA4ZDg3ZmQ1NGYxMzE5MTcyYzgxNDQyZGUwMmI1MGVhODVkNDE5YmFhZTBiMDk3ZDcxMzQ5ZmNhMGE0NTc4MmQ5YzgxYzhlNmRlMTdiNGIyZTE4MThkYzBhY2NjMDBhZTUyY2Q=",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := stagesapi.DuoSignature("DIWJ8X6AEYOR5OMC6TQ1", "Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep", "Tue, 21 Aug 2012 17:29:18 -0000",
				"post", "API-xxxxxxxx.duosecurity.com", "/accounts/v1/account/list", tc.params)
			if got != tc.want {
				t.Errorf("signature\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

const duoHost = "api-test.duosecurity.com"

// duoFake is a Duo Auth and Admin API that checks every signature.
type duoFake struct {
	authKey, authSecret   string
	adminKey, adminSecret string
	users                 []map[string]string
	calls                 atomic.Int32
}

func (f *duoFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	fail := func(code int, msg string) {
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]any{"stat": "FAIL", "code": code, "message": msg})
	}
	var params url.Values
	if r.Method == http.MethodGet {
		params = r.URL.Query()
	} else {
		if err := r.ParseForm(); err != nil {
			fail(40002, "bad form")
			return
		}
		params = r.PostForm
	}
	ikey, skey := f.authKey, f.authSecret
	if r.URL.Path == "/admin/v1/users" {
		ikey, skey = f.adminKey, f.adminSecret
	}
	if r.Header.Get("Authorization") != stagesapi.DuoSignature(ikey, skey, r.Header.Get("Date"), r.Method, duoHost, r.URL.Path, params) {
		fail(40103, "Invalid signature in request credentials")
		return
	}
	ok := func(resp any, meta map[string]any) {
		out := map[string]any{"stat": "OK", "response": resp}
		if meta != nil {
			out["metadata"] = meta
		}
		json.NewEncoder(w).Encode(out)
	}
	switch r.URL.Path {
	case "/auth/v2/enroll_status":
		if params.Get("user_id") != "DU1" {
			fail(40002, "Invalid request parameters")
			return
		}
		if params.Get("activation_code") == "done" {
			ok("success", nil)
		} else {
			ok("waiting", nil)
		}
	case "/admin/v1/users":
		offset, _ := strconv.Atoi(params.Get("offset"))
		// Two users per page, to exercise paging.
		end := min(offset+2, len(f.users))
		var meta map[string]any
		if end < len(f.users) {
			meta = map[string]any{"next_offset": end, "total_objects": len(f.users)}
		} else {
			meta = map[string]any{"total_objects": len(f.users)}
		}
		ok(f.users[offset:end], meta)
	default:
		http.NotFound(w, r)
	}
}

func countDuoDevices(t *testing.T, h *apitest.Harness) int64 {
	t.Helper()
	m, _ := h.App.Registry.Model("authentik_stages_authenticator_duo.duodevice")
	var n int64
	err := h.App.Store.View(context.Background(), func(tx store.Tx) error {
		var err error
		n, err = tx.Count(context.Background(), store.Query{Table: m.Table})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDuo(t *testing.T) {
	fake := &duoFake{authKey: "AUTHKEY", authSecret: "authsecret", adminKey: "ADMINKEY", adminSecret: "adminsecret",
		users: []map[string]string{{"user_id": "DU1", "username": "duo-one"}, {"user_id": "DU2", "username": "duo-two"}, {"user_id": "DU3", "username": "nobody-here"}}}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	oldBase, oldTimeout := stagesapi.DuoBaseURL, stagesapi.DuoTimeout
	t.Cleanup(func() { stagesapi.DuoBaseURL, stagesapi.DuoTimeout = oldBase, oldTimeout })
	stagesapi.DuoTimeout = time.Second
	stagesapi.DuoBaseURL = func(host string) string {
		if host == duoHost {
			return srv.URL
		}
		return "http://127.0.0.1:1" // nothing listens there
	}

	h := apitest.Start(t, "sqlite")
	stageBody := func(name, host, secret, adminKey string) map[string]any {
		return map[string]any{"name": name, "api_hostname": host, "client_id": "AUTHKEY", "client_secret": secret,
			"admin_integration_key": adminKey, "admin_secret_key": "adminsecret"}
	}
	stage := create(t, h, "/stages/authenticator/duo/", stageBody("duo", duoHost, "authsecret", "ADMINKEY"))["pk"].(string)
	wrongSecret := create(t, h, "/stages/authenticator/duo/", stageBody("duo-wrong", duoHost, "nope", "ADMINKEY"))["pk"].(string)
	noAdmin := create(t, h, "/stages/authenticator/duo/", stageBody("duo-noadmin", duoHost, "authsecret", ""))["pk"].(string)
	unreachable := create(t, h, "/stages/authenticator/duo/", stageBody("duo-down", "api-down.duosecurity.com", "authsecret", "ADMINKEY"))["pk"].(string)
	missing := "00000000-0000-4000-8000-000000000000"
	userPK, _ := h.UserWithToken("duo-one")
	h.UserWithToken("duo-two")
	session := h.NewSession(userPK)
	importerPK, importer := h.UserWithToken("duo-importer")
	h.Grant(importerPK, []string{"authentik_stages_authenticator_duo.add_duodevice", "authentik_core.view_user",
		"authentik_stages_authenticator_duo.view_authenticatorduostage"}, "", "")
	_, stranger := h.UserWithToken("duo-stranger")

	t.Run("enrollment status", func(t *testing.T) {
		cases := []struct {
			name    string
			session map[string]any
			stage   string
			status  int
			want    string
		}{
			{"completed enrollment", map[string]any{"user_id": "DU1", "activation_code": "done"}, stage, http.StatusOK, "success"},
			{"pending enrollment", map[string]any{"user_id": "DU1", "activation_code": "pending"}, stage, http.StatusOK, "waiting"},
			{"no enrollment in the session", nil, stage, http.StatusBadRequest, ""},
			{"Duo refuses the credentials", map[string]any{"user_id": "DU1", "activation_code": "done"}, wrongSecret, http.StatusBadRequest, ""},
			{"Duo unreachable", map[string]any{"user_id": "DU1", "activation_code": "done"}, unreachable, http.StatusBadRequest, ""},
			{"missing stage", map[string]any{"user_id": "DU1", "activation_code": "done"}, missing, http.StatusNotFound, ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				data := map[string]any{}
				if tc.session != nil {
					data["authentik/stages/authenticator_duo/enroll"] = tc.session
				}
				setSession(t, h, session, data)
				start := time.Now()
				res := h.DoSession(session, http.MethodPost, "/stages/authenticator/duo/"+tc.stage+"/enrollment_status/", nil).Expect(t, tc.status)
				if time.Since(start) > 3*time.Second {
					t.Errorf("took %s", time.Since(start))
				}
				if tc.status == http.StatusOK && res.Object()["duo_response"] != tc.want {
					t.Errorf("response %s, want %s", res.Body, tc.want)
				}
			})
		}
		// An API token has no session, so no enrollment.
		h.Do(http.MethodPost, "/stages/authenticator/duo/"+stage+"/enrollment_status/", nil).Expect(t, http.StatusBadRequest)
	})

	t.Run("manual import", func(t *testing.T) {
		cases := []struct {
			name    string
			token   string
			stage   string
			body    map[string]any
			status  int
			created int64
		}{
			{"creates a device", importer, stage, map[string]any{"duo_user_id": "DU1", "username": "duo-one"}, http.StatusNoContent, 1},
			{"refuses a duplicate", importer, stage, map[string]any{"duo_user_id": "DU1", "username": "duo-one"}, http.StatusBadRequest, 0},
			{"refuses an unknown user", importer, stage, map[string]any{"duo_user_id": "DU9", "username": "ghost"}, http.StatusBadRequest, 0},
			{"refuses a missing field", importer, stage, map[string]any{"username": "duo-one"}, http.StatusBadRequest, 0},
			{"needs permissions", stranger, stage, map[string]any{"duo_user_id": "DU2", "username": "duo-two"}, http.StatusForbidden, 0},
			{"missing stage", importer, missing, map[string]any{"duo_user_id": "DU2", "username": "duo-two"}, http.StatusNotFound, 0},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before := countDuoDevices(t, h)
				h.DoAs(tc.token, http.MethodPost, "/stages/authenticator/duo/"+tc.stage+"/import_device_manual/", tc.body).Expect(t, tc.status)
				if got := countDuoDevices(t, h) - before; got != tc.created {
					t.Errorf("created %d devices, want %d", got, tc.created)
				}
			})
		}
	})

	t.Run("automatic import", func(t *testing.T) {
		cases := []struct {
			name    string
			token   string
			stage   string
			status  int
			count   int
			created int64
		}{
			{"imports matching users across pages", importer, stage, http.StatusOK, 1, 1},
			{"second run finds nothing new", importer, stage, http.StatusOK, 0, 0},
			{"stage without Admin API", importer, noAdmin, http.StatusBadRequest, 0, 0},
			{"Duo unreachable changes nothing", importer, unreachable, http.StatusBadRequest, 0, 0},
			{"needs permissions", stranger, stage, http.StatusForbidden, 0, 0},
			{"missing stage", importer, missing, http.StatusNotFound, 0, 0},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before := countDuoDevices(t, h)
				res := h.DoAs(tc.token, http.MethodPost, "/stages/authenticator/duo/"+tc.stage+"/import_devices_automatic/", nil).Expect(t, tc.status)
				if got := countDuoDevices(t, h) - before; got != tc.created {
					t.Errorf("created %d devices, want %d", got, tc.created)
				}
				if tc.status == http.StatusOK && (res.Object()["count"] != float64(tc.count) || res.Object()["error"] != "") {
					t.Errorf("response %s, want count %d", res.Body, tc.count)
				}
				if tc.status == http.StatusBadRequest && len(res.Object()) == 0 {
					t.Errorf("400 without a reason: %s", res.Body)
				}
			})
		}
	})
	if fake.calls.Load() == 0 {
		t.Fatal("the Duo fake was never called")
	}
}
