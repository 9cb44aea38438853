package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/registry"
)

// TestCRUDEveryEndpoint runs create → retrieve → list/search/filter →
// partial_update → update → used_by → destroy → 404 on every endpoint that
// supports them, on every backend, validating each response against the
// schema.
func TestCRUDEveryEndpoint(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			b := apitest.NewBuilder(h)
			eps := append([]*registry.Endpoint(nil), h.App.Registry.Endpoints...)
			sort.Slice(eps, func(i, j int) bool { return eps[i].Path < eps[j].Path })
			for _, ep := range eps {
				ep := ep
				t.Run(ep.Path, func(t *testing.T) {
					bh := *h
					bh.T = t
					bb := *b
					bb.H = &bh
					crudScenario(t, &bh, &bb, ep)
				})
			}
		})
	}
}

func lookupOf(ep *registry.Endpoint, obj map[string]any) string {
	key := ep.LookupField
	if key == "" {
		key = "pk"
	}
	v, ok := obj[key]
	if !ok {
		for _, k := range []string{"pk", ep.Lookup} {
			if v, ok = obj[k]; ok {
				break
			}
		}
	}
	switch x := v.(type) {
	case float64:
		return fmt.Sprintf("%d", int64(x))
	}
	return fmt.Sprint(v)
}

func crudScenario(t *testing.T, h *apitest.Harness, b *apitest.Builder, ep *registry.Endpoint) {
	list := ep.Ops[registry.OpList]
	if list != "" {
		h.Do(http.MethodGet, ep.Path, nil).Expect(t, http.StatusOK)
	}
	if ep.Ops[registry.OpCreate] == "" {
		return
	}
	obj := b.Create(ep)
	lookup := lookupOf(ep, obj)
	detail := ep.Path + url.PathEscape(lookup) + "/"
	got := h.Do(http.MethodGet, detail, nil).Expect(t, http.StatusOK).Object()
	for k, v := range obj {
		if fmt.Sprint(got[k]) != fmt.Sprint(v) {
			t.Errorf("retrieve %s = %v, created %v", k, got[k], v)
		}
	}
	if list != "" {
		page := h.Do(http.MethodGet, ep.Path+"?page_size=1000", nil).Expect(t, http.StatusOK).Object()
		if !containsObj(page, ep, lookup) {
			t.Errorf("list does not contain the new object %s", lookup)
		}
		if name, ok := obj["name"].(string); ok && name != "" {
			page := h.Do(http.MethodGet, ep.Path+"?search="+url.QueryEscape(name), nil).Expect(t, http.StatusOK).Object()
			if !containsObj(page, ep, lookup) {
				t.Errorf("search %q does not find the object", name)
			}
			for _, f := range ep.Filters {
				if f.Param == "name" {
					page := h.Do(http.MethodGet, ep.Path+"?name="+url.QueryEscape(name), nil).Expect(t, http.StatusOK).Object()
					if !containsObj(page, ep, lookup) {
						t.Errorf("filter name=%q does not find the object", name)
					}
					page = h.Do(http.MethodGet, ep.Path+"?name=no-such-"+url.QueryEscape(name), nil).Expect(t, http.StatusOK).Object()
					if containsObj(page, ep, lookup) {
						t.Errorf("filter name=no-such-... finds the object")
					}
				}
			}
		}
	}
	if ep.Ops[registry.OpPartialUpdate] != "" {
		h.Do(http.MethodPatch, detail, map[string]any{}).Expect(t, http.StatusOK)
		if _, ok := obj["name"].(string); ok {
			if _, writable := b.Body(ep, false)["name"]; writable {
				r := h.Do(http.MethodPatch, detail, map[string]any{"name": "renamed-" + b.Unique()}).Expect(t, http.StatusOK).Object()
				if r["name"] == obj["name"] {
					t.Errorf("patch name did not change it")
				}
			}
		}
	}
	if ep.Ops[registry.OpUpdate] != "" {
		body := b.Body(ep, false)
		// Keep the lookup field so the detail path stays valid.
		if ep.LookupField != "pk" && ep.LookupField != "" {
			body[ep.LookupField] = lookup
		}
		h.Do(http.MethodPut, detail, body).Expect(t, http.StatusOK)
	}
	if ep.Ops[registry.OpUsedBy] != "" {
		h.Do(http.MethodGet, detail+"used_by/", nil).Expect(t, http.StatusOK)
	}
	if ep.Ops[registry.OpDestroy] != "" {
		h.Do(http.MethodDelete, detail, nil).Expect(t, http.StatusNoContent)
		h.Do(http.MethodGet, detail, nil).Expect(t, http.StatusNotFound)
	}
}

func containsObj(page map[string]any, ep *registry.Endpoint, lookup string) bool {
	results, _ := page["results"].([]any)
	for _, r := range results {
		if o, ok := r.(map[string]any); ok && lookupOf(ep, o) == lookup {
			return true
		}
	}
	return false
}
