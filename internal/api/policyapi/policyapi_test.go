package policyapi_test

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/policies"
)

// admin returns the bootstrap admin's pk.
func admin(t *testing.T, h *apitest.Harness) float64 {
	t.Helper()
	page := h.Do(http.MethodGet, "/core/users/?username=akadmin", nil).Expect(t, http.StatusOK).Object()
	return page["results"].([]any)[0].(map[string]any)["pk"].(float64)
}

func create(t *testing.T, h *apitest.Harness, path string, body map[string]any) map[string]any {
	t.Helper()
	return h.Do(http.MethodPost, path, body).Expect(t, http.StatusCreated).Object()
}

func TestPolicyTest(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			uid := admin(t, h)
			pol := create(t, h, "/policies/expression/", map[string]any{"name": "greeter", "expression": `ak_message("hello " + request.user.username)
ak_logger.info("checked", x=context.get("x", 0))
return str(ak_client_ip) != "" and context.get("x") == 1`})["pk"].(string)
			failing := create(t, h, "/policies/expression/", map[string]any{"name": "broken", "expression": "return {}['nope']"})["pk"].(string)
			dummy := create(t, h, "/policies/dummy/", map[string]any{"name": "dummy", "result": true, "wait_min": 0, "wait_max": 1})["pk"].(string)
			cases := []struct {
				name   string
				policy string
				body   any
				status int
				want   map[string]any
			}{
				{"passing with messages and logs", pol, map[string]any{"user": uid, "context": map[string]any{"x": 1}}, 200,
					map[string]any{"passing": true, "messages": []any{"hello akadmin"}, "log_messages": []any{map[string]any{"event": "checked", "log_level": "info", "x": float64(1)}}}},
				{"failing without context", pol, map[string]any{"user": uid}, 200,
					map[string]any{"passing": false, "messages": []any{"hello akadmin"}, "log_messages": []any{map[string]any{"event": "checked", "log_level": "info", "x": float64(0)}}}},
				{"user as string pk", dummy, map[string]any{"user": "1"}, 200, map[string]any{"passing": true, "messages": []any{"dummy"}}},
				{"exception uses failure result", failing, map[string]any{"user": uid}, 200, map[string]any{"passing": false, "messages": []any{`key "nope" not in dict`}}},
				{"missing user", pol, map[string]any{"context": map[string]any{}}, 400, map[string]any{"user": []any{"This field is required."}}},
				{"unknown user", pol, map[string]any{"user": 9999}, 400, map[string]any{"user": []any{`Invalid pk "9999" - object does not exist.`}}},
				{"mistyped user", pol, map[string]any{"user": true}, 400, map[string]any{"user": []any{"Incorrect type. Expected pk value, received bool."}}},
				{"context not an object", pol, map[string]any{"user": uid, "context": []any{1}}, 400, map[string]any{"context": []any{`Expected a dictionary of items but got type "list".`}}},
				{"unknown policy", "00000000-0000-4000-8000-000000000000", map[string]any{"user": uid}, 404, map[string]any{"detail": "Not found."}},
				{"malformed policy pk", "not-a-uuid", map[string]any{"user": uid}, 404, map[string]any{"detail": "Not found."}},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					got := h.Do(http.MethodPost, "/policies/all/"+tc.policy+"/test/", tc.body).Expect(t, tc.status).Object()
					for k, want := range tc.want {
						if !reflect.DeepEqual(got[k], want) {
							t.Fatalf("%s = %#v, want %#v (body %v)", k, got[k], want, got)
						}
					}
				})
			}
			// A policy test is a dry run: no events, no cached results.
			events := h.Do(http.MethodGet, "/events/events/?action=policy_exception", nil).Expect(t, http.StatusOK).Object()
			if n := len(events["results"].([]any)); n != 0 {
				t.Fatalf("policy test recorded %d policy_exception events", n)
			}
		})
	}
}

func TestPolicyCache(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			uid := admin(t, h)
			flow := create(t, h, "/flows/instances/", map[string]any{"name": "cached", "slug": "cached", "title": "cached", "designation": "authentication"})
			target := flow["policybindingmodel_ptr_id"].(string)
			pol := create(t, h, "/policies/expression/", map[string]any{"name": "always", "expression": "return True"})["pk"].(string)
			binding := create(t, h, "/policies/bindings/", map[string]any{"target": target, "policy": pol, "order": 0})["pk"].(string)
			count := func() float64 {
				t.Helper()
				return h.Do(http.MethodGet, "/policies/all/cache_info/", nil).Expect(t, http.StatusOK).Object()["count"].(float64)
			}
			if n := count(); n != 0 {
				t.Fatalf("fresh server has %v cached results", n)
			}
			pe := policies.For(h.App.Engine)
			user, err := pe.Directory.User(context.Background(), int64(uid))
			if err != nil {
				t.Fatal(err)
			}
			for _, session := range []string{"a", "b"} {
				if _, err := pe.Evaluate(context.Background(), target, &policies.Request{User: user, SessionKey: session}); err != nil {
					t.Fatal(err)
				}
			}
			if n := count(); n != 2 {
				t.Fatalf("cache_info count %v, want 2", n)
			}
			// Changing the binding through the API drops its results.
			h.Do(http.MethodPatch, "/policies/bindings/"+binding+"/", map[string]any{"negate": true}).Expect(t, http.StatusOK)
			if n := count(); n != 0 {
				t.Fatalf("cache_info count %v after a binding update, want 0", n)
			}
			if _, err := pe.Evaluate(context.Background(), target, &policies.Request{User: user, SessionKey: "a"}); err != nil {
				t.Fatal(err)
			}
			h.Do(http.MethodPost, "/policies/all/cache_clear/", nil).Expect(t, http.StatusNoContent)
			if n := count(); n != 0 {
				t.Fatalf("cache_info count %v after cache_clear, want 0", n)
			}
			flows := h.Do(http.MethodGet, "/flows/instances/cache_info/", nil).Expect(t, http.StatusOK).Object()
			if flows["count"] != float64(0) {
				t.Fatalf("flow cache count %v", flows["count"])
			}
			h.Do(http.MethodPost, "/flows/instances/cache_clear/", nil).Expect(t, http.StatusNoContent)

			_, key := h.UserWithToken("nobody")
			for _, req := range []struct{ method, path string }{
				{http.MethodGet, "/policies/all/cache_info/"}, {http.MethodPost, "/policies/all/cache_clear/"},
				{http.MethodGet, "/flows/instances/cache_info/"}, {http.MethodPost, "/flows/instances/cache_clear/"},
			} {
				h.DoAs(key, req.method, req.path, nil).Expect(t, http.StatusForbidden)
			}
			h.DoAs(key, http.MethodPost, "/policies/all/"+pol+"/test/", map[string]any{"user": uid}).Expect(t, http.StatusNotFound)
			h.DoAs("", http.MethodGet, "/policies/all/cache_info/", nil).Expect(t, http.StatusForbidden)
		})
	}
}

func TestPropertyMappingTest(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			uid := admin(t, h)
			group := create(t, h, "/core/groups/", map[string]any{"name": "mapped", "users": []any{uid}})["pk"].(string)
			mapping := func(name, expr string) string {
				return create(t, h, "/propertymappings/scope/", map[string]any{"name": name, "scope_name": name, "expression": expr})["pk"].(string)
			}
			profile := mapping("profile", `return {"name": request.user.name, "groups": [g.name for g in request.user.ak_groups.all()], "é": 1.5}`)
			failing := mapping("failing", `return request.user.attributes["missing"]`)
			unserializable := mapping("unserializable", `return request.user`)
			groupMapping := mapping("group", `return {"group": group.name, "extra": extra}`)
			cases := []struct {
				name    string
				mapping string
				query   string
				body    any
				status  int
				result  string
				success bool
			}{
				{"result as json", profile, "", map[string]any{"user": uid}, 200, `{"name": "authentik Default Admin", "groups": ["authentik Admins", "mapped"], "\u00e9": 1.5}`, true},
				{"formatted result", profile, "?format_result=true", map[string]any{"user": uid}, 200,
					"{\n    \"name\": \"authentik Default Admin\",\n    \"groups\": [\n        \"authentik Admins\",\n        \"mapped\"\n    ],\n    \"\\u00e9\": 1.5\n}", true},
				{"expression error", failing, "", map[string]any{"user": uid}, 200, `key "missing" not in dict`, false},
				{"result not serializable", unserializable, "", map[string]any{"user": uid}, 200, "Object of type User is not JSON serializable", false},
				{"group from context", groupMapping, "", map[string]any{"user": uid, "context": map[string]any{"group": group, "extra": "x"}}, 200, `{"group": "mapped", "extra": "x"}`, true},
				{"unknown user", profile, "", map[string]any{"user": 4242}, 400, "", false},
				{"unknown mapping", "00000000-0000-4000-8000-000000000000", "", map[string]any{"user": uid}, 404, "", false},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					got := h.Do(http.MethodPost, "/propertymappings/all/"+tc.mapping+"/test/"+tc.query, tc.body).Expect(t, tc.status).Object()
					if tc.status != 200 {
						return
					}
					if got["result"] != tc.result || got["successful"] != tc.success {
						t.Fatalf("got %q (successful=%v), want %q (%v)", got["result"], got["successful"], tc.result, tc.success)
					}
				})
			}
			events := h.Do(http.MethodGet, "/events/events/?action=property_mapping_exception", nil).Expect(t, http.StatusOK).Object()
			if n := len(events["results"].([]any)); n != 1 {
				t.Fatalf("%d property_mapping_exception events, want 1 (the failing expression)", n)
			}
		})
	}
}

func TestExpressionValidationOnSave(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			cases := []struct {
				name string
				path string
				body map[string]any
			}{
				{"expression policy", "/policies/expression/", map[string]any{"name": "bad-policy"}},
				{"scope mapping", "/propertymappings/scope/", map[string]any{"name": "bad-scope", "scope_name": "x"}},
				{"saml mapping", "/propertymappings/saml/", map[string]any{"name": "bad-saml", "saml_name": "x"}},
				{"ldap mapping", "/propertymappings/ldap/", map[string]any{"name": "bad-ldap", "object_field": "x"}},
				{"scim mapping", "/propertymappings/scim/", map[string]any{"name": "bad-scim"}},
				{"notification mapping", "/propertymappings/notification/", map[string]any{"name": "bad-webhook"}},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					before := h.Do(http.MethodGet, tc.path, nil).Expect(t, http.StatusOK).Object()["pagination"].(map[string]any)["count"]
					tc.body["expression"] = "return (\n"
					got := h.Do(http.MethodPost, tc.path, tc.body).Expect(t, http.StatusBadRequest).Object()
					msgs, _ := got["expression"].([]any)
					if len(msgs) != 1 || !strings.HasPrefix(msgs[0].(string), "Expression Syntax Error: ") {
						t.Fatalf("400 body %v", got)
					}
					after := h.Do(http.MethodGet, tc.path, nil).Expect(t, http.StatusOK).Object()["pagination"].(map[string]any)["count"]
					if before != after {
						t.Fatalf("an invalid expression was saved (%v → %v objects)", before, after)
					}
					tc.body["expression"] = "return True"
					obj := h.Do(http.MethodPost, tc.path, tc.body).Expect(t, http.StatusCreated).Object()
					pk := obj["pk"].(string)
					h.Do(http.MethodPatch, tc.path+pk+"/", map[string]any{"expression": "from os import path"}).Expect(t, http.StatusBadRequest)
					again := h.Do(http.MethodGet, tc.path+pk+"/", nil).Expect(t, http.StatusOK).Object()
					if again["expression"] != "return True" {
						t.Fatalf("a rejected update changed the expression to %q", again["expression"])
					}
					h.Do(http.MethodPatch, tc.path+pk+"/", map[string]any{"name": tc.body["name"].(string) + "-renamed"}).Expect(t, http.StatusOK)
				})
			}
		})
	}
}

func TestPromptPreview(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			base := func(extra map[string]any) map[string]any {
				b := map[string]any{"name": "ignored", "field_key": "username", "label": "Username", "type": "text", "order": 5, "sub_text": "hint"}
				for k, v := range extra {
					b[k] = v
				}
				return b
			}
			cases := []struct {
				name   string
				body   map[string]any
				status int
				want   map[string]any
			}{
				{"static values", base(map[string]any{"placeholder": "your name", "initial_value": "x"}), 200,
					map[string]any{"field_key": "username", "label": "Username", "type": "text", "required": true, "placeholder": "your name",
						"initial_value": "x", "order": float64(5), "sub_text": "hint", "choices": nil}},
				{"expressions evaluated for the caller", base(map[string]any{"placeholder": "return user.username", "placeholder_expression": true,
					"initial_value": "try:\n    return user.email\nexcept:\n    return ''", "initial_value_expression": true, "required": false}), 200,
					map[string]any{"placeholder": "akadmin", "initial_value": "root@localhost", "required": false}},
				{"non-string results are rendered with str()", base(map[string]any{"placeholder": "return [1, None]", "placeholder_expression": true}), 200,
					map[string]any{"placeholder": "[1, None]"}},
				{"dropdown choices", base(map[string]any{"type": "dropdown", "placeholder": "return ['a', 'b', 3]", "placeholder_expression": true, "initial_value": "b"}), 200,
					map[string]any{"choices": []any{"a", "b", "3"}, "placeholder": "", "initial_value": "b"}},
				{"initial value not a choice", base(map[string]any{"type": "radio-button-group", "placeholder": "only", "initial_value": "other"}), 200,
					map[string]any{"choices": []any{"only"}, "initial_value": "only"}},
				{"failing expression", base(map[string]any{"placeholder": "return {}['k']", "placeholder_expression": true}), 400,
					map[string]any{"non_field_errors": []any{`key "k" not in dict`}}},
				{"missing field key", map[string]any{"label": "x", "type": "text"}, 400, nil},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					got := h.Do(http.MethodPost, "/stages/prompt/prompts/preview/", tc.body).Expect(t, tc.status).Object()
					if tc.status != 200 {
						for k, want := range tc.want {
							if !reflect.DeepEqual(got[k], want) {
								t.Fatalf("%s = %#v, want %#v", k, got[k], want)
							}
						}
						if tc.want == nil && got["field_key"] == nil {
							t.Fatalf("want a field_key error, got %v", got)
						}
						return
					}
					if got["component"] != "ak-stage-prompt" || got["type"] != "native" {
						t.Fatalf("challenge %v", got)
					}
					field := got["fields"].([]any)[0].(map[string]any)
					for k, want := range tc.want {
						if !reflect.DeepEqual(field[k], want) {
							t.Fatalf("%s = %#v, want %#v (field %v)", k, field[k], want, field)
						}
					}
				})
			}
			list := h.Do(http.MethodGet, "/stages/prompt/prompts/", nil).Expect(t, http.StatusOK).Object()
			if n := list["pagination"].(map[string]any)["count"]; n != float64(0) {
				t.Fatalf("preview saved prompts (%v)", n)
			}
		})
	}
}
