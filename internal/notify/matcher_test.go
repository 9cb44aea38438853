package notify_test

import (
	"testing"

	"github.com/akgo/akgo/internal/notify"
)

func TestMatcherPolicy(t *testing.T) {
	ev := &notify.Event{Action: "login", App: "authentik.flows", ClientIP: "1.2.3.4",
		Context: map[string]any{"model": map[string]any{"app": "authentik_core", "model_name": "user"}}}
	cases := []struct {
		name   string
		policy notify.MatcherPolicy
		want   bool
		msgs   int
	}{
		{"action", notify.MatcherPolicy{Action: "login"}, true, 1},
		{"client ip", notify.MatcherPolicy{ClientIP: "1.2.3.4"}, true, 1},
		{"app", notify.MatcherPolicy{App: "authentik.flows"}, true, 1},
		{"model", notify.MatcherPolicy{Model: "authentik_core.user"}, true, 1},
		{"wrong client ip", notify.MatcherPolicy{ClientIP: "1.2.3.5"}, false, 1},
		{"all wrong", notify.MatcherPolicy{ClientIP: "1.2.3.5", App: "bar"}, false, 2},
		{"any criterion is enough", notify.MatcherPolicy{Action: "logout", App: "authentik.flows"}, true, 2},
		{"nothing configured", notify.MatcherPolicy{}, false, 0},
		{"wrong model", notify.MatcherPolicy{Model: "authentik_core.group"}, false, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, msgs := tc.policy.Match(ev)
			if got != tc.want || len(msgs) != tc.msgs {
				t.Fatalf("Match = %v %v, want %v with %d messages", got, msgs, tc.want, tc.msgs)
			}
		})
	}
	t.Run("model of an event without one", func(t *testing.T) {
		if ok, _ := (notify.MatcherPolicy{Model: "None.None"}).Match(&notify.Event{Context: map[string]any{}}); !ok {
			t.Fatal("authentik compares against 'None.None' when the event has no model")
		}
	})
}
