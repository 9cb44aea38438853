package stagesapi

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/store"
)

// MobileDeviceToken is the bearer token the mobile app authenticates its
// device with: the device's uuid and an HMAC, under the server's secret
// key, of the device's uuid and device id. authentik stores random device
// tokens in a table; deriving them needs none, and a token changes, as
// authentik rotates it, when enrollment sets the device id.
func MobileDeviceToken(secretKey, deviceUUID, deviceID string) string {
	mac := hmac.New(sha256.New, []byte(secretKey))
	mac.Write([]byte("authentik/stages/authenticator_mobile/device-token\x00" + deviceUUID + "\x00" + deviceID))
	return deviceUUID + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

const (
	detailNoCredentials = "Authentication credentials were not provided."
	detailBadToken      = "Token invalid/expired"
)

// mobile wraps a mobile device endpoint: the request must carry the token
// of the device the {uuid} parameter names. These endpoints accept no
// user credentials, only the device token (their schema security is
// mobile_device_token alone).
func (h *handler) mobile(next func(w http.ResponseWriter, r *http.Request, device store.Row) error) api.Action {
	return func(w http.ResponseWriter, r *http.Request) error {
		scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "bearer") || strings.TrimSpace(token) == "" {
			return api.Errorf(http.StatusForbidden, detailNoCredentials)
		}
		token = strings.TrimSpace(token)
		ctx := r.Context()
		dm := h.e.Registry.MustModel("authentik_stages_authenticator_mobile.mobiledevice")
		id := chi.URLParam(r, "uuid")
		var device store.Row
		err := h.e.Store.View(ctx, func(tx store.Tx) error {
			var err error
			device, err = h.rowByPK(ctx, tx, dm, id)
			return err
		})
		if _, missing := err.(*engine.NotFoundError); missing {
			// An unknown device cannot have issued the token.
			return api.Errorf(http.StatusForbidden, detailBadToken)
		}
		if err != nil {
			return err
		}
		deviceID, _ := device[dm.MustColumn("device_id")].(string)
		want := MobileDeviceToken(h.s.Config.SecretKey, engine.PKText(device[dm.PKColumn]), deviceID)
		if subtle.ConstantTimeCompare([]byte(token), []byte(want)) != 1 {
			return api.Errorf(http.StatusForbidden, detailBadToken)
		}
		return next(w, r, device)
	}
}

// mobileValidated decodes and validates a request body against a schema.
func (h *handler) mobileValidated(r *http.Request, schema string) (engine.Object, error) {
	body, err := api.DecodeBody(r)
	if err != nil {
		return nil, err
	}
	if verr := h.e.Validate(schema, body); !verr.Empty() {
		return nil, verr
	}
	return body, nil
}

func (h *handler) updateDevice(ctx context.Context, device store.Row, set store.Row) error {
	dm := h.e.Registry.MustModel("authentik_stages_authenticator_mobile.mobiledevice")
	return h.e.Store.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.UpdateWhere(ctx, dm.Table, store.Eq(dm.PKColumn, device[dm.PKColumn]), set); err != nil {
			return fmt.Errorf("update mobile device: %w", err)
		}
		return nil
	})
}

// mobileCheckIn records what the app reports about the phone.
func (h *handler) mobileCheckIn(w http.ResponseWriter, r *http.Request, device store.Row) error {
	body, err := h.mobileValidated(r, "MobileDeviceInfoRequest")
	if err != nil {
		return err
	}
	dm := h.e.Registry.MustModel("authentik_stages_authenticator_mobile.mobiledevice")
	if err := h.updateDevice(r.Context(), device, store.Row{dm.MustColumn("state"): map[string]any(body)}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// mobileEnrollmentCallback completes enrollment: the device takes the
// phone's unique id and hostname, is confirmed, and gets its new token.
func (h *handler) mobileEnrollmentCallback(w http.ResponseWriter, r *http.Request, device store.Row) error {
	body, err := h.mobileValidated(r, "MobileDeviceEnrollmentRequest")
	if err != nil {
		return err
	}
	info, _ := body["info"].(map[string]any)
	hostname, _ := info["hostname"].(string)
	if len([]rune(hostname)) > 64 {
		return engine.Invalid("info.hostname", "Ensure this field has no more than 64 characters.")
	}
	deviceUID, _ := body["device_uid"].(string)
	ctx := r.Context()
	dm := h.e.Registry.MustModel("authentik_stages_authenticator_mobile.mobiledevice")
	err = h.e.Store.Update(ctx, func(tx store.Tx) error {
		n, err := tx.Count(ctx, store.Query{Table: dm.Table, Where: store.And(store.Eq(dm.MustColumn("device_id"), deviceUID),
			store.NotCond{Cond: store.Eq(dm.PKColumn, device[dm.PKColumn])})})
		if err != nil {
			return fmt.Errorf("check device id: %w", err)
		}
		if n > 0 {
			return engine.Invalid("device_uid", "Another device is enrolled with this id.")
		}
		_, err = tx.UpdateWhere(ctx, dm.Table, store.Eq(dm.PKColumn, device[dm.PKColumn]),
			store.Row{dm.MustColumn("name"): hostname, dm.MustColumn("confirmed"): true, dm.MustColumn("device_id"): deviceUID})
		if err != nil {
			return fmt.Errorf("enroll mobile device: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"token": MobileDeviceToken(h.s.Config.SecretKey, engine.PKText(device[dm.PKColumn]), deviceUID)})
	return nil
}

// mobileEnrollmentStatus tells the app whether enrollment has completed.
func (h *handler) mobileEnrollmentStatus(w http.ResponseWriter, r *http.Request, device store.Row) error {
	dm := h.e.Registry.MustModel("authentik_stages_authenticator_mobile.mobiledevice")
	status := "waiting"
	if confirmed, _ := device[dm.MustColumn("confirmed")].(bool); confirmed {
		status = "success"
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"status": status})
	return nil
}

// mobileSetNotificationKey stores the phone's current push (Firebase) key.
func (h *handler) mobileSetNotificationKey(w http.ResponseWriter, r *http.Request, device store.Row) error {
	body, err := h.mobileValidated(r, "MobileDeviceSetPushKeyRequest")
	if err != nil {
		return err
	}
	dm := h.e.Registry.MustModel("authentik_stages_authenticator_mobile.mobiledevice")
	if err := h.updateDevice(r.Context(), device, store.Row{dm.MustColumn("firebase_token"): body["firebase_key"]}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// MobileTransaction is a push authentication request waiting for the
// phone's answer: the validation stage saves it when it sends the push and
// reads SelectedItem back. It lives in akgo_settings, so every server
// replica sees the phone's answer.
type MobileTransaction struct {
	TxID   string `json:"-"`
	Device string `json:"device"`
	// Items are the choices the phone offers (numbers to match, or
	// accept/deny); empty accepts any answer.
	Items        []string  `json:"items"`
	SelectedItem *string   `json:"selected_item"`
	Expires      time.Time `json:"expires"`
}

const mobileTransactionPrefix = "authentik/stages/authenticator_mobile/transaction/"

// SaveMobileTransaction stores (or replaces) a transaction.
func SaveMobileTransaction(ctx context.Context, tx store.Tx, t MobileTransaction) error {
	raw, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("encode mobile transaction: %w", err)
	}
	key := mobileTransactionPrefix + t.TxID
	n, err := tx.UpdateWhere(ctx, "akgo_settings", store.Eq("key", key), store.Row{"value": string(raw)})
	if err != nil {
		return fmt.Errorf("save mobile transaction: %w", err)
	}
	if n == 0 {
		if _, err := tx.Insert(ctx, "akgo_settings", store.Row{"key": key, "value": string(raw)}); err != nil {
			return fmt.Errorf("save mobile transaction: %w", err)
		}
	}
	return nil
}

// LoadMobileTransaction reads a transaction; nil when there is none or it
// has expired.
func LoadMobileTransaction(ctx context.Context, tx store.Tx, txID string, now time.Time) (*MobileTransaction, error) {
	rows, err := tx.Select(ctx, store.Query{Table: "akgo_settings", Where: store.Eq("key", mobileTransactionPrefix+txID), Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("load mobile transaction: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	raw, _ := rows[0]["value"].(string)
	var t MobileTransaction
	if err := json.Unmarshal([]byte(raw), &t); err != nil {
		return nil, fmt.Errorf("decode mobile transaction %s: %w", txID, err)
	}
	if !t.Expires.IsZero() && !t.Expires.After(now) {
		return nil, nil
	}
	t.TxID = txID
	return &t, nil
}

// mobileReceiveResponse records the item the user picked on the phone.
func (h *handler) mobileReceiveResponse(w http.ResponseWriter, r *http.Request, device store.Row) error {
	body, err := h.mobileValidated(r, "MobileDeviceResponseRequest")
	if err != nil {
		return err
	}
	ctx := r.Context()
	dm := h.e.Registry.MustModel("authentik_stages_authenticator_mobile.mobiledevice")
	txID, _ := body["tx_id"].(string)
	parsed, err := uuid.Parse(txID)
	if err != nil {
		return engine.Invalid("tx_id", "Must be a valid UUID.")
	}
	selected, _ := body["selected_item"].(string)
	err = h.e.Store.Update(ctx, func(tx store.Tx) error {
		t, err := LoadMobileTransaction(ctx, tx, parsed.String(), h.e.Now())
		if err != nil {
			return err
		}
		// A transaction of another device is not this device's to answer.
		if t == nil || t.Device != engine.PKText(device[dm.PKColumn]) {
			return notFound()
		}
		if len(t.Items) > 0 && !slices.Contains(t.Items, selected) {
			return engine.Invalid("selected_item", fmt.Sprintf("%q is not one of the offered choices.", selected))
		}
		t.SelectedItem = &selected
		return SaveMobileTransaction(ctx, tx, *t)
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
