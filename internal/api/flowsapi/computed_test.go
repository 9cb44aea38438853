package flowsapi_test

import (
	"fmt"
	"net/http"
	"reflect"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
)

// TestFlowBindingLists: a flow's stages and policies are its bindings'
// stages and policies in binding order, the same whether the flow is
// retrieved alone or listed in a page of flows (where they are read for
// the whole page, together with the page's other reads), and empty for a
// flow without bindings.
func TestFlowBindingLists(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			type flow struct {
				slug             string
				pk, ptr          string
				stages, policies []any
			}
			var flows []*flow
			for i := range 3 {
				f := create(t, h, "/flows/instances/", map[string]any{"name": fmt.Sprintf("Bound %d", i), "slug": fmt.Sprintf("bound-%d", i),
					"title": "t", "designation": "authentication"})
				flows = append(flows, &flow{slug: f["slug"].(string), pk: f["pk"].(string), ptr: f["policybindingmodel_ptr_id"].(string),
					stages: []any{}, policies: []any{}})
			}
			// Flow 0: three stages bound out of order and two policies
			// (and a group binding, which is no policy); flow 1: one
			// stage; flow 2: nothing.
			stagePKs := map[int]any{}
			for _, b := range []struct {
				flow, order int
			}{{0, 30}, {0, 10}, {1, 5}, {0, 20}} {
				st := create(t, h, "/stages/dummy/", map[string]any{"name": fmt.Sprintf("stage-%d-%d", b.flow, b.order)})
				create(t, h, "/flows/bindings/", map[string]any{"target": flows[b.flow].pk, "stage": st["pk"], "order": b.order})
				stagePKs[b.order] = st["pk"]
			}
			flows[0].stages = []any{stagePKs[10], stagePKs[20], stagePKs[30]}
			flows[1].stages = []any{stagePKs[5]}
			policyPKs := map[int]any{}
			for _, order := range []int{7, 3} {
				p := create(t, h, "/policies/dummy/", map[string]any{"name": fmt.Sprintf("policy-%d", order)})
				create(t, h, "/policies/bindings/", map[string]any{"policy": p["pk"], "target": flows[0].ptr, "order": order})
				policyPKs[order] = p["pk"]
			}
			g := create(t, h, "/core/groups/", map[string]any{"name": "bound-group"})
			create(t, h, "/policies/bindings/", map[string]any{"group": g["pk"], "target": flows[0].ptr, "order": 0})
			flows[0].policies = []any{policyPKs[3], policyPKs[7]}

			check := func(t *testing.T, where string, f *flow, obj map[string]any) {
				t.Helper()
				if !reflect.DeepEqual(obj["stages"], f.stages) || !reflect.DeepEqual(obj["policies"], f.policies) {
					t.Errorf("%s %s: stages %v policies %v, want %v and %v", where, f.slug, obj["stages"], obj["policies"], f.stages, f.policies)
				}
			}
			for _, f := range flows {
				check(t, "retrieve", f, h.Do(http.MethodGet, "/flows/instances/"+f.slug+"/", nil).Expect(t, http.StatusOK).Object())
			}
			for _, page := range []string{"?slug__startswith=bound&page_size=100", "?ordering=-slug&page_size=2", "?ordering=-slug&page_size=2&page=2"} {
				listed, _ := h.Do(http.MethodGet, "/flows/instances/"+page, nil).Expect(t, http.StatusOK).Object()["results"].([]any)
				if len(listed) == 0 {
					t.Fatalf("list %s: no results", page)
				}
				for _, o := range listed {
					obj := o.(map[string]any)
					for _, f := range flows {
						if obj["slug"] == f.slug {
							check(t, "list "+page, f, obj)
						}
					}
				}
			}
		})
	}
}

// TestBindingCounterparts: a stage's flow_set (the flows binding it, by
// slug, each once) and a policy's bound_to (how many bindings use it)
// are the same on a retrieve, on the kind's list and on the family's
// /all/ list.
func TestBindingCounterparts(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			flows := map[string]map[string]any{}
			for _, slug := range []string{"fs-b", "fs-a", "fs-c"} {
				flows[slug] = create(t, h, "/flows/instances/", map[string]any{"name": slug, "slug": slug, "title": "t", "designation": "authentication"})
			}
			stage := func(name string, bound ...string) string {
				pk := create(t, h, "/stages/dummy/", map[string]any{"name": name})["pk"].(string)
				for i, slug := range bound {
					create(t, h, "/flows/bindings/", map[string]any{"target": flows[slug]["pk"], "stage": pk, "order": i})
				}
				return pk
			}
			policy := func(name string, bound ...string) string {
				pk := create(t, h, "/policies/dummy/", map[string]any{"name": name})["pk"].(string)
				for i, slug := range bound {
					create(t, h, "/policies/bindings/", map[string]any{"target": flows[slug]["policybindingmodel_ptr_id"], "policy": pk, "order": i})
				}
				return pk
			}
			stages := []struct {
				name string
				pk   string
				want []any
			}{
				{"bound to two flows", stage("s1", "fs-b", "fs-a"), []any{"fs-a", "fs-b"}},
				{"bound twice to one flow", stage("s2", "fs-c", "fs-c"), []any{"fs-c"}},
				{"bound nowhere", stage("s3"), []any{}},
			}
			policies := []struct {
				name string
				pk   string
				want float64
			}{
				{"bound twice", policy("p1", "fs-a", "fs-b"), 2},
				{"bound once", policy("p2", "fs-c"), 1},
				{"bound nowhere", policy("p3"), 0},
			}
			// objects returns the stage or policy pk's object from a
			// retrieve and from each list.
			objects := func(t *testing.T, kind, pk string) map[string]map[string]any {
				t.Helper()
				out := map[string]map[string]any{"retrieve": h.Do(http.MethodGet, "/"+kind+"/dummy/"+pk+"/", nil).Expect(t, http.StatusOK).Object()}
				for _, list := range []string{"/" + kind + "/dummy/", "/" + kind + "/all/"} {
					for _, o := range h.Do(http.MethodGet, list+"?page_size=100", nil).Expect(t, http.StatusOK).Object()["results"].([]any) {
						if obj := o.(map[string]any); obj["pk"] == pk {
							out[list] = obj
						}
					}
					if out[list] == nil {
						t.Fatalf("%s does not list %s", list, pk)
					}
				}
				return out
			}
			for _, tc := range stages {
				t.Run("stage "+tc.name, func(t *testing.T) {
					for where, obj := range objects(t, "stages", tc.pk) {
						slugs := []any{}
						for _, f := range obj["flow_set"].([]any) {
							slugs = append(slugs, f.(map[string]any)["slug"])
						}
						if !reflect.DeepEqual(slugs, tc.want) {
							t.Errorf("%s: flow_set %v, want %v", where, slugs, tc.want)
						}
					}
				})
			}
			for _, tc := range policies {
				t.Run("policy "+tc.name, func(t *testing.T) {
					for where, obj := range objects(t, "policies", tc.pk) {
						if obj["bound_to"] != tc.want {
							t.Errorf("%s: bound_to %v, want %v", where, obj["bound_to"], tc.want)
						}
					}
				})
			}
		})
	}
}
