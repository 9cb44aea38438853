package stagesapi_test

import (
	"context"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/api/stagesapi"
	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/notify"
	"github.com/akgo/akgo/internal/notify/notifytest"
	"github.com/akgo/akgo/internal/store"
)

func TestEmailTemplates(t *testing.T) {
	dir := t.TempDir()
	for path, content := range map[string]string{"custom.html": "<p>{{ url }}</p>", "nested/welcome.html": "x", "notes.txt": "ignored"} {
		full := filepath.Join(dir, path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := stagesapi.EmailTemplateDir
	t.Cleanup(func() { stagesapi.EmailTemplateDir = old })
	h := apitest.Start(t, "sqlite")
	_, plain := h.UserWithToken("templates-user")
	cases := []struct {
		name   string
		dir    string
		token  string
		status int
		want   []string
	}{
		{"built-in templates without a custom folder", filepath.Join(dir, "missing"), plain, http.StatusOK,
			[]string{"email/password_reset.html=Password Reset", "email/account_confirmation.html=Account Confirmation"}},
		{"custom templates follow, by path", dir, plain, http.StatusOK,
			[]string{"email/password_reset.html=Password Reset", "email/account_confirmation.html=Account Confirmation",
				"custom.html=Custom Template: custom.html", "nested/welcome.html=Custom Template: nested/welcome.html"}},
		{"anonymous is refused", dir, "", http.StatusForbidden, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stagesapi.EmailTemplateDir = tc.dir
			res := h.DoAs(tc.token, http.MethodGet, "/stages/email/templates/", nil).Expect(t, tc.status)
			if tc.status != http.StatusOK {
				return
			}
			var got []string
			for _, e := range res.JSON.([]any) {
				o := e.(map[string]any)
				if o["component"] != "" || o["model_name"] != "" {
					t.Errorf("entry %v", o)
				}
				got = append(got, fmt.Sprint(o["name"], "=", o["description"]))
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("templates %v, want %v", got, tc.want)
			}
		})
	}
}

// htmlPart returns the decoded HTML alternative of a received mail.
func htmlPart(t *testing.T, data string) string {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Fatalf("parse mail: %v", err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("content type: %v", err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			t.Fatalf("no html part: %v", err)
		}
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
			// multipart.Reader already undoes the quoted-printable encoding.
			b, err := io.ReadAll(p)
			if err != nil {
				t.Fatalf("read html part: %v", err)
			}
			return string(b)
		}
	}
}

func countTokens(t *testing.T, h *apitest.Harness, intent string) int64 {
	t.Helper()
	tm, _ := h.App.Registry.Model("authentik_core.token")
	var n int64
	err := h.App.Store.View(context.Background(), func(tx store.Tx) error {
		var err error
		n, err = tx.Count(context.Background(), store.Query{Table: tm.Table, Where: store.Eq("intent", intent)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRecoveryEmail(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			sink := notifytest.Start(t, notifytest.Options{Username: "mailer", Password: "secret"})
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "mine.html"), []byte(`{% load i18n %}<p>Hi {{ user.username }}: <a href="{{ url }}">go</a></p>`), 0o644); err != nil {
				t.Fatal(err)
			}
			oldDir, oldGlobal := stagesapi.EmailTemplateDir, stagesapi.GlobalEmail
			t.Cleanup(func() { stagesapi.EmailTemplateDir, stagesapi.GlobalEmail = oldDir, oldGlobal })
			stagesapi.EmailTemplateDir = dir

			smtp := map[string]any{"host": sink.Host, "port": sink.Port, "username": "mailer", "password": "secret",
				"from_address": "auth@example.test", "subject": "Reset your password", "timeout": 5}
			with := func(extra map[string]any) map[string]any {
				out := map[string]any{}
				for k, v := range smtp {
					out[k] = v
				}
				for k, v := range extra {
					out[k] = v
				}
				return out
			}
			stage := create(t, h, "/stages/email/", with(map[string]any{"name": "mail", "template": "email/password_reset.html"}))
			custom := create(t, h, "/stages/email/", with(map[string]any{"name": "mail-custom", "template": "mine.html"}))
			global := create(t, h, "/stages/email/", map[string]any{"name": "mail-global", "use_global_settings": true})
			closed, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			closedPort := closed.Addr().(*net.TCPAddr).Port
			closed.Close()
			down := create(t, h, "/stages/email/", with(map[string]any{"name": "mail-down", "port": closedPort}))
			hiddenStage := create(t, h, "/stages/email/", with(map[string]any{"name": "mail-hidden"}))

			user := create(t, h, "/core/users/", map[string]any{"username": "forgetful", "name": "Forgetful Fred", "email": "fred@example.test"})
			userID := fmt.Sprint(int64(user["pk"].(float64)))
			noMail := create(t, h, "/core/users/", map[string]any{"username": "nomail", "name": "No Mail", "email": ""})
			noMailID := fmt.Sprint(int64(noMail["pk"].(float64)))
			helperPK, helper := h.UserWithToken("helpdesk")
			h.Grant(helperPK, []string{"authentik_core.reset_user_password"}, "authentik_core.user", userID)
			h.Grant(helperPK, []string{"authentik_stages_email.view_emailstage"}, "authentik_stages_email.emailstage", stage["pk"].(string))
			_, stranger := h.UserWithToken("stranger")
			path := func(user, stage string) string {
				return "/core/users/" + user + "/recovery_email/?email_stage=" + stage
			}

			// Without a recovery flow nothing can be sent.
			h.Do(http.MethodGet, path(userID, stage["pk"].(string)), nil).Expect(t, http.StatusBadRequest)
			flow := create(t, h, "/flows/instances/", map[string]any{"slug": "recover", "designation": "recovery"})
			h.Do(http.MethodPost, "/core/tenants/", map[string]any{"domain": "example.test", "default": true, "flow_recovery": flow["pk"]}).Expect(t, http.StatusCreated)

			cases := []struct {
				name     string
				token    string
				path     string
				global   *notify.EmailSettings
				status   int
				contains string
			}{
				{"built-in template through the stage's server", apitest.Token, path(userID, stage["pk"].(string)), oldGlobal, http.StatusNoContent, "Reset password"},
				{"custom template", apitest.Token, path(userID, custom["pk"].(string)), oldGlobal, http.StatusNoContent, "Hi forgetful: <a href=\"" + h.URL + "/if/flow/recover/?flow_token="},
				{"global settings", apitest.Token, path(userID, global["pk"].(string)),
					&notify.EmailSettings{Host: sink.Host, Port: sink.Port, Username: "mailer", Password: "secret", From: "global@example.test", Timeout: 5 * time.Second},
					http.StatusNoContent, "Reset password"},
				{"helpdesk with object permissions", helper, path(userID, stage["pk"].(string)), oldGlobal, http.StatusNoContent, "Reset password"},
				{"global settings not configured", apitest.Token, path(userID, global["pk"].(string)), &notify.EmailSettings{}, http.StatusBadRequest, ""},
				{"unreachable mail server", apitest.Token, path(userID, down["pk"].(string)), oldGlobal, http.StatusBadRequest, ""},
				{"user without email", apitest.Token, path(noMailID, stage["pk"].(string)), oldGlobal, http.StatusBadRequest, ""},
				{"missing email_stage parameter", apitest.Token, "/core/users/" + userID + "/recovery_email/", oldGlobal, http.StatusBadRequest, ""},
				{"missing user", apitest.Token, path("999999", stage["pk"].(string)), oldGlobal, http.StatusNotFound, ""},
				{"missing stage", apitest.Token, path(userID, "00000000-0000-4000-8000-000000000000"), oldGlobal, http.StatusNotFound, ""},
				{"stage the helpdesk may not view", helper, path(userID, hiddenStage["pk"].(string)), oldGlobal, http.StatusNotFound, ""},
				{"user without permission", stranger, path(userID, stage["pk"].(string)), oldGlobal, http.StatusForbidden, ""},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					stagesapi.GlobalEmail = tc.global
					before := countTokens(t, h, "recovery")
					start := time.Now()
					res := h.DoAs(tc.token, http.MethodGet, tc.path, nil).Expect(t, tc.status)
					if time.Since(start) > 5*time.Second {
						t.Errorf("took %s", time.Since(start))
					}
					after := countTokens(t, h, "recovery")
					if tc.status != http.StatusNoContent {
						if after != before {
							t.Errorf("a refused request left %d new recovery tokens", after-before)
						}
						if sink.Pending() != 0 {
							t.Errorf("a refused request sent mail")
						}
						if tc.status == http.StatusBadRequest && len(res.Object()) == 0 {
							t.Errorf("400 without a message: %s", res.Body)
						}
						return
					}
					if after != before+1 {
						t.Errorf("recovery tokens %d → %d", before, after)
					}
					m := sink.Wait(t, 5*time.Second)
					if len(m.To) != 1 || m.To[0] != "fred@example.test" || m.Username != "mailer" {
						t.Errorf("mail to %v as %q", m.To, m.Username)
					}
					body := htmlPart(t, m.Data)
					if !strings.Contains(body, tc.contains) || !strings.Contains(body, "/if/flow/recover/?flow_token=") {
						t.Errorf("mail body lacks %q or the link:\n%s", tc.contains, body)
					}
				})
			}
		})
	}
}
