package notify_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/notify"
	"github.com/akgo/akgo/internal/registry"
)

// TestSendWebhook covers the webhook paths that need no database.
func TestSendWebhook(t *testing.T) {
	d, err := notify.New(engine.New(nil, registry.Default(), nil), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			http.Error(w, "nope", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, "thanks")
	}))
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/"
	ln.Close()
	n := &notify.Notification{Severity: "notice", Body: "b", User: notify.User{Username: "u"}}
	cases := []struct {
		name        string
		transport   notify.Transport
		ok          bool
		unreachable bool
		final       bool
	}{
		{"delivered", notify.Transport{Mode: notify.ModeWebhook, WebhookURL: srv.URL + "/ok"}, true, false, false},
		{"slack delivered", notify.Transport{Mode: notify.ModeWebhookSlack, WebhookURL: srv.URL + "/ok"}, true, false, false},
		{"receiver error is retried", notify.Transport{Mode: notify.ModeWebhook, WebhookURL: srv.URL + "/fail"}, false, false, false},
		{"nothing listening", notify.Transport{Mode: notify.ModeWebhook, WebhookURL: closed}, false, true, false},
		{"not a url", notify.Transport{Mode: notify.ModeWebhook, WebhookURL: "::"}, false, false, true},
		{"mapping without expression engine", notify.Transport{Mode: notify.ModeWebhook, WebhookURL: srv.URL,
			Mapping: &notify.Mapping{Name: "m", Expression: "return {}"}}, false, false, true},
		{"unknown mode", notify.Transport{Mode: "pigeon"}, false, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msgs, err := d.Send(context.Background(), &tc.transport, n)
			if tc.ok {
				if err != nil || len(msgs) != 2 || msgs[0] != "200" || msgs[1] != "thanks" {
					t.Fatalf("messages %v, err %v", msgs, err)
				}
				return
			}
			te, ok := notify.AsTransportError(err)
			if !ok || te.Unreachable != tc.unreachable || te.Final != tc.final {
				t.Fatalf("err = %#v, want unreachable %v final %v", err, tc.unreachable, tc.final)
			}
		})
	}
}
