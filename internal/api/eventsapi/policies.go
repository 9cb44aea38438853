package eventsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/akgo/akgo/internal/notify"
	"github.com/akgo/akgo/internal/policies"
)

// policyBridge lets notify use the policy engine for what it does not do
// itself: policy kinds other than the event matcher, and webhook mapping
// expressions.
type policyBridge struct {
	pe *policies.Engine
}

// EvaluatePolicy runs one bound policy with the event in the request
// context, as authentik's rule check passes it. The engine's single-policy
// entry point is its test mode, so the run records no policy_execution or
// policy_exception event and a policy that raises counts as not passing.
func (b policyBridge) EvaluatePolicy(ctx context.Context, policyPK, model string, req notify.PolicyRequest) (bool, error) {
	preq := &policies.Request{Context: map[string]any{"event": eventValue(req.Event)}, NoCache: true}
	if req.User != nil {
		u, err := b.pe.Directory.User(ctx, req.User.PK)
		if err != nil {
			return false, err
		}
		preq.User = u
	}
	res, err := b.pe.Test(ctx, policyPK, preq)
	if err != nil {
		return false, fmt.Errorf("policy %s: %w", policyPK, err)
	}
	return res.Passing, nil
}

// EvaluateMapping runs a webhook mapping with the notification (as a dict:
// body, severity, seen, event, user) and its user, and returns the value
// the expression produced.
func (b policyBridge) EvaluateMapping(ctx context.Context, m notify.Mapping, n *notify.Notification) (any, error) {
	user, err := b.pe.Directory.User(ctx, n.User.PK)
	if err != nil {
		return nil, err
	}
	var ev any
	if n.Event != nil {
		ev = eventValue(n.Event)
	}
	var u any
	if user != nil {
		u = user
	}
	vars := map[string]any{"notification": map[string]any{
		"body": n.Body, "severity": n.Severity, "seen": false, "event": ev, "user": u,
	}}
	var mreq policies.MappingRequest
	mreq.Vars = vars
	mreq.User = user
	out, err := b.pe.EvaluateMapping(ctx, &policies.Mapping{PK: m.PK, Name: m.Name, Expression: m.Expression}, mreq)
	if err != nil {
		return nil, err
	}
	return out.Value(), nil
}

// eventValue is an event as expressions see it. The JSON parts are copies:
// expressions may change the dicts they get, and the caller keeps using
// the event.
func eventValue(ev *notify.Event) map[string]any {
	var ip any
	if ev.ClientIP != "" {
		ip = ev.ClientIP
	}
	return map[string]any{
		"pk": ev.PK, "action": ev.Action, "app": ev.App, "client_ip": ip,
		"context": deepCopy(ev.Context), "user": deepCopy(ev.User), "created": ev.Created,
	}
}

func deepCopy(m map[string]any) map[string]any {
	b, err := json.Marshal(m)
	if err != nil {
		return map[string]any{}
	}
	// Numbers stay json.Number, so integers reach expressions as ints.
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil || out == nil {
		return map[string]any{}
	}
	return out
}
