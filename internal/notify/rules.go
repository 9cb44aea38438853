package notify

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/store"
)

// PolicyRequest is what a policy is asked about when a rule checks an
// event: the user who caused the event (nil when it was anonymous or the
// user is gone) and the event itself (authentik's request.context["event"]).
type PolicyRequest struct {
	User  *User
	Event *Event
}

// PolicyEvaluator decides the bound policies notify does not evaluate
// itself (every kind but the event matcher), e.g. expression policies.
type PolicyEvaluator interface {
	EvaluatePolicy(ctx context.Context, policyPK, model string, req PolicyRequest) (bool, error)
}

// MatcherPolicy is an event-matcher policy's criteria; an empty criterion
// is not checked.
type MatcherPolicy struct {
	Action, ClientIP, App, Model string
}

// Match reports whether an event matches the policy, with the messages of
// the checks that ran. authentik 2023.10 passes when any configured
// criterion matches (not all of them), and fails when none is configured.
func (p MatcherPolicy) Match(ev *Event) (bool, []string) {
	type check struct {
		want, got, msg string
	}
	model := ""
	if p.Model != "" {
		info, _ := ev.Context["model"].(map[string]any)
		// authentik formats missing parts as Python's None.
		part := func(k string) string {
			if v, ok := info[k]; ok && v != nil {
				return str(v)
			}
			return "None"
		}
		model = part("app") + "." + part("model_name")
	}
	checks := []check{
		{p.Action, ev.Action, "Action matched."},
		{p.ClientIP, ev.ClientIP, "Client IP matched."},
		{p.App, ev.App, "App matched."},
		{p.Model, model, "Model matched."},
	}
	passing := false
	var msgs []string
	for _, c := range checks {
		if c.want == "" {
			continue
		}
		// authentik attaches the message to the check's result whether or
		// not it passed.
		msgs = append(msgs, c.msg)
		if c.want == c.got {
			passing = true
		}
	}
	return passing, msgs
}

// binding is one policy binding of a rule.
type binding struct {
	policy, group   string
	user            int64
	negate, failure bool
}

func (s *schema) bindings(ctx context.Context, tx store.Tx, target string) ([]binding, error) {
	m := s.binding
	rows, err := tx.Select(ctx, store.Query{Table: m.Table,
		Where:   store.And(store.Eq(col(m, "target"), target), store.Eq(col(m, "enabled"), true)),
		OrderBy: []store.Order{{Column: col(m, "order")}, {Column: m.PKColumn}}})
	if err != nil {
		return nil, fmt.Errorf("load bindings of %s: %w", target, err)
	}
	out := make([]binding, 0, len(rows))
	for _, r := range rows {
		b := binding{policy: str(r[col(m, "policy")]), group: str(r[col(m, "group")])}
		b.user, _ = r[col(m, "user")].(int64)
		b.negate, _ = r[col(m, "negate")].(bool)
		b.failure, _ = r[col(m, "failure_result")].(bool)
		out = append(out, b)
	}
	return out, nil
}

// loopGuard reports whether the event was caused by a policy that is bound
// to any notification rule; authentik then skips every rule, the simplest
// way to keep a rule from feeding on its own policy's events.
func (s *schema) loopGuard(ctx context.Context, tx store.Tx, ev *Event) (bool, error) {
	raw, ok := ev.Context["policy_uuid"]
	if !ok {
		return false, nil
	}
	id, err := uuid.Parse(strings.TrimSpace(str(raw)))
	if err != nil {
		return false, nil
	}
	m := s.binding
	n, err := tx.Count(ctx, store.Query{Table: m.Table, Where: store.And(
		store.Eq(col(m, "policy"), id.String()),
		store.InQueryCond{Column: col(m, "target"), Query: store.Query{Table: s.rule.Table, Columns: []string{s.rule.PKColumn}}},
	)})
	if err != nil {
		return false, fmt.Errorf("check policy loop: %w", err)
	}
	return n > 0, nil
}

// ruleMatches runs a rule's bindings as authentik's policy engine does for
// rules: any passing binding passes, no binding means no match.
func (d *Dispatcher) ruleMatches(ctx context.Context, tx store.Tx, r Rule, ev *Event, user *User) (bool, error) {
	bs, err := d.s.bindings(ctx, tx, r.PK)
	if err != nil {
		return false, err
	}
	for _, b := range bs {
		pass, err := d.bindingPasses(ctx, tx, b, ev, user)
		if err != nil {
			if ctx.Err() != nil {
				return false, err
			}
			d.log.Warn("notification rule: policy failed, using the binding's failure result",
				"rule", r.Name, "policy", b.policy, "err", err)
			pass = b.failure
		}
		if pass != b.negate {
			return true, nil
		}
	}
	return false, nil
}

func (d *Dispatcher) bindingPasses(ctx context.Context, tx store.Tx, b binding, ev *Event, user *User) (bool, error) {
	switch {
	case b.policy != "":
		return d.policyPasses(ctx, tx, b.policy, ev, user)
	case b.group != "":
		if user == nil {
			return false, nil
		}
		return d.s.isMember(ctx, tx, user.PK, b.group)
	case b.user != 0:
		return user != nil && user.PK == b.user, nil
	}
	return false, nil
}

func (d *Dispatcher) policyPasses(ctx context.Context, tx store.Tx, pk string, ev *Event, user *User) (bool, error) {
	pm := d.s.policy
	rows, err := tx.Select(ctx, store.Query{Table: pm.Table, Where: store.Eq(pm.PKColumn, pk), Limit: 1})
	if err != nil {
		return false, fmt.Errorf("load policy %s: %w", pk, err)
	}
	if len(rows) == 0 {
		return false, nil
	}
	model := str(rows[0][engine.ModelColumn])
	if model != d.s.matcher.Name {
		if d.Policies == nil {
			d.log.Warn("notification rule: no policy engine for this policy kind; it does not pass", "policy", pk, "model", model)
			return false, nil
		}
		return d.Policies.EvaluatePolicy(ctx, pk, model, PolicyRequest{User: user, Event: ev})
	}
	mm := d.s.matcher
	rows, err = tx.Select(ctx, store.Query{Table: mm.Table, Where: store.Eq(mm.PKColumn, pk), Limit: 1})
	if err != nil {
		return false, fmt.Errorf("load event matcher policy %s: %w", pk, err)
	}
	if len(rows) == 0 {
		return false, fmt.Errorf("event matcher policy %s has no row of its own", pk)
	}
	r := rows[0]
	p := MatcherPolicy{Action: str(r[col(mm, "action")]), ClientIP: str(r[col(mm, "client_ip")]),
		App: str(r[col(mm, "app")]), Model: str(r[col(mm, "model")])}
	pass, _ := p.Match(ev)
	return pass, nil
}

// isMember reports whether the user is in the group or in one of its
// descendants (authentik's group.is_member walks the user's groups and
// their parents).
func (s *schema) isMember(ctx context.Context, tx store.Tx, userPK int64, group string) (bool, error) {
	j := s.groupUsers
	rows, err := tx.Select(ctx, store.Query{Table: j.Table, Columns: []string{j.Self}, Where: store.Eq(j.Other, userPK)})
	if err != nil {
		return false, fmt.Errorf("load groups of user %d: %w", userPK, err)
	}
	gm := s.group
	parent := col(gm, "parent")
	seen := map[string]bool{}
	frontier := make([]any, 0, len(rows))
	for _, r := range rows {
		frontier = append(frontier, r[j.Self])
	}
	for len(frontier) > 0 {
		var next []any
		for _, g := range frontier {
			id := str(g)
			if id == group {
				return true, nil
			}
			seen[id] = true
		}
		ps, err := tx.Select(ctx, store.Query{Table: gm.Table, Columns: []string{parent},
			Where: store.And(store.InCond{Column: gm.PKColumn, Values: frontier}, store.NullCond{Column: parent, IsNull: false})})
		if err != nil {
			return false, fmt.Errorf("load parent groups: %w", err)
		}
		for _, p := range ps {
			if id := str(p[parent]); id != "" && !seen[id] {
				next = append(next, id)
			}
		}
		frontier = next
	}
	return false, nil
}

// delivery is one notification to send: a transport, an event, a
// recipient and the rule that matched.
type delivery struct {
	transport, event, rule string
	user                   int64
}

// plan decides, for one committed event, which deliveries to make: for
// every rule whose policies pass and that has a group, one delivery per
// transport and group member (only the first member for send-once
// transports).
func (d *Dispatcher) plan(ctx context.Context, tx store.Tx, ev *Event) ([]delivery, error) {
	if skip, err := d.s.loopGuard(ctx, tx, ev); err != nil || skip {
		return nil, err
	}
	rules, err := d.s.loadRules(ctx, tx)
	if err != nil {
		return nil, err
	}
	var actor *User
	if pk, ok := userPK(ev.User["pk"]); ok {
		if actor, err = d.s.loadUser(ctx, tx, pk); err != nil {
			return nil, err
		}
	}
	var out []delivery
	for _, r := range rules {
		ok, err := d.ruleMatches(ctx, tx, r, ev, actor)
		if err != nil {
			return nil, err
		}
		if !ok || r.Group == "" {
			continue
		}
		transports, err := d.s.ruleTransportPKs(ctx, tx, r.PK)
		if err != nil {
			return nil, err
		}
		members, err := d.s.groupMembers(ctx, tx, r.Group)
		if err != nil {
			return nil, err
		}
		for _, t := range transports {
			tr, err := d.s.loadTransport(ctx, tx, t)
			if err != nil {
				return nil, err
			}
			if tr == nil {
				continue
			}
			for _, u := range members {
				out = append(out, delivery{transport: t, event: ev.PK, rule: r.PK, user: u})
				if tr.SendOnce {
					break
				}
			}
		}
	}
	return out, nil
}

// userPK reads the pk of an event's user (a JSON number; 0 or missing is
// the anonymous user).
func userPK(v any) (int64, bool) {
	switch x := v.(type) {
	case interface{ Int64() (int64, error) }:
		n, err := x.Int64()
		return n, err == nil && n != 0
	case float64:
		return int64(x), x != 0
	case int64:
		return x, x != 0
	}
	return 0, false
}
