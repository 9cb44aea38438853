package stagesapi

import (
	"context"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/store"
)

// DuoBaseURL maps a stage's api_hostname to the base URL its Duo API is
// reached at. Requests are signed for api_hostname whatever the base URL,
// so tests can point it at a local fake.
var DuoBaseURL = func(apiHostname string) string { return "https://" + apiHostname }

// DuoTimeout bounds one Duo API request.
var DuoTimeout = 5 * time.Second

// duoEnrollSession is the session key the Duo setup stage keeps the
// pending enrollment (Duo's enroll response) under.
const duoEnrollSession = "authentik/stages/authenticator_duo/enroll"

// duoClient calls one Duo API (Auth or Admin) with one key pair.
type duoClient struct {
	host       string
	ikey, skey string
	now        func() time.Time
}

// duoError is a failed Duo call, with a message for the caller.
type duoError struct {
	msg string
}

func (e *duoError) Error() string { return e.msg }

// duoEscape percent-encodes as Duo's canonical form does: everything but
// ASCII letters, digits and -_.~ is encoded, a space as %20.
func duoEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-_.~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// duoCanonParams is the sorted, encoded parameter string Duo signs and
// receives.
func duoCanonParams(params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return duoEscape(keys[i]) < duoEscape(keys[j]) })
	var parts []string
	for _, k := range keys {
		vals := make([]string, 0, len(params[k]))
		for _, v := range params[k] {
			vals = append(vals, duoEscape(v))
		}
		sort.Strings(vals)
		for _, v := range vals {
			parts = append(parts, duoEscape(k)+"="+v)
		}
	}
	return strings.Join(parts, "&")
}

// DuoSignature is the Authorization header value of a Duo API request:
// HTTP Basic with the integration key and the hex HMAC-SHA512, under the
// secret key, of the date, method, host, path and canonical parameters.
func DuoSignature(ikey, skey, date, method, host, path string, params url.Values) string {
	canon := strings.Join([]string{date, strings.ToUpper(method), strings.ToLower(host), path, duoCanonParams(params)}, "\n")
	mac := hmac.New(sha512.New, []byte(skey))
	mac.Write([]byte(canon))
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(ikey+":"+hex.EncodeToString(mac.Sum(nil))))
}

// call sends a signed request and decodes the "response" of a successful
// answer into out; metadata, when not nil, receives the paging metadata.
func (c *duoClient) call(ctx context.Context, method, path string, params url.Values, out, metadata any) error {
	ctx, cancel := context.WithTimeout(ctx, DuoTimeout)
	defer cancel()
	canon := duoCanonParams(params)
	target := strings.TrimSuffix(DuoBaseURL(c.host), "/") + path
	var body io.Reader
	if method == http.MethodGet {
		if canon != "" {
			target += "?" + canon
		}
	} else {
		body = strings.NewReader(canon)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return &duoError{msg: fmt.Sprintf("invalid Duo API host %q: %v", c.host, err)}
	}
	date := c.now().UTC().Format("Mon, 02 Jan 2006 15:04:05 -0000")
	req.Header.Set("Date", date)
	req.Header.Set("Authorization", DuoSignature(c.ikey, c.skey, date, method, c.host, path, params))
	req.Header.Set("User-Agent", "authentik@2023.10.4")
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := (&http.Client{Timeout: DuoTimeout}).Do(req)
	if err != nil {
		return &duoError{msg: fmt.Sprintf("Duo API at %s could not be reached: %v", c.host, err)}
	}
	defer resp.Body.Close()
	var res struct {
		Stat          string          `json:"stat"`
		Response      json.RawMessage `json:"response"`
		Metadata      json.RawMessage `json:"metadata"`
		Code          int             `json:"code"`
		Message       string          `json:"message"`
		MessageDetail string          `json:"message_detail"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 8<<20)).Decode(&res); err != nil {
		return &duoError{msg: fmt.Sprintf("Duo API at %s answered %d with an unreadable body", c.host, resp.StatusCode)}
	}
	if res.Stat != "OK" {
		msg := fmt.Sprintf("Duo API error %d: %s", res.Code, res.Message)
		if res.MessageDetail != "" {
			msg += " (" + res.MessageDetail + ")"
		}
		return &duoError{msg: msg}
	}
	if err := json.Unmarshal(res.Response, out); err != nil {
		return &duoError{msg: fmt.Sprintf("Duo API at %s answered an unexpected response: %v", c.host, err)}
	}
	if metadata != nil && len(res.Metadata) > 0 {
		if err := json.Unmarshal(res.Metadata, metadata); err != nil {
			return &duoError{msg: fmt.Sprintf("Duo API at %s answered unexpected metadata: %v", c.host, err)}
		}
	}
	return nil
}

// duoUser is the part of an Admin API user the import needs.
type duoUser struct {
	UserID   string `json:"user_id"`
	Username string `json:"username"`
}

// users pages through the Admin API's user list.
func (c *duoClient) users(ctx context.Context) ([]duoUser, error) {
	var all []duoUser
	offset := 0
	for {
		var page []duoUser
		var meta struct {
			NextOffset *int `json:"next_offset"`
		}
		if err := c.call(ctx, http.MethodGet, "/admin/v1/users", url.Values{"limit": {"300"}, "offset": {strconv.Itoa(offset)}}, &page, &meta); err != nil {
			return nil, err
		}
		all = append(all, page...)
		if meta.NextOffset == nil || *meta.NextOffset <= offset {
			return all, nil
		}
		offset = *meta.NextOffset
	}
}

// duoStage loads a Duo stage by the {stage_uuid} parameter.
func (h *handler) duoStage(ctx context.Context, r *http.Request) (store.Row, error) {
	sm := h.e.Registry.MustModel("authentik_stages_authenticator_duo.authenticatorduostage")
	var stage store.Row
	err := h.e.Store.View(ctx, func(tx store.Tx) error {
		var err error
		stage, err = h.rowByPK(ctx, tx, sm, chi.URLParam(r, "stage_uuid"))
		return err
	})
	return stage, err
}

func (h *handler) duoField(stage store.Row, field string) string {
	s, _ := stage[h.e.Registry.MustModel("authentik_stages_authenticator_duo.authenticatorduostage").MustColumn(field)].(string)
	return s
}

// duoEnrollmentStatus asks Duo whether the enrollment the caller's session
// holds has been completed on the phone.
func (h *handler) duoEnrollmentStatus(w http.ResponseWriter, r *http.Request) error {
	p, err := api.Caller(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	stage, err := h.duoStage(ctx, r)
	if err != nil {
		return err
	}
	enroll, err := h.sessionValue(ctx, p.SessionKey, duoEnrollSession)
	if err != nil {
		return err
	}
	userID, _ := enroll["user_id"].(string)
	code, _ := enroll["activation_code"].(string)
	if userID == "" || code == "" {
		return engine.Invalid("", "There is no Duo enrollment in progress in this session.")
	}
	client := &duoClient{host: h.duoField(stage, "api_hostname"), ikey: h.duoField(stage, "client_id"), skey: h.duoField(stage, "client_secret"), now: h.e.Now}
	var status string
	if err := client.call(ctx, http.MethodPost, "/auth/v2/enroll_status", url.Values{"user_id": {userID}, "activation_code": {code}}, &status, nil); err != nil {
		return engine.Invalid("", err.Error())
	}
	switch status {
	case "success", "waiting", "invalid":
	default:
		return engine.Invalid("", fmt.Sprintf("Duo API answered an unknown enrollment status %q.", status))
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"duo_response": status})
	return nil
}

// sessionValue reads one key of the caller's browser session as an object
// (nil without a session or value).
func (h *handler) sessionValue(ctx context.Context, sessionKey, key string) (map[string]any, error) {
	if sessionKey == "" {
		return nil, nil
	}
	sm := h.e.Registry.MustModel("authentik_core.authenticatedsession")
	var data map[string]any
	err := h.e.Store.View(ctx, func(tx store.Tx) error {
		rows, err := tx.Select(ctx, store.Query{Table: sm.Table, Columns: []string{sm.MustColumn("session_data")},
			Where: store.Eq(sm.MustColumn("session_key"), sessionKey), Limit: 1})
		if err != nil {
			return fmt.Errorf("load session: %w", err)
		}
		if len(rows) > 0 {
			data = jsonObject(rows[0][sm.MustColumn("session_data")])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	v, _ := data[key].(map[string]any)
	return v, nil
}

// duoImportAccess checks what both imports need: adding Duo devices and
// seeing users, then the stage itself.
func (h *handler) duoImportAccess(r *http.Request) (store.Row, error) {
	ctx := r.Context()
	p, err := api.Caller(r)
	if err != nil {
		return nil, err
	}
	for _, perm := range []string{"authentik_stages_authenticator_duo.add_duodevice", "authentik_core.view_user"} {
		if err := api.Require(ctx, perm, ""); err != nil {
			return nil, err
		}
	}
	stage, err := h.duoStage(ctx, r)
	if err != nil {
		return nil, err
	}
	sm := h.e.Registry.MustModel("authentik_stages_authenticator_duo.authenticatorduostage")
	if !p.Subject.HasOn("authentik_stages_authenticator_duo.view_authenticatorduostage", engine.PKText(stage[sm.PKColumn])) {
		return nil, notFound()
	}
	return stage, nil
}

// importedDuoName names devices created by an import.
const importedDuoName = "Imported Duo Authenticator"

// duoImportManual creates a Duo device for a user from a Duo user id.
func (h *handler) duoImportManual(w http.ResponseWriter, r *http.Request) error {
	stage, err := h.duoImportAccess(r)
	if err != nil {
		return err
	}
	body, err := api.DecodeBody(r)
	if err != nil {
		return err
	}
	if verr := h.e.Validate("AuthenticatorDuoStageManualDeviceImportRequest", body); !verr.Empty() {
		return verr
	}
	ctx := r.Context()
	sm := h.e.Registry.MustModel("authentik_stages_authenticator_duo.authenticatorduostage")
	um := h.e.Registry.MustModel("authentik_core.user")
	err = h.e.Store.Update(ctx, func(tx store.Tx) error {
		users, err := tx.Select(ctx, store.Query{Table: um.Table, Where: store.Eq(um.MustColumn("username"), body["username"]), Limit: 1})
		if err != nil {
			return fmt.Errorf("load user: %w", err)
		}
		if len(users) == 0 {
			return engine.Invalid("", "User does not exist.")
		}
		created, err := h.createDuoDevice(ctx, tx, stage[sm.PKColumn], users[0][um.PKColumn], body["duo_user_id"].(string))
		if err != nil {
			return err
		}
		if !created {
			return engine.Invalid("", "Device exists already.")
		}
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// duoImportAutomatic creates a Duo device for every Duo user whose
// username matches a user, through the stage's Admin API. All users are
// read before anything is written, so a failing Duo changes nothing.
func (h *handler) duoImportAutomatic(w http.ResponseWriter, r *http.Request) error {
	stage, err := h.duoImportAccess(r)
	if err != nil {
		return err
	}
	if h.duoField(stage, "admin_integration_key") == "" {
		return engine.Invalid("", "Stage does not have Admin API configured, which is required for automatic imports.")
	}
	ctx := r.Context()
	client := &duoClient{host: h.duoField(stage, "api_hostname"), ikey: h.duoField(stage, "admin_integration_key"),
		skey: h.duoField(stage, "admin_secret_key"), now: h.e.Now}
	duoUsers, err := client.users(ctx)
	if err != nil {
		var de *duoError
		if errors.As(err, &de) {
			api.WriteJSON(w, http.StatusBadRequest, map[string]any{"count": 0, "error": de.msg})
			return nil
		}
		return err
	}
	sm := h.e.Registry.MustModel("authentik_stages_authenticator_duo.authenticatorduostage")
	um := h.e.Registry.MustModel("authentik_core.user")
	count := 0
	err = h.e.Store.Update(ctx, func(tx store.Tx) error {
		count = 0
		for _, du := range duoUsers {
			if du.Username == "" || du.UserID == "" {
				continue
			}
			users, err := tx.Select(ctx, store.Query{Table: um.Table, Where: store.Eq(um.MustColumn("username"), du.Username), Limit: 1})
			if err != nil {
				return fmt.Errorf("load user %q: %w", du.Username, err)
			}
			if len(users) == 0 {
				continue
			}
			created, err := h.createDuoDevice(ctx, tx, stage[sm.PKColumn], users[0][um.PKColumn], du.UserID)
			if err != nil {
				return err
			}
			if created {
				count++
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"count": count, "error": ""})
	return nil
}

// createDuoDevice adds a confirmed imported device unless the user already
// has one with that Duo user id on the stage.
func (h *handler) createDuoDevice(ctx context.Context, tx store.Tx, stagePK, userPK any, duoUserID string) (bool, error) {
	dm := h.e.Registry.MustModel("authentik_stages_authenticator_duo.duodevice")
	n, err := tx.Count(ctx, store.Query{Table: dm.Table, Where: store.And(store.Eq(dm.MustColumn("duo_user_id"), duoUserID),
		store.Eq(dm.MustColumn("user"), userPK), store.Eq(dm.MustColumn("stage"), stagePK))})
	if err != nil {
		return false, fmt.Errorf("look up duo device: %w", err)
	}
	if n > 0 {
		return false, nil
	}
	_, err = h.e.InsertTx(ctx, tx, dm, engine.Object{"name": importedDuoName, "duo_user_id": duoUserID, "user": userPK,
		"stage": stagePK, "confirmed": true, "last_t": h.e.Now().UTC().Format(time.RFC3339Nano)})
	if err != nil {
		return false, fmt.Errorf("create duo device: %w", err)
	}
	return true, nil
}
