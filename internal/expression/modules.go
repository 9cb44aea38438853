package expression

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// importable lists what expressions may import: the authentik constants
// blueprints import, CONFIG, and a few standard modules. Anything else is
// rejected when the expression is compiled.
var importable = map[string]map[string]starlark.Value{
	"authentik.lib.config": {"CONFIG": configValue{}},
	"authentik.core.models": strings2values(map[string]string{
		"USER_ATTRIBUTE_DEBUG":                  "goauthentik.io/user/debug",
		"USER_ATTRIBUTE_SA":                     "goauthentik.io/user/service-account",
		"USER_ATTRIBUTE_GENERATED":              "goauthentik.io/user/generated",
		"USER_ATTRIBUTE_EXPIRES":                "goauthentik.io/user/expires",
		"USER_ATTRIBUTE_DELETE_ON_LOGOUT":       "goauthentik.io/user/delete-on-logout",
		"USER_ATTRIBUTE_SOURCES":                "goauthentik.io/user/sources",
		"USER_ATTRIBUTE_TOKEN_EXPIRING":         "goauthentik.io/user/token-expires",
		"USER_ATTRIBUTE_TOKEN_MAXIMUM_LIFETIME": "goauthentik.io/user/token-maximum-lifetime",
		"USER_ATTRIBUTE_CHANGE_USERNAME":        "goauthentik.io/user/can-change-username",
		"USER_ATTRIBUTE_CHANGE_NAME":            "goauthentik.io/user/can-change-name",
		"USER_ATTRIBUTE_CHANGE_EMAIL":           "goauthentik.io/user/can-change-email",
		"USER_ATTRIBUTE_CAN_OVERRIDE_IP":        "goauthentik.io/user/override-ips",
		"USER_PATH_SYSTEM_PREFIX":               "goauthentik.io",
		"USER_PATH_SERVICE_ACCOUNT":             "goauthentik.io/service-accounts",
	}),
	"authentik.flows.planner": strings2values(map[string]string{
		"PLAN_CONTEXT_PENDING_USER": "pending_user",
		"PLAN_CONTEXT_SSO":          "is_sso",
		"PLAN_CONTEXT_REDIRECT":     "redirect",
		"PLAN_CONTEXT_APPLICATION":  "application",
		"PLAN_CONTEXT_SOURCE":       "source",
		"PLAN_CONTEXT_IS_RESTORED":  "is_restored",
	}),
	"authentik.stages.prompt.stage": strings2values(map[string]string{"PLAN_CONTEXT_PROMPT": "prompt_data"}),
	"authentik.stages.password": strings2values(map[string]string{
		"BACKEND_INBUILT":      "authentik.core.auth.InbuiltBackend",
		"BACKEND_APP_PASSWORD": "authentik.core.auth.TokenBackend",
		"BACKEND_LDAP":         "authentik.sources.ldap.auth.LDAPBackend",
	}),
	"authentik.stages.password.stage": strings2values(map[string]string{
		"PLAN_CONTEXT_AUTHENTICATION_BACKEND": "user_backend",
		"PLAN_CONTEXT_METHOD":                 "auth_method",
		"PLAN_CONTEXT_METHOD_ARGS":            "auth_method_args",
	}),
	"re":        {"": reModule},
	"json":      {"": jsonModule},
	"ipaddress": {"": ipaddressModule},
}

func strings2values(m map[string]string) map[string]starlark.Value {
	out := make(map[string]starlark.Value, len(m))
	for k, v := range m {
		out[k] = starlark.String(v)
	}
	return out
}

// importValue resolves "from module import name" (name "" for the module).
func importValue(module, name string) (starlark.Value, bool) {
	names, ok := importable[module]
	if !ok {
		return nil, false
	}
	if v, ok := names[name]; ok {
		return v, true
	}
	if mod, ok := names[""].(*starlarkstruct.Module); ok && name != "" {
		v, ok := mod.Members[name]
		return v, ok
	}
	return nil, false
}

// rewriteImport turns an import statement into assignments from
// _ak_import, checking now that everything imported exists.
func rewriteImport(l *logicalLine) (string, error) {
	toks := l.toks
	var names []token
	for _, t := range toks {
		if t.kind == tOp && (t.text == "(" || t.text == ")") {
			continue
		}
		names = append(names, t)
	}
	var assigns []string
	add := func(module, name, alias string) error {
		if _, ok := importValue(module, name); !ok {
			if name == "" {
				return &SyntaxError{Msg: fmt.Sprintf("import of module %s is not supported", module)}
			}
			return &SyntaxError{Msg: fmt.Sprintf("import of %s from %s is not supported", name, module)}
		}
		assigns = append(assigns, alias+" = _ak_import("+strconv.Quote(module)+", "+strconv.Quote(name)+")")
		return nil
	}
	// items splits "a.b as c, d" into (dotted name, alias) pairs.
	items := func(ts []token) ([][2]string, error) {
		var out [][2]string
		var cur []string
		alias := ""
		flush := func() error {
			if len(cur) == 0 {
				return &SyntaxError{Msg: "invalid syntax"}
			}
			out = append(out, [2]string{strings.Join(cur, ""), alias})
			cur, alias = nil, ""
			return nil
		}
		for i := 0; i < len(ts); i++ {
			t := ts[i]
			switch {
			case t.is(tOp, ","):
				if err := flush(); err != nil {
					return nil, err
				}
			case t.is(tName, "as") && i+1 < len(ts):
				alias = ts[i+1].text
				i++
			default:
				cur = append(cur, t.text)
			}
		}
		if len(cur) > 0 {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	if names[0].text == "import" {
		list, err := items(names[1:])
		if err != nil {
			return "", err
		}
		for _, it := range list {
			alias := it[1]
			if alias == "" {
				if strings.Contains(it[0], ".") {
					return "", &SyntaxError{Msg: fmt.Sprintf("import %s is not supported; use 'from %s import ...'", it[0], it[0])}
				}
				alias = it[0]
			}
			if err := add(it[0], "", alias); err != nil {
				return "", err
			}
		}
	} else {
		at := -1
		for i, t := range names {
			if t.is(tName, "import") {
				at = i
				break
			}
		}
		if at < 2 {
			return "", &SyntaxError{Msg: "invalid syntax"}
		}
		var module strings.Builder
		for _, t := range names[1:at] {
			module.WriteString(t.text)
		}
		if at+1 < len(names) && names[at+1].is(tOp, "*") {
			return "", &SyntaxError{Msg: "import * is not supported"}
		}
		list, err := items(names[at+1:])
		if err != nil {
			return "", err
		}
		for _, it := range list {
			alias := it[1]
			if alias == "" {
				alias = it[0]
			}
			if err := add(module.String(), it[0], alias); err != nil {
				return "", err
			}
		}
	}
	return l.indent + strings.Join(assigns, "; "), nil
}

func builtinImport(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var module, name string
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 2, &module, &name); err != nil {
		return nil, err
	}
	v, ok := importValue(module, name)
	if !ok {
		return nil, pyError("ImportError", fmt.Sprintf("cannot import name '%s' from '%s'", name, module))
	}
	return v, nil
}

// Regular-expression flags, as Python's re module numbers them.
const (
	reIgnoreCase = 2
	reMultiline  = 8
	reDotAll     = 16
)

var reModule = &starlarkstruct.Module{Name: "re", Members: starlark.StringDict{
	"search":     starlark.NewBuiltin("search", reFunc),
	"match":      starlark.NewBuiltin("match", reFunc),
	"fullmatch":  starlark.NewBuiltin("fullmatch", reFunc),
	"findall":    starlark.NewBuiltin("findall", reFunc),
	"sub":        starlark.NewBuiltin("sub", reSub),
	"split":      starlark.NewBuiltin("split", reFunc),
	"escape":     starlark.NewBuiltin("escape", reEscape),
	"I":          starlark.MakeInt(reIgnoreCase),
	"IGNORECASE": starlark.MakeInt(reIgnoreCase),
	"M":          starlark.MakeInt(reMultiline),
	"MULTILINE":  starlark.MakeInt(reMultiline),
	"S":          starlark.MakeInt(reDotAll),
	"DOTALL":     starlark.MakeInt(reDotAll),
}}

func flagPrefix(flags int) string {
	p := ""
	if flags&reIgnoreCase != 0 {
		p += "i"
	}
	if flags&reMultiline != 0 {
		p += "m"
	}
	if flags&reDotAll != 0 {
		p += "s"
	}
	if p == "" {
		return ""
	}
	return "(?" + p + ")"
}

func reFunc(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var pattern, s string
	flags, maxsplit := 0, 0
	params := []any{"pattern", &pattern, "string", &s}
	if b.Name() == "split" {
		params = append(params, "maxsplit?", &maxsplit)
	}
	params = append(params, "flags?", &flags)
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, params...); err != nil {
		return nil, err
	}
	switch b.Name() {
	case "match":
		pattern = `\A(?:` + pattern + `)`
	case "fullmatch":
		pattern = `\A(?:` + pattern + `)\z`
	}
	re, err := compileRegex(flagPrefix(flags) + pattern)
	if err != nil {
		return nil, err
	}
	switch b.Name() {
	case "findall":
		var out []starlark.Value
		for _, m := range re.FindAllStringSubmatch(s, -1) {
			switch len(m) {
			case 1:
				out = append(out, starlark.String(m[0]))
			case 2:
				out = append(out, starlark.String(m[1]))
			default:
				t := make(starlark.Tuple, len(m)-1)
				for i, g := range m[1:] {
					t[i] = starlark.String(g)
				}
				out = append(out, t)
			}
		}
		return starlark.NewList(out), nil
	case "split":
		n := -1
		if maxsplit > 0 {
			n = maxsplit + 1
		}
		parts := re.Split(s, n)
		out := make([]starlark.Value, len(parts))
		for i, p := range parts {
			out[i] = starlark.String(p)
		}
		return starlark.NewList(out), nil
	}
	loc := re.FindStringSubmatchIndex(s)
	if loc == nil {
		return starlark.None, nil
	}
	return &matchValue{s: s, loc: loc, names: re.SubexpNames()}, nil
}

func reSub(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var pattern, repl, s string
	count, flags := 0, 0
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "pattern", &pattern, "repl", &repl, "string", &s, "count?", &count, "flags?", &flags); err != nil {
		return nil, err
	}
	re, err := compileRegex(flagPrefix(flags) + pattern)
	if err != nil {
		return nil, err
	}
	tmpl := pyRepl(repl)
	if count <= 0 {
		return starlark.String(re.ReplaceAllString(s, tmpl)), nil
	}
	var out []byte
	last := 0
	for _, m := range re.FindAllStringSubmatchIndex(s, count) {
		out = append(out, s[last:m[0]]...)
		out = re.ExpandString(out, tmpl, s, m)
		last = m[1]
	}
	return starlark.String(string(out) + s[last:]), nil
}

func reEscape(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var s string
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 1, &s); err != nil {
		return nil, err
	}
	var out strings.Builder
	for _, r := range s {
		if !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= 0x80) {
			out.WriteByte('\\')
		}
		out.WriteRune(r)
	}
	return starlark.String(out.String()), nil
}

// matchValue is Python's re.Match.
type matchValue struct {
	s     string
	loc   []int
	names []string
}

func (m *matchValue) String() string {
	return fmt.Sprintf("<re.Match object; span=(%d, %d), match=%s>", m.loc[0], m.loc[1], starlark.String(m.s[m.loc[0]:m.loc[1]]).String())
}
func (m *matchValue) Type() string          { return "re.Match" }
func (m *matchValue) Freeze()               {}
func (m *matchValue) Truth() starlark.Bool  { return true }
func (m *matchValue) Hash() (uint32, error) { return unhashable(m) }
func (m *matchValue) AttrNames() []string {
	return []string{"end", "group", "groupdict", "groups", "span", "start", "string"}
}

func (m *matchValue) groupIndex(v starlark.Value) (int, error) {
	if s, ok := v.(starlark.String); ok {
		for i, n := range m.names {
			if n == string(s) && n != "" {
				return i, nil
			}
		}
		return 0, pyError("IndexError", "no such group")
	}
	i, err := starlark.AsInt32(v)
	if err != nil || i < 0 || i >= len(m.loc)/2 {
		return 0, pyError("IndexError", "no such group")
	}
	return i, nil
}

func (m *matchValue) group(i int) starlark.Value {
	if m.loc[2*i] < 0 {
		return starlark.None
	}
	return starlark.String(m.s[m.loc[2*i]:m.loc[2*i+1]])
}

func (m *matchValue) Attr(name string) (starlark.Value, error) {
	switch name {
	case "string":
		return starlark.String(m.s), nil
	case "groups":
		return method(m, name, func(*starlark.Thread, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
			t := make(starlark.Tuple, len(m.loc)/2-1)
			for i := range t {
				t[i] = m.group(i + 1)
			}
			return t, nil
		}), nil
	case "groupdict":
		return method(m, name, func(*starlark.Thread, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
			d := starlark.NewDict(len(m.names))
			for i, n := range m.names {
				if n != "" {
					_ = d.SetKey(starlark.String(n), m.group(i))
				}
			}
			return d, nil
		}), nil
	case "group", "start", "end", "span":
		return method(m, name, func(_ *starlark.Thread, args starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
			if len(args) == 0 {
				args = starlark.Tuple{starlark.MakeInt(0)}
			}
			var out starlark.Tuple
			for _, a := range args {
				i, err := m.groupIndex(a)
				if err != nil {
					return nil, err
				}
				switch name {
				case "group":
					out = append(out, m.group(i))
				case "start":
					return starlark.MakeInt(m.loc[2*i]), nil
				case "end":
					return starlark.MakeInt(m.loc[2*i+1]), nil
				case "span":
					return starlark.Tuple{starlark.MakeInt(m.loc[2*i]), starlark.MakeInt(m.loc[2*i+1])}, nil
				}
			}
			if len(out) == 1 {
				return out[0], nil
			}
			return out, nil
		}), nil
	}
	return nil, nil
}

var jsonModule = &starlarkstruct.Module{Name: "json", Members: starlark.StringDict{
	"dumps": starlark.NewBuiltin("dumps", func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var v starlark.Value
		var indent starlark.Value = starlark.None
		if err := starlark.UnpackArgs(b.Name(), args, kwargs, "obj", &v, "indent?", &indent); err != nil {
			return nil, err
		}
		n := 0
		if i, ok := indent.(starlark.Int); ok {
			n, _ = starlark.AsInt32(i)
		}
		s, err := PythonJSON(v, n)
		if err != nil {
			return nil, pyError("TypeError", err.Error())
		}
		return starlark.String(s), nil
	}),
	"loads": starlark.NewBuiltin("loads", func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var s string
		if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 1, &s); err != nil {
			return nil, err
		}
		v, err := decodeJSON([]byte(s))
		if err != nil {
			return nil, pyError("ValueError", "invalid JSON: "+err.Error())
		}
		return v, nil
	}),
}}

var ipaddressModule = &starlarkstruct.Module{Name: "ipaddress", Members: starlark.StringDict{
	"ip_address": starlark.NewBuiltin("ip_address", builtinIPAddress),
	"ip_network": starlark.NewBuiltin("ip_network", builtinIPNetwork),
}}

// Sanitize turns any value an expression handles into JSON-safe data, as
// authentik's sanitize_dict does before storing an event: models become
// {app, model_name, pk, name}.
func Sanitize(v any) any {
	switch x := v.(type) {
	case nil, bool, string, int, int64, float64:
		return x
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = Sanitize(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Sanitize(e)
		}
		return out
	case *User:
		if x == nil {
			return nil
		}
		return map[string]any{"app": "authentik_core", "model_name": "user", "pk": x.PK, "name": x.Username}
	case *Group:
		if x == nil {
			return nil
		}
		return map[string]any{"app": "authentik_core", "model_name": "group", "pk": strings.ReplaceAll(x.PK, "-", ""), "name": x.Name}
	case []*Group:
		out := make([]any, len(x))
		for i, g := range x {
			out[i] = Sanitize(g)
		}
		return out
	case *Request:
		if x == nil {
			return nil
		}
		return map[string]any{"user": Sanitize(x.User), "context": Sanitize(x.Context), "http_request": Sanitize(x.HTTP)}
	case *HTTPRequest:
		if x == nil {
			return nil
		}
		return map[string]any{"path": x.Path, "method": x.Method, "args": x.Query.Encode()}
	case *FlowPlan:
		if x == nil {
			return nil
		}
		return map[string]any{"flow_pk": x.FlowPK, "context": Sanitize(x.Context)}
	case *PolicyResult:
		if x == nil {
			return nil
		}
		return map[string]any{"passing": x.Passing, "messages": x.Messages}
	case netip.Addr:
		return x.String()
	case netip.Prefix:
		return x.String()
	case starlark.Value:
		return Sanitize(toGo(x, nil))
	}
	return fmt.Sprint(v)
}
