package policies

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/events"
	"github.com/akgo/akgo/internal/expression"
)

// DefaultHIBPURL is Have I Been Pwned's k-anonymity range endpoint; the
// first five hex digits of the password's SHA-1 are appended.
const DefaultHIBPURL = "https://api.pwnedpasswords.com/range/"

// Event actions the engine records.
const (
	ActionPolicyExecution          = "policy_execution"
	ActionPolicyException          = "policy_exception"
	ActionPropertyMappingException = "property_mapping_exception"
)

// Engine evaluates policy bindings and property mappings.
type Engine struct {
	Core        *engine.Engine
	Events      *events.Recorder
	Expressions *expression.Evaluator
	Directory   *Directory
	Cache       *Cache
	// HIBPURL is the range endpoint the password policy asks; HTTPClient
	// sends the request.
	HIBPURL    string
	HTTPClient *http.Client
	// Config answers CONFIG.get in expressions.
	Config func(key string) (any, bool)
	// Sleep and RandInt let tests drive the dummy policy.
	Sleep   func(ctx context.Context, d time.Duration) error
	RandInt func(n int) int
	Log     *slog.Logger

	configs configCache
}

// New builds an engine over the store of core; rec may be nil (no events).
func New(core *engine.Engine, rec *events.Recorder) *Engine {
	e := &Engine{
		Core:       core,
		Events:     rec,
		Directory:  &Directory{Core: core, TTL: ConfigTTL},
		Cache:      NewCache(core.Now),
		HIBPURL:    DefaultHIBPURL,
		HTTPClient: &http.Client{Timeout: 10 * time.Second},
		Sleep:      sleep,
		RandInt:    rand.IntN,
		Log:        slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	e.Expressions = &expression.Evaluator{
		Directory:   e.Directory,
		Config:      func(key string) (any, bool) { return e.config(key) },
		CallPolicy:  e.callPolicy,
		CreateEvent: e.createEvent,
	}
	return e
}

func (e *Engine) config(key string) (any, bool) {
	if e.Config == nil {
		return nil, false
	}
	return e.Config(key)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Request is authentik's PolicyRequest.
type Request struct {
	// User is the user being checked (nil: anonymous).
	User *expression.User
	HTTP *expression.HTTPRequest
	// Obj is what the policies are bound to (request.obj in expressions).
	Obj any
	// Context is shared with expressions, which may change it.
	Context map[string]any
	// SessionKey scopes cached results to a browser session.
	SessionKey string
	// Debug marks a policy test: no events, no caching.
	Debug bool
	// NoCache skips cached results (re-evaluated flow stage bindings).
	NoCache bool
}

func (r *Request) userPK() int64 {
	if r.User == nil {
		return 0
	}
	return r.User.PK
}

// shouldCache: authentik caches results of authenticated, non-debug
// requests only.
func (r *Request) shouldCache() bool { return r.User != nil && !r.Debug }

// expressionRequest is the PolicyRequest expressions see, sharing the
// context map.
func (r *Request) expressionRequest() *expression.Request {
	if r.Context == nil {
		r.Context = map[string]any{}
	}
	return &expression.Request{User: r.User, HTTP: r.HTTP, Obj: r.Obj, Context: r.Context, Debug: r.Debug}
}

// Result is authentik's PolicyResult.
type Result struct {
	Passing  bool
	Messages []string
	// LogMessages are what the policy logged (shown by the policy test).
	LogMessages []map[string]any
	// Binding and Policy name the binding (and its policy) that produced
	// the result; Sources are the binding results an engine result
	// combines.
	Binding string
	Policy  string
	Sources []Result
}

// exception is authentik's PolicyException: the policy could not decide,
// so the binding's failure_result applies.
type exception struct {
	msg string
	err error
}

func (e *exception) Error() string { return e.msg }
func (e *exception) Unwrap() error { return e.err }

func policyException(err error) error {
	var ex *exception
	if errors.As(err, &ex) {
		return ex
	}
	return &exception{msg: err.Error(), err: err}
}

// Evaluate runs the bindings of target (a PolicyBindingModel's pk) for req
// and combines them by the target's policy_engine_mode. Errors are store
// failures; a failing policy yields its binding's failure_result.
func (e *Engine) Evaluate(ctx context.Context, target string, req *Request) (*Result, error) {
	cfg, err := e.targetConfig(ctx, target)
	if err != nil {
		return nil, err
	}
	if len(cfg.bindings) == 0 {
		return &Result{Passing: true}, nil
	}
	results := make([]Result, 0, len(cfg.bindings))
	for _, b := range cfg.bindings {
		if !req.NoCache {
			if r, ok := e.Cache.get(cacheKey(b.PK, req.SessionKey, req.userPK())); ok {
				results = append(results, r)
				continue
			}
		}
		results = append(results, e.runBinding(ctx, b, cfg.policies[b.Policy], req))
	}
	return combine(cfg.mode, results), nil
}

// combine applies the engine mode: "all" needs every result passing, "any"
// one of them; the messages of all results are kept.
func combine(mode string, results []Result) *Result {
	out := &Result{Passing: mode != "any", Sources: results}
	for _, r := range results {
		if mode == "any" {
			out.Passing = out.Passing || r.Passing
		} else {
			out.Passing = out.Passing && r.Passing
		}
		out.Messages = append(out.Messages, r.Messages...)
	}
	return out
}

// runBinding evaluates one binding: the policy (or group or user check)
// under the binding's timeout, then negate, failure_result, events and the
// cache.
func (e *Engine) runBinding(ctx context.Context, b *binding, p *policy, req *Request) Result {
	res, err := e.passes(ctx, b, p, req)
	if err != nil {
		if !req.Debug && p != nil {
			e.record(ctx, req, ActionPolicyException, "authentik.policies.process", e.eventData(b, p, req, map[string]any{
				"message": exceptionMessage(err),
			}))
		}
		res = Result{Passing: b.FailureResult, Messages: []string{err.Error()}, LogMessages: append(res.LogMessages,
			map[string]any{"event": "P_ENG(proc): error, using failure result", "log_level": "debug", "exc": err.Error()})}
	} else {
		if b.Negate {
			res.Passing = !res.Passing
		}
		if p != nil && p.ExecutionLogging && !req.Debug {
			e.record(ctx, req, ActionPolicyExecution, "authentik.policies.process", e.eventData(b, p, req, map[string]any{
				"message": "Policy Execution",
				"result":  map[string]any{"passing": res.Passing, "messages": nonNil(res.Messages)},
			}))
		}
	}
	res.Binding = b.PK
	if p != nil {
		res.Policy = p.PK
	}
	// A binding without pk is a policy run on its own (policy test,
	// ak_call_policy), which authentik does not cache either.
	if b.PK != "" && req.shouldCache() {
		e.Cache.set(cacheKey(b.PK, req.SessionKey, req.userPK()), &cacheEntry{result: res, binding: b.PK, policy: b.Policy,
			target: b.Target, user: req.userPK()})
	}
	return res
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// exceptionMessage is the event text of a failed policy: authentik's
// traceback header, the expression's backtrace when there is one, then
// the message.
func exceptionMessage(err error) string {
	var ee *expression.Error
	if errors.As(err, &ee) && ee.Backtrace != "" {
		return ee.Backtrace
	}
	return err.Error()
}

// passes is PolicyBinding.passes: the bound policy, group or user.
func (e *Engine) passes(ctx context.Context, b *binding, p *policy, req *Request) (Result, error) {
	if b.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(b.Timeout)*time.Second)
		defer cancel()
	}
	switch {
	case b.Policy != "":
		if p == nil {
			return Result{}, &exception{msg: fmt.Sprintf("policy %s of binding %s does not exist", b.Policy, b.PK)}
		}
		return e.runPolicy(ctx, p, req)
	case b.Group != "":
		if req.User == nil {
			return Result{Passing: false}, nil
		}
		groups, err := e.Directory.AllGroups(ctx, req.User)
		if err != nil {
			return Result{}, policyException(err)
		}
		for _, g := range groups {
			if g.PK == b.Group {
				return Result{Passing: true}, nil
			}
		}
		return Result{Passing: false}, nil
	case b.User != 0:
		return Result{Passing: req.User != nil && req.User.PK == b.User}, nil
	}
	return Result{Passing: false}, nil
}

// runPolicy runs one policy of a known kind; a deadline reached while it
// runs is an exception, as is any error it returns.
func (e *Engine) runPolicy(ctx context.Context, p *policy, req *Request) (Result, error) {
	kind, ok := kinds[p.Model]
	if !ok {
		return Result{}, &exception{msg: fmt.Sprintf("Policy '%s' is root type", p.Name)}
	}
	res, err := kind(ctx, e, p, req)
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, expression.ErrTimeout) {
			return res, &exception{msg: fmt.Sprintf("Policy '%s' timed out", p.Name), err: err}
		}
		return res, policyException(err)
	}
	return res, nil
}

// Test runs one policy for req as the policy test API does: through a
// fresh binding, without cache or events, collecting the logs.
func (e *Engine) Test(ctx context.Context, policyPK string, req *Request) (*Result, error) {
	p, err := e.policyByPK(ctx, policyPK)
	if err != nil {
		return nil, fmt.Errorf("load policy %s: %w", policyPK, err)
	}
	if p == nil {
		return nil, &engine.NotFoundError{Detail: "Not found."}
	}
	req.Debug = true
	res := e.runBinding(ctx, &binding{PK: "", Policy: p.PK, Timeout: 30}, p, req)
	return &res, nil
}

// maxCallDepth bounds policies calling policies (a policy calling itself
// would otherwise recurse until its timeout).
const maxCallDepth = 10

type callDepthKey struct{}

// callPolicy backs ak_call_policy: the named policy with a copy of the
// calling request whose context has the keyword arguments added.
func (e *Engine) callPolicy(ctx context.Context, name string, req *expression.Request, extra map[string]any) (*expression.PolicyResult, error) {
	depth, _ := ctx.Value(callDepthKey{}).(int)
	if depth >= maxCallDepth {
		return nil, fmt.Errorf("ak_call_policy: maximum nesting depth (%d) exceeded", maxCallDepth)
	}
	ctx = context.WithValue(ctx, callDepthKey{}, depth+1)
	p, err := e.policyByName(ctx, name)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, fmt.Errorf("Policy '%s' not found.", name)
	}
	sub := &Request{Context: map[string]any{}}
	if req != nil {
		sub.User, sub.HTTP, sub.Obj, sub.Debug = req.User, req.HTTP, req.Obj, req.Debug
		for k, v := range req.Context {
			sub.Context[k] = v
		}
	}
	for k, v := range extra {
		sub.Context[k] = v
	}
	res := e.runBinding(ctx, &binding{Policy: p.PK, Timeout: 30}, p, sub)
	return &expression.PolicyResult{Passing: res.Passing, Messages: res.Messages}, nil
}

// createEvent backs ak_create_event.
func (e *Engine) createEvent(ctx context.Context, action, app string, data map[string]any) error {
	if e.Events == nil {
		return errors.New("events are not recorded by this engine")
	}
	return e.Events.Record(ctx, action, app, data)
}

// eventData is the context authentik attaches to policy events.
func (e *Engine) eventData(b *binding, p *policy, req *Request, extra map[string]any) map[string]any {
	data := map[string]any{
		"policy_uuid": strings.ReplaceAll(p.PK, "-", ""),
		"request":     expression.Sanitize(req.expressionRequest()),
	}
	if b.record.m != nil {
		data["binding"] = map[string]any{"app": b.m.App(), "model_name": b.m.ModelName(),
			"pk": strings.ReplaceAll(b.PK, "-", ""), "name": e.Core.DisplayName(b.m, b.row)}
	}
	for k, v := range extra {
		data[k] = v
	}
	return data
}

// record writes an event as the request's user, outside any deadline the
// policy ran under. A failure is logged: it must not change the result.
func (e *Engine) record(ctx context.Context, req *Request, action, app string, data map[string]any) {
	if e.Events == nil {
		return
	}
	actor, _ := engine.ActorFrom(ctx)
	if req.User != nil {
		actor.UserPK, actor.Username, actor.Email = req.User.PK, req.User.Username, req.User.Email
	}
	if req.HTTP != nil && req.HTTP.ClientIP != "" {
		actor.ClientIP = req.HTTP.ClientIP
	}
	ctx = engine.WithActor(context.WithoutCancel(ctx), actor)
	if err := e.Events.Record(ctx, action, app, data); err != nil {
		e.Log.Error("record event", "action", action, "err", err)
	}
}
