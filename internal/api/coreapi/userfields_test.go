package coreapi_test

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
)

// TestUserUIDAndAvatar: uid is sha256("<pk>-<secret key>") in hex and
// avatar authentik's default gravatar URL of the lower-cased email, on a
// retrieve and on a list page alike.
func TestUserUIDAndAvatar(t *testing.T) {
	h := apitest.Start(t, "sqlite")
	tests := []struct {
		name  string
		email string
	}{
		{"lower-case email", "alice@example.com"},
		{"mixed-case email", "Bob.Smith@Example.ORG"},
		{"no email", ""},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			created := h.Do(http.MethodPost, "/core/users/", map[string]any{
				"username": fmt.Sprintf("user%d", i), "name": tc.name, "email": tc.email}).Expect(t, http.StatusCreated).Object()
			pk := int64(created["pk"].(float64))
			sum := sha256.Sum256([]byte(fmt.Sprintf("%d-%s", pk, h.App.Config.SecretKey)))
			wantUID := hex.EncodeToString(sum[:])
			md := md5.Sum([]byte(strings.ToLower(tc.email)))
			wantAvatar := "https://secure.gravatar.com/avatar/" + hex.EncodeToString(md[:]) + "?s=158&amp;r=g"

			got := h.Do(http.MethodGet, fmt.Sprintf("/core/users/%d/", pk), nil).Expect(t, http.StatusOK).Object()
			page := h.Do(http.MethodGet, fmt.Sprintf("/core/users/?username=user%d", i), nil).Expect(t, http.StatusOK).Object()
			listed := page["results"].([]any)[0].(map[string]any)
			for where, obj := range map[string]map[string]any{"created": created, "retrieved": got, "listed": listed} {
				if obj["uid"] != wantUID || obj["avatar"] != wantAvatar {
					t.Errorf("%s: uid %v avatar %v, want %s and %s", where, obj["uid"], obj["avatar"], wantUID, wantAvatar)
				}
			}
		})
	}
}
