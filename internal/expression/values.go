package expression

import (
	"fmt"
	"sort"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// Host objects: Starlark values standing for authentik's Python objects.
// Each keeps the evaluation's env, because attribute reads may load data
// (user.ak_groups) or must return the dict shared with the caller
// (user.attributes, request.context).

type builtinFn func(thread *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error)

func method(recv starlark.Value, name string, fn builtinFn) *starlark.Builtin {
	return starlark.NewBuiltin(name, func(thread *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		return fn(thread, args, kwargs)
	}).BindReceiver(recv)
}

func unhashable(v starlark.Value) (uint32, error) {
	return 0, fmt.Errorf("unhashable type: %s", v.Type())
}

func equalityOnly(op syntax.Token, eq bool, typ string) (bool, error) {
	switch op {
	case syntax.EQL:
		return eq, nil
	case syntax.NEQ:
		return !eq, nil
	}
	return false, fmt.Errorf("'%s' not supported between instances of '%s' and '%s'", op, typ, typ)
}

// userValue is authentik's User.
type userValue struct {
	u  *User
	en *env
}

var userAttrs = []string{"ak_groups", "all_groups", "attributes", "avatar", "date_joined", "email", "get_full_name",
	"group_attributes", "has_usable_password", "id", "is_active", "is_anonymous", "is_authenticated", "is_staff",
	"is_superuser", "last_login", "locale", "name", "password_change_date", "path", "pk", "type", "username", "uuid"}

func (v *userValue) String() string        { return v.u.Username }
func (v *userValue) Type() string          { return "User" }
func (v *userValue) Freeze()               {}
func (v *userValue) Truth() starlark.Bool  { return true }
func (v *userValue) Hash() (uint32, error) { return uint32(v.u.PK), nil }
func (v *userValue) AttrNames() []string   { return userAttrs }
func (v *userValue) CompareSameType(op syntax.Token, y starlark.Value, _ int) (bool, error) {
	return equalityOnly(op, v.u.PK == y.(*userValue).u.PK, "User")
}

func (v *userValue) Attr(name string) (starlark.Value, error) {
	u := v.u
	switch name {
	case "pk", "id":
		return starlark.MakeInt64(u.PK), nil
	case "uuid":
		return starlark.String(u.UUID), nil
	case "username":
		return starlark.String(u.Username), nil
	case "name":
		return starlark.String(u.Name), nil
	case "email":
		return starlark.String(u.Email), nil
	case "is_active":
		return starlark.Bool(u.IsActive), nil
	case "is_superuser", "is_staff":
		return starlark.Bool(u.IsSuperuser), nil
	case "is_authenticated":
		return starlark.True, nil
	case "is_anonymous":
		return starlark.False, nil
	case "type":
		return starlark.String(u.Type), nil
	case "path":
		return starlark.String(u.Path), nil
	case "avatar":
		return starlark.String(u.Avatar), nil
	case "backend":
		if u.Backend == "" {
			return nil, nil
		}
		return starlark.String(u.Backend), nil
	case "attributes":
		if u.Attributes == nil {
			u.Attributes = map[string]any{}
		}
		return v.en.dict(u.Attributes), nil
	case "last_login", "date_joined", "password_change_date":
		t := map[string]any{"last_login": u.LastLogin, "date_joined": u.DateJoined, "password_change_date": u.PasswordChangeDate}[name]
		if t.(interface{ IsZero() bool }).IsZero() {
			return starlark.None, nil
		}
		return v.en.toValue(t), nil
	case "ak_groups":
		groups, err := v.en.directGroups(u)
		if err != nil {
			return nil, err
		}
		return &groupQuery{en: v.en, groups: groups}, nil
	case "all_groups":
		return method(v, name, func(*starlark.Thread, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
			groups, err := v.en.allGroups(u)
			if err != nil {
				return nil, err
			}
			return &groupQuery{en: v.en, groups: groups}, nil
		}), nil
	case "group_attributes":
		return method(v, name, func(_ *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var req starlark.Value = starlark.None
			if err := starlark.UnpackArgs(name, args, kwargs, "request?", &req); err != nil {
				return nil, err
			}
			merged, err := v.en.groupAttributes(u, req)
			if err != nil {
				return nil, err
			}
			return v.en.toValue(merged), nil
		}), nil
	case "has_usable_password":
		return method(v, name, func(*starlark.Thread, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
			return starlark.Bool(u.PasswordUsable), nil
		}), nil
	case "get_full_name":
		return method(v, name, func(*starlark.Thread, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
			return starlark.String(u.Name), nil
		}), nil
	case "locale":
		return method(v, name, func(*starlark.Thread, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
			settings, _ := u.Attributes["settings"].(map[string]any)
			loc, _ := settings["locale"].(string)
			return starlark.String(loc), nil
		}), nil
	}
	return nil, nil
}

// groupAttributes merges, as authentik's User.group_attributes does, the
// tenant's attributes (when an HTTP request is given), then every group's
// (all groups, ordered by name), then the user's own.
func (en *env) groupAttributes(u *User, req starlark.Value) (map[string]any, error) {
	out := map[string]any{}
	var hr *HTTPRequest
	switch r := req.(type) {
	case *httpRequestValue:
		hr = r.r
	case *requestValue:
		hr = r.r.HTTP
	}
	if hr != nil {
		deepMerge(out, hr.TenantAttributes)
	}
	groups, err := en.allGroups(u)
	if err != nil {
		return nil, err
	}
	sorted := append([]*Group(nil), groups...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for _, g := range sorted {
		deepMerge(out, g.Attributes)
	}
	deepMerge(out, u.Attributes)
	return out, nil
}

// deepMerge is deepmerge's always_merger: dicts merge recursively, lists
// are appended, anything else is overridden.
func deepMerge(dst, src map[string]any) {
	for k, sv := range src {
		dv, ok := dst[k]
		if !ok {
			dst[k] = cloneJSON(sv)
			continue
		}
		switch s := sv.(type) {
		case map[string]any:
			if d, ok := dv.(map[string]any); ok {
				deepMerge(d, s)
				continue
			}
		case []any:
			if d, ok := dv.([]any); ok {
				dst[k] = append(append([]any{}, d...), cloneJSON(s).([]any)...)
				continue
			}
		}
		dst[k] = cloneJSON(sv)
	}
}

// cloneJSON copies maps and slices so merged attributes never alias the
// user's or groups' own.
func cloneJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = cloneJSON(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneJSON(e)
		}
		return out
	}
	return v
}

func (en *env) directGroups(u *User) ([]*Group, error) {
	if g, ok := en.groups[u.PK]; ok {
		return g, nil
	}
	if en.dir == nil {
		return nil, fmt.Errorf("groups are not available in this evaluation")
	}
	groups, err := en.dir.Groups(en.ctx, u)
	if err != nil {
		return nil, fmt.Errorf("load groups of %s: %w", u.Username, err)
	}
	if en.groups == nil {
		en.groups = map[int64][]*Group{}
	}
	en.groups[u.PK] = groups
	return groups, nil
}

func (en *env) allGroups(u *User) ([]*Group, error) {
	if g, ok := en.all[u.PK]; ok {
		return g, nil
	}
	if en.dir == nil {
		return nil, fmt.Errorf("groups are not available in this evaluation")
	}
	groups, err := en.dir.AllGroups(en.ctx, u)
	if err != nil {
		return nil, fmt.Errorf("load groups of %s: %w", u.Username, err)
	}
	if en.all == nil {
		en.all = map[int64][]*Group{}
	}
	en.all[u.PK] = groups
	return groups, nil
}

// groupValue is authentik's Group.
type groupValue struct {
	g  *Group
	en *env
}

var groupAttrNames = []string{"attributes", "group_uuid", "is_member", "is_superuser", "name", "num_pk", "parent", "pk"}

func (v *groupValue) String() string       { return v.g.Name }
func (v *groupValue) Type() string         { return "Group" }
func (v *groupValue) Freeze()              {}
func (v *groupValue) Truth() starlark.Bool { return true }
func (v *groupValue) Hash() (uint32, error) {
	return starlark.String(v.g.PK).Hash()
}
func (v *groupValue) AttrNames() []string { return groupAttrNames }
func (v *groupValue) CompareSameType(op syntax.Token, y starlark.Value, _ int) (bool, error) {
	return equalityOnly(op, v.g.PK == y.(*groupValue).g.PK, "Group")
}

func (v *groupValue) Attr(name string) (starlark.Value, error) {
	g := v.g
	switch name {
	case "pk", "group_uuid":
		return starlark.String(g.PK), nil
	case "num_pk":
		return starlark.MakeInt64(g.NumPK), nil
	case "name":
		return starlark.String(g.Name), nil
	case "is_superuser":
		return starlark.Bool(g.IsSuperuser), nil
	case "attributes":
		if g.Attributes == nil {
			g.Attributes = map[string]any{}
		}
		return v.en.dict(g.Attributes), nil
	case "parent":
		if g.ParentPK == "" || v.en.dir == nil {
			return starlark.None, nil
		}
		parent, err := v.en.dir.Group(v.en.ctx, g.ParentPK)
		if err != nil {
			return nil, fmt.Errorf("load parent of group %s: %w", g.Name, err)
		}
		return v.en.toValue(parent), nil
	case "is_member":
		return method(v, name, func(_ *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var u starlark.Value
			if err := starlark.UnpackPositionalArgs(name, args, kwargs, 1, &u); err != nil {
				return nil, err
			}
			uv, ok := u.(*userValue)
			if !ok {
				return starlark.False, nil
			}
			groups, err := v.en.allGroups(uv.u)
			if err != nil {
				return nil, err
			}
			for _, x := range groups {
				if x.PK == g.PK {
					return starlark.True, nil
				}
			}
			return starlark.False, nil
		}), nil
	}
	return nil, nil
}

// groupQuery is a (loaded) QuerySet of groups: user.ak_groups,
// user.all_groups(), with the QuerySet methods expressions use.
type groupQuery struct {
	en     *env
	groups []*Group
}

var queryAttrs = []string{"all", "count", "exists", "filter", "exclude", "first", "last", "order_by", "values_list"}

func (q *groupQuery) String() string {
	names := make([]string, len(q.groups))
	for i, g := range q.groups {
		names[i] = "<Group: " + g.Name + ">"
	}
	return "<QuerySet [" + strings.Join(names, ", ") + "]>"
}
func (q *groupQuery) Type() string                { return "QuerySet" }
func (q *groupQuery) Freeze()                     {}
func (q *groupQuery) Truth() starlark.Bool        { return len(q.groups) > 0 }
func (q *groupQuery) Hash() (uint32, error)       { return unhashable(q) }
func (q *groupQuery) Len() int                    { return len(q.groups) }
func (q *groupQuery) Index(i int) starlark.Value  { return q.en.toValue(q.groups[i]) }
func (q *groupQuery) Iterate() starlark.Iterator  { return &queryIter{q: q} }
func (q *groupQuery) AttrNames() []string         { return queryAttrs }
func (q *groupQuery) with(g []*Group) *groupQuery { return &groupQuery{en: q.en, groups: g} }
func (q *groupQuery) Has(y starlark.Value) (bool, error) {
	gv, ok := y.(*groupValue)
	if !ok {
		return false, nil
	}
	for _, g := range q.groups {
		if g.PK == gv.g.PK {
			return true, nil
		}
	}
	return false, nil
}

type queryIter struct {
	q *groupQuery
	i int
}

func (it *queryIter) Next(p *starlark.Value) bool {
	if it.i >= len(it.q.groups) {
		return false
	}
	*p = it.q.Index(it.i)
	it.i++
	return true
}
func (it *queryIter) Done() {}

func (q *groupQuery) Attr(name string) (starlark.Value, error) {
	switch name {
	case "all":
		return method(q, name, func(*starlark.Thread, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) { return q, nil }), nil
	case "count":
		return method(q, name, func(*starlark.Thread, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
			return starlark.MakeInt(len(q.groups)), nil
		}), nil
	case "exists":
		return method(q, name, func(*starlark.Thread, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
			return starlark.Bool(len(q.groups) > 0), nil
		}), nil
	case "first", "last":
		return method(q, name, func(*starlark.Thread, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
			if len(q.groups) == 0 {
				return starlark.None, nil
			}
			if name == "first" {
				return q.Index(0), nil
			}
			return q.Index(len(q.groups) - 1), nil
		}), nil
	case "filter", "exclude":
		return method(q, name, func(_ *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if len(args) > 0 {
				return nil, fmt.Errorf("%s: only keyword filters are supported", name)
			}
			filters, err := parseFilters(kwargs)
			if err != nil {
				return nil, err
			}
			var out []*Group
			for _, g := range q.groups {
				if MatchGroup(g, filters) == (name == "filter") {
					out = append(out, g)
				}
			}
			return q.with(out), nil
		}), nil
	case "order_by":
		return method(q, name, func(_ *starlark.Thread, args starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
			out := append([]*Group(nil), q.groups...)
			for i := len(args) - 1; i >= 0; i-- {
				field, _ := starlark.AsString(args[i])
				desc := strings.HasPrefix(field, "-")
				field = strings.TrimPrefix(field, "-")
				sort.SliceStable(out, func(a, b int) bool {
					less := fmt.Sprint(groupField(out[a], field)) < fmt.Sprint(groupField(out[b], field))
					if desc {
						return fmt.Sprint(groupField(out[b], field)) < fmt.Sprint(groupField(out[a], field))
					}
					return less
				})
			}
			return q.with(out), nil
		}), nil
	case "values_list":
		return method(q, name, func(_ *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			flat := false
			for _, kw := range kwargs {
				if string(kw[0].(starlark.String)) == "flat" {
					flat = bool(kw[1].Truth())
				}
			}
			var out []starlark.Value
			for _, g := range q.groups {
				row := make(starlark.Tuple, len(args))
				for i, a := range args {
					field, _ := starlark.AsString(a)
					row[i] = q.en.toValue(groupField(g, field))
				}
				if flat && len(row) == 1 {
					out = append(out, row[0])
				} else {
					out = append(out, row)
				}
			}
			return starlark.NewList(out), nil
		}), nil
	}
	return nil, nil
}

// requestValue is authentik's PolicyRequest.
type requestValue struct {
	r  *Request
	en *env
}

func (v *requestValue) String() string {
	user := "None"
	if v.r.User != nil {
		user = v.r.User.Username
	}
	return "<PolicyRequest user=" + user + ">"
}
func (v *requestValue) Type() string          { return "PolicyRequest" }
func (v *requestValue) Freeze()               {}
func (v *requestValue) Truth() starlark.Bool  { return true }
func (v *requestValue) Hash() (uint32, error) { return unhashable(v) }
func (v *requestValue) AttrNames() []string {
	return []string{"context", "debug", "http_request", "obj", "user"}
}

func (v *requestValue) Attr(name string) (starlark.Value, error) {
	switch name {
	case "user":
		return v.en.toValue(v.r.User), nil
	case "http_request":
		return v.en.toValue(v.r.HTTP), nil
	case "context":
		return v.en.dict(v.r.Context), nil
	case "obj":
		return v.en.toValue(v.r.Obj), nil
	case "debug":
		return starlark.Bool(v.r.Debug), nil
	}
	return nil, nil
}

// httpRequestValue is Django's HttpRequest.
type httpRequestValue struct {
	r  *HTTPRequest
	en *env
}

func (v *httpRequestValue) String() string {
	return fmt.Sprintf("<HttpRequest: %s '%s'>", v.r.Method, v.r.Path)
}
func (v *httpRequestValue) Type() string          { return "HttpRequest" }
func (v *httpRequestValue) Freeze()               {}
func (v *httpRequestValue) Truth() starlark.Bool  { return true }
func (v *httpRequestValue) Hash() (uint32, error) { return unhashable(v) }
func (v *httpRequestValue) AttrNames() []string {
	return []string{"GET", "META", "build_absolute_uri", "get_full_path", "get_host", "headers", "is_secure", "method", "path", "path_info", "scheme", "user"}
}

func (v *httpRequestValue) Attr(name string) (starlark.Value, error) {
	r := v.r
	switch name {
	case "method":
		return starlark.String(r.Method), nil
	case "path", "path_info":
		return starlark.String(r.Path), nil
	case "scheme":
		return starlark.String(r.Scheme), nil
	case "user":
		return v.en.toValue(r.User), nil
	case "GET":
		d := starlark.NewDict(len(r.Query))
		for _, k := range sortedKeys(r.Query) {
			vals := r.Query[k]
			_ = d.SetKey(starlark.String(k), starlark.String(vals[len(vals)-1]))
		}
		return d, nil
	case "headers":
		d := starlark.NewDict(len(r.Headers))
		for _, k := range sortedKeys(r.Headers) {
			_ = d.SetKey(starlark.String(k), starlark.String(strings.Join(r.Headers[k], ", ")))
		}
		return d, nil
	case "META":
		d := starlark.NewDict(len(r.Headers) + 4)
		for _, k := range sortedKeys(r.Headers) {
			key := "HTTP_" + strings.ToUpper(strings.ReplaceAll(k, "-", "_"))
			_ = d.SetKey(starlark.String(key), starlark.String(strings.Join(r.Headers[k], ", ")))
		}
		_ = d.SetKey(starlark.String("REMOTE_ADDR"), starlark.String(r.ClientIP))
		_ = d.SetKey(starlark.String("REQUEST_METHOD"), starlark.String(r.Method))
		_ = d.SetKey(starlark.String("PATH_INFO"), starlark.String(r.Path))
		_ = d.SetKey(starlark.String("QUERY_STRING"), starlark.String(r.Query.Encode()))
		return d, nil
	case "get_host":
		return method(v, name, func(*starlark.Thread, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
			return starlark.String(r.Host), nil
		}), nil
	case "is_secure":
		return method(v, name, func(*starlark.Thread, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
			return starlark.Bool(r.Scheme == "https"), nil
		}), nil
	case "get_full_path":
		return method(v, name, func(*starlark.Thread, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
			if len(r.Query) == 0 {
				return starlark.String(r.Path), nil
			}
			return starlark.String(r.Path + "?" + r.Query.Encode()), nil
		}), nil
	case "build_absolute_uri":
		return method(v, name, func(_ *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var loc starlark.Value = starlark.None
			if err := starlark.UnpackArgs(name, args, kwargs, "location?", &loc); err != nil {
				return nil, err
			}
			base := r.Scheme + "://" + r.Host
			path := r.Path
			if s, ok := loc.(starlark.String); ok {
				path = string(s)
				if strings.Contains(path, "://") {
					return s, nil
				}
				if !strings.HasPrefix(path, "/") {
					dir := r.Path[:strings.LastIndex(r.Path, "/")+1]
					path = dir + path
				}
			} else if len(r.Query) > 0 {
				path += "?" + r.Query.Encode()
			}
			return starlark.String(base + path), nil
		}), nil
	}
	return nil, nil
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// flowPlanValue is authentik's FlowPlan.
type flowPlanValue struct {
	p  *FlowPlan
	en *env
}

func (v *flowPlanValue) String() string        { return "<FlowPlan " + v.p.FlowPK + ">" }
func (v *flowPlanValue) Type() string          { return "FlowPlan" }
func (v *flowPlanValue) Freeze()               {}
func (v *flowPlanValue) Truth() starlark.Bool  { return true }
func (v *flowPlanValue) Hash() (uint32, error) { return unhashable(v) }
func (v *flowPlanValue) AttrNames() []string   { return []string{"context", "flow_pk"} }
func (v *flowPlanValue) Attr(name string) (starlark.Value, error) {
	switch name {
	case "context":
		return v.en.dict(v.p.Context), nil
	case "flow_pk":
		return starlark.String(v.p.FlowPK), nil
	}
	return nil, nil
}

// policyResultValue is authentik's PolicyResult.
type policyResultValue struct{ r *PolicyResult }

func (v *policyResultValue) String() string {
	return fmt.Sprintf("<PolicyResult passing=%s messages=%v>", map[bool]string{true: "True", false: "False"}[v.r.Passing], v.r.Messages)
}
func (v *policyResultValue) Type() string          { return "PolicyResult" }
func (v *policyResultValue) Freeze()               {}
func (v *policyResultValue) Truth() starlark.Bool  { return true }
func (v *policyResultValue) Hash() (uint32, error) { return unhashable(v) }
func (v *policyResultValue) AttrNames() []string   { return []string{"messages", "passing"} }
func (v *policyResultValue) Attr(name string) (starlark.Value, error) {
	switch name {
	case "passing":
		return starlark.Bool(v.r.Passing), nil
	case "messages":
		t := make(starlark.Tuple, len(v.r.Messages))
		for i, m := range v.r.Messages {
			t[i] = starlark.String(m)
		}
		return t, nil
	}
	return nil, nil
}

// exceptionValue is a Python exception instance: what "except ... as e"
// binds and what raise throws.
type exceptionValue struct {
	kind string
	msg  string
}

func (v *exceptionValue) String() string        { return v.msg }
func (v *exceptionValue) Type() string          { return v.kind }
func (v *exceptionValue) Freeze()               {}
func (v *exceptionValue) Truth() starlark.Bool  { return true }
func (v *exceptionValue) Hash() (uint32, error) { return unhashable(v) }
func (v *exceptionValue) AttrNames() []string   { return []string{"args"} }
func (v *exceptionValue) Attr(name string) (starlark.Value, error) {
	if name == "args" {
		return starlark.Tuple{starlark.String(v.msg)}, nil
	}
	return nil, nil
}

// raisedError carries a raised exception through Starlark's error chain.
type raisedError struct{ exc *exceptionValue }

func (e *raisedError) Error() string { return e.exc.msg }
