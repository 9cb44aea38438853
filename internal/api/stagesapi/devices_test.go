package stagesapi_test

import (
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/apitest"
)

func TestDeviceLists(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			alicePK, alice := h.UserWithToken("alice")
			bobPK, bob := h.UserWithToken("bob")
			now := time.Now().UTC().Format(time.RFC3339)
			duo := create(t, h, "/stages/authenticator/duo/", map[string]any{"name": "duo"})
			mobile := create(t, h, "/stages/authenticator/mobile/", map[string]any{"name": "mobile"})
			insert(t, h, "authentik_stages_authenticator_totp.totpdevice", map[string]any{"name": "alice-totp", "user": alicePK, "key": "k"})
			insert(t, h, "authentik_stages_authenticator_static.staticdevice", map[string]any{"name": "alice-static", "user": alicePK})
			insert(t, h, "authentik_stages_authenticator_duo.duodevice", map[string]any{"name": "alice-duo", "user": alicePK,
				"stage": duo["pk"], "duo_user_id": "D1", "last_t": now})
			mobilePK := insert(t, h, "authentik_stages_authenticator_mobile.mobiledevice", map[string]any{"pk": "0b5e3f52-6d43-4a8e-9c39-3f3c9f2a4e11",
				"name": "alice-phone", "user": alicePK, "stage": mobile["pk"], "device_id": "phone-1"})
			insert(t, h, "authentik_stages_authenticator_totp.totpdevice", map[string]any{"name": "alice-unconfirmed", "user": alicePK, "key": "k", "confirmed": false})
			insert(t, h, "authentik_stages_authenticator_totp.totpdevice", map[string]any{"name": "bob-totp", "user": bobPK, "key": "k"})

			names := func(res *apitest.Response) string {
				var out []string
				for _, d := range res.JSON.([]any) {
					out = append(out, d.(map[string]any)["name"].(string))
				}
				return strings.Join(out, ",")
			}
			cases := []struct {
				name   string
				token  string
				path   string
				status int
				want   string
			}{
				{"own confirmed devices in app order", alice, "/authenticators/all/", http.StatusOK, "alice-duo,alice-phone,alice-static,alice-totp"},
				{"another user sees only theirs", bob, "/authenticators/all/", http.StatusOK, "bob-totp"},
				{"admin list for one user includes unconfirmed", apitest.Token, fmt.Sprintf("/authenticators/admin/all/?user=%d", alicePK), http.StatusOK,
					"alice-duo,alice-phone,alice-static,alice-totp,alice-unconfirmed"},
				{"admin list of everyone", apitest.Token, "/authenticators/admin/all/", http.StatusOK,
					"alice-duo,alice-phone,alice-static,alice-totp,alice-unconfirmed,bob-totp"},
				{"admin list refuses a non-integer user", apitest.Token, "/authenticators/admin/all/?user=abc", http.StatusBadRequest, ""},
				{"admin list is for superusers", alice, "/authenticators/admin/all/", http.StatusForbidden, ""},
				{"own list needs credentials", "", "/authenticators/all/", http.StatusForbidden, ""},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					res := h.DoAs(tc.token, http.MethodGet, tc.path, nil).Expect(t, tc.status)
					if tc.status == http.StatusOK && names(res) != tc.want {
						t.Errorf("devices %s, want %s", names(res), tc.want)
					}
				})
			}

			t.Run("device fields", func(t *testing.T) {
				res := h.DoAs(alice, http.MethodGet, "/authenticators/all/", nil).Expect(t, http.StatusOK)
				byName := map[string]map[string]any{}
				for _, d := range res.JSON.([]any) {
					byName[d.(map[string]any)["name"].(string)] = d.(map[string]any)
				}
				totp := byName["alice-totp"]
				if totp["type"] != "authentik_stages_authenticator_totp.TOTPDevice" || totp["meta_model_name"] != "authentik_stages_authenticator_totp.totpdevice" ||
					totp["verbose_name"] != "TOTP Device" || totp["verbose_name_plural"] != "TOTP Devices" || totp["confirmed"] != true {
					t.Errorf("totp device %v", totp)
				}
				if byName["alice-duo"]["type"] != "authentik_stages_authenticator_duo.DuoDevice" {
					t.Errorf("duo device %v", byName["alice-duo"])
				}
				// A uuid pk is rendered as its integer value, as Python's int(uuid).
				want, _ := new(big.Int).SetString(strings.ReplaceAll(fmt.Sprint(mobilePK), "-", ""), 16)
				if !strings.Contains(string(res.Body), `"pk":`+want.String()) {
					t.Errorf("mobile device pk not rendered as %s: %s", want, res.Body)
				}
			})
		})
	}
}
