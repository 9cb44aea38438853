package storetarget_test

import (
	"context"
	"errors"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/blueprint"
	"github.com/akgo/akgo/internal/blueprint/blueprinttest"
	"github.com/akgo/akgo/internal/blueprint/storetarget"
	"github.com/akgo/akgo/internal/store"
)

// countingTx counts the statements sent through a transaction: on
// PostgreSQL each is a round trip, which is what a bulk apply pays for.
type countingTx struct {
	store.Tx
	n int
}

func (c *countingTx) Insert(ctx context.Context, table string, row store.Row) (int64, error) {
	c.n++
	return c.Tx.Insert(ctx, table, row)
}

func (c *countingTx) InsertReturning(ctx context.Context, table string, row store.Row) (store.Row, error) {
	c.n++
	return c.Tx.InsertReturning(ctx, table, row)
}

// InsertMany counts one statement a call: the events' queue hands it at
// most one statement's worth of rows.
func (c *countingTx) InsertMany(ctx context.Context, table string, rows []store.Row) error {
	c.n++
	return c.Tx.InsertMany(ctx, table, rows)
}

func (c *countingTx) UpdateWhere(ctx context.Context, table string, where store.Cond, set store.Row) (int64, error) {
	c.n++
	return c.Tx.UpdateWhere(ctx, table, where, set)
}

func (c *countingTx) DeleteWhere(ctx context.Context, table string, where store.Cond) (int64, error) {
	c.n++
	return c.Tx.DeleteWhere(ctx, table, where)
}

func (c *countingTx) Select(ctx context.Context, q store.Query) ([]store.Row, error) {
	c.n++
	return c.Tx.Select(ctx, q)
}

func (c *countingTx) Count(ctx context.Context, q store.Query) (int64, error) {
	c.n++
	return c.Tx.Count(ctx, q)
}

func (c *countingTx) Exec(ctx context.Context, sql string, args ...any) error {
	c.n++
	return c.Tx.Exec(ctx, sql, args...)
}

// countingTarget attributes the statements of each write to its model.
type countingTarget struct {
	*storetarget.Target
	tx     *countingTx
	writes map[string]int // model → objects written
	stmts  map[string]int // model → statements of those writes
}

func (t *countingTarget) Create(ctx context.Context, model string, attrs blueprint.Object) (blueprint.Object, error) {
	before := t.tx.n
	obj, err := t.Target.Create(ctx, model, attrs)
	t.writes[model]++
	t.stmts[model] += t.tx.n - before
	return obj, err
}

// TestStatementsPerObject bounds the statements a blueprint apply sends
// per created object, the cost of a bulk apply on PostgreSQL (a user in
// three groups was 11 round trips): the uniqueness checks in one query,
// no clearing of the many-to-many sets of a new object, its set in one
// INSERT, the events' tenant looked up once per apply and the events
// inserted in batches. A re-apply of the unchanged blueprint only lists.
func TestStatementsPerObject(t *testing.T) {
	bp, err := blueprint.Parse("directory.yaml", []byte(blueprinttest.Directory(30, 12)))
	if err != nil {
		t.Fatal(err)
	}
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			apply := func(t *testing.T, owned []string) (*countingTarget, *blueprint.Result) {
				t.Helper()
				var ct *countingTarget
				var res *blueprint.Result
				err := storetarget.Run(context.Background(), h.App.Engine, func(ctx context.Context, tg *storetarget.Target) error {
					tx := &countingTx{Tx: tg.Tx()}
					inner := storetarget.New(h.App.Engine, tx)
					inner.Events = h.App.API.Events
					ct = &countingTarget{Target: inner, tx: tx, writes: map[string]int{}, stmts: map[string]int{}}
					p, err := blueprint.Plan(ctx, ct, []*blueprint.Blueprint{bp}, blueprint.Options{Owned: owned})
					if err != nil {
						return err
					}
					res, err = blueprint.Apply(ctx, ct, p)
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				return ct, res
			}
			first, res := apply(t, nil)
			for _, tc := range []struct {
				model   string
				objects int
				// max statements per object: users check their groups,
				// check username and uuid, insert, link three groups,
				// read back; groups check their parent (all but the
				// first), check name and parent, insert, read back. The
				// events are inserted a hundred at a time, here all at
				// the end.
				max float64
			}{
				{model: "authentik_core.user", objects: 30, max: 5},
				{model: "authentik_core.group", objects: 12, max: 4},
			} {
				t.Run(tc.model, func(t *testing.T) {
					if first.writes[tc.model] != tc.objects {
						t.Fatalf("%d creates, want %d", first.writes[tc.model], tc.objects)
					}
					if per := float64(first.stmts[tc.model]) / float64(tc.objects); per > tc.max {
						t.Errorf("%.2f statements per created object, want at most %v", per, tc.max)
					}
				})
			}
			t.Run("re-apply only lists", func(t *testing.T) {
				again, res2 := apply(t, res.Managed)
				if res2.Created+res2.Updated+res2.Deleted != 0 {
					t.Fatalf("re-apply wrote: %+v", res2)
				}
				// Two models, each one page (and the related objects of
				// its many-to-many fields).
				if again.tx.n > 10 {
					t.Errorf("re-apply sent %d statements, want at most 10", again.tx.n)
				}
			})
		})
	}
}

// TestCreateShortcuts checks what the cheaper create path must keep: the
// uniqueness error naming the set that conflicts when a model has
// several (one query tests them all), and a new object's many-to-many
// set stored in full, duplicates once, in one statement.
func TestCreateShortcuts(t *testing.T) {
	for _, backend := range apitest.Backends() {
		t.Run(backend, func(t *testing.T) {
			h := apitest.Start(t, backend)
			ctx := context.Background()
			var users []any
			err := storetarget.Run(ctx, h.App.Engine, func(ctx context.Context, tg *storetarget.Target) error {
				for _, name := range []string{"shortcut-1", "shortcut-2"} {
					u, err := tg.Create(ctx, "authentik_core.user", map[string]any{"username": name, "name": name})
					if err != nil {
						return err
					}
					users = append(users, u["pk"])
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			cases := []struct {
				name  string
				model string
				attrs map[string]any
				// field → message expected; nil: the create succeeds.
				errs map[string]string
				// check inspects the created object as listed.
				check func(t *testing.T, listed blueprint.Object)
			}{
				{
					name:  "taken username among two unique sets",
					model: "authentik_core.user",
					attrs: map[string]any{"username": "shortcut-1", "name": "again"},
					errs:  map[string]string{"username": "user with this username already exists."},
				},
				{
					name:  "group of both users, one given twice",
					model: "authentik_core.group",
					attrs: map[string]any{"name": "shortcut group", "users": []any{users[0], users[1], users[1]}},
					check: func(t *testing.T, listed blueprint.Object) {
						got := map[any]int{}
						for _, u := range listed["users"].([]any) {
							got[u]++
						}
						if len(got) != 2 || got[users[0]] != 1 || got[users[1]] != 1 {
							t.Errorf("users = %v, want %v once each", listed["users"], users)
						}
					},
				},
				{
					name:  "user without groups",
					model: "authentik_core.user",
					attrs: map[string]any{"username": "shortcut-3", "name": "three"},
					check: func(t *testing.T, listed blueprint.Object) {
						if g, _ := listed["groups"].([]any); len(g) != 0 {
							t.Errorf("groups = %v, want none", g)
						}
					},
				},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					var listed blueprint.Object
					err := storetarget.Run(ctx, h.App.Engine, func(ctx context.Context, tg *storetarget.Target) error {
						obj, err := tg.Create(ctx, tc.model, tc.attrs)
						if err != nil {
							return err
						}
						all, err := tg.List(ctx, tc.model)
						for _, o := range all {
							if o["pk"] == obj["pk"] {
								listed = o
							}
						}
						return err
					})
					if tc.errs != nil {
						var fe blueprint.FieldErrorer
						if !errors.As(err, &fe) {
							t.Fatalf("err = %v, want field errors %v", err, tc.errs)
						}
						got := fe.FieldErrors()
						for field, msg := range tc.errs {
							if len(got[field]) != 1 || got[field][0] != msg {
								t.Errorf("%s: %v, want [%s] (all: %v)", field, got[field], msg, got)
							}
						}
						if len(got) != len(tc.errs) {
							t.Errorf("errors %v, want only %v", got, tc.errs)
						}
						return
					}
					if err != nil {
						t.Fatal(err)
					}
					if listed == nil {
						t.Fatal("created object not listed")
					}
					tc.check(t, listed)
				})
			}
		})
	}
}
