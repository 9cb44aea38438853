package policies

import (
	"context"
	"slices"
	"sync"
	"weak"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// shared maps each data engine to its policy engine, so the API actions
// and the flow executor of one server share one result cache. It holds
// both sides weakly: the data engine keeps its policy engine alive through
// the invalidation hook, and a server that is gone (tests start many)
// leaves nothing behind.
var shared = struct {
	sync.Mutex
	m map[weak.Pointer[engine.Engine]]weak.Pointer[Engine]
}{m: map[weak.Pointer[engine.Engine]]weak.Pointer[Engine]{}}

// For returns the policy engine of core, creating it (and installing its
// cache invalidation hook) on first use. Call it while the server is being
// assembled, before it serves requests: installing the hook changes
// core's hook table.
func For(core *engine.Engine) *Engine {
	key := weak.Make(core)
	shared.Lock()
	defer shared.Unlock()
	if wp, ok := shared.m[key]; ok {
		if e := wp.Value(); e != nil {
			return e
		}
	}
	for k, v := range shared.m {
		if k.Value() == nil || v.Value() == nil {
			delete(shared.m, k)
		}
	}
	e := New(core, nil)
	core.Hooks.AfterWrite = append(core.Hooks.AfterWrite, e.invalidate)
	shared.m[key] = weak.Make(e)
	return e
}

// invalidate drops cached results a write may have changed, as
// authentik's signal handlers do: a policy's or binding's own results, a
// target's results, a user's results, and everything when a group (and so
// membership or hierarchy) changes.
func (e *Engine) invalidate(_ context.Context, _ store.Tx, _ string, m *registry.Model, before, after store.Row) error {
	row := after
	if row == nil {
		row = before
	}
	if row == nil {
		return nil
	}
	str := func(col string) string { s, _ := row[col].(string); return s }
	is := func(name string) bool { return m.Name == name || slices.Contains(m.Ancestors, name) }
	if is("authentik_policies.policy") || m.Name == "authentik_policies.policybinding" || is("authentik_policies.policybindingmodel") {
		e.configs.clear()
	}
	switch {
	case is("authentik_policies.policy"):
		pk := str(m.PKColumn)
		e.Cache.drop(func(c *cacheEntry) bool { return c.policy == pk })
	case m.Name == "authentik_policies.policybinding":
		pk := str(m.PKColumn)
		e.Cache.drop(func(c *cacheEntry) bool { return c.binding == pk })
		if before != nil {
			if t, _ := before[column(m, "target")].(string); t != "" {
				e.Cache.drop(func(c *cacheEntry) bool { return c.target == t })
			}
		}
	case m.Name == "authentik_core.group":
		e.Cache.Clear()
		e.Directory.Forget()
	case m.Name == "authentik_core.user":
		e.Directory.Forget()
		pk, _ := row[m.PKColumn].(int64)
		e.Cache.drop(func(c *cacheEntry) bool { return c.user == pk })
	case is("authentik_policies.policybindingmodel"):
		a, b := str(m.PKColumn), str(m.ParentColumn)
		e.Cache.drop(func(c *cacheEntry) bool { return c.target == a || b != "" && c.target == b })
	}
	return nil
}
