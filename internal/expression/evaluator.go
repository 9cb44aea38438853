package expression

import (
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"go.starlark.net/starlark"
)

// DefaultTimeout bounds one evaluation when the caller's context has no
// earlier deadline (authentik's default binding timeout).
const DefaultTimeout = 30 * time.Second

// Evaluator runs expressions. Its hooks connect the globals that reach
// outside the expression (users, events, other policies, DNS) to the
// caller; a nil hook makes the global fail with a clear error.
type Evaluator struct {
	// Directory backs ak_user_by, ak_is_group_member, user.ak_groups,
	// group_attributes and ak_user_has_authenticator.
	Directory Directory
	// Config backs CONFIG.get(...): the value of a dotted key, if set.
	Config func(key string) (any, bool)
	// CallPolicy backs ak_call_policy(name, **kwargs).
	CallPolicy func(ctx context.Context, name string, req *Request, extra map[string]any) (*PolicyResult, error)
	// CreateEvent backs ak_create_event(action, **kwargs).
	CreateEvent func(ctx context.Context, action, app string, data map[string]any) error
	// Resolver backs resolve_dns and reverse_dns (net.DefaultResolver
	// when nil).
	Resolver *net.Resolver
	// Timeout bounds each run (DefaultTimeout when zero).
	Timeout time.Duration
	// MaxSteps bounds the Starlark steps of a run (DefaultMaxSteps when
	// zero), so a runaway loop cannot eat the server's memory before its
	// timeout.
	MaxSteps uint64

	programs programCache
}

// Call is one evaluation: the source, a name for logs and events (the
// policy's or mapping's name) and the variables the handler receives, as
// authentik passes its evaluator context to the wrapped function.
type Call struct {
	Source   string
	Filename string
	Vars     map[string]any
	// Request is the PolicyRequest ak_call_policy passes on, if any.
	Request *Request
	// Directory replaces the evaluator's for this call (a caller may
	// share lookups between the evaluations of one request).
	Directory Directory
}

// Outcome is a successful evaluation: the returned value and what the
// expression reported on the side.
type Outcome struct {
	value    starlark.Value
	Messages []string
	Logs     []LogEntry
}

// Truth is Python's bool(result).
func (o *Outcome) Truth() bool { return bool(o.value.Truth()) }

// IsNone reports a None result (an expression that returned nothing).
func (o *Outcome) IsNone() bool { return o.value == starlark.None }

// Value converts the result to Go values (see ToGo).
func (o *Outcome) Value() any { return toGo(o.value, nil) }

// String is Python's str(result).
func (o *Outcome) String() string { return pyStr(o.value) }

// JSON is Python's json.dumps(result, indent=indent or None).
func (o *Outcome) JSON(indent int) (string, error) { return PythonJSON(o.value, indent) }

// Error is an expression that raised while running. Msg is what Python's
// str(exc) would give; Line the expression line that raised (0 unknown).
type Error struct {
	Msg       string
	Line      int
	Backtrace string
	Err       error
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

// DefaultMaxSteps is far beyond any real policy (which runs hundreds of
// steps) and stops a runaway loop within seconds.
const DefaultMaxSteps = 100_000_000

// ErrTimeout marks an evaluation stopped by its deadline.
var ErrTimeout = errors.New("expression timed out")

const envKey = "akgo.expression.env"

// env is the state of one evaluation, reachable from builtins through the
// thread. It converts values and remembers which Go maps became which
// dicts, so changes flow back to the caller.
type env struct {
	ctx     context.Context
	ev      *Evaluator
	call    *Call
	dir     Directory
	msgs    []string
	logs    []LogEntry
	dicts   map[uintptr]*starlark.Dict
	maps    []mapPair
	origin  map[*starlark.Dict]map[string]any
	groups  map[int64][]*Group
	all     map[int64][]*Group
	expired atomic.Bool
}

type mapPair struct {
	m map[string]any
	d *starlark.Dict
}

func envOf(thread *starlark.Thread) *env {
	e, _ := thread.Local(envKey).(*env)
	if e == nil {
		// Only reachable when a builtin runs outside Run (tests of the
		// builtins themselves); give it an empty environment.
		e = &env{ctx: context.Background(), ev: &Evaluator{}, call: &Call{}}
	}
	return e
}

// Run evaluates one expression. Syntax errors are *SyntaxError, errors
// raised by the expression *Error (wrapping ErrTimeout for a timeout).
func (e *Evaluator) Run(ctx context.Context, call Call) (*Outcome, error) {
	params, vars := handlerParams(call.Vars)
	prog, err := e.programs.get(call.Source, params)
	if err != nil {
		return nil, err
	}
	timeout := e.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	en := &env{ctx: ctx, ev: e, call: &call, dir: e.Directory}
	if call.Directory != nil {
		en.dir = call.Directory
	}
	thread := &starlark.Thread{Name: call.Filename, Print: func(_ *starlark.Thread, msg string) {
		en.logs = append(en.logs, LogEntry{Event: msg, Level: "info", Attrs: map[string]any{}})
	}}
	thread.SetLocal(envKey, en)
	steps := e.MaxSteps
	if steps == 0 {
		steps = DefaultMaxSteps
	}
	thread.SetMaxExecutionSteps(steps)
	args := make(starlark.Tuple, len(params))
	for i, p := range params {
		args[i] = en.toValue(vars[p])
	}
	stop := context.AfterFunc(ctx, func() {
		en.expired.Store(true)
		thread.Cancel("timeout")
	})
	result, err := starlark.Call(thread, prog.handler, args, nil)
	stop()
	en.writeBack()
	if err != nil {
		return nil, en.runError(prog, err)
	}
	return &Outcome{value: result, Messages: en.msgs, Logs: en.logs}, nil
}

// writeBack copies every dict that came from a Go map into that map. A map
// whose contents did not change is left alone (not even rewritten), so
// evaluations that share read-only data (a cached user) never write to it;
// values that compare equal keep their original Go type.
func (en *env) writeBack() {
	for _, p := range en.maps {
		next := make(map[string]any, p.d.Len())
		changed := p.d.Len() != len(p.m)
		for _, item := range p.d.Items() {
			k := keyString(item[0])
			v := toGo(item[1], en)
			if old, ok := p.m[k]; ok && sameValue(old, v) {
				v = old
			} else {
				changed = true
			}
			next[k] = v
		}
		if !changed {
			continue
		}
		for k := range p.m {
			delete(p.m, k)
		}
		for k, v := range next {
			p.m[k] = v
		}
	}
}

// sameValue compares Go values as Python would after a round trip:
// numbers by value, maps and slices element by element.
func sameValue(a, b any) bool {
	if x, ok := number(a); ok {
		y, ok := number(b)
		return ok && x == y
	}
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		if reflect.ValueOf(x).Pointer() == reflect.ValueOf(y).Pointer() {
			return true
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !sameValue(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	case nil:
		return b == nil
	}
	return reflect.TypeOf(a) == reflect.TypeOf(b) && reflect.DeepEqual(a, b)
}

var undefinedRE = regexp.MustCompile(`internal error: predeclared variable (\w+) is uninitialized`)

// runError turns a Starlark evaluation error into an *Error with the
// expression's line and a Python-like message.
func (en *env) runError(prog *program, err error) error {
	if en.expired.Load() || errors.Is(err, context.DeadlineExceeded) {
		return &Error{Msg: fmt.Sprintf("expression timed out: %v", context.Cause(en.ctx)), Err: ErrTimeout}
	}
	out := &Error{Msg: err.Error(), Err: err}
	var ee *starlark.EvalError
	if errors.As(err, &ee) {
		out.Msg = ee.Msg
		out.Backtrace = ee.Backtrace()
		for i := len(ee.CallStack) - 1; i >= 0; i-- {
			if pos := ee.CallStack[i].Pos; pos.Filename() == "expression" {
				out.Line = prog.srcLine(pos.Line)
				break
			}
		}
		var raised *raisedError
		if errors.As(ee.Unwrap(), &raised) {
			out.Msg = raised.exc.msg
		}
	}
	if m := undefinedRE.FindStringSubmatch(out.Msg); m != nil {
		out.Msg = fmt.Sprintf("name '%s' is not defined", m[1])
	}
	out.Msg = strings.TrimPrefix(out.Msg, "fail: ")
	return out
}
