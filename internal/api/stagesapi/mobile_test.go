package stagesapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/api/stagesapi"
	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/store"
)

func mobileDevice(t *testing.T, h *apitest.Harness, uuid string) map[string]any {
	t.Helper()
	m, _ := h.App.Registry.Model("authentik_stages_authenticator_mobile.mobiledevice")
	var row store.Row
	err := h.App.Store.View(context.Background(), func(tx store.Tx) error {
		rows, err := tx.Select(context.Background(), store.Query{Table: m.Table, Where: store.Eq(m.PKColumn, uuid)})
		if len(rows) > 0 {
			row = rows[0]
		}
		return err
	})
	if err != nil || row == nil {
		t.Fatalf("load device %s: %v", uuid, err)
	}
	return row
}

func TestMobileDevice(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			userPK, userToken := h.UserWithToken("phone-owner")
			stage := create(t, h, "/stages/authenticator/mobile/", map[string]any{"name": "mobile"})
			const dev, other = "5d0f3c1e-8a57-4c5e-b0c4-6a1f1d2e3f40", "7e1a2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b"
			insert(t, h, "authentik_stages_authenticator_mobile.mobiledevice", map[string]any{"pk": dev, "name": "pending",
				"user": userPK, "stage": stage["pk"], "device_id": "enroll-secret", "confirmed": false})
			insert(t, h, "authentik_stages_authenticator_mobile.mobiledevice", map[string]any{"pk": other, "name": "other",
				"user": userPK, "stage": stage["pk"], "device_id": "other-phone"})
			secret := h.App.Config.SecretKey
			enrollToken := stagesapi.MobileDeviceToken(secret, dev, "enroll-secret")
			otherToken := stagesapi.MobileDeviceToken(secret, other, "other-phone")
			call := func(token, uuid, action string, body any) *apitest.Response {
				return h.DoWith(http.MethodPost, "/authenticators/mobile/"+uuid+"/"+action+"/", body, func(r *http.Request) {
					if token != "" {
						r.Header.Set("Authorization", "Bearer "+token)
					}
				})
			}
			info := map[string]any{"platform": "ios", "os_version": "17.1", "model": "iPhone15,2", "hostname": "Fred's iPhone", "app_version": "1.0", "others": map[string]any{}}

			t.Run("authentication", func(t *testing.T) {
				cases := []struct {
					name   string
					token  string
					uuid   string
					status int
				}{
					{"device token of the device", enrollToken, dev, http.StatusOK},
					{"no token", "", dev, http.StatusForbidden},
					{"a user's API token is not a device token", userToken, dev, http.StatusForbidden},
					{"another device's token", otherToken, dev, http.StatusForbidden},
					{"a forged token", dev + ".AAAA", dev, http.StatusForbidden},
					{"unknown device", enrollToken, "00000000-0000-4000-8000-000000000000", http.StatusForbidden},
				}
				for _, tc := range cases {
					t.Run(tc.name, func(t *testing.T) {
						res := call(tc.token, tc.uuid, "enrollment_status", nil).Expect(t, tc.status)
						if tc.status == http.StatusOK && res.Object()["status"] != "waiting" {
							t.Errorf("status %s, want waiting", res.Body)
						}
					})
				}
			})

			var token string
			t.Run("enrollment callback", func(t *testing.T) {
				call(enrollToken, dev, "enrollment_callback", map[string]any{"device_uid": "other-phone", "info": info}).Expect(t, http.StatusBadRequest)
				call(enrollToken, dev, "enrollment_callback", map[string]any{"info": info}).Expect(t, http.StatusBadRequest)
				if d := mobileDevice(t, h, dev); d["confirmed"] != false || d["device_id"] != "enroll-secret" {
					t.Fatalf("refused enrollment changed the device: %v", d)
				}
				res := call(enrollToken, dev, "enrollment_callback", map[string]any{"device_uid": "phone-uid-1", "info": info}).Expect(t, http.StatusOK)
				token, _ = res.Object()["token"].(string)
				if token != stagesapi.MobileDeviceToken(secret, dev, "phone-uid-1") {
					t.Fatalf("token %q", token)
				}
				d := mobileDevice(t, h, dev)
				if d["confirmed"] != true || d["device_id"] != "phone-uid-1" || d["name"] != "Fred's iPhone" {
					t.Errorf("device after enrollment %v", d)
				}
				// The enrollment token was rotated away.
				call(enrollToken, dev, "enrollment_status", nil).Expect(t, http.StatusForbidden)
				if res := call(token, dev, "enrollment_status", nil).Expect(t, http.StatusOK); res.Object()["status"] != "success" {
					t.Errorf("status %s, want success", res.Body)
				}
			})

			t.Run("check in and notification key", func(t *testing.T) {
				call(token, dev, "check_in", map[string]any{"platform": "windows-phone"}).Expect(t, http.StatusBadRequest)
				call(token, dev, "check_in", info).Expect(t, http.StatusNoContent)
				got := h.DoAs(userToken, http.MethodGet, "/authenticators/mobile/"+dev+"/", nil).Expect(t, http.StatusOK).Object()
				if st, _ := got["state"].(map[string]any); st["model"] != "iPhone15,2" {
					t.Errorf("state after check-in %v", got["state"])
				}
				call(token, dev, "set_notification_key", map[string]any{}).Expect(t, http.StatusBadRequest)
				call(token, dev, "set_notification_key", map[string]any{"firebase_key": "fcm-key"}).Expect(t, http.StatusNoContent)
				if d := mobileDevice(t, h, dev); d["firebase_token"] != "fcm-key" {
					t.Errorf("firebase token %v", d["firebase_token"])
				}
			})

			t.Run("receive response", func(t *testing.T) {
				const txID, expired, foreign = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "1a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "2a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
				err := h.App.Store.Update(context.Background(), func(tx store.Tx) error {
					for _, t := range []stagesapi.MobileTransaction{
						{TxID: txID, Device: dev, Items: []string{"12", "34", "56"}, Expires: time.Now().Add(time.Minute)},
						{TxID: expired, Device: dev, Expires: time.Now().Add(-time.Minute)},
						{TxID: foreign, Device: other, Expires: time.Now().Add(time.Minute)},
					} {
						if err := stagesapi.SaveMobileTransaction(context.Background(), tx, t); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				cases := []struct {
					name   string
					body   map[string]any
					status int
				}{
					{"an item that was not offered", map[string]any{"tx_id": txID, "selected_item": "99"}, http.StatusBadRequest},
					{"not a uuid", map[string]any{"tx_id": "nope", "selected_item": "34"}, http.StatusBadRequest},
					{"expired transaction", map[string]any{"tx_id": expired, "selected_item": "34"}, http.StatusNotFound},
					{"another device's transaction", map[string]any{"tx_id": foreign, "selected_item": "34"}, http.StatusNotFound},
					{"unknown transaction", map[string]any{"tx_id": "3a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "selected_item": "34"}, http.StatusNotFound},
					{"the phone's answer", map[string]any{"tx_id": txID, "selected_item": "34"}, http.StatusNoContent},
				}
				for _, tc := range cases {
					t.Run(tc.name, func(t *testing.T) {
						call(token, dev, "receive_response", tc.body).Expect(t, tc.status)
					})
				}
				var got *stagesapi.MobileTransaction
				err = h.App.Store.View(context.Background(), func(tx store.Tx) error {
					var err error
					got, err = stagesapi.LoadMobileTransaction(context.Background(), tx, txID, time.Now())
					return err
				})
				if err != nil || got == nil || got.SelectedItem == nil || *got.SelectedItem != "34" {
					t.Errorf("transaction after the answer %+v, %v", got, err)
				}
			})
		})
	}
}
