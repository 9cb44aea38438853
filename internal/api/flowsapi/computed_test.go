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
