package notify_test

import (
	"encoding/json"
	"testing"

	"github.com/akgo/akgo/internal/notify"
)

func TestWebhookPayload(t *testing.T) {
	user := notify.User{PK: 1, Username: "akadmin", Email: "root@localhost"}
	cases := []struct {
		name string
		n    *notify.Notification
		want string
	}{
		{"with event user", &notify.Notification{Severity: "alert", Body: "b", User: user,
			Event: &notify.Event{User: map[string]any{"username": "bob", "pk": json.Number("2")}}},
			`{"body":"b","severity":"alert","user_email":"root@localhost","user_username":"akadmin","event_user_email":null,"event_user_username":"bob"}`},
		{"without event", &notify.Notification{Severity: "notice", Body: "b", User: user},
			`{"body":"b","severity":"notice","user_email":"root@localhost","user_username":"akadmin"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(notify.WebhookPayload(tc.n))
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Fatalf("payload %s\nwant    %s", b, tc.want)
			}
		})
	}
}

func TestSlackPayload(t *testing.T) {
	ctx := map[string]any{"message": "hello", "count": json.Number("3")}
	for i := 0; i < 40; i++ {
		ctx[string(rune('a'+i%26))+string(rune('a'+i/26))] = "v"
	}
	n := &notify.Notification{Severity: "warning", Body: "body", User: notify.User{Username: "akadmin"},
		Event: &notify.Event{Action: "login", Context: ctx}}
	p := notify.SlackPayload(n, "2023.10.4")
	att := p["attachments"].([]any)[0].(map[string]any)
	fields := att["fields"].([]any)
	cases := []struct {
		name      string
		got, want any
	}{
		{"title is the action", att["title"], "login"},
		{"footer names the version", att["footer"], "authentik v2023.10.4"},
		{"Discord's field limit", len(fields), 25},
		{"severity first", fields[0].(map[string]any)["value"], "warning"},
		{"recipient second", fields[1].(map[string]any)["value"], "akadmin"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Fatalf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
	t.Run("non-text context is skipped", func(t *testing.T) {
		for _, f := range fields {
			if f.(map[string]any)["title"] == "count" {
				t.Fatal("numeric context value became a field")
			}
		}
	})
}
