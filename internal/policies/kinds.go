package policies

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"time"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/expression"
	"github.com/akgo/akgo/internal/store"
)

// kindFunc decides one policy of a kind. An error means the policy could
// not decide (authentik's PolicyException): the binding's failure_result
// applies.
type kindFunc func(ctx context.Context, e *Engine, p *policy, req *Request) (Result, error)

// kinds maps each concrete policy model to its logic.
var kinds = map[string]kindFunc{
	"authentik_policies_dummy.dummypolicy":                dummyPolicy,
	"authentik_policies_expression.expressionpolicy":      expressionPolicy,
	"authentik_policies_event_matcher.eventmatcherpolicy": eventMatcherPolicy,
	"authentik_policies_password.passwordpolicy":          passwordPolicy,
	"authentik_policies_expiry.passwordexpirypolicy":      passwordExpiryPolicy,
	"authentik_policies_reputation.reputationpolicy":      reputationPolicy,
}

func logEntry(level, event string, attrs map[string]any) map[string]any {
	out := map[string]any{"event": event, "log_level": level}
	for k, v := range attrs {
		out[k] = v
	}
	return out
}

// dummyPolicy waits a random whole number of seconds in [wait_min,
// wait_max) and returns its configured result.
func dummyPolicy(ctx context.Context, e *Engine, p *policy, req *Request) (Result, error) {
	lo, hi := p.int("wait_min"), p.int("wait_max")
	if hi <= lo {
		return Result{}, fmt.Errorf("empty range for randrange() (%d, %d, %d)", lo, hi, hi-lo)
	}
	wait := lo + int64(e.RandInt(int(hi-lo)))
	logs := []map[string]any{logEntry("info", "Policy waiting", map[string]any{"policy": p.Name, "delay": wait})}
	if err := e.Sleep(ctx, time.Duration(wait)*time.Second); err != nil {
		return Result{LogMessages: logs}, err
	}
	return Result{Passing: p.bool("result"), Messages: []string{"dummy"}, LogMessages: logs}, nil
}

// expressionPolicy runs the policy's expression with authentik's policy
// variables; a truthy result passes, None fails.
func expressionPolicy(ctx context.Context, e *Engine, p *policy, req *Request) (Result, error) {
	er := req.expressionRequest()
	sso, _ := er.Context["is_sso"].(bool)
	vars := map[string]any{"request": er, "context": er.Context, "ak_is_sso_flow": sso}
	if req.HTTP != nil {
		vars["http_request"] = req.HTTP
		ip, err := expression.ParseIP(req.HTTP.ClientIP)
		if err != nil {
			ip = netip.MustParseAddr("255.255.255.255")
		}
		vars["ak_client_ip"] = ip
	}
	out, err := e.Expressions.Run(ctx, expression.Call{Source: p.str("expression"), Filename: p.Name, Vars: vars, Request: er})
	if err != nil {
		return Result{}, err
	}
	res := Result{Passing: out.Truth(), Messages: out.Messages}
	for _, l := range out.Logs {
		res.LogMessages = append(res.LogMessages, l.Map())
	}
	if out.IsNone() {
		res.LogMessages = append(res.LogMessages, logEntry("warning", "Expression policy returned None",
			map[string]any{"src": p.str("expression")}))
	}
	return res, nil
}

// eventMatcherPolicy passes as soon as one configured criterion matches
// the event in the context ("event"), checked in authentik 2023.10's order
// (action, client IP, app, model); with none matching (or none set) it
// fails. Notification rules rely on this "any" semantics.
func eventMatcherPolicy(ctx context.Context, e *Engine, p *policy, req *Request) (Result, error) {
	event, ok := req.Context["event"].(map[string]any)
	if !ok {
		return Result{Passing: false}, nil
	}
	checks := []struct {
		field, msg string
		got        func() string
	}{
		{"action", "Action matched.", func() string { s, _ := event["action"].(string); return s }},
		{"client_ip", "Client IP matched.", func() string { s, _ := event["client_ip"].(string); return s }},
		{"app", "App matched.", func() string { s, _ := event["app"].(string); return s }},
		{"model", "Model matched.", func() string {
			ectx, _ := event["context"].(map[string]any)
			model, _ := ectx["model"].(map[string]any)
			return fmt.Sprintf("%v.%v", pyNone(model["app"]), pyNone(model["model_name"]))
		}},
	}
	res := Result{}
	for _, c := range checks {
		want, set := p.value(c.field).(string)
		if !set || want == "" {
			continue
		}
		matched := want == c.got()
		res.LogMessages = append(res.LogMessages, logEntry("debug", "Event matcher check result",
			map[string]any{"checker": "passes_" + c.field, "result": matched}))
		if matched {
			res.Passing = true
			res.Messages = []string{c.msg}
			return res, nil
		}
	}
	return res, nil
}

// pyNone renders a missing value as Python's f-string would.
func pyNone(v any) any {
	if v == nil {
		return "None"
	}
	return v
}

// passwordExpiryPolicy fails once the password is days old; unless
// deny_only, it also makes the password unusable so the user must reset
// it.
func passwordExpiryPolicy(ctx context.Context, e *Engine, p *policy, req *Request) (Result, error) {
	if req.User == nil {
		return Result{}, errors.New("'AnonymousUser' object has no attribute 'password_change_date'")
	}
	days := p.int("days")
	now := e.Core.Now()
	changed := req.User.PasswordChangeDate
	actual := floorDays(now.Sub(changed))
	sinceExpiry := floorDays(now.Sub(changed.Add(time.Duration(days) * 24 * time.Hour)))
	if actual < days {
		return Result{Passing: true}, nil
	}
	if p.bool("deny_only") {
		return Result{Passing: false, Messages: []string{"Password has expired."}}, nil
	}
	if err := e.setUnusablePassword(ctx, req.User); err != nil {
		return Result{}, err
	}
	return Result{Passing: false, Messages: []string{fmt.Sprintf("Password expired %d days ago. Please update your password.", sinceExpiry)}}, nil
}

// floorDays is Python's timedelta.days: whole days, rounded down.
func floorDays(d time.Duration) int64 {
	return int64(math.Floor(d.Hours() / 24))
}

// setUnusablePassword stores Django's unusable-password marker.
func (e *Engine) setUnusablePassword(ctx context.Context, u *expression.User) error {
	um, err := e.model("authentik_core.user")
	if err != nil {
		return err
	}
	err = e.Core.Store.Update(ctx, func(tx store.Tx) error {
		_, err := tx.UpdateWhere(ctx, um.Table, store.Eq(um.PKColumn, u.PK), store.Row{column(um, "password"): "!" + engine.RandomString(40, engine.Alphanumeric)})
		return err
	})
	if err != nil {
		return fmt.Errorf("set unusable password of %s: %w", u.Username, err)
	}
	u.PasswordUsable = false
	return nil
}

// reputationPolicy passes when the summed reputation of the client IP
// and/or the username is at or below the threshold (it marks suspicious
// requests, so it is bound to deny or captcha stages).
func reputationPolicy(ctx context.Context, e *Engine, p *policy, req *Request) (Result, error) {
	rm, err := e.model("authentik_policies_reputation.reputation")
	if err != nil {
		return Result{}, err
	}
	ip, username := "", ""
	if req.HTTP != nil {
		ip = req.HTTP.ClientIP
	}
	if req.User != nil {
		username = req.User.Username
	}
	var or store.OrCond
	if p.bool("check_ip") {
		or = append(or, store.Eq(column(rm, "ip"), ip))
	}
	if p.bool("check_username") {
		or = append(or, store.Eq(column(rm, "identifier"), username))
	}
	var where store.Cond = or
	if len(or) == 0 {
		where = nil
	}
	var score int64
	err = e.Core.Store.View(ctx, func(tx store.Tx) error {
		rows, err := tx.Select(ctx, store.Query{Table: rm.Table, Columns: []string{column(rm, "score")}, Where: where})
		for _, row := range rows {
			score += record{rm, row}.int("score")
		}
		return err
	})
	if err != nil {
		return Result{}, fmt.Errorf("sum reputation: %w", err)
	}
	passing := score <= p.int("threshold")
	return Result{Passing: passing, LogMessages: []map[string]any{logEntry("debug", "Score for user",
		map[string]any{"username": username, "remote_ip": ip, "score": score, "passing": passing})}}, nil
}
