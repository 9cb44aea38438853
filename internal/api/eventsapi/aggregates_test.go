package eventsapi_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/apitest"
)

func TestActionsList(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := start(t, backend, nil)
			list := h.Do(http.MethodGet, "/events/events/actions/", nil).Expect(t, http.StatusOK).JSON.([]any)
			m, _ := h.App.Registry.Model("authentik_events.event")
			f, _ := m.Field("action")
			if len(list) != len(f.Enum) {
				t.Fatalf("%d actions, the model declares %d", len(list), len(f.Enum))
			}
			labels := map[string]string{}
			for i, item := range list {
				o := item.(map[string]any)
				if o["component"] != f.Enum[i] || o["description"] != "" || o["model_name"] != "" {
					t.Fatalf("action %d = %v, want component %s", i, o, f.Enum[i])
				}
				labels[o["component"].(string)] = o["name"].(string)
			}
			cases := []struct{ value, label string }{
				{"login", "Login"}, {"invitation_used", "Invite Used"}, {"custom_", "Custom Prefix"},
				{"property_mapping_exception", "Property Mapping Exception"},
			}
			for _, tc := range cases {
				t.Run(tc.value, func(t *testing.T) {
					if labels[tc.value] != tc.label {
						t.Fatalf("label %q, want %q", labels[tc.value], tc.label)
					}
				})
			}
			t.Run("needs credentials", func(t *testing.T) {
				h.DoAs("", http.MethodGet, "/events/events/actions/", nil).Expect(t, http.StatusForbidden)
			})
		})
	}
}

// ys extracts the y values of a coordinate list after checking its shape.
func ys(t *testing.T, r *apitest.Response, points int) []int {
	t.Helper()
	list := r.JSON.([]any)
	if len(list) != points {
		t.Fatalf("%d coordinates, want %d", len(list), points)
	}
	out := make([]int, len(list))
	prev := 0.0
	for i, item := range list {
		c := item.(map[string]any)
		x := c["x_cord"].(float64)
		if i > 0 && x >= prev {
			t.Fatalf("x_cord not descending at %d", i)
		}
		prev = x
		out[i] = int(c["y_cord"].(float64))
	}
	return out
}

func sum(v []int) int {
	n := 0
	for _, x := range v {
		n += x
	}
	return n
}

func TestPerMonth(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := start(t, backend, nil)
			now := time.Now()
			insertEvent(t, h, "login", now.Add(-time.Hour), nil, map[string]any{})
			insertEvent(t, h, "login", now.Add(-3*24*time.Hour-time.Hour), map[string]any{"username": "bob", "pk": 7}, map[string]any{})
			insertEvent(t, h, "login", now.Add(-40*24*time.Hour), nil, map[string]any{})
			insertEvent(t, h, "authorize_application", now.Add(-2*time.Hour), nil,
				map[string]any{"authorized_application": map[string]any{"pk": "abc", "name": "App"}})
			q := func(v url.Values) string { return "/events/events/per_month/?" + v.Encode() }
			cases := []struct {
				name   string
				path   string
				today  int
				threeD int
				total  int
			}{
				{"defaults to logins in the last four weeks", q(nil), 1, 1, 2},
				{"other action", q(url.Values{"action": {"authorize_application"}}), 1, 0, 1},
				{"json key lookup", q(url.Values{"action": {"authorize_application"},
					"query": {`{"context__authorized_application__pk": "abc"}`}}), 1, 0, 1},
				{"json key lookup is typed", q(url.Values{"query": {`{"user__pk": 7}`}}), 0, 1, 1},
				{"json key string does not match a number", q(url.Values{"query": {`{"user__pk": "7"}`}}), 0, 0, 0},
				{"field lookup", q(url.Values{"query": {`{"created__gte": "` + now.Add(-48*time.Hour).UTC().Format(time.RFC3339) + `"}`}}), 1, 0, 1},
				{"nothing matches", q(url.Values{"action": {"logout"}}), 0, 0, 0},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					y := ys(t, h.Do(http.MethodGet, tc.path, nil).Expect(t, http.StatusOK), 31)
					// Index 0 is one step in the future; index 1 counts
					// events less than a day old, index 4 three days old.
					if y[1] != tc.today || y[4] != tc.threeD || sum(y) != tc.total {
						t.Fatalf("y = %v, want today %d, 3 days %d, total %d", y, tc.today, tc.threeD, tc.total)
					}
				})
			}
			bad := []struct{ name, query string }{
				{"not json", "{nope"},
				{"not an object", "[1]"},
				{"unknown field", `{"nope": 1}`},
				{"unsupported json lookup", `{"context__x__icontains": "a"}`},
				{"bad value for field", `{"created__gte": "yesterday"}`},
			}
			for _, tc := range bad {
				t.Run(tc.name, func(t *testing.T) {
					r := h.Do(http.MethodGet, q(url.Values{"query": {tc.query}}), nil).Expect(t, http.StatusBadRequest)
					if r.Object()["query"] == nil {
						t.Fatalf("400 without a query error: %s", r.Body)
					}
				})
			}
		})
	}
}

func TestTopPerUser(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := start(t, backend, nil)
			now := time.Now()
			appA := map[string]any{"pk": "aaa", "app": "authentik_core", "name": "A", "model_name": "application"}
			appB := map[string]any{"pk": "bbb", "app": "authentik_core", "name": "B", "model_name": "application"}
			u1 := map[string]any{"username": "one", "pk": 1}
			u2 := map[string]any{"username": "two", "pk": 2}
			for _, e := range []struct {
				user map[string]any
				app  map[string]any
			}{{u1, appA}, {u1, appA}, {u2, appA}, {u1, appB}} {
				insertEvent(t, h, "authorize_application", now, e.user, map[string]any{"authorized_application": e.app})
			}
			insertEvent(t, h, "authorize_application", now, u1, map[string]any{"other": 1})
			insertEvent(t, h, "login", now, u2, map[string]any{"authorized_application": appB})
			cases := []struct {
				name  string
				query string
				want  [][3]any // application name, events, users
			}{
				{"ranked by events", "action=authorize_application", [][3]any{{"A", 3.0, 2.0}, {"B", 1.0, 1.0}}},
				{"top n", "action=authorize_application&top_n=1", [][3]any{{"A", 3.0, 2.0}}},
				{"zero", "action=authorize_application&top_n=0", [][3]any{}},
				{"defaults to logins", "", [][3]any{{"B", 1.0, 1.0}}},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					list := h.Do(http.MethodGet, "/events/events/top_per_user/?"+tc.query, nil).Expect(t, http.StatusOK).JSON.([]any)
					if len(list) != len(tc.want) {
						t.Fatalf("got %v, want %v", list, tc.want)
					}
					for i, w := range tc.want {
						o := list[i].(map[string]any)
						if o["application"].(map[string]any)["name"] != w[0] || o["counted_events"] != w[1] || o["unique_users"] != w[2] {
							t.Fatalf("entry %d = %v, want %v", i, o, w)
						}
					}
				})
			}
			for _, bad := range []string{"top_n=abc", "top_n=-1"} {
				t.Run(bad, func(t *testing.T) {
					r := h.Do(http.MethodGet, "/events/events/top_per_user/?"+bad, nil).Expect(t, http.StatusBadRequest)
					if r.Object()["top_n"] == nil {
						t.Fatalf("400 without a top_n error: %s", r.Body)
					}
				})
			}
		})
	}
}

func TestVolume(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := start(t, backend, nil)
			now := time.Now()
			flow := map[string]any{"model": map[string]any{"app": "authentik_flows", "model_name": "flow", "pk": "f1"}}
			user := map[string]any{"model": map[string]any{"app": "authentik_core", "model_name": "user", "pk": 5}}
			insertEvent(t, h, "model_created", now.Add(-time.Hour), nil, flow)
			insertEvent(t, h, "model_updated", now.Add(-2*24*time.Hour-time.Hour), nil, flow)
			insertEvent(t, h, "model_created", now.Add(-time.Hour), map[string]any{"username": "bob", "pk": 9}, user)
			insertEvent(t, h, "model_created", now.Add(-10*24*time.Hour), nil, flow)
			cases := []struct {
				name       string
				query      string
				today, two int
			}{
				{"everything in the last week", "", 2, 1},
				{"context model name", "context_model_name=flow", 1, 1},
				{"action", "action=model_created", 2, 0},
				{"username", "username=bob", 1, 0},
				{"context model pk", "context_model_pk=5", 1, 0},
				{"search", "search=authentik_flows", 1, 1},
				{"filters combine", "action=model_updated&context_model_app=authentik_flows", 0, 1},
				{"nothing matches", "client_ip=192.0.2.1", 0, 0},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					y := ys(t, h.Do(http.MethodGet, "/events/events/volume/?"+tc.query, nil).Expect(t, http.StatusOK), 22)
					if y[1] != tc.today || y[3] != tc.two || sum(y) != tc.today+tc.two {
						t.Fatalf("y = %v, want today %d, two days %d", y, tc.today, tc.two)
					}
				})
			}
			t.Run("caller without view permission sees nothing", func(t *testing.T) {
				_, token := userWithToken(t, h, "viewer")
				y := ys(t, h.DoAs(token, http.MethodGet, "/events/events/volume/", nil).Expect(t, http.StatusOK), 22)
				if sum(y) != 0 {
					t.Fatalf("y = %v, want nothing visible", y)
				}
			})
			t.Run("needs credentials", func(t *testing.T) {
				h.DoAs("", http.MethodGet, "/events/events/volume/", nil).Expect(t, http.StatusForbidden)
			})
		})
	}
}

func TestMarkAllSeen(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := start(t, backend, nil)
			bob, token := userWithToken(t, h, "bob")
			nm, _ := h.App.Registry.Model("authentik_events.notification")
			admin := adminPK(t, h)
			for _, u := range []int64{admin, admin, bob} {
				insertNotification(t, h, u)
			}
			unseen := func(user int64) int64 {
				return count(t, h, "authentik_events.notification", storeAnd(nm, user, false))
			}
			cases := []struct {
				name           string
				token          string
				admin, bobLeft int64
			}{
				{"admin marks only their own", apitest.Token, 0, 1},
				{"bob marks his", token, 0, 0},
				{"again is harmless", token, 0, 0},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					r := h.DoAs(tc.token, http.MethodPost, "/events/notifications/mark_all_seen/", nil).Expect(t, http.StatusNoContent)
					if len(r.Body) != 0 {
						t.Fatalf("204 with a body: %s", r.Body)
					}
					if a, b := unseen(admin), unseen(bob); a != tc.admin || b != tc.bobLeft {
						t.Fatalf("unseen admin %d bob %d, want %d %d", a, b, tc.admin, tc.bobLeft)
					}
				})
			}
			t.Run("needs credentials", func(t *testing.T) {
				insertNotification(t, h, bob)
				h.DoAs("", http.MethodPost, "/events/notifications/mark_all_seen/", nil).Expect(t, http.StatusForbidden)
				if unseen(bob) != 1 {
					t.Fatal("an unauthenticated call changed notifications")
				}
			})
		})
	}
}
