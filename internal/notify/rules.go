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

// ruleSet is what matching reads besides the events themselves, loaded
// once for a batch of events in the batch's snapshot: the rules, their
// bindings, and (filled as events need them) users, policies, group
// memberships and transports.
type ruleSet struct {
	rules []Rule
	// bindings holds each rule's enabled bindings in evaluation order.
	bindings map[string][]binding
	// loopPolicies holds the policies bound to any rule, enabled or not.
	loopPolicies map[string]bool

	users      map[int64]*User
	policies   map[string]policyRow
	members    map[memberKey]bool
	transports map[string][]string
	groupUsers map[string][]int64
	transport  map[string]*Transport
}

// policyRow is a bound policy as matching needs it: its concrete model,
// and its criteria when it is an event matcher (err when its own row is
// missing).
type policyRow struct {
	exists  bool
	model   string
	matcher MatcherPolicy
	err     error
}

type memberKey struct {
	user  int64
	group string
}

// loadRuleSet reads the rules with their bindings, then every policy
// bound to them, in two ReadMany calls (two round trips on PostgreSQL,
// where one batch of events paid a dozen: two per bound policy). With no
// rule it reads nothing more.
func (s *schema) loadRuleSet(ctx context.Context, tx store.Tx) (*ruleSet, error) {
	rm, m := s.rule, s.binding
	res, err := tx.ReadMany(ctx, []store.Read{
		{Query: store.Query{Table: rm.Table, OrderBy: []store.Order{{Column: col(rm, "name")}}}},
		{Query: store.Query{Table: m.Table,
			Where:   store.InQueryCond{Column: col(m, "target"), Query: store.Query{Table: rm.Table, Columns: []string{rm.PKColumn}}},
			OrderBy: []store.Order{{Column: col(m, "order")}, {Column: m.PKColumn}}}},
	})
	if err != nil {
		return nil, fmt.Errorf("load notification rules and their bindings: %w", err)
	}
	if len(res[0].Rows) == 0 {
		return &ruleSet{}, nil
	}
	rules := make([]Rule, 0, len(res[0].Rows))
	for _, r := range res[0].Rows {
		rules = append(rules, s.rule1(r))
	}
	rs := &ruleSet{rules: rules, bindings: map[string][]binding{}, loopPolicies: map[string]bool{},
		users: map[int64]*User{}, policies: map[string]policyRow{}, members: map[memberKey]bool{},
		transports: map[string][]string{}, groupUsers: map[string][]int64{}, transport: map[string]*Transport{}}
	var bound []any
	for _, r := range res[1].Rows {
		target := str(r[col(m, "target")])
		b := binding{policy: str(r[col(m, "policy")]), group: str(r[col(m, "group")])}
		if id, err := uuid.Parse(b.policy); err == nil {
			rs.loopPolicies[id.String()] = true
		}
		if enabled, _ := r[col(m, "enabled")].(bool); !enabled {
			continue
		}
		b.user, _ = r[col(m, "user")].(int64)
		b.negate, _ = r[col(m, "negate")].(bool)
		b.failure, _ = r[col(m, "failure_result")].(bool)
		rs.bindings[target] = append(rs.bindings[target], b)
		if b.policy != "" {
			bound = append(bound, b.policy)
		}
	}
	if err := s.loadPolicies(ctx, tx, rs, bound); err != nil {
		return nil, err
	}
	return rs, nil
}

// loadPolicies reads the bound policies (their model) and the event
// matchers among them (their criteria) together into rs.policies. Only
// query failures are errors; a policy missing from the table stays out
// (policyPasses finds it absent), and a matcher without its own row is
// recorded, failing each binding that uses it.
func (s *schema) loadPolicies(ctx context.Context, tx store.Tx, rs *ruleSet, pks []any) error {
	if len(pks) == 0 {
		return nil
	}
	pm, mm := s.policy, s.matcher
	res, err := tx.ReadMany(ctx, []store.Read{
		{Query: store.Query{Table: pm.Table, Where: store.InCond{Column: pm.PKColumn, Values: pks}}},
		{Query: store.Query{Table: mm.Table, Where: store.InCond{Column: mm.PKColumn, Values: pks}}},
	})
	if err != nil {
		return fmt.Errorf("load the policies of notification rules: %w", err)
	}
	matchers := make(map[string]store.Row, len(res[1].Rows))
	for _, r := range res[1].Rows {
		matchers[str(r[mm.PKColumn])] = r
	}
	for _, r := range res[0].Rows {
		pk := str(r[pm.PKColumn])
		p := policyRow{exists: true, model: str(r[engine.ModelColumn])}
		if p.model == mm.Name {
			if mr, ok := matchers[pk]; ok {
				p.matcher = s.matcher1(mr)
			} else {
				p.err = fmt.Errorf("event matcher policy %s has no row of its own", pk)
			}
		}
		rs.policies[pk] = p
	}
	return nil
}

// visibleEvents reports which of the jobs' events are visible (committed).
func (s *schema) visibleEvents(ctx context.Context, tx store.Tx, jobs []job) (map[string]bool, error) {
	m := s.event
	pks := make([]any, len(jobs))
	for i, j := range jobs {
		pks[i] = j.event
	}
	rows, err := tx.Select(ctx, store.Query{Table: m.Table, Columns: []string{m.PKColumn}, Where: store.InCond{Column: m.PKColumn, Values: pks}})
	if err != nil {
		return nil, fmt.Errorf("load events: %w", err)
	}
	out := make(map[string]bool, len(rows))
	for _, r := range rows {
		out[str(r[m.PKColumn])] = true
	}
	return out, nil
}

// loopGuard reports whether the event was caused by a policy that is bound
// to any notification rule; authentik then skips every rule, the simplest
// way to keep a rule from feeding on its own policy's events.
func (rs *ruleSet) loopGuard(ev *Event) bool {
	raw, ok := ev.Context["policy_uuid"]
	if !ok {
		return false
	}
	id, err := uuid.Parse(strings.TrimSpace(str(raw)))
	if err != nil {
		return false
	}
	return rs.loopPolicies[id.String()]
}

// ruleMatches runs a rule's bindings as authentik's policy engine does for
// rules: any passing binding passes, no binding means no match.
func (d *Dispatcher) ruleMatches(ctx context.Context, tx store.Tx, rs *ruleSet, r Rule, ev *Event, user *User) (bool, error) {
	for _, b := range rs.bindings[r.PK] {
		pass, err := d.bindingPasses(ctx, tx, rs, b, ev, user)
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

func (d *Dispatcher) bindingPasses(ctx context.Context, tx store.Tx, rs *ruleSet, b binding, ev *Event, user *User) (bool, error) {
	switch {
	case b.policy != "":
		return d.policyPasses(ctx, rs, b.policy, ev, user)
	case b.group != "":
		if user == nil {
			return false, nil
		}
		k := memberKey{user.PK, b.group}
		if in, ok := rs.members[k]; ok {
			return in, nil
		}
		in, err := d.s.isMember(ctx, tx, user.PK, b.group)
		if err == nil {
			rs.members[k] = in
		}
		return in, err
	case b.user != 0:
		return user != nil && user.PK == b.user, nil
	}
	return false, nil
}

// policyPasses decides a bound policy; loadRuleSet read every one
// (a policy missing there is gone and does not pass).
func (d *Dispatcher) policyPasses(ctx context.Context, rs *ruleSet, pk string, ev *Event, user *User) (bool, error) {
	p := rs.policies[pk]
	if !p.exists {
		return false, nil
	}
	if p.model != d.s.matcher.Name {
		if d.Policies == nil {
			d.log.Warn("notification rule: no policy engine for this policy kind; it does not pass", "policy", pk, "model", p.model)
			return false, nil
		}
		return d.Policies.EvaluatePolicy(ctx, pk, p.model, PolicyRequest{User: user, Event: ev})
	}
	if p.err != nil {
		return false, p.err
	}
	pass, _ := p.matcher.Match(ev)
	return pass, nil
}

// matcher1 is an event matcher policy's criteria from its row.
func (s *schema) matcher1(r store.Row) MatcherPolicy {
	mm := s.matcher
	return MatcherPolicy{Action: str(r[col(mm, "action")]), ClientIP: str(r[col(mm, "client_ip")]),
		App: str(r[col(mm, "app")]), Model: str(r[col(mm, "model")])}
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
func (d *Dispatcher) plan(ctx context.Context, tx store.Tx, rs *ruleSet, ev *Event) ([]delivery, error) {
	if len(rs.rules) == 0 || rs.loopGuard(ev) {
		return nil, nil
	}
	var actor *User
	if pk, ok := userPK(ev.User["pk"]); ok {
		var loaded bool
		if actor, loaded = rs.users[pk]; !loaded {
			var err error
			if actor, err = d.s.loadUser(ctx, tx, pk); err != nil {
				return nil, err
			}
			rs.users[pk] = actor
		}
	}
	var out []delivery
	for _, r := range rs.rules {
		ok, err := d.ruleMatches(ctx, tx, rs, r, ev, actor)
		if err != nil {
			return nil, err
		}
		if !ok || r.Group == "" {
			continue
		}
		transports, loaded := rs.transports[r.PK]
		if !loaded {
			if transports, err = d.s.ruleTransportPKs(ctx, tx, r.PK); err != nil {
				return nil, err
			}
			rs.transports[r.PK] = transports
		}
		members, loaded := rs.groupUsers[r.Group]
		if !loaded {
			if members, err = d.s.groupMembers(ctx, tx, r.Group); err != nil {
				return nil, err
			}
			rs.groupUsers[r.Group] = members
		}
		for _, t := range transports {
			tr, loaded := rs.transport[t]
			if !loaded {
				if tr, err = d.s.loadTransport(ctx, tx, t); err != nil {
					return nil, err
				}
				rs.transport[t] = tr
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
