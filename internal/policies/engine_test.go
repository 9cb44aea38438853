package policies

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/expression"
	"github.com/akgo/akgo/internal/store"
)

// spec describes one binding of a test target.
type spec struct {
	expr     string // expression policy source
	order    int
	negate   bool
	disabled bool
	failure  bool // failure_result
	timeout  int
}

func TestEngineCombinesBindings(t *testing.T) {
	cases := []struct {
		name     string
		mode     string
		bindings []spec
		passing  bool
		messages []string
	}{
		{name: "no bindings passes", mode: "all", passing: true},
		{name: "all: every binding passes", mode: "all", bindings: []spec{{expr: "return True"}, {expr: "return 1", order: 1}}, passing: true},
		{name: "all: one fails", mode: "all", bindings: []spec{{expr: "return True"}, {expr: "return False", order: 1}}, passing: false},
		{name: "any: one passes", mode: "any", bindings: []spec{{expr: "return False"}, {expr: "return True", order: 1}}, passing: true},
		{name: "any: none passes", mode: "any", bindings: []spec{{expr: "return False"}, {expr: "return None", order: 1}}, passing: false},
		{name: "negate inverts, messages kept", mode: "all", bindings: []spec{{expr: "ak_message('m')\nreturn False", negate: true}}, passing: true, messages: []string{"m"}},
		{name: "disabled binding is skipped", mode: "all", bindings: []spec{{expr: "return True"}, {expr: "return False", order: 1, disabled: true}}, passing: true},
		{name: "only disabled bindings pass", mode: "all", bindings: []spec{{expr: "return False", disabled: true}}, passing: true},
		{name: "messages in binding order", mode: "any", bindings: []spec{
			{expr: "ak_message('second')\nreturn False", order: 20},
			{expr: "ak_message('first')\nreturn False", order: 10},
		}, passing: false, messages: []string{"first", "second"}},
		{name: "exception uses failure_result true", mode: "all", bindings: []spec{{expr: "return {}['x']", failure: true}}, passing: true, messages: []string{`key "x" not in dict`}},
		{name: "exception uses failure_result false", mode: "any", bindings: []spec{{expr: "raise ValueError('nope')"}}, passing: false, messages: []string{"nope"}},
		{name: "negate does not apply to failure_result", mode: "all", bindings: []spec{{expr: "raise ValueError('x')", negate: true, failure: true}}, passing: true, messages: []string{"x"}},
		{name: "order does not short-circuit", mode: "any", bindings: []spec{{expr: "return True"}, {expr: "ak_message('ran')\nreturn False", order: 1}}, passing: true, messages: []string{"ran"}},
	}
	for _, backend := range backends() {
		f := newFixture(t, backend)
		user := f.user("combine-user")
		for _, tc := range cases {
			t.Run(backend+"/"+tc.name, func(t *testing.T) {
				target := f.flow(tc.mode)
				for _, b := range tc.bindings {
					f.bind(target, b.order, map[string]any{"policy": f.expressionPolicy(b.expr), "negate": b.negate,
						"enabled": !b.disabled, "failure_result": b.failure})
				}
				res, err := f.pe.Evaluate(f.ctx, target, &Request{User: user})
				if err != nil {
					t.Fatal(err)
				}
				if res.Passing != tc.passing || !reflect.DeepEqual(res.Messages, tc.messages) {
					t.Fatalf("got passing=%v messages=%q, want %v %q", res.Passing, res.Messages, tc.passing, tc.messages)
				}
			})
		}
	}
}

func TestGroupAndUserBindings(t *testing.T) {
	for _, backend := range backends() {
		f := newFixture(t, backend)
		member, other := f.user("member"), f.user("other")
		parent := f.group("parents", "")
		f.group("children", parent, member.PK)
		cases := []struct {
			name    string
			fields  map[string]any
			user    *expression.User
			passing bool
		}{
			{"member of child passes parent binding", map[string]any{"group": parent}, member, true},
			{"non member fails", map[string]any{"group": parent}, other, false},
			{"anonymous fails group binding", map[string]any{"group": parent}, nil, false},
			{"user binding matches", map[string]any{"user": float64(member.PK)}, member, true},
			{"user binding other user", map[string]any{"user": float64(member.PK)}, other, false},
			{"negated user binding", map[string]any{"user": float64(member.PK), "negate": true}, other, true},
		}
		for _, tc := range cases {
			t.Run(backend+"/"+tc.name, func(t *testing.T) {
				target := f.flow("all")
				f.bind(target, 0, tc.fields)
				res, err := f.pe.Evaluate(f.ctx, target, &Request{User: tc.user})
				if err != nil {
					t.Fatal(err)
				}
				if res.Passing != tc.passing {
					t.Fatalf("passing %v, want %v", res.Passing, tc.passing)
				}
			})
		}
	}
}

func TestExceptionEventsAndExecutionLogging(t *testing.T) {
	for _, backend := range backends() {
		t.Run(backend, func(t *testing.T) {
			f := newFixture(t, backend)
			user := f.user("events-user")
			target := f.flow("all")
			failing := f.expressionPolicy("x = 1\nreturn x / 0")
			f.bind(target, 0, map[string]any{"policy": failing})
			logged := f.create("/policies/expression/", map[string]any{"name": "logged", "expression": "return True", "execution_logging": true})["pk"].(string)
			f.bind(target, 1, map[string]any{"policy": logged})
			if _, err := f.pe.Evaluate(f.ctx, target, &Request{User: user, NoCache: true}); err != nil {
				t.Fatal(err)
			}
			exc := f.events(ActionPolicyException)
			if len(exc) != 1 {
				t.Fatalf("%d policy_exception events, want 1", len(exc))
			}
			if exc[0]["policy_uuid"] != strings.ReplaceAll(failing, "-", "") || exc[0]["__app"] != "authentik.policies.process" ||
				!strings.Contains(exc[0]["message"].(string), "division by zero") || !strings.Contains(exc[0]["__user"].(string), "events-user") {
				t.Fatalf("policy_exception event %v", exc[0])
			}
			if b, _ := exc[0]["binding"].(map[string]any); b["model_name"] != "policybinding" {
				t.Fatalf("event binding %v", exc[0]["binding"])
			}
			execs := f.events(ActionPolicyExecution)
			if len(execs) != 1 || execs[0]["result"].(map[string]any)["passing"] != true {
				t.Fatalf("policy_execution events %v", execs)
			}
			// A policy test is a debug request: no events at all.
			if _, err := f.pe.Test(f.ctx, failing, &Request{User: user}); err != nil {
				t.Fatal(err)
			}
			if n := len(f.events(ActionPolicyException)); n != 1 {
				t.Fatalf("debug run recorded an event (%d)", n)
			}
		})
	}
}

func TestBindingTimeout(t *testing.T) {
	f := newFixture(t, "sqlite")
	user := f.user("timeout-user")
	target := f.flow("all")
	f.bind(target, 0, map[string]any{"policy": f.expressionPolicy("while True:\n    pass"), "timeout": float64(1), "failure_result": true})
	res, err := f.pe.Evaluate(f.ctx, target, &Request{User: user})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Passing || len(res.Messages) != 1 || !strings.Contains(res.Messages[0], "timed out") {
		t.Fatalf("got %v %q, want failure_result with a timeout message", res.Passing, res.Messages)
	}
}

func TestResultCache(t *testing.T) {
	for _, backend := range backends() {
		t.Run(backend, func(t *testing.T) {
			f := newFixture(t, backend)
			alice, bob := f.user("alice"), f.user("bob")
			target := f.flow("all")
			pol := f.expressionPolicy("return True")
			binding := f.bind(target, 0, map[string]any{"policy": pol})
			eval := func(u *expression.User, session string, noCache bool) bool {
				t.Helper()
				res, err := f.pe.Evaluate(f.ctx, target, &Request{User: u, SessionKey: session, NoCache: noCache})
				if err != nil {
					t.Fatal(err)
				}
				return res.Passing
			}
			// Changing the stored expression behind the engine's back shows
			// whether a result came from the cache.
			setExpr := func(src string) {
				m, _ := f.core.Registry.Model("authentik_policies_expression.expressionpolicy")
				err := f.core.Store.Update(f.ctx, func(tx store.Tx) error {
					_, err := tx.UpdateWhere(f.ctx, m.Table, store.Eq(m.PKColumn, pol), store.Row{"expression": src})
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				// Only the result cache is under test here; the policy rows
				// are reloaded (TestConfigCache covers their caching).
				f.pe.configs.clear()
			}
			if !eval(alice, "s1", false) || f.pe.Cache.Len() != 1 {
				t.Fatalf("first evaluation: cache has %d entries", f.pe.Cache.Len())
			}
			setExpr("return False")
			if !eval(alice, "s1", false) {
				t.Fatal("second evaluation did not use the cache")
			}
			if eval(alice, "s2", false) || eval(bob, "s1", false) {
				t.Fatal("cache key must include session and user")
			}
			if eval(alice, "s1", true) {
				t.Fatal("NoCache must re-evaluate")
			}
			if n := f.pe.Cache.Len(); n != 3 {
				t.Fatalf("cache has %d entries, want 3", n)
			}
			if _, err := f.pe.Evaluate(f.ctx, target, &Request{User: nil}); err != nil || f.pe.Cache.Len() != 3 {
				t.Fatalf("anonymous results must not be cached (%d entries, %v)", f.pe.Cache.Len(), err)
			}
			f.pe.Cache.Clear()
			if f.pe.Cache.Len() != 0 || eval(alice, "s1", false) {
				t.Fatal("clear did not drop the cached result")
			}
			// Writes through the engine invalidate: the policy, the binding.
			f.update("/policies/expression/", pol, map[string]any{"expression": "return True"})
			if !eval(alice, "s1", false) {
				t.Fatal("updating the policy did not invalidate its results")
			}
			f.update("/policies/bindings/", binding, map[string]any{"negate": true})
			if eval(alice, "s1", false) {
				t.Fatal("updating the binding did not invalidate its results")
			}
			f.group("any-group", "")
			if f.pe.Cache.Len() != 0 {
				t.Fatal("a group write must clear the cache")
			}
		})
	}
}

func TestExpressionSeesRequest(t *testing.T) {
	f := newFixture(t, "sqlite")
	admin := f.user("akadmin-like")
	target := f.flow("all")
	f.bind(target, 0, map[string]any{"policy": f.expressionPolicy(`akadmin = ak_user_by(username="akadmin-like")
context["flow_plan"].context["pending_user"] = akadmin
return ak_is_sso_flow is False and str(ak_client_ip) == "192.0.2.1" and request.http_request.path == "/flow"`)})
	plan := &expression.FlowPlan{Context: map[string]any{}}
	req := &Request{User: admin, Context: map[string]any{"flow_plan": plan}, HTTP: &expression.HTTPRequest{Path: "/flow", ClientIP: "192.0.2.1"}}
	res, err := f.pe.Evaluate(f.ctx, target, req)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Passing {
		t.Fatalf("policy failed: %v", res.Messages)
	}
	if u, ok := plan.Context["pending_user"].(*expression.User); !ok || u.Username != "akadmin-like" {
		t.Fatalf("plan context not changed: %v", plan.Context)
	}
}

func TestCallPolicyByName(t *testing.T) {
	f := newFixture(t, "sqlite")
	user := f.user("caller")
	f.create("/policies/expression/", map[string]any{"name": "inner", "expression": "ak_message('inner ran')\nreturn context.get('x') == 1"})
	outer := f.expressionPolicy("r = ak_call_policy('inner', x=1)\nak_message(str(r.passing))\nreturn r.passing and 'inner ran' in r.messages")
	res, err := f.pe.Test(f.ctx, outer, &Request{User: user})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Passing || !reflect.DeepEqual(res.Messages, []string{"True"}) {
		t.Fatalf("got %v %q", res.Passing, res.Messages)
	}
	missing := f.expressionPolicy("return ak_call_policy('nope')")
	res, err = f.pe.Test(f.ctx, missing, &Request{User: user})
	if err != nil || res.Passing || !strings.Contains(res.Messages[0], "Policy 'nope' not found.") {
		t.Fatalf("got %v %q (%v)", res.Passing, res.Messages, err)
	}
}

func TestTestUnknownPolicy(t *testing.T) {
	f := newFixture(t, "sqlite")
	if _, err := f.pe.Test(context.Background(), "00000000-0000-4000-8000-000000000000", &Request{}); err == nil {
		t.Fatal("testing a missing policy must fail")
	}
}

func TestConfigCache(t *testing.T) {
	f := newFixture(t, "sqlite")
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	f.core.Now = func() time.Time { return now }
	user := f.user("config-user")
	target := f.flow("all")
	pol := f.expressionPolicy("return True")
	f.bind(target, 0, map[string]any{"policy": pol})
	eval := func() bool {
		t.Helper()
		res, err := f.pe.Evaluate(f.ctx, target, &Request{User: user, NoCache: true})
		if err != nil {
			t.Fatal(err)
		}
		return res.Passing
	}
	if !eval() {
		t.Fatal("first evaluation failed")
	}
	// A write another replica made: the store changes, no hook runs.
	m, _ := f.core.Registry.Model("authentik_policies_expression.expressionpolicy")
	err := f.core.Store.Update(f.ctx, func(tx store.Tx) error {
		_, err := tx.UpdateWhere(f.ctx, m.Table, store.Eq(m.PKColumn, pol), store.Row{"expression": "return False"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !eval() {
		t.Fatal("the policy row was read again before ConfigTTL")
	}
	now = now.Add(ConfigTTL)
	if eval() {
		t.Fatal("the policy row was not read again after ConfigTTL")
	}
	// A binding added through this server is seen at once.
	f.bind(target, 1, map[string]any{"policy": f.expressionPolicy("return True")})
	res, err := f.pe.Evaluate(f.ctx, target, &Request{User: user, NoCache: true})
	if err != nil || len(res.Sources) != 2 {
		t.Fatalf("new binding not seen: %+v %v", res, err)
	}
}

func TestMembershipChangesAreSeen(t *testing.T) {
	f := newFixture(t, "sqlite")
	user := f.user("joiner")
	group := f.group("club", "")
	target := f.flow("all")
	f.bind(target, 0, map[string]any{"group": group})
	eval := func() bool {
		t.Helper()
		res, err := f.pe.Evaluate(f.ctx, target, &Request{User: user, NoCache: true})
		if err != nil {
			t.Fatal(err)
		}
		return res.Passing
	}
	if eval() {
		t.Fatal("non-member passed")
	}
	f.update("/core/groups/", group, map[string]any{"users": []any{float64(user.PK)}})
	if !eval() {
		t.Fatal("membership added through the API was not seen")
	}
	f.update("/core/groups/", group, map[string]any{"users": []any{}})
	if eval() {
		t.Fatal("membership removed through the API was not seen")
	}
}

func TestConcurrentEvaluations(t *testing.T) {
	f := newFixture(t, "sqlite")
	user := f.user("concurrent")
	group := f.group("concurrent-group", "", user.PK)
	target := f.flow("all")
	f.bind(target, 0, map[string]any{"policy": f.expressionPolicy("request.user.ak_groups.first().attributes['seen'] = True\nreturn ak_is_group_member(request.user, name='concurrent-group')")})
	f.bind(target, 1, map[string]any{"group": group})
	errs := make(chan error, 16)
	for i := 0; i < 16; i++ {
		go func(i int) {
			res, err := f.pe.Evaluate(f.ctx, target, &Request{User: user, SessionKey: string(rune('a' + i%4)), NoCache: i%2 == 0})
			if err == nil && !res.Passing {
				err = fmt.Errorf("evaluation %d failed: %v", i, res.Messages)
			}
			errs <- err
		}(i)
	}
	for i := 0; i < 16; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestCallPolicyRecursionIsBounded(t *testing.T) {
	f := newFixture(t, "sqlite")
	// Each level passes the inner messages up, so the error at the bottom
	// reaches the test result.
	pk := f.create("/policies/expression/", map[string]any{"name": "loop", "expression": "r = ak_call_policy('loop')\nfor m in r.messages:\n    ak_message(m)\nreturn r.passing"})["pk"].(string)
	res, err := f.pe.Test(f.ctx, pk, &Request{User: f.user("looper")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Passing || len(res.Messages) != 1 || !strings.Contains(res.Messages[0], "maximum nesting depth") {
		t.Fatalf("got %v %q", res.Passing, res.Messages)
	}
}
