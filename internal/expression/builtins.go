package expression

import (
	"errors"
	"fmt"
	"math"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"github.com/akgo/akgo/internal/slug"
)

// predeclared holds authentik's expression globals plus the Python
// builtins Starlark lacks and the helpers the pre-pass calls. It is shared
// and frozen: builtins find the evaluation through the thread.
var predeclared starlark.StringDict

func init() {
	predeclared = starlark.StringDict{
		"regex_match":               starlark.NewBuiltin("regex_match", builtinRegexMatch),
		"regex_replace":             starlark.NewBuiltin("regex_replace", builtinRegexReplace),
		"list_flatten":              starlark.NewBuiltin("list_flatten", builtinListFlatten),
		"ak_is_group_member":        starlark.NewBuiltin("ak_is_group_member", builtinIsGroupMember),
		"ak_user_by":                starlark.NewBuiltin("ak_user_by", builtinUserBy),
		"ak_user_has_authenticator": starlark.NewBuiltin("ak_user_has_authenticator", builtinHasAuthenticator),
		"ak_create_event":           starlark.NewBuiltin("ak_create_event", builtinCreateEvent),
		"ak_call_policy":            starlark.NewBuiltin("ak_call_policy", builtinCallPolicy),
		"ak_message":                starlark.NewBuiltin("ak_message", builtinMessage),
		"ak_logger":                 &loggerValue{},
		"ip_address":                starlark.NewBuiltin("ip_address", builtinIPAddress),
		"ip_network":                starlark.NewBuiltin("ip_network", builtinIPNetwork),
		"requests":                  unavailable("requests"),
		"resolve_dns":               starlark.NewBuiltin("resolve_dns", builtinResolveDNS),
		"reverse_dns":               starlark.NewBuiltin("reverse_dns", builtinReverseDNS),
		"slugify":                   starlark.NewBuiltin("slugify", builtinSlugify),
		"CONFIG":                    configValue{},
		"isinstance":                starlark.NewBuiltin("isinstance", builtinIsInstance),
		"sum":                       starlark.NewBuiltin("sum", builtinSum),
		"round":                     starlark.NewBuiltin("round", builtinRound),
		"map":                       starlark.NewBuiltin("map", builtinMap),
		"filter":                    starlark.NewBuiltin("filter", builtinFilter),
		"str":                       starlark.NewBuiltin("str", builtinStr),
		"repr":                      starlark.NewBuiltin("repr", builtinStr),
		"_ak_try":                   starlark.NewBuiltin("_ak_try", builtinTry),
		"_ak_raise":                 starlark.NewBuiltin("_ak_raise", builtinRaise),
		"_ak_assert":                starlark.NewBuiltin("_ak_assert", builtinAssert),
		"_ak_import":                starlark.NewBuiltin("_ak_import", builtinImport),
		"_ak_format":                starlark.NewBuiltin("_ak_format", builtinFormat),
		"_ak_reverse":               starlark.NewBuiltin("_ak_reverse", builtinReverse),
		"_ak_sort":                  starlark.NewBuiltin("_ak_sort", builtinSort),
	}
	for _, name := range exceptionNames {
		predeclared[name] = &exceptionClass{name: name}
	}
	predeclared.Freeze()
}

// pyError builds the error a Python exception of the given class raises.
func pyError(kind, msg string) error {
	return &raisedError{exc: &exceptionValue{kind: kind, msg: msg}}
}

// regexes caches compiled patterns; expressions use a handful of fixed
// ones, so a bound that resets the cache is enough.
var regexes = struct {
	sync.Mutex
	m map[string]*regexp.Regexp
}{m: map[string]*regexp.Regexp{}}

// compileRegex compiles a Python pattern with Go's engine. Python-only
// syntax (look-around, back-references) is reported as an error.
func compileRegex(pattern string) (*regexp.Regexp, error) {
	regexes.Lock()
	defer regexes.Unlock()
	if re, ok := regexes.m[pattern]; ok {
		return re, nil
	}
	re, err := regexp.Compile(strings.ReplaceAll(pattern, `\Z`, `\z`))
	if err != nil {
		return nil, pyError("error", fmt.Sprintf("unsupported regular expression %q: %v", pattern, err))
	}
	if len(regexes.m) > 512 {
		regexes.m = map[string]*regexp.Regexp{}
	}
	regexes.m[pattern] = re
	return re, nil
}

// pyRepl converts a Python re.sub replacement (\1, \g<name>) into Go's
// template syntax.
func pyRepl(repl string) string {
	var b strings.Builder
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		switch {
		case c == '$':
			b.WriteString("$$")
		case c == '\\' && i+1 < len(repl):
			n := repl[i+1]
			switch {
			case n >= '0' && n <= '9':
				j := i + 1
				for j < len(repl) && j < i+3 && repl[j] >= '0' && repl[j] <= '9' {
					j++
				}
				b.WriteString("${" + repl[i+1:j] + "}")
				i = j - 1
			case n == 'g' && i+2 < len(repl) && repl[i+2] == '<':
				end := strings.IndexByte(repl[i:], '>')
				if end < 0 {
					b.WriteString(repl[i:])
					return b.String()
				}
				b.WriteString("${" + repl[i+3:i+end] + "}")
				i += end
			case n == 'n':
				b.WriteByte('\n')
				i++
			case n == 't':
				b.WriteByte('\t')
				i++
			case n == '\\':
				b.WriteByte('\\')
				i++
			default:
				b.WriteByte(c)
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func builtinRegexMatch(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var value starlark.Value
	var pattern string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "value", &value, "regex", &pattern); err != nil {
		return nil, err
	}
	s, ok := starlark.AsString(value)
	if !ok {
		return nil, pyError("TypeError", "expected string or bytes-like object")
	}
	re, err := compileRegex(pattern)
	if err != nil {
		return nil, err
	}
	return starlark.Bool(re.MatchString(s)), nil
}

func builtinRegexReplace(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var value starlark.Value
	var pattern, repl string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "value", &value, "regex", &pattern, "repl", &repl); err != nil {
		return nil, err
	}
	s, ok := starlark.AsString(value)
	if !ok {
		return nil, pyError("TypeError", "expected string or bytes-like object")
	}
	re, err := compileRegex(pattern)
	if err != nil {
		return nil, err
	}
	return starlark.String(re.ReplaceAllString(s, pyRepl(repl))), nil
}

func builtinListFlatten(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var value starlark.Value
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 1, &value); err != nil {
		return nil, err
	}
	if l, ok := value.(*starlark.List); ok {
		if l.Len() == 0 {
			return starlark.None, nil
		}
		return l.Index(0), nil
	}
	return value, nil
}

func asUser(name string, v starlark.Value) (*userValue, error) {
	u, ok := v.(*userValue)
	if !ok {
		return nil, pyError("AttributeError", fmt.Sprintf("%s: expected a User, got %s", name, v.Type()))
	}
	return u, nil
}

func builtinIsGroupMember(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("%s: takes exactly one positional argument (the user)", b.Name())
	}
	u, err := asUser(b.Name(), args[0])
	if err != nil {
		return nil, err
	}
	filters, err := parseFilters(kwargs)
	if err != nil {
		return nil, err
	}
	groups, err := envOf(thread).allGroups(u.u)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		if MatchGroup(g, filters) {
			return starlark.True, nil
		}
	}
	return starlark.False, nil
}

func builtinUserBy(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(args) > 0 {
		return nil, fmt.Errorf("%s: only keyword filters are supported", b.Name())
	}
	filters, err := parseFilters(kwargs)
	if err != nil {
		return nil, err
	}
	en := envOf(thread)
	if en.dir == nil {
		return nil, errors.New("ak_user_by: users are not available in this evaluation")
	}
	u, err := en.dir.UserBy(en.ctx, filters)
	if err != nil {
		return nil, fmt.Errorf("ak_user_by: %w", err)
	}
	return en.toValue(u), nil
}

func builtinHasAuthenticator(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var user starlark.Value
	var deviceType starlark.Value = starlark.None
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "user", &user, "device_type?", &deviceType); err != nil {
		return nil, err
	}
	u, err := asUser(b.Name(), user)
	if err != nil {
		return nil, err
	}
	en := envOf(thread)
	if en.dir == nil {
		return nil, errors.New("ak_user_has_authenticator: authenticators are not available in this evaluation")
	}
	kind := ""
	if s, ok := deviceType.(starlark.String); ok {
		kind = string(s)
	}
	has, err := en.dir.HasAuthenticator(en.ctx, u.u, kind)
	if err != nil {
		return nil, fmt.Errorf("ak_user_has_authenticator: %w", err)
	}
	return starlark.Bool(has), nil
}

func builtinCreateEvent(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var action string
	if err := starlark.UnpackPositionalArgs(b.Name(), args, nil, 1, &action); err != nil {
		return nil, err
	}
	en := envOf(thread)
	if en.ev.CreateEvent == nil {
		return nil, errors.New("ak_create_event: events are not available in this evaluation")
	}
	// authentik records the evaluator's whole context with the event,
	// overlaid with the keyword arguments.
	data := map[string]any{}
	for k, v := range en.call.Vars {
		data[k] = Sanitize(v)
	}
	for _, kw := range kwargs {
		data[string(kw[0].(starlark.String))] = Sanitize(toGo(kw[1], en))
	}
	if err := en.ev.CreateEvent(en.ctx, action, en.call.Filename, data); err != nil {
		return nil, fmt.Errorf("ak_create_event: %w", err)
	}
	return starlark.None, nil
}

func builtinCallPolicy(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	if err := starlark.UnpackPositionalArgs(b.Name(), args, nil, 1, &name); err != nil {
		return nil, err
	}
	en := envOf(thread)
	if en.ev.CallPolicy == nil {
		return nil, errors.New("ak_call_policy: policies are not available in this evaluation")
	}
	extra := map[string]any{}
	for _, kw := range kwargs {
		extra[string(kw[0].(starlark.String))] = toGo(kw[1], en)
	}
	res, err := en.ev.CallPolicy(en.ctx, name, en.call.Request, extra)
	if err != nil {
		return nil, pyError("ValueError", err.Error())
	}
	return &policyResultValue{r: res}, nil
}

func builtinMessage(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var msg starlark.Value
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 1, &msg); err != nil {
		return nil, err
	}
	en := envOf(thread)
	en.msgs = append(en.msgs, pyStr(msg))
	return starlark.None, nil
}

func (en *env) resolver() *net.Resolver {
	if en.ev.Resolver != nil {
		return en.ev.Resolver
	}
	return net.DefaultResolver
}

func builtinResolveDNS(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var host string
	var version starlark.Value = starlark.None
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "host", &host, "ip_version?", &version); err != nil {
		return nil, err
	}
	en := envOf(thread)
	addrs, err := en.resolver().LookupIPAddr(en.ctx, host)
	if err != nil {
		return starlark.NewList(nil), nil
	}
	want := 0
	if v, ok := version.(starlark.Int); ok {
		want, _ = starlark.AsInt32(v)
	}
	seen := map[string]bool{}
	var out []string
	for _, a := range addrs {
		is4 := a.IP.To4() != nil
		if want == 4 && !is4 || want == 6 && is4 || seen[a.IP.String()] {
			continue
		}
		seen[a.IP.String()] = true
		out = append(out, a.IP.String())
	}
	sort.Strings(out)
	elems := make([]starlark.Value, len(out))
	for i, s := range out {
		elems[i] = starlark.String(s)
	}
	return starlark.NewList(elems), nil
}

func builtinReverseDNS(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var ip string
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 1, &ip); err != nil {
		return nil, err
	}
	en := envOf(thread)
	names, err := en.resolver().LookupAddr(en.ctx, ip)
	if err != nil || len(names) == 0 {
		return starlark.String(ip), nil
	}
	return starlark.String(strings.TrimSuffix(names[0], ".")), nil
}

// Slugify is Django's slugify (ASCII mode), as expressions call it.
func Slugify(s string) string { return slug.Make(s) }

func builtinSlugify(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var value starlark.Value
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 1, &value); err != nil {
		return nil, err
	}
	return starlark.String(Slugify(pyStr(value))), nil
}

// typeNames maps Python's builtin classes to Starlark's type names.
var typeNames = map[string][]string{
	"str": {"string"}, "int": {"int", "bool"}, "float": {"float"}, "bool": {"bool"}, "dict": {"dict"},
	"list": {"list"}, "tuple": {"tuple"}, "set": {"set"}, "bytes": {"bytes"},
}

func builtinIsInstance(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var obj, classinfo starlark.Value
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 2, &obj, &classinfo); err != nil {
		return nil, err
	}
	classes := starlark.Tuple{classinfo}
	if t, ok := classinfo.(starlark.Tuple); ok {
		classes = t
	}
	for _, c := range classes {
		switch x := c.(type) {
		case *starlark.Builtin:
			names, ok := typeNames[x.Name()]
			if !ok {
				return nil, pyError("TypeError", "isinstance() arg 2 must be a type or tuple of types")
			}
			for _, n := range names {
				if obj.Type() == n {
					return starlark.True, nil
				}
			}
		case *exceptionClass:
			if e, ok := obj.(*exceptionValue); ok && (x.name == "Exception" || x.name == "BaseException" || e.kind == x.name) {
				return starlark.True, nil
			}
		default:
			return nil, pyError("TypeError", "isinstance() arg 2 must be a type or tuple of types")
		}
	}
	return starlark.False, nil
}

func builtinSum(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var it starlark.Iterable
	var acc starlark.Value = starlark.MakeInt(0)
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "iterable", &it, "start?", &acc); err != nil {
		return nil, err
	}
	iter := it.Iterate()
	defer iter.Done()
	var x starlark.Value
	for iter.Next(&x) {
		next, err := starlark.Binary(syntax.PLUS, acc, x)
		if err != nil {
			return nil, err
		}
		acc = next
	}
	return acc, nil
}

func builtinRound(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var number starlark.Value
	var ndigits starlark.Value = starlark.None
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "number", &number, "ndigits?", &ndigits); err != nil {
		return nil, err
	}
	if i, ok := number.(starlark.Int); ok && ndigits == starlark.None {
		return i, nil
	}
	f, ok := starlark.AsFloat(number)
	if !ok {
		return nil, pyError("TypeError", fmt.Sprintf("type %s doesn't define __round__ method", number.Type()))
	}
	if ndigits == starlark.None {
		return starlark.MakeInt64(int64(math.RoundToEven(f))), nil
	}
	n, err := starlark.AsInt32(ndigits)
	if err != nil {
		return nil, err
	}
	if n < 0 {
		p := math.Pow10(-n)
		return starlark.Float(math.RoundToEven(f/p) * p), nil
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'f', n, 64), 64)
	if _, isInt := number.(starlark.Int); isInt {
		return starlark.MakeInt64(int64(r)), nil
	}
	return starlark.Float(r), nil
}

func builtinMap(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(args) < 2 || len(kwargs) > 0 {
		return nil, fmt.Errorf("map() must have at least two arguments")
	}
	fn := args[0]
	var lists [][]starlark.Value
	for _, a := range args[1:] {
		it, ok := a.(starlark.Iterable)
		if !ok {
			return nil, pyError("TypeError", fmt.Sprintf("'%s' object is not iterable", a.Type()))
		}
		var elems []starlark.Value
		iter := it.Iterate()
		var x starlark.Value
		for iter.Next(&x) {
			elems = append(elems, x)
		}
		iter.Done()
		lists = append(lists, elems)
	}
	n := len(lists[0])
	for _, l := range lists {
		n = min(n, len(l))
	}
	out := make([]starlark.Value, n)
	for i := 0; i < n; i++ {
		callArgs := make(starlark.Tuple, len(lists))
		for j, l := range lists {
			callArgs[j] = l[i]
		}
		v, err := starlark.Call(thread, fn, callArgs, nil)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return starlark.NewList(out), nil
}

func builtinFilter(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var fn starlark.Value
	var it starlark.Iterable
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 2, &fn, &it); err != nil {
		return nil, err
	}
	var out []starlark.Value
	iter := it.Iterate()
	defer iter.Done()
	var x starlark.Value
	for iter.Next(&x) {
		keep := x
		if fn != starlark.None {
			v, err := starlark.Call(thread, fn, starlark.Tuple{x}, nil)
			if err != nil {
				return nil, err
			}
			keep = v
		}
		if keep.Truth() {
			out = append(out, x)
		}
	}
	return starlark.NewList(out), nil
}

// builtinTry runs a zero-argument function and returns (True, result) or
// (False, exception). A timeout is never caught: it must stop the run.
func builtinTry(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var fn starlark.Callable
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 1, &fn); err != nil {
		return nil, err
	}
	v, err := starlark.Call(thread, fn, nil, nil)
	if err == nil {
		return starlark.Tuple{starlark.True, v}, nil
	}
	if envOf(thread).expired.Load() {
		return nil, err
	}
	return starlark.Tuple{starlark.False, exceptionFrom(err)}, nil
}

// exceptionFrom classifies a Starlark error as the Python exception it
// would have been.
func exceptionFrom(err error) *exceptionValue {
	var raised *raisedError
	if errors.As(err, &raised) {
		return raised.exc
	}
	msg := err.Error()
	var ee *starlark.EvalError
	if errors.As(err, &ee) {
		msg = ee.Msg
	}
	kind := "Exception"
	switch {
	case strings.Contains(msg, "not in dict") || strings.Contains(msg, "key ") && strings.Contains(msg, "not found"):
		kind = "KeyError"
	case strings.Contains(msg, "out of range"):
		kind = "IndexError"
	case strings.Contains(msg, "has no .") || strings.Contains(msg, "no attribute"):
		kind = "AttributeError"
	case strings.Contains(msg, "unsupported") || strings.Contains(msg, "want "):
		kind = "TypeError"
	case strings.Contains(msg, "division by zero"):
		kind = "ZeroDivisionError"
	}
	return &exceptionValue{kind: kind, msg: msg}
}

func builtinRaise(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(args) == 0 {
		return nil, pyError("RuntimeError", "No active exception to reraise")
	}
	switch x := args[0].(type) {
	case *exceptionValue:
		return nil, &raisedError{exc: x}
	case *exceptionClass:
		return nil, &raisedError{exc: &exceptionValue{kind: x.name}}
	}
	return nil, pyError("TypeError", "exceptions must derive from BaseException")
}

func builtinAssert(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var cond starlark.Value
	var msg starlark.Value = starlark.None
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 1, &cond, &msg); err != nil {
		return nil, err
	}
	if cond.Truth() {
		return starlark.None, nil
	}
	text := ""
	if msg != starlark.None {
		text = pyStr(msg)
	}
	return nil, pyError("AssertionError", text)
}

func builtinFormat(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v starlark.Value
	var spec string
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 2, &v, &spec); err != nil {
		return nil, err
	}
	s, err := pyFormat(v, spec)
	if err != nil {
		return nil, pyError("ValueError", err.Error())
	}
	return starlark.String(s), nil
}

func builtinReverse(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v starlark.Value
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 1, &v); err != nil {
		return nil, err
	}
	l, ok := v.(*starlark.List)
	if !ok {
		return nil, pyError("AttributeError", fmt.Sprintf("'%s' object has no attribute 'reverse'", v.Type()))
	}
	for i, j := 0, l.Len()-1; i < j; i, j = i+1, j-1 {
		a, b := l.Index(i), l.Index(j)
		if err := l.SetIndex(i, b); err != nil {
			return nil, err
		}
		if err := l.SetIndex(j, a); err != nil {
			return nil, err
		}
	}
	return starlark.None, nil
}

func builtinSort(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("sort() takes no positional arguments")
	}
	l, ok := args[0].(*starlark.List)
	if !ok {
		return nil, pyError("AttributeError", fmt.Sprintf("'%s' object has no attribute 'sort'", args[0].Type()))
	}
	sorted, err := starlark.Call(thread, starlark.Universe["sorted"], starlark.Tuple{l}, kwargs)
	if err != nil {
		return nil, err
	}
	out := sorted.(*starlark.List)
	for i := 0; i < out.Len(); i++ {
		if err := l.SetIndex(i, out.Index(i)); err != nil {
			return nil, err
		}
	}
	return starlark.None, nil
}

// exceptionNames are the exception classes expressions may raise, catch
// by name or test with isinstance.
var exceptionNames = []string{"BaseException", "Exception", "ValueError", "KeyError", "TypeError", "AttributeError",
	"IndexError", "LookupError", "RuntimeError", "PermissionError", "NotImplementedError", "AssertionError",
	"ZeroDivisionError"}

// exceptionClass is a Python exception class: calling it makes an
// instance.
type exceptionClass struct{ name string }

func (c *exceptionClass) String() string        { return "<class '" + c.name + "'>" }
func (c *exceptionClass) Type() string          { return "type" }
func (c *exceptionClass) Freeze()               {}
func (c *exceptionClass) Truth() starlark.Bool  { return true }
func (c *exceptionClass) Hash() (uint32, error) { return starlark.String(c.name).Hash() }
func (c *exceptionClass) Name() string          { return c.name }
func (c *exceptionClass) CallInternal(_ *starlark.Thread, args starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
	msg := ""
	switch {
	case len(args) == 1 && c.name == "KeyError":
		msg = args[0].String()
	case len(args) == 1:
		msg = pyStr(args[0])
	case len(args) > 1:
		msg = args.String()
	}
	return &exceptionValue{kind: c.name, msg: msg}, nil
}

// unavailableValue stands for a global authentik offers that akgo does
// not: using it fails with an explanation rather than "undefined".
type unavailableValue struct{ name string }

func unavailable(name string) *unavailableValue { return &unavailableValue{name: name} }

func (u *unavailableValue) String() string        { return "<" + u.name + ">" }
func (u *unavailableValue) Type() string          { return u.name }
func (u *unavailableValue) Freeze()               {}
func (u *unavailableValue) Truth() starlark.Bool  { return true }
func (u *unavailableValue) Hash() (uint32, error) { return unhashable(u) }
func (u *unavailableValue) AttrNames() []string   { return nil }
func (u *unavailableValue) Attr(string) (starlark.Value, error) {
	return nil, fmt.Errorf("%s is not available in akgo expressions (outbound HTTP from expressions is disabled)", u.name)
}

// loggerValue is ak_logger: a structlog logger whose messages are kept
// with the evaluation (policy test results show them).
type loggerValue struct{ bound map[string]any }

var logLevels = map[string]string{"debug": "debug", "info": "info", "msg": "info", "warning": "warning",
	"warn": "warning", "error": "error", "exception": "error", "critical": "critical", "fatal": "critical"}

func (l *loggerValue) String() string        { return "<BoundLoggerLazyProxy>" }
func (l *loggerValue) Type() string          { return "BoundLogger" }
func (l *loggerValue) Freeze()               {}
func (l *loggerValue) Truth() starlark.Bool  { return true }
func (l *loggerValue) Hash() (uint32, error) { return unhashable(l) }
func (l *loggerValue) AttrNames() []string {
	names := []string{"bind"}
	for k := range logLevels {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

func (l *loggerValue) Attr(name string) (starlark.Value, error) {
	if name == "bind" || name == "new" {
		return method(l, name, func(thread *starlark.Thread, _ starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			bound := map[string]any{}
			if name == "bind" {
				for k, v := range l.bound {
					bound[k] = v
				}
			}
			for _, kw := range kwargs {
				bound[string(kw[0].(starlark.String))] = Sanitize(toGo(kw[1], envOf(thread)))
			}
			return &loggerValue{bound: bound}, nil
		}), nil
	}
	level, ok := logLevels[name]
	if !ok {
		return nil, nil
	}
	return method(l, name, func(thread *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		en := envOf(thread)
		attrs := map[string]any{}
		for k, v := range l.bound {
			attrs[k] = v
		}
		for _, kw := range kwargs {
			attrs[string(kw[0].(starlark.String))] = Sanitize(toGo(kw[1], en))
		}
		event := ""
		if len(args) > 0 {
			event = pyStr(args[0])
			if len(args) > 1 {
				// structlog formats extra positional arguments %-style.
				if s, err := starlark.Binary(syntax.PERCENT, args[0], args[1:]); err == nil {
					event = pyStr(s)
				}
			}
		}
		en.logs = append(en.logs, LogEntry{Event: event, Level: level, Attrs: attrs})
		return starlark.None, nil
	}), nil
}

// configValue is CONFIG (authentik.lib.config).
type configValue struct{}

func (configValue) String() string        { return "<ConfigLoader>" }
func (configValue) Type() string          { return "ConfigLoader" }
func (configValue) Freeze()               {}
func (configValue) Truth() starlark.Bool  { return true }
func (configValue) Hash() (uint32, error) { return 0, nil }
func (configValue) AttrNames() []string   { return []string{"get", "get_bool", "get_int", "y", "y_bool"} }

func (c configValue) Attr(name string) (starlark.Value, error) {
	switch name {
	case "get", "y", "get_bool", "y_bool", "get_int":
	default:
		return nil, nil
	}
	return method(c, name, func(thread *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var key string
		var def starlark.Value = starlark.None
		if err := starlark.UnpackArgs(name, args, kwargs, "path", &key, "default?", &def); err != nil {
			return nil, err
		}
		en := envOf(thread)
		var v any
		found := false
		if en.ev.Config != nil {
			v, found = en.ev.Config(key)
		}
		switch name {
		case "get_bool", "y_bool":
			if !found {
				if def == starlark.None {
					return starlark.False, nil
				}
				return def, nil
			}
			return starlark.Bool(strings.EqualFold(fmt.Sprint(v), "true")), nil
		case "get_int":
			if !found {
				if def == starlark.None {
					return starlark.MakeInt(0), nil
				}
				return def, nil
			}
			i, err := strconv.Atoi(strings.TrimSpace(fmt.Sprint(v)))
			if err != nil {
				return def, nil
			}
			return starlark.MakeInt(i), nil
		}
		if !found {
			return def, nil
		}
		return en.toValue(v), nil
	}), nil
}

// builtinStr is Python's str() and repr(), which render containers and
// quotes differently from Starlark's.
func builtinStr(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v starlark.Value = starlark.String("")
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 0, &v); err != nil {
		return nil, err
	}
	if b.Name() == "repr" {
		return starlark.String(pyRepr(v)), nil
	}
	return starlark.String(pyStr(v)), nil
}
