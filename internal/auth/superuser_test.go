package auth_test

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/auth"
	"github.com/akgo/akgo/internal/store"
)

// readCounter counts the selects each table gets through the stores'
// transactions, ReadMany's included.
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

// TestSuperusers: a user is a superuser through any of its groups or an
// ancestor of one (auth.IsSuperuser; coreapi's TestSuperuserOnUserPages
// checks the same through lists and retrieves), and a users page reads
// the groups it shows only once.
func TestSuperusers(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			group := func(name string, su bool, parent any) any {
				return h.Do(http.MethodPost, "/core/groups/", map[string]any{"name": name, "is_superuser": su, "parent": parent}).
					Expect(t, http.StatusCreated).Object()["pk"]
			}
			root := group("root", true, nil)
			mid := group("mid", false, root)
			leaf := group("leaf", false, mid)
			plain := group("plain", false, nil)
			plainChild := group("plain-child", false, plain)
			tests := []struct {
				name   string
				groups []any
				want   bool
			}{
				{"no groups", []any{}, false},
				{"superuser group", []any{root}, true},
				{"through its parent", []any{mid}, true},
				{"through a grandparent", []any{leaf}, true},
				{"groups without the flag", []any{plain, plainChild}, false},
				{"one group of several", []any{plainChild, leaf}, true},
			}
			pks := map[string]int64{}
			for _, tc := range tests {
				u := h.Do(http.MethodPost, "/core/users/", map[string]any{"username": "u-" + tc.name, "name": tc.name, "groups": tc.groups}).
					Expect(t, http.StatusCreated).Object()
				pks[tc.name] = int64(u["pk"].(float64))
			}

			counter := &readCounter{Store: h.App.Engine.Store, reads: map[string]int{}}
			h.App.Engine.Store = counter
			t.Cleanup(func() { h.App.Engine.Store = counter.Store })
			// A users page reads the groups it shows (groups_obj), their
			// parents' names (parent_name), and then for is_superuser only
			// the levels of the tree above them that it does not show.
			reads := []struct {
				name, query string
				want        int
			}{
				{"every group shown", "?page_size=100", 2},
				{"ancestors not shown", "?username=u-through+a+grandparent", 4}, // leaf; mid; mid, root
			}
			for _, r := range reads {
				counter.reads = map[string]int{}
				h.Do(http.MethodGet, "/core/users/"+r.query, nil).Expect(t, http.StatusOK)
				if n := counter.reads["authentik_core_group"]; n != r.want {
					t.Errorf("%s: the page read the groups table %d times, want %d", r.name, n, r.want)
				}
			}

			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					pk := pks[tc.name]
					var direct bool
					err := counter.Store.View(context.Background(), func(tx store.Tx) error {
						var err error
						direct, err = auth.IsSuperuser(context.Background(), tx, h.App.Registry, pk)
						return err
					})
					if err != nil || direct != tc.want {
						t.Errorf("IsSuperuser: %v %v, want %v", direct, err, tc.want)
					}
				})
			}
		})
	}
}
