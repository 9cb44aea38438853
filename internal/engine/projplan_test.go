package engine_test

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/engine"
)

// TestListSelectsShownColumns checks that a list, which selects only the
// columns its projection reads, renders every object exactly as a
// retrieve does (which reads whole rows), and that the columns no field
// shows are left out.
func TestListSelectsShownColumns(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			parent := h.Do(http.MethodPost, "/core/groups/", map[string]any{"name": "parent", "is_superuser": true}).Expect(t, http.StatusCreated).Object()
			user := h.Do(http.MethodPost, "/core/users/", map[string]any{"username": "u1", "name": "U", "email": "U1@Example.com"}).Expect(t, http.StatusCreated).Object()
			h.Do(http.MethodPost, "/core/groups/", map[string]any{"name": "child", "parent": parent["pk"], "users": []any{user["pk"]}}).Expect(t, http.StatusCreated)
			h.Do(http.MethodPost, "/flows/instances/", map[string]any{"name": "f", "slug": "f", "title": "F", "designation": "authentication"}).Expect(t, http.StatusCreated)

			tests := []struct {
				name, path, lookup string
				schema, model      string
				omitted            []string // columns the list must not select
			}{
				{"users", "/core/users/", "pk", "User", "authentik_core.user", []string{"password", "date_joined"}},
				{"groups", "/core/groups/", "pk", "Group", "authentik_core.group", nil},
				{"flows", "/flows/instances/", "slug", "Flow", "authentik_flows.flow", nil},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					list := h.Do(http.MethodGet, tc.path+"?page_size=100", nil).Expect(t, http.StatusOK).Object()
					results, _ := list["results"].([]any)
					if len(results) == 0 {
						t.Fatalf("empty list")
					}
					for _, r := range results {
						obj := r.(map[string]any)
						one := h.Do(http.MethodGet, fmt.Sprintf("%s%v/", tc.path, obj[tc.lookup]), nil).Expect(t, http.StatusOK).Object()
						if !reflect.DeepEqual(obj, one) {
							t.Errorf("listed %v\nretrieved %v", obj, one)
						}
					}
					m, ok := h.App.Registry.Model(tc.model)
					if !ok {
						t.Fatalf("no model %s", tc.model)
					}
					cols := engine.SelectColumns(h.App.Engine, tc.schema, m)
					for _, c := range tc.omitted {
						if cols == nil || slices.Contains(cols, c) {
							t.Errorf("columns %v: want %s left out", cols, c)
						}
					}
				})
			}
		})
	}
}
