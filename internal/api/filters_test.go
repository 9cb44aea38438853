package api_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/registry"
)

// sampleValue is a well-formed value for a filter parameter.
func sampleValue(f registry.Filter) string {
	if len(f.Enum) > 0 {
		return f.Enum[0]
	}
	switch {
	case f.Lookup == "isnull":
		return "true"
	case f.Kind == registry.KindUUID:
		return "00000000-0000-4000-8000-000000000001"
	case f.Kind == registry.KindInt, f.Kind == registry.KindFloat:
		return "1"
	case f.Kind == registry.KindBool:
		return "true"
	case f.Kind == registry.KindTime:
		return "2023-10-01T00:00:00Z"
	case f.Kind == registry.KindJSON:
		return `{"a": "b"}`
	}
	return "value"
}

// TestEveryDeclaredFilterWorks sends every filter parameter the schema
// declares with a well-formed value: each must answer 200 with a valid
// envelope (an unknown filter must never be a 500).
func TestEveryDeclaredFilterWorks(t *testing.T) {
	h := apitest.Start(t, "sqlite")
	for _, ep := range h.App.Registry.Endpoints {
		if ep.Ops[registry.OpList] == "" {
			continue
		}
		for _, f := range ep.Filters {
			ep, f := ep, f
			t.Run(ep.Path+"?"+f.Param, func(t *testing.T) {
				bh := *h
				bh.T = t
				r := bh.Do(http.MethodGet, ep.Path+"?"+url.QueryEscape(f.Param)+"="+url.QueryEscape(sampleValue(f)), nil)
				switch r.Status {
				case http.StatusOK:
				case http.StatusBadRequest:
					// A value the filter cannot take (the schema types some
					// uuid filters as plain strings) must name the parameter.
					if r.Object()[f.Param] == nil {
						t.Fatalf("400 without a %s error: %s", f.Param, r.Body)
					}
				default:
					t.Fatalf("status %d: %s", r.Status, r.Body)
				}
			})
		}
	}
}

func TestFilterSemantics(t *testing.T) {
	h := apitest.Start(t, "sqlite")
	newFlow(t, h, "alpha")
	h.Do(http.MethodPost, "/flows/instances/", map[string]any{"name": "Beta", "slug": "beta", "title": "B", "designation": "enrollment"}).Expect(t, http.StatusCreated)
	h.Do(http.MethodPost, "/flows/instances/", map[string]any{"name": "Gamma", "slug": "gamma", "title": "C", "designation": "enrollment"}).Expect(t, http.StatusCreated)
	cases := []struct {
		name  string
		query string
		want  []string
	}{
		{"enum filter", "designation=enrollment", []string{"beta", "gamma"}},
		{"exact filter", "slug=alpha", []string{"alpha"}},
		{"search is case-insensitive", "search=GAMM", []string{"gamma"}},
		{"ordering descending", "ordering=-slug", []string{"gamma", "beta", "alpha"}},
		{"default ordering", "", []string{"alpha", "beta", "gamma"}},
		{"page size and page", "page_size=1&page=2", []string{"beta"}},
		{"no match", "slug=nope", []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			page := h.Do(http.MethodGet, "/flows/instances/?"+tc.query, nil).Expect(t, http.StatusOK).Object()
			var got []string
			for _, r := range page["results"].([]any) {
				got = append(got, r.(map[string]any)["slug"].(string))
			}
			if len(got) != len(tc.want) {
				t.Fatalf("slugs = %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("slugs = %v, want %v", got, tc.want)
				}
			}
		})
	}
	t.Run("pagination block", func(t *testing.T) {
		p := h.Do(http.MethodGet, "/flows/instances/?page_size=2&page=2", nil).Expect(t, http.StatusOK).Object()["pagination"].(map[string]any)
		want := map[string]float64{"count": 3, "current": 2, "total_pages": 2, "next": 0, "previous": 1, "start_index": 3, "end_index": 3}
		for k, v := range want {
			if p[k] != v {
				t.Errorf("pagination %s = %v, want %v", k, p[k], v)
			}
		}
	})
	t.Run("page out of range is 404", func(t *testing.T) {
		h.Do(http.MethodGet, "/flows/instances/?page=9", nil).Expect(t, http.StatusNotFound)
	})
	t.Run("malformed uuid filter is a 400", func(t *testing.T) {
		r := h.Do(http.MethodGet, "/flows/instances/?flow_uuid=nope", nil).Expect(t, http.StatusBadRequest).Object()
		if r["flow_uuid"] == nil {
			t.Fatalf("body %v lacks a flow_uuid error", r)
		}
	})
}
