package notify_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/notify"
	"github.com/akgo/akgo/internal/notify/notifytest"
)

func testMessage(t *testing.T) *notify.EmailMessage {
	t.Helper()
	n := &notify.Notification{Severity: "notice", Body: "Something <happened>",
		User:  notify.User{Username: "akadmin", Email: "root@localhost"},
		Event: &notify.Event{Action: "login", Context: map[string]any{"message": "hi", "n": 1}}}
	m, err := notify.NotificationEmail(n, "authentik@localhost")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestNotificationEmail(t *testing.T) {
	m := testMessage(t)
	cases := []struct {
		name string
		ok   bool
	}{
		{"subject names the action", m.Subject == "authentik Notification: login"},
		{"html escapes the body", strings.Contains(m.HTML, "Something &lt;happened&gt;")},
		{"text context listed", strings.Contains(m.Text, "message: hi")},
		{"non-text context skipped", !strings.Contains(m.Text, "n: 1")},
		{"addressed to the user", len(m.To) == 1 && m.To[0] == "root@localhost"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.ok {
				t.Fatalf("message: %+v", m)
			}
		})
	}
	t.Run("without event the subject starts the body", func(t *testing.T) {
		m, err := notify.NotificationEmail(&notify.Notification{Body: strings.Repeat("x", 100),
			User: notify.User{Email: "a@b.c"}}, "authentik@localhost")
		if err != nil || m.Subject != "authentik Notification: "+strings.Repeat("x", 75) {
			t.Fatalf("subject %q, err %v", m.Subject, err)
		}
	})
	t.Run("user without email", func(t *testing.T) {
		_, err := notify.NotificationEmail(&notify.Notification{User: notify.User{Username: "x"}}, "authentik@localhost")
		if te, ok := notify.AsTransportError(err); !ok || te.Unreachable {
			t.Fatalf("err = %v, want a transport error", err)
		}
	})
}

func TestSendMail(t *testing.T) {
	cases := []struct {
		name     string
		sink     notifytest.Options
		settings func(s *notifytest.Sink) notify.EmailSettings
		tls      bool
		user     string
	}{
		{"plain", notifytest.Options{}, func(s *notifytest.Sink) notify.EmailSettings {
			return notify.EmailSettings{Host: s.Host, Port: s.Port, Timeout: 5 * time.Second}
		}, false, ""},
		{"starttls with auth", notifytest.Options{StartTLS: true, Username: "mailer", Password: "secret"}, func(s *notifytest.Sink) notify.EmailSettings {
			return notify.EmailSettings{Host: s.Host, Port: s.Port, UseTLS: true, Username: "mailer", Password: "secret",
				Timeout: 5 * time.Second, TLSConfig: s.ClientTLS()}
		}, true, "mailer"},
		{"implicit tls", notifytest.Options{Implicit: true}, func(s *notifytest.Sink) notify.EmailSettings {
			return notify.EmailSettings{Host: s.Host, Port: s.Port, UseSSL: true, Timeout: 5 * time.Second, TLSConfig: s.ClientTLS()}
		}, true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sink := notifytest.Start(t, tc.sink)
			if err := notify.SendMail(context.Background(), tc.settings(sink), testMessage(t), time.Now()); err != nil {
				t.Fatalf("SendMail: %v", err)
			}
			got := sink.Wait(t, 5*time.Second)
			if got.From != "authentik@localhost" || len(got.To) != 1 || got.To[0] != "root@localhost" {
				t.Fatalf("envelope %s → %v", got.From, got.To)
			}
			if got.TLS != tc.tls || got.Username != tc.user {
				t.Fatalf("tls %v user %q, want %v %q", got.TLS, got.Username, tc.tls, tc.user)
			}
			for _, want := range []string{"Subject: authentik Notification: login", "multipart/alternative", "text/html"} {
				if !strings.Contains(got.Data, want) {
					t.Fatalf("message lacks %q:\n%s", want, got.Data)
				}
			}
		})
	}
}

func TestSendMailFailures(t *testing.T) {
	closedPort := func(t *testing.T) int {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		return port
	}
	silent := func(t *testing.T) int {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				t.Cleanup(func() { c.Close() })
			}
		}()
		return ln.Addr().(*net.TCPAddr).Port
	}
	cases := []struct {
		name        string
		settings    func(t *testing.T) notify.EmailSettings
		unreachable bool
		contains    string
	}{
		{"connection refused", func(t *testing.T) notify.EmailSettings {
			return notify.EmailSettings{Host: "127.0.0.1", Port: closedPort(t), Timeout: 2 * time.Second}
		}, true, "could not be reached"},
		{"server never greets", func(t *testing.T) notify.EmailSettings {
			return notify.EmailSettings{Host: "127.0.0.1", Port: silent(t), Timeout: 200 * time.Millisecond}
		}, true, "stopped answering"},
		{"recipient refused", func(t *testing.T) notify.EmailSettings {
			s := notifytest.Start(t, notifytest.Options{RejectRecipients: true})
			return notify.EmailSettings{Host: s.Host, Port: s.Port, Timeout: 2 * time.Second}
		}, false, "550"},
		{"no starttls offered", func(t *testing.T) notify.EmailSettings {
			s := notifytest.Start(t, notifytest.Options{})
			return notify.EmailSettings{Host: s.Host, Port: s.Port, UseTLS: true, Timeout: 2 * time.Second}
		}, false, "STARTTLS"},
		{"untrusted certificate", func(t *testing.T) notify.EmailSettings {
			s := notifytest.Start(t, notifytest.Options{Implicit: true})
			return notify.EmailSettings{Host: s.Host, Port: s.Port, UseSSL: true, Timeout: 2 * time.Second}
		}, false, "certificate"},
		{"wrong password", func(t *testing.T) notify.EmailSettings {
			s := notifytest.Start(t, notifytest.Options{StartTLS: true, Username: "u", Password: "p"})
			return notify.EmailSettings{Host: s.Host, Port: s.Port, UseTLS: true, Username: "u", Password: "nope",
				Timeout: 2 * time.Second, TLSConfig: s.ClientTLS()}
		}, false, "535"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			err := notify.SendMail(context.Background(), tc.settings(t), testMessage(t), time.Now())
			te, ok := notify.AsTransportError(err)
			if !ok {
				t.Fatalf("err = %v, want a transport error", err)
			}
			if te.Unreachable != tc.unreachable || !strings.Contains(te.Msg, tc.contains) {
				t.Fatalf("err = %q (unreachable %v), want %q (unreachable %v)", te.Msg, te.Unreachable, tc.contains, tc.unreachable)
			}
			if time.Since(start) > 3*time.Second {
				t.Fatalf("took %v: the timeout did not bound it", time.Since(start))
			}
		})
	}
}
