package eventsapi_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/notify"
	"github.com/akgo/akgo/internal/notify/notifytest"
	"github.com/akgo/akgo/internal/store"
)

// closedURL is an http URL nothing listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/hook"
}

func TestTransportValidation(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := start(t, backend, nil)
			cases := []struct {
				name   string
				body   map[string]any
				status int
				field  string
			}{
				{"webhook needs a url", map[string]any{"name": "a", "mode": "webhook"}, http.StatusBadRequest, "webhook_url"},
				{"slack needs a url", map[string]any{"name": "b", "mode": "webhook_slack", "webhook_url": ""}, http.StatusBadRequest, "webhook_url"},
				{"url must be a url", map[string]any{"name": "c", "mode": "webhook", "webhook_url": "not a url"}, http.StatusBadRequest, "webhook_url"},
				{"scheme must be web", map[string]any{"name": "d", "mode": "webhook", "webhook_url": "gopher://x/"}, http.StatusBadRequest, "webhook_url"},
				{"domainless url is fine", map[string]any{"name": "e", "mode": "webhook", "webhook_url": "http://hooks:8080/x"}, http.StatusCreated, ""},
				{"local needs none", map[string]any{"name": "f", "mode": "local"}, http.StatusCreated, ""},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					before := count(t, h, "authentik_events.notificationtransport", nil)
					r := h.Do(http.MethodPost, "/events/transports/", tc.body).Expect(t, tc.status)
					if tc.field != "" {
						if r.Object()[tc.field] == nil {
							t.Fatalf("400 without a %s error: %s", tc.field, r.Body)
						}
						if count(t, h, "authentik_events.notificationtransport", nil) != before {
							t.Fatal("a rejected transport was stored")
						}
					}
				})
			}
		})
	}
}

func TestTransportTest(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			sink := notifytest.Start(t, notifytest.Options{StartTLS: true})
			h := start(t, backend, func(s *notify.Settings) {
				s.Email = notify.EmailSettings{Host: sink.Host, Port: sink.Port, UseTLS: true, Timeout: 3 * time.Second,
					From: "authentik@example.com", TLSConfig: sink.ClientTLS()}
			})
			ok := newReceiver(t, http.StatusOK)
			failing := newReceiver(t, http.StatusInternalServerError)
			admin := adminPK(t, h)
			mapping := create(t, h, "/propertymappings/notification/", map[string]any{"name": "m",
				"expression": `return {"text": notification["body"], "who": notification["user"].username, "action": notification["event"]["action"]}`})
			broken := create(t, h, "/propertymappings/notification/", map[string]any{"name": "broken",
				"expression": `return notification["missing"]`})
			transport := func(body map[string]any) string { return create(t, h, "/events/transports/", body) }
			test := func(pk string) string { return "/events/transports/" + pk + "/test/" }

			t.Run("local stores a notification", func(t *testing.T) {
				pk := transport(map[string]any{"name": "local", "mode": "local"})
				r := h.Do(http.MethodPost, test(pk), nil).Expect(t, http.StatusOK).Object()
				if msgs := r["messages"].([]any); len(msgs) != 0 {
					t.Fatalf("messages %v", msgs)
				}
				if n := count(t, h, "authentik_events.notification", store.And(store.Eq("user", admin),
					store.Eq("body", "Test Notification from transport local"))); n != 1 {
					t.Fatalf("%d test notifications stored", n)
				}
			})
			t.Run("webhook posts authentik's body", func(t *testing.T) {
				pk := transport(map[string]any{"name": "hook", "mode": "webhook", "webhook_url": ok.URL})
				r := h.Do(http.MethodPost, test(pk), nil).Expect(t, http.StatusOK).Object()
				msgs := r["messages"].([]any)
				if len(msgs) != 2 || msgs[0] != "200" || msgs[1] != "received" {
					t.Fatalf("messages %v", msgs)
				}
				b := ok.wait(t)
				if b["body"] != "Test Notification from transport hook" || b["severity"] != "notice" ||
					b["user_username"] != "akadmin" || b["user_email"] != "root@localhost" || b["event_user_username"] != "akadmin" {
					t.Fatalf("body %v", b)
				}
			})
			t.Run("slack posts attachments", func(t *testing.T) {
				pk := transport(map[string]any{"name": "slack", "mode": "webhook_slack", "webhook_url": ok.URL})
				h.Do(http.MethodPost, test(pk), nil).Expect(t, http.StatusOK)
				b := ok.wait(t)
				att := b["attachments"].([]any)[0].(map[string]any)
				if b["username"] != "authentik" || att["title"] != "custom_notification_test" || att["footer"] != "authentik v2023.10.4" {
					t.Fatalf("slack body %v", b)
				}
			})
			t.Run("webhook mapping shapes the body", func(t *testing.T) {
				pk := transport(map[string]any{"name": "mapped", "mode": "webhook", "webhook_url": ok.URL, "webhook_mapping": mapping})
				h.Do(http.MethodPost, test(pk), nil).Expect(t, http.StatusOK)
				b := ok.wait(t)
				if len(b) != 3 || b["text"] != "Test Notification from transport mapped" || b["who"] != "akadmin" ||
					b["action"] != "custom_notification_test" {
					t.Fatalf("mapped body %v", b)
				}
			})
			t.Run("email reaches the smtp sink", func(t *testing.T) {
				pk := transport(map[string]any{"name": "mail", "mode": "email"})
				r := h.Do(http.MethodPost, test(pk), nil).Expect(t, http.StatusOK).Object()
				if msgs := r["messages"].([]any); len(msgs) != 1 {
					t.Fatalf("messages %v", msgs)
				}
				m := sink.Wait(t, 5*time.Second)
				if m.From != "authentik@example.com" || m.To[0] != "root@localhost" || !m.TLS ||
					!strings.Contains(m.Data, "Subject: authentik Notification: custom_notification_test") {
					t.Fatalf("mail %+v", m)
				}
				idle(t, h)
				if n := count(t, h, "authentik_events.event", store.Eq("action", "email_sent")); n != 1 {
					t.Fatalf("%d email_sent events, want 1", n)
				}
			})
			failures := []struct {
				name   string
				body   map[string]any
				status int
				want   string
			}{
				{"receiver error is a 400", map[string]any{"name": "bad", "mode": "webhook", "webhook_url": failing.URL}, http.StatusBadRequest, "500"},
				{"unreachable webhook is a 503", map[string]any{"name": "gone", "mode": "webhook", "webhook_url": closedURL(t)}, http.StatusServiceUnavailable, "could not be reached"},
				{"unreachable slack is a 503", map[string]any{"name": "gone2", "mode": "webhook_slack", "webhook_url": closedURL(t)}, http.StatusServiceUnavailable, "could not be reached"},
				{"failing mapping", map[string]any{"name": "broken", "mode": "webhook", "webhook_url": ok.URL, "webhook_mapping": broken},
					http.StatusBadRequest, "webhook mapping broken failed"},
			}
			for _, tc := range failures {
				t.Run(tc.name, func(t *testing.T) {
					status, body := raw(t, h, http.MethodPost, test(transport(tc.body)))
					if status != tc.status {
						t.Fatalf("status %d, want %d: %v", status, tc.status, body)
					}
					msg := ""
					if d, ok := body["detail"].(string); ok {
						msg = d
					} else if l, ok := body["non_field_errors"].([]any); ok && len(l) == 1 {
						msg = l[0].(string)
					}
					if !strings.Contains(msg, tc.want) {
						t.Fatalf("error %v does not mention %q", body, tc.want)
					}
				})
			}
			t.Run("documented failures validate", func(t *testing.T) {
				pk := transport(map[string]any{"name": "bad2", "mode": "webhook", "webhook_url": failing.URL})
				h.Do(http.MethodPost, test(pk), nil).Expect(t, http.StatusBadRequest)
			})
			t.Run("unknown transport", func(t *testing.T) {
				h.Do(http.MethodPost, test("00000000-0000-4000-8000-000000000009"), nil).Expect(t, http.StatusNotFound)
			})
			t.Run("malformed uuid", func(t *testing.T) {
				status, _ := raw(t, h, http.MethodPost, test("nope"))
				if status != http.StatusNotFound {
					t.Fatalf("status %d, want 404", status)
				}
			})
			t.Run("caller without change permission", func(t *testing.T) {
				pk := transport(map[string]any{"name": "guarded", "mode": "webhook", "webhook_url": ok.URL})
				_, token := userWithToken(t, h, "nobody")
				before := ok.count()
				h.DoAs(token, http.MethodPost, test(pk), nil).Expect(t, http.StatusForbidden)
				if ok.count() != before {
					t.Fatal("a forbidden test sent a webhook")
				}
			})
		})
	}
}

func TestTransportTestTimeouts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	release := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	t.Cleanup(func() { close(release); hanging.Close() })
	h := start(t, "sqlite", func(s *notify.Settings) {
		s.Email = notify.EmailSettings{Host: "127.0.0.1", Port: port, Timeout: 2 * time.Second, From: "authentik@localhost"}
		s.WebhookTimeout = 300 * time.Millisecond
	})
	cases := []struct {
		name string
		body map[string]any
		want string
	}{
		{"smtp server down", map[string]any{"name": "mail", "mode": "email"}, "SMTP server"},
		{"webhook never answers", map[string]any{"name": "slow", "mode": "webhook", "webhook_url": hanging.URL}, "could not be reached"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pk := create(t, h, "/events/transports/", tc.body)
			began := time.Now()
			status, body := raw(t, h, http.MethodPost, "/events/transports/"+pk+"/test/")
			detail, _ := body["detail"].(string)
			if status != http.StatusServiceUnavailable || !strings.Contains(detail, tc.want) {
				t.Fatalf("status %d body %v, want 503 mentioning %q", status, body, tc.want)
			}
			if time.Since(began) > 3*time.Second {
				t.Fatalf("answered after %v", time.Since(began))
			}
		})
	}
}
