package policies

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/expression"
	"github.com/akgo/akgo/internal/store"
)

// test runs one policy through the policy test entry point.
func (f *fixture) test(pk string, req *Request) *Result {
	f.t.Helper()
	res, err := f.pe.Test(f.ctx, pk, req)
	if err != nil {
		f.t.Fatalf("test policy: %v", err)
	}
	return res
}

func TestDummyPolicy(t *testing.T) {
	f := newFixture(t, "sqlite")
	var slept []time.Duration
	f.pe.Sleep = func(ctx context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	f.pe.RandInt = func(n int) int { return n - 1 }
	cases := []struct {
		name     string
		body     map[string]any
		passing  bool
		messages []string
		wait     time.Duration
	}{
		{"passes after waiting", map[string]any{"result": true, "wait_min": float64(1), "wait_max": float64(3)}, true, []string{"dummy"}, 2 * time.Second},
		{"fails with its result", map[string]any{"result": false, "wait_min": float64(0), "wait_max": float64(1)}, false, []string{"dummy"}, 0},
		{"empty range is an exception", map[string]any{"result": true, "wait_min": float64(5), "wait_max": float64(5)}, false, []string{"empty range for randrange() (5, 5, 0)"}, -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			slept = nil
			res := f.test(f.policy("/policies/dummy/", tc.body), &Request{})
			if res.Passing != tc.passing || !reflect.DeepEqual(res.Messages, tc.messages) {
				t.Fatalf("got %v %q", res.Passing, res.Messages)
			}
			if tc.wait >= 0 && (len(slept) != 1 || slept[0] != tc.wait) {
				t.Fatalf("slept %v, want %v", slept, tc.wait)
			}
		})
	}
	t.Run("binding timeout cancels the wait", func(t *testing.T) {
		f.pe.Sleep = sleep
		f.pe.RandInt = func(int) int { return 0 }
		target := f.flow("all")
		f.bind(target, 0, map[string]any{"policy": f.policy("/policies/dummy/", map[string]any{"result": true, "wait_min": float64(30), "wait_max": float64(31)}),
			"timeout": float64(1)})
		start := time.Now()
		res, err := f.pe.Evaluate(f.ctx, target, &Request{})
		if err != nil || res.Passing || time.Since(start) > 5*time.Second {
			t.Fatalf("got %v %q after %s (%v)", res.Passing, res.Messages, time.Since(start), err)
		}
	})
}

func TestEventMatcherPolicy(t *testing.T) {
	f := newFixture(t, "sqlite")
	event := map[string]any{"action": "login", "app": "authentik.events", "client_ip": "192.0.2.1",
		"context": map[string]any{"model": map[string]any{"app": "authentik_core", "model_name": "user"}}}
	cases := []struct {
		name     string
		body     map[string]any
		ctx      map[string]any
		passing  bool
		messages []string
	}{
		{"no event fails", map[string]any{"action": "login"}, map[string]any{}, false, nil},
		{"action matches", map[string]any{"action": "login"}, map[string]any{"event": event}, true, []string{"Action matched."}},
		{"action differs", map[string]any{"action": "logout"}, map[string]any{"event": event}, false, nil},
		{"all criteria match: the first one answers", map[string]any{"action": "login", "app": "authentik.events", "client_ip": "192.0.2.1", "model": "authentik_core.user"},
			map[string]any{"event": event}, true, []string{"Action matched."}},
		{"one matching criterion is enough", map[string]any{"action": "logout", "model": "authentik_core.user"}, map[string]any{"event": event}, true,
			[]string{"Model matched."}},
		{"no criterion matches", map[string]any{"action": "logout", "model": "authentik_core.group"}, map[string]any{"event": event}, false, nil},
		{"no criteria fails", map[string]any{}, map[string]any{"event": event}, false, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := f.test(f.policy("/policies/event_matcher/", tc.body), &Request{Context: tc.ctx})
			if res.Passing != tc.passing || !reflect.DeepEqual(res.Messages, tc.messages) {
				t.Fatalf("got %v %q, want %v %q", res.Passing, res.Messages, tc.passing, tc.messages)
			}
		})
	}
}

// pwned is a fake Have I Been Pwned range endpoint knowing one password.
func pwned(t *testing.T, password string, count int) (*httptest.Server, *[]string) {
	sum := sha1.Sum([]byte(password))
	hash := strings.ToUpper(hex.EncodeToString(sum[:]))
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		prefix := strings.TrimPrefix(r.URL.Path, "/range/")
		asked = append(asked, prefix)
		fmt.Fprintf(w, "0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n")
		if strings.EqualFold(prefix, hash[:5]) {
			fmt.Fprintf(w, "%s:%d\r\n", hash[5:], count)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &asked
}

func TestPasswordPolicy(t *testing.T) {
	f := newFixture(t, "sqlite")
	srv, asked := pwned(t, "hunter2", 42)
	f.pe.HIBPURL = srv.URL + "/range/"
	user := f.user("pw-user")
	static := map[string]any{"check_static_rules": true, "length_min": float64(8), "amount_digits": float64(1), "amount_uppercase": float64(1),
		"amount_lowercase": float64(1), "amount_symbols": float64(1), "error_message": "too weak"}
	cases := []struct {
		name     string
		body     map[string]any
		ctx      map[string]any
		passing  bool
		messages []string
	}{
		{"missing password", static, map[string]any{}, false, []string{"Password not set in context"}},
		{"static rules pass", static, map[string]any{"prompt_data": map[string]any{"password": "Abcdef1!"}}, true, nil},
		{"static too short", static, map[string]any{"prompt_data": map[string]any{"password": "Ab1!"}}, false, []string{"too weak"}},
		{"static no upper", static, map[string]any{"prompt_data": map[string]any{"password": "abcdef1!"}}, false, []string{"too weak"}},
		{"static no symbol", static, map[string]any{"prompt_data": map[string]any{"password": "Abcdefg1"}}, false, []string{"too weak"}},
		{"field from context", map[string]any{"password_field": "new_pw", "length_min": float64(3), "error_message": "short"},
			map[string]any{"new_pw": "ab"}, false, []string{"short"}},
		{"hibp listed", map[string]any{"check_static_rules": false, "check_have_i_been_pwned": true},
			map[string]any{"prompt_data": map[string]any{"password": "hunter2"}}, false, []string{"Password exists on 42 online lists."}},
		{"hibp allowed count", map[string]any{"check_static_rules": false, "check_have_i_been_pwned": true, "hibp_allowed_count": float64(50)},
			map[string]any{"prompt_data": map[string]any{"password": "hunter2"}}, true, nil},
		{"hibp not listed", map[string]any{"check_static_rules": false, "check_have_i_been_pwned": true},
			map[string]any{"prompt_data": map[string]any{"password": "correct horse battery staple"}}, true, nil},
		{"zxcvbn weak", map[string]any{"check_static_rules": false, "check_zxcvbn": true, "zxcvbn_score_threshold": float64(2)},
			map[string]any{"prompt_data": map[string]any{"password": "Password1"}}, false,
			[]string{"Add another word or two. Uncommon words are better.", "Capitalization doesn't help very much."}},
		{"zxcvbn user input is weak", map[string]any{"check_static_rules": false, "check_zxcvbn": true, "zxcvbn_score_threshold": float64(1)},
			map[string]any{"prompt_data": map[string]any{"password": "pw-user"}}, false, []string{"Add another word or two. Uncommon words are better."}},
		{"zxcvbn strong", map[string]any{"check_static_rules": false, "check_zxcvbn": true, "zxcvbn_score_threshold": float64(2)},
			map[string]any{"prompt_data": map[string]any{"password": "vK9#pQz!2mXr&Lw7"}}, true, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := f.test(f.policy("/policies/password/", copyMap(tc.body)), &Request{User: user, Context: tc.ctx})
			if res.Passing != tc.passing || !reflect.DeepEqual(res.Messages, tc.messages) {
				t.Fatalf("got %v %q, want %v %q", res.Passing, res.Messages, tc.passing, tc.messages)
			}
		})
	}
	for _, prefix := range *asked {
		if len(prefix) != 5 {
			t.Fatalf("HIBP was sent %q: only the five-character hash prefix may leave", prefix)
		}
	}
	t.Run("hibp unavailable uses failure_result", func(t *testing.T) {
		f.pe.HIBPURL = "http://127.0.0.1:1/range/"
		target := f.flow("all")
		f.bind(target, 0, map[string]any{"policy": f.policy("/policies/password/", map[string]any{"check_static_rules": false, "check_have_i_been_pwned": true}),
			"failure_result": true})
		res, err := f.pe.Evaluate(f.ctx, target, &Request{User: user, Context: map[string]any{"prompt_data": map[string]any{"password": "x"}}})
		if err != nil || !res.Passing || !strings.Contains(res.Messages[0], "have i been pwned") {
			t.Fatalf("got %v %q (%v)", res.Passing, res.Messages, err)
		}
	})
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func TestPasswordExpiryPolicy(t *testing.T) {
	f := newFixture(t, "sqlite")
	now := time.Date(2024, 1, 31, 12, 0, 0, 0, time.UTC)
	f.core.Now = func() time.Time { return now }
	cases := []struct {
		name     string
		changed  time.Time
		denyOnly bool
		passing  bool
		messages []string
		unusable bool
	}{
		{"fresh password passes", now.Add(-5 * 24 * time.Hour), false, true, nil, false},
		{"expired deny only", now.Add(-40 * 24 * time.Hour), true, false, []string{"Password has expired."}, false},
		{"expired resets password", now.Add(-40 * 24 * time.Hour), false, false, []string{"Password expired 10 days ago. Please update your password."}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			user := f.user(f.unique("expiry"))
			um, _ := f.core.Registry.Model("authentik_core.user")
			err := f.core.Store.Update(f.ctx, func(tx store.Tx) error {
				_, err := tx.UpdateWhere(f.ctx, um.Table, store.Eq(um.PKColumn, user.PK), store.Row{"password": "pbkdf2_sha256$600000$salt$hash"})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			user.PasswordChangeDate = tc.changed
			user.PasswordUsable = true
			res := f.test(f.policy("/policies/password_expiry/", map[string]any{"days": float64(30), "deny_only": tc.denyOnly}), &Request{User: user})
			if res.Passing != tc.passing || !reflect.DeepEqual(res.Messages, tc.messages) {
				t.Fatalf("got %v %q, want %v %q", res.Passing, res.Messages, tc.passing, tc.messages)
			}
			stored, err := f.pe.Directory.User(f.ctx, user.PK)
			if err != nil {
				t.Fatal(err)
			}
			if stored.PasswordUsable == tc.unusable || user.PasswordUsable == tc.unusable {
				t.Fatalf("password usable: stored %v, in memory %v; want unusable=%v", stored.PasswordUsable, user.PasswordUsable, tc.unusable)
			}
		})
	}
}

func TestReputationPolicy(t *testing.T) {
	for _, backend := range backends() {
		t.Run(backend, func(t *testing.T) {
			f := newFixture(t, backend)
			m, _ := f.core.Registry.Model("authentik_policies_reputation.reputation")
			err := f.core.Store.Update(f.ctx, func(tx store.Tx) error {
				for i, r := range []struct {
					ident, ip string
					score     int64
				}{{"mallory", "192.0.2.9", -3}, {"other", "192.0.2.9", -4}, {"mallory", "198.51.100.1", -2}, {"alice", "203.0.113.5", 5}} {
					_, err := tx.Insert(f.ctx, m.Table, store.Row{m.PKColumn: fmt.Sprintf("00000000-0000-4000-8000-%012d", i),
						"identifier": r.ident, "ip": r.ip, "score": r.score, "ip_geo_data": map[string]any{}, "updated": now()})
					if err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			cases := []struct {
				name      string
				ip, user  string
				checkIP   bool
				checkUser bool
				threshold int
				passing   bool
			}{
				{"ip and username sum below threshold", "192.0.2.9", "mallory", true, true, -5, true},
				{"ip only", "192.0.2.9", "mallory", true, false, -5, true},
				{"username only", "192.0.2.9", "mallory", false, true, -5, true},
				{"username only above threshold", "192.0.2.9", "mallory", false, true, -6, false},
				{"unknown client", "192.0.2.200", "nobody", true, true, -5, false},
				{"good reputation", "203.0.113.5", "alice", true, true, -5, false},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					pk := f.policy("/policies/reputation/", map[string]any{"check_ip": tc.checkIP, "check_username": tc.checkUser, "threshold": float64(tc.threshold)})
					res := f.test(pk, &Request{User: &expression.User{PK: 99, Username: tc.user}, HTTP: &expression.HTTPRequest{ClientIP: tc.ip}})
					if res.Passing != tc.passing {
						t.Fatalf("got %v, want %v (logs %v)", res.Passing, tc.passing, res.LogMessages)
					}
				})
			}
		})
	}
}

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
