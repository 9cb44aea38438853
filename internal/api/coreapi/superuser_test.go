package coreapi_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
)

// TestSuperuserOnUserPages: is_superuser comes from a user's groups and
// their ancestors, on a list page (which reuses the groups it shows) and
// on the other user schemas alike.
func TestSuperuserOnUserPages(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			group := func(name string, su bool, parent any) string {
				return h.Do(http.MethodPost, "/core/groups/", map[string]any{"name": name, "is_superuser": su, "parent": parent}).
					Expect(t, http.StatusCreated).Object()["pk"].(string)
			}
			top := group("su-top", true, nil)
			mid := group("su-mid", false, top)
			leaf := group("su-leaf", false, mid)
			plain := group("su-plain", false, nil)
			plainChild := group("su-plain-child", false, plain)
			own := group("su-own", true, plainChild)
			users := []struct {
				name   string
				groups []string
				want   bool
			}{
				{"su-none", nil, false},
				{"su-direct", []string{top}, true},
				{"su-grandchild", []string{leaf}, true},
				{"su-plain-only", []string{plain, plainChild}, false},
				{"su-own-group", []string{own}, true},
				{"su-mixed", []string{plainChild, leaf}, true},
			}
			for i := range users {
				u := &users[i]
				groups := u.groups
				if groups == nil {
					groups = []string{}
				}
				h.Do(http.MethodPost, "/core/users/", map[string]any{"username": u.name, "name": u.name, "groups": groups}).Expect(t, http.StatusCreated)
			}
			page := h.Do(http.MethodGet, "/core/users/?search=su-&page_size=100", nil).Expect(t, http.StatusOK).Object()["results"].([]any)
			got := map[string]bool{}
			pks := map[string]any{}
			for _, o := range page {
				u := o.(map[string]any)
				got[u["username"].(string)] = u["is_superuser"].(bool)
				pks[u["username"].(string)] = u["pk"]
			}
			for _, u := range users {
				if su, ok := got[u.name]; !ok || su != u.want {
					t.Errorf("list: %s is_superuser %v (listed %v), want %v", u.name, su, ok, u.want)
				}
				one := h.Do(http.MethodGet, fmt.Sprintf("/core/users/%v/", pks[u.name]), nil).Expect(t, http.StatusOK).Object()
				if one["is_superuser"] != u.want {
					t.Errorf("retrieve: %s is_superuser %v, want %v", u.name, one["is_superuser"], u.want)
				}
			}
		})
	}
}
