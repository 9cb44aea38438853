package providers_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/akgo/akgo/internal/api/providers"
	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/store"
)

// fakePlex serves the three plex.tv endpoints the Plex source uses, with
// accounts keyed by token.
type fakePlex struct {
	mu        sync.Mutex
	users     map[string]map[string]any // token → /api/v2/user
	resources map[string][]map[string]any
	friends   map[string][]map[string]any
	clientIDs []string // X-Plex-Client-Identifier seen
}

func (f *fakePlex) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	token := r.URL.Query().Get("X-Plex-Token")
	f.clientIDs = append(f.clientIDs, r.URL.Query().Get("X-Plex-Client-Identifier"))
	user, ok := f.users[token]
	if !ok || r.Header.Get("X-Plex-Product") != "authentik" {
		http.Error(w, `{"errors":[{"code":1001,"message":"User could not be authenticated"}]}`, http.StatusUnauthorized)
		return
	}
	var body any
	switch r.URL.Path {
	case "/api/v2/user":
		body = user
	case "/api/v2/resources":
		body = append([]map[string]any{}, f.resources[token]...)
	case "/api/v2/friends":
		body = append([]map[string]any{}, f.friends[token]...)
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(body)
}

func usePlex(t *testing.T, base string) {
	old := providers.PlexBaseURL
	providers.PlexBaseURL = base
	t.Cleanup(func() { providers.PlexBaseURL = old })
}

func TestPlexRedeemToken(t *testing.T) {
	t.Parallel()
	plex := &fakePlex{
		users: map[string]map[string]any{
			"owner-token":    {"id": 1, "username": "owner", "email": "owner@example.org", "title": "Owner"},
			"server-token":   {"id": 200, "username": "viewer", "email": "viewer@example.org", "title": "Viewer"},
			"friend-token":   {"id": 300, "username": "buddy", "email": "buddy@example.org", "title": "Buddy"},
			"stranger-token": {"id": 400, "username": "stranger", "email": "stranger@example.org", "title": "Stranger"},
			"known-token":    {"id": 500, "username": "returning", "email": "returning@example.org", "title": "Returning"},
			"match-token":    {"id": 600, "username": "akadmin", "email": "root@localhost", "title": "Admin"},
		},
		resources: map[string][]map[string]any{
			"server-token": {{"name": "Player", "provides": "player", "clientIdentifier": "srv-1"}, {"name": "Home", "provides": "server", "clientIdentifier": "srv-1"}},
			"known-token":  {{"name": "Home", "provides": "server", "clientIdentifier": "srv-1"}},
			"match-token":  {{"name": "Home", "provides": "server", "clientIdentifier": "srv-1"}},
			// A player with the allowed id is not a server.
			"stranger-token": {{"name": "Phone", "provides": "player", "clientIdentifier": "srv-1"}},
		},
		friends: map[string][]map[string]any{"owner-token": {{"id": 300, "username": "buddy"}}},
	}
	srv := httptest.NewServer(plex)
	defer srv.Close()
	usePlex(t, srv.URL)

	each(t, func(t *testing.T, h *apitest.Harness) {
		enroll := createFlow(t, h, "plex-enroll", "enrollment")
		authn := createFlow(t, h, "plex-login", "authentication")
		newSource := func(slug string, extra map[string]any) string {
			body := map[string]any{"name": slug, "slug": slug, "client_id": "akgo-client-" + slug, "plex_token": "owner-token",
				"allowed_servers": []string{"srv-1"}, "allow_friends": true, "enrollment_flow": enroll, "authentication_flow": authn}
			for k, v := range extra {
				body[k] = v
			}
			return h.Do(http.MethodPost, "/sources/plex/", body).Expect(t, http.StatusCreated).Object()["pk"].(string)
		}
		plexSrc := newSource("plex", nil)
		newSource("no-enroll", map[string]any{"enrollment_flow": nil})
		newSource("email-deny", map[string]any{"user_matching_mode": "email_deny"})
		newSource("email-link", map[string]any{"user_matching_mode": "email_link"})
		// An existing connection authenticates.
		h.Do(http.MethodPost, "/sources/user_connections/plex/", map[string]any{"source": plexSrc, "user": adminPK(t, h),
			"identifier": "500", "plex_token": "old-token"}).Expect(t, http.StatusCreated)

		redirects := []struct {
			name, slug, token, to string
		}{
			{"server access enrolls", "plex", "server-token", "/if/flow/plex-enroll/?slug=plex"},
			{"friend of the owner enrolls", "plex", "friend-token", "/if/flow/plex-enroll/?slug=plex"},
			{"the owner enrolls", "plex", "owner-token", "/if/flow/plex-enroll/?slug=plex"},
			{"known account authenticates", "plex", "known-token", "/if/flow/plex-login/?slug=plex"},
			{"email match links and authenticates", "email-link", "match-token", "/if/flow/plex-login/?slug=email-link"},
		}
		for _, tc := range redirects {
			t.Run(tc.name, func(t *testing.T) {
				got := h.DoAs("", http.MethodPost, "/sources/plex/redeem_token/?slug="+tc.slug, map[string]any{"plex_token": tc.token}).
					Expect(t, http.StatusOK).Object()
				if got["type"] != "redirect" || got["to"] != tc.to || got["component"] != "xak-flow-redirect" {
					t.Errorf("challenge = %v, want redirect to %s", got, tc.to)
				}
			})
		}
		t.Run("known connection took the new token", func(t *testing.T) {
			conns := h.Do(http.MethodGet, "/sources/user_connections/plex/?source__slug=plex", nil).Expect(t, http.StatusOK).Object()["results"].([]any)
			found := false
			for _, c := range conns {
				if c := c.(map[string]any); c["identifier"] == "500" {
					found = c["plex_token"] == "known-token"
				}
			}
			if !found {
				t.Errorf("connections = %v", conns)
			}
		})
		t.Run("email link created a connection", func(t *testing.T) {
			if n := count(t, h, "/sources/user_connections/plex/?source__slug=email-link"); n != 1 {
				t.Errorf("%d connections", n)
			}
		})

		failures := []struct {
			name, slug string
			body       map[string]any
			status     int
			field      string
		}{
			{"no access", "plex", map[string]any{"plex_token": "stranger-token"}, http.StatusForbidden, "detail"},
			{"token Plex refuses", "plex", map[string]any{"plex_token": "bogus"}, http.StatusBadRequest, "plex_token"},
			{"missing token", "plex", map[string]any{}, http.StatusBadRequest, "plex_token"},
			{"unknown source", "nope", map[string]any{"plex_token": "server-token"}, http.StatusNotFound, "detail"},
			{"no enrollment flow", "no-enroll", map[string]any{"plex_token": "server-token"}, http.StatusBadRequest, "non_field_errors"},
			{"email match denied", "email-deny", map[string]any{"plex_token": "match-token"}, http.StatusForbidden, "detail"},
		}
		for _, tc := range failures {
			t.Run(tc.name, func(t *testing.T) {
				before := count(t, h, "/sources/user_connections/plex/")
				r := sendAs(t, h, "", http.MethodPost, "/sources/plex/redeem_token/?slug="+tc.slug, "application/json", jsonBody(tc.body))
				if r.Status != tc.status {
					t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
				}
				if _, ok := r.json(t)[tc.field]; !ok {
					t.Errorf("no %q in %s", tc.field, r.Body)
				}
				if count(t, h, "/sources/user_connections/plex/") != before {
					t.Error("a refused redemption changed the connections")
				}
			})
		}

		t.Run("signed-in caller links", func(t *testing.T) {
			got := h.Do(http.MethodPost, "/sources/plex/redeem_token/?slug=plex", map[string]any{"plex_token": "friend-token"}).
				Expect(t, http.StatusOK).Object()
			if got["to"] != "/if/user/#/settings;page-sources" {
				t.Errorf("challenge = %v", got)
			}
			if n := count(t, h, "/events/events/?action=source_linked"); n != 1 {
				t.Errorf("%d source_linked events", n)
			}
		})

		t.Run("authenticated redeem connects the caller", func(t *testing.T) {
			newSource("connect", nil)
			h.Do(http.MethodPost, "/sources/plex/redeem_token_authenticated/?slug=connect", map[string]any{"plex_token": "server-token"}).
				Expect(t, http.StatusNoContent)
			conns := h.Do(http.MethodGet, "/sources/user_connections/plex/?source__slug=connect", nil).Expect(t, http.StatusOK).Object()["results"].([]any)
			if len(conns) != 1 || conns[0].(map[string]any)["identifier"] != "200" || conns[0].(map[string]any)["user"] != float64(adminPK(t, h)) {
				t.Fatalf("connections = %v", conns)
			}
			// Again with another account: the caller's one connection follows.
			h.Do(http.MethodPost, "/sources/plex/redeem_token_authenticated/?slug=connect", map[string]any{"plex_token": "friend-token"}).
				Expect(t, http.StatusNoContent)
			conns = h.Do(http.MethodGet, "/sources/user_connections/plex/?source__slug=connect", nil).Expect(t, http.StatusOK).Object()["results"].([]any)
			if len(conns) != 1 || conns[0].(map[string]any)["identifier"] != "300" {
				t.Fatalf("connections = %v", conns)
			}
		})
		authFailures := []struct {
			name, token, slug string
			status            int
		}{
			{"anonymous", "", "connect", http.StatusForbidden},
			{"no access", apitest.Token, "plex", http.StatusForbidden},
		}
		for _, tc := range authFailures {
			t.Run("authenticated: "+tc.name, func(t *testing.T) {
				body := map[string]any{"plex_token": "stranger-token"}
				h.DoAs(tc.token, http.MethodPost, "/sources/plex/redeem_token_authenticated/?slug="+tc.slug, body).Expect(t, tc.status)
			})
		}

		t.Run("friends allowed but no owner token", func(t *testing.T) {
			newSource("ownerless", nil)
			src, _ := h.App.Registry.Model("authentik_sources_plex.plexsource")
			err := h.App.Store.Update(context.Background(), func(tx store.Tx) error {
				_, err := tx.UpdateWhere(context.Background(), src.Table, store.Eq("slug", "ownerless"), store.Row{"plex_token": ""})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			r := send(t, h, http.MethodPost, "/sources/plex/redeem_token/?slug=ownerless", "application/json", jsonBody(map[string]any{"plex_token": "server-token"}))
			if r.Status != http.StatusBadRequest {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
		})
	})

	t.Run("Plex unreachable", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		down := "http://" + ln.Addr().String()
		ln.Close()
		usePlex(t, down)
		h := apitest.Start(t, "sqlite")
		h.Do(http.MethodPost, "/sources/plex/", map[string]any{"name": "p", "slug": "p", "client_id": "c", "plex_token": "owner-token",
			"allowed_servers": []string{"srv-1"}}).Expect(t, http.StatusCreated)
		r := send(t, h, http.MethodPost, "/sources/plex/redeem_token/?slug=p", "application/json", jsonBody(map[string]any{"plex_token": "server-token"}))
		if r.Status != http.StatusBadRequest {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		if msgs, _ := r.json(t)["non_field_errors"].([]any); len(msgs) == 0 {
			t.Errorf("no message: %s", r.Body)
		}
	})
}

func adminPK(t *testing.T, h *apitest.Harness) int64 {
	t.Helper()
	users := h.Do(http.MethodGet, "/core/users/?username=akadmin", nil).Expect(t, http.StatusOK).Object()["results"].([]any)
	if len(users) != 1 {
		t.Fatalf("akadmin: %v", users)
	}
	return int64(users[0].(map[string]any)["pk"].(float64))
}
