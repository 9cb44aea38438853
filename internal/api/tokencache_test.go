package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/store"
)

// TestTokenCacheKeptOrDropped checks which uniform writes empty the cache
// of authenticated tokens. Each case authenticates a user's token (cached),
// deactivates the user behind the API's back, makes the write as the
// admin and authenticates the token again: a kept cache still lets it in,
// a dropped one reads the user again and refuses it.
func TestTokenCacheKeptOrDropped(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			// The cache must not expire during the test on a slow machine.
			h.App.API.Auth.TTL = time.Hour
			other, _ := h.UserWithToken("other")
			h.Do(http.MethodPost, "/rbac/roles/", map[string]any{"name": "spare-role"}).Expect(t, http.StatusCreated)
			role := h.Do(http.MethodGet, "/rbac/roles/?name=spare-role", nil).Expect(t, http.StatusOK).Object()["results"].([]any)[0].(map[string]any)["pk"]
			group := h.Do(http.MethodPost, "/core/groups/", map[string]any{"name": "spare-group"}).Expect(t, http.StatusCreated).Object()["pk"]
			cases := []struct {
				name   string
				write  func(t *testing.T, n int, userPK int64)
				status int // of the token's next request
			}{
				{"create group without members", func(t *testing.T, n int, _ int64) {
					h.Do(http.MethodPost, "/core/groups/", map[string]any{"name": fmt.Sprint("g", n)}).Expect(t, http.StatusCreated)
				}, http.StatusOK},
				{"create group with other members", func(t *testing.T, n int, _ int64) {
					h.Do(http.MethodPost, "/core/groups/", map[string]any{"name": fmt.Sprint("g", n), "users": []any{other}}).Expect(t, http.StatusCreated)
				}, http.StatusForbidden},
				{"create user", func(t *testing.T, n int, _ int64) {
					h.Do(http.MethodPost, "/core/users/", map[string]any{"username": fmt.Sprint("u", n), "name": "u"}).Expect(t, http.StatusCreated)
				}, http.StatusOK},
				{"create token", func(t *testing.T, n int, userPK int64) {
					h.Do(http.MethodPost, "/core/tokens/", map[string]any{"identifier": fmt.Sprint("t", n), "intent": "api", "user": userPK}).Expect(t, http.StatusCreated)
				}, http.StatusOK},
				{"create role", func(t *testing.T, n int, _ int64) {
					h.Do(http.MethodPost, "/rbac/roles/", map[string]any{"name": fmt.Sprint("r", n)}).Expect(t, http.StatusCreated)
				}, http.StatusOK},
				{"rename role", func(t *testing.T, n int, _ int64) {
					h.Do(http.MethodPatch, fmt.Sprint("/rbac/roles/", role, "/"), map[string]any{"name": fmt.Sprint("spare-role-", n)}).Expect(t, http.StatusOK)
				}, http.StatusOK},
				{"create flow", func(t *testing.T, n int, _ int64) {
					h.Do(http.MethodPost, "/flows/instances/", map[string]any{"name": "f", "slug": fmt.Sprint("f", n), "title": "f", "designation": "authentication"}).Expect(t, http.StatusCreated)
				}, http.StatusOK},
				{"update group", func(t *testing.T, n int, _ int64) {
					h.Do(http.MethodPatch, fmt.Sprint("/core/groups/", group, "/"), map[string]any{"name": fmt.Sprint("spare-group-", n)}).Expect(t, http.StatusOK)
				}, http.StatusForbidden},
				{"update other user", func(t *testing.T, n int, _ int64) {
					h.Do(http.MethodPatch, fmt.Sprint("/core/users/", other, "/"), map[string]any{"name": fmt.Sprint("other ", n)}).Expect(t, http.StatusOK)
				}, http.StatusForbidden},
				{"delete other token", func(t *testing.T, n int, _ int64) {
					h.Do(http.MethodDelete, "/core/tokens/token-other/", nil).Expect(t, http.StatusNoContent)
				}, http.StatusForbidden},
				{"delete role", func(t *testing.T, n int, _ int64) {
					h.Do(http.MethodDelete, fmt.Sprint("/rbac/roles/", role, "/"), nil).Expect(t, http.StatusNoContent)
				}, http.StatusForbidden},
			}
			um, _ := h.App.Registry.Model("authentik_core.user")
			for n, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					pk, token := h.UserWithToken(fmt.Sprint("cached", n))
					h.DoAs(token, http.MethodGet, "/core/users/me/", nil).Expect(t, http.StatusOK)
					err := h.App.Store.Update(context.Background(), func(tx store.Tx) error {
						_, err := tx.UpdateWhere(context.Background(), um.Table, store.Eq(um.PKColumn, pk), store.Row{um.MustColumn("is_active"): false})
						return err
					})
					if err != nil {
						t.Fatal(err)
					}
					tc.write(t, n, pk)
					h.DoAs(token, http.MethodGet, "/core/users/me/", nil).Expect(t, tc.status)
				})
			}
		})
	}
}
