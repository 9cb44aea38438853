package policies

import (
	"errors"
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/expression"
)

func TestEvaluateMapping(t *testing.T) {
	f := newFixture(t, "sqlite")
	user := f.user("mapped")
	f.group("mapped-group", "", user.PK)
	cases := []struct {
		name   string
		expr   string
		vars   map[string]any
		user   *expression.User
		json   string
		errMsg string
	}{
		{"scope mapping", `return {"name": request.user.name, "groups": [g.name for g in request.user.ak_groups.all()], "user_is_request_user": user == request.user}`,
			nil, user, `{"name": "mapped", "groups": ["mapped-group"], "user_is_request_user": true}`, ""},
		{"extra variables are locals and context", `return [provider, request.context["provider"]]`, map[string]any{"provider": "p1"}, user, `["p1", "p1"]`, ""},
		{"no user means empty request user", `return request.user.username`, nil, nil, `""`, ""},
		{"no user means no user variable", `return user`, nil, nil, "", "name 'user' is not defined"},
		{"failure", `return request.user.attributes["missing"]`, nil, user, "", `key "missing" not in dict`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := &Mapping{Name: "test-mapping", Expression: tc.expr}
			out, err := f.pe.EvaluateMapping(f.ctx, m, MappingRequest{User: tc.user, Vars: tc.vars})
			if tc.errMsg != "" {
				var me *MappingError
				if !errors.As(err, &me) || !strings.Contains(err.Error(), tc.errMsg) {
					t.Fatalf("error %v, want MappingError containing %q", err, tc.errMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := out.JSON(0)
			if err != nil || got != tc.json {
				t.Fatalf("got %s (%v), want %s", got, err, tc.json)
			}
		})
	}
	events := f.events(ActionPropertyMappingException)
	if len(events) != 2 || events[0]["__app"] != "authentik.core.expression.evaluator" || events[0]["expression"] == nil {
		t.Fatalf("property_mapping_exception events: %v", events)
	}
	stored := f.create("/propertymappings/scope/", map[string]any{"name": "stored", "scope_name": "x", "expression": "return 1"})
	m, err := f.pe.LoadMapping(f.ctx, stored["pk"].(string))
	if err != nil || m == nil || m.Expression != "return 1" || m.Name != "stored" {
		t.Fatalf("LoadMapping: %+v %v", m, err)
	}
	if m, err := f.pe.LoadMapping(f.ctx, "00000000-0000-4000-8000-000000000000"); m != nil || err != nil {
		t.Fatalf("LoadMapping of a missing mapping: %+v %v", m, err)
	}
}
