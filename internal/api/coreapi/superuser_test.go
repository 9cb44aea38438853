package coreapi_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/auth"
	"github.com/akgo/akgo/internal/store"
)

// readCounter counts the selects each table gets through the store's
// read transactions, ReadMany's included.
type readCounter struct {
	store.Store
	mu    sync.Mutex
	reads map[string]int
}

func (c *readCounter) count(table string) {
	c.mu.Lock()
	c.reads[table]++
	c.mu.Unlock()
}

func (c *readCounter) View(ctx context.Context, fn func(store.Tx) error) error {
	return c.Store.View(ctx, func(tx store.Tx) error { return fn(&countingTx{tx, c}) })
}

func (c *readCounter) ViewCommitted(ctx context.Context, fn func(store.Tx) error) error {
	return c.Store.ViewCommitted(ctx, func(tx store.Tx) error { return fn(&countingTx{tx, c}) })
}

type countingTx struct {
	store.Tx
	c *readCounter
}

func (t *countingTx) Select(ctx context.Context, q store.Query) ([]store.Row, error) {
	t.c.count(q.Table)
	return t.Tx.Select(ctx, q)
}

func (t *countingTx) ReadMany(ctx context.Context, reads []store.Read) ([]store.ReadResult, error) {
	for _, r := range reads {
		if !r.Count {
			t.c.count(r.Query.Table)
		}
	}
	return t.Tx.ReadMany(ctx, reads)
}

// TestSuperuserOnUserPages: is_superuser comes from a user's groups and
// their ancestors, on a list page (which reuses the groups it shows, and
// reads only the levels of the tree above them it does not show), on a
// retrieve and through auth.IsSuperuser alike.
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
			counter := &readCounter{Store: h.App.Engine.Store}
			h.App.Engine.Store = counter
			t.Cleanup(func() { h.App.Engine.Store = counter.Store })
			// A page reads the groups it shows (groups_obj), their
			// parents' names (parent_name), then for is_superuser what is
			// not known yet of the tree above them.
			reads := []struct {
				name, query string
				want        int
			}{
				{"most groups shown", "?search=su-&page_size=100", 3}, // shown; names; su-mid
				{"ancestors not shown", "?username=su-grandchild", 4}, // su-leaf; su-mid; su-mid, su-top
			}
			for _, r := range reads {
				counter.reads = map[string]int{}
				h.Do(http.MethodGet, "/core/users/"+r.query, nil).Expect(t, http.StatusOK)
				if n := counter.reads["authentik_core_group"]; n != r.want {
					t.Errorf("%s: the page read the groups table %d times, want %d", r.name, n, r.want)
				}
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
				var direct bool
				err := counter.Store.View(context.Background(), func(tx store.Tx) error {
					var err error
					direct, err = auth.IsSuperuser(context.Background(), tx, h.App.Registry, int64(pks[u.name].(float64)))
					return err
				})
				if err != nil || direct != u.want {
					t.Errorf("IsSuperuser: %s %v %v, want %v", u.name, direct, err, u.want)
				}
			}
		})
	}
}
