package api_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/store"
)

func TestSessionCookieAuthentication(t *testing.T) {
	h := apitest.Start(t, "sqlite")
	uPK, _ := h.UserWithToken("browser")
	sm, _ := h.App.Registry.Model("authentik_core.authenticatedsession")
	add := func(key string, expires time.Time) {
		err := h.App.Store.Update(context.Background(), func(tx store.Tx) error {
			_, err := tx.Insert(context.Background(), sm.Table, store.Row{"uuid": h.App.Engine.NewUUID(), "session_key": key, "user": uPK,
				"last_ip": "127.0.0.1", "last_user_agent": "test", "last_used": time.Now().UTC(), "expires": expires.UTC(), "expiring": true, "session_data": map[string]any{}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	add("live-session", time.Now().Add(time.Hour))
	add("old-session", time.Now().Add(-time.Hour))
	do := func(method, session, csrfCookie, csrfHeader string) int {
		req, _ := http.NewRequest(method, h.URL+"/api/v3/core/tokens/", bytes.NewReader([]byte(`{"identifier":"from-browser","intent":"api"}`)))
		req.Header.Set("Content-Type", "application/json")
		req.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: session})
		if csrfCookie != "" {
			req.AddCookie(&http.Cookie{Name: api.CSRFCookie, Value: csrfCookie})
		}
		if csrfHeader != "" {
			req.Header.Set(api.CSRFHeader, csrfHeader)
		}
		resp, err := h.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	cases := []struct {
		name                            string
		method, session, cookie, header string
		want                            int
	}{
		{"safe method needs no CSRF", http.MethodGet, "live-session", "", "", 200},
		{"expired session", http.MethodGet, "old-session", "", "", 403},
		{"unknown session", http.MethodGet, "nope", "", "", 403},
		{"unsafe without CSRF", http.MethodPost, "live-session", "", "", 403},
		{"unsafe with mismatched CSRF", http.MethodPost, "live-session", "a", "b", 403},
		{"unsafe with CSRF", http.MethodPost, "live-session", "tok", "tok", 201},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := do(tc.method, tc.session, tc.cookie, tc.header); got != tc.want {
				t.Fatalf("status %d, want %d", got, tc.want)
			}
		})
	}
}
