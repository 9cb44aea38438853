package expression

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"
)

// policyVars are the variables an expression policy receives.
func policyVars(req *Request) map[string]any {
	return map[string]any{
		"request": req, "context": req.Context, "ak_is_sso_flow": false,
		"ak_client_ip": netip.MustParseAddr("10.1.2.3"), "http_request": req.HTTP,
	}
}

func newEvaluator(d Directory) *Evaluator {
	return &Evaluator{
		Directory: d,
		Config: func(key string) (any, bool) {
			v, ok := map[string]any{"default_user_change_email": false, "reputation.expiry": "86400"}[key]
			return v, ok
		},
		// Resolution fails without touching the network: the dialer refuses.
		Resolver: &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
			return nil, errors.New("no network in tests")
		}},
	}
}

type exprCase struct {
	name string
	src  string
	want string // json.dumps of the result
	err  string // substring of the error; empty means success
}

func runCases(t *testing.T, cases []exprCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, admin, _ := newFixture()
			ev := newEvaluator(d)
			req := &Request{User: admin, Context: map[string]any{"prompt_data": map[string]any{"email": "new@example.com"}},
				HTTP: &HTTPRequest{Method: "GET", Path: "/if/flow/x/", Scheme: "https", Host: "auth.example.com",
					Query: url.Values{"next": {"/app"}}, Headers: http.Header{"User-Agent": {"test"}}, ClientIP: "10.1.2.3"}}
			out, err := ev.Run(context.Background(), Call{Source: tc.src, Filename: "test-policy", Vars: policyVars(req), Request: req})
			if tc.err != "" {
				if err == nil {
					got, _ := out.JSON(0)
					t.Fatalf("want error containing %q, got result %s", tc.err, got)
				}
				if !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %q does not contain %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			got, err := out.JSON(0)
			if err != nil {
				t.Fatalf("result not JSON: %v (%s)", err, out.String())
			}
			if got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestGlobals(t *testing.T) {
	runCases(t, []exprCase{
		{"regex_match true", `return regex_match("akadmin", "^ak")`, "true", ""},
		{"regex_match false", `return regex_match(request.user.username, "^bob$")`, "false", ""},
		{"regex_match needs a string", `return regex_match(1, "x")`, "", "expected string"},
		{"regex_replace with group", `return regex_replace("john.doe", r"(\w+)\.(\w+)", r"\2, \1")`, `"doe, john"`, ""},
		{"regex_replace named group", `return regex_replace("a-b", r"(?P<x>a)", r"[\g<x>]")`, `"[a]-b"`, ""},
		{"regex unsupported syntax", `return regex_match("ab", "a(?=b)")`, "", "unsupported regular expression"},
		{"list_flatten list", `return list_flatten(["a", "b"])`, `"a"`, ""},
		{"list_flatten empty", `return list_flatten([])`, "null", ""},
		{"list_flatten scalar", `return list_flatten("x")`, `"x"`, ""},
		{"group member through parent", `return ak_is_group_member(request.user, name="admins")`, "true", ""},
		{"group member direct", `return ak_is_group_member(request.user, name__iexact="EDITORS")`, "true", ""},
		{"group member no", `return ak_is_group_member(request.user, name="nobody")`, "false", ""},
		{"group member attribute filter", `return ak_is_group_member(request.user, attributes__level=2)`, "true", ""},
		{"group member of None", `return ak_is_group_member(None, name="x")`, "", "expected a User"},
		{"user_by found", `return ak_user_by(username="alice").email`, `"alice@example.com"`, ""},
		{"user_by none", `return ak_user_by(username="bob")`, "null", ""},
		{"user_by attribute", `return ak_user_by(attributes__team="core").username`, `"akadmin"`, ""},
		{"user_by positional", `return ak_user_by("alice")`, "", "only keyword filters"},
		{"has authenticator", `return [ak_user_has_authenticator(request.user), ak_user_has_authenticator(request.user, "webauthn")]`, "[true, false]", ""},
		{"ip in network", `return ip_address("10.1.2.3") in ip_network("10.0.0.0/8")`, "true", ""},
		{"client ip", `return [str(ak_client_ip), ak_client_ip.is_private, ak_client_ip.version]`, `["10.1.2.3", true, 4]`, ""},
		{"ip not in network", `return ak_client_ip in ip_network("192.168.0.0/16")`, "false", ""},
		{"ipv6", `return [str(ip_address("2001:db8::1")), ip_address("2001:db8::1") in ip_network("2001:db8::/32")]`, `["2001:db8::1", true]`, ""},
		{"ip_network strict", `return ip_network("10.0.0.1/8")`, "", "has host bits set"},
		{"ip_network not strict", `return str(ip_network("10.0.0.1/8", strict=False))`, `"10.0.0.0/8"`, ""},
		{"ip_address invalid", `return ip_address("nope")`, "", "does not appear to be an IPv4 or IPv6 address"},
		{"ip compare", `return ip_address("10.0.0.1") < ip_address("10.0.0.2")`, "true", ""},
		{"ak_message", "ak_message('first')\nak_message(2)\nreturn False", "false", ""},
		{"slugify", `return slugify("Hello, Wörld  x")`, `"hello-world-x"`, ""},
		{"CONFIG get_bool set", `return CONFIG.get_bool("default_user_change_email", True)`, "false", ""},
		{"CONFIG get_bool default", `return CONFIG.get_bool("default_user_change_name", True)`, "true", ""},
		{"CONFIG get_int", `return CONFIG.get_int("reputation.expiry")`, "86400", ""},
		{"CONFIG get missing", `return CONFIG.get("nope", "d")`, `"d"`, ""},
		{"requests unavailable", `return requests.get("https://example.com")`, "", "not available in akgo expressions"},
		{"resolve_dns offline", `return resolve_dns("example.invalid")`, "[]", ""},
		{"reverse_dns offline", `return reverse_dns("10.0.0.1")`, `"10.0.0.1"`, ""},
		{"isinstance", `return [isinstance("a", str), isinstance(1, (str, int)), isinstance(True, int), isinstance([], dict)]`, "[true, true, true, false]", ""},
		{"sum and round", `return [sum([1, 2, 3]), round(2.5), round(3.14159, 2), sum([0.5], 1)]`, "[6, 2, 3.14, 1.5]", ""},
		{"map and filter", `return [list(map(lambda x: x * 2, [1, 2])), filter(None, [0, 1, 2])]`, "[[2, 4], [1, 2]]", ""},
		{"undefined name", `return some_undefined_name`, "", "name 'some_undefined_name' is not defined"},
		{"print is logged", "print('hello')\nreturn True", "true", ""},
	})
}

func TestHostObjects(t *testing.T) {
	runCases(t, []exprCase{
		{"user fields", `u = request.user
return [u.pk, u.username, u.name, u.email, u.is_active, u.is_superuser, u.is_authenticated, u.type, str(u)]`,
			`[1, "akadmin", "authentik Default Admin", "root@localhost", true, true, true, "internal", "akadmin"]`, ""},
		{"user attributes get", `return request.user.attributes.get("upn", request.user.email)`, `"root@localhost"`, ""},
		{"user groups comprehension", `return [g.name for g in request.user.ak_groups.all()]`, `["editors"]`, ""},
		{"user groups filter exists", `return request.user.ak_groups.filter(name="editors").exists()`, "true", ""},
		{"user all_groups", `return sorted([g.name for g in request.user.all_groups()])`, `["admins", "editors"]`, ""},
		{"group parent", `return request.user.ak_groups.first().parent.name`, `"admins"`, ""},
		{"group is_member", `return request.user.ak_groups.first().parent.is_member(request.user)`, "true", ""},
		{"group_attributes merge", `return request.user.group_attributes(request.http_request)`,
			`{"level": 2, "settings": {"locale": "de"}, "tags": ["a", "b"], "team": "core"}`, ""},
		{"has_usable_password", `return request.user.has_usable_password()`, "true", ""},
		{"locale", `return request.user.locale()`, `"de"`, ""},
		{"users compare", `return ak_user_by(username="akadmin") == request.user`, "true", ""},
		{"context is request.context", `return context is request.context and context.get("prompt_data", {}).get("email")`, `"new@example.com"`, ""},
		{"username not in prompt data", `return 'username' not in context.get('prompt_data', {})`, "true", ""},
		{"sso flag", `return ak_is_sso_flow`, "false", ""},
		{"token in context", `return "token" in request.context`, "false", ""},
		{"http request", `r = request.http_request
return [r.method, r.path, r.META["REMOTE_ADDR"], r.META["HTTP_USER_AGENT"], r.GET["next"], r.build_absolute_uri("/"), r.build_absolute_uri()]`,
			`["GET", "/if/flow/x/", "10.1.2.3", "test", "/app", "https://auth.example.com/", "https://auth.example.com/if/flow/x/?next=%2Fapp"]`, ""},
		{"hasattr on user", `alice = ak_user_by(username="alice")
return [hasattr(alice, "backend"), hasattr(alice, "username"), hasattr(request.user, "backend"), request.user.backend]`,
			`[false, true, true, "authentik.core.auth.InbuiltBackend"]`, ""},
		{"tuple unpacking and partition", `name, _, domain = request.user.email.partition("@")
return [name, domain, "://" in "https://x"]`, `["root", "localhost", true]`, ""},
		{"scope mapping", `return {
    "email": request.user.email,
    "email_verified": True,
    "groups": [group.name for group in request.user.ak_groups.all()],
}`, `{"email": "root@localhost", "email_verified": true, "groups": ["editors"]}`, ""},
	})
}

func TestPrePass(t *testing.T) {
	runCases(t, []exprCase{
		{"import CONFIG and constants", `from authentik.lib.config import CONFIG
from authentik.core.models import (
    USER_ATTRIBUTE_CHANGE_EMAIL,
    USER_ATTRIBUTE_CHANGE_NAME as NAME_KEY,
)
return [USER_ATTRIBUTE_CHANGE_EMAIL, NAME_KEY, CONFIG.get_bool("default_user_change_email", True)]`,
			`["goauthentik.io/user/can-change-email", "goauthentik.io/user/can-change-name", false]`, ""},
		{"import re module", "import re\nm = re.search(r'(\\d+)', 'abc123')\nreturn [m.group(1), re.sub('a', 'b', 'aa', count=1), re.findall('[a-z]', 'a1b')]", `["123", "ba", ["a", "b"]]`, ""},
		{"import json module", "import json\nreturn json.loads(json.dumps({'a': [1, 2]}))", `{"a": [1, 2]}`, ""},
		{"from re import", "from re import match\nreturn match('a', 'ba') == None", "true", ""},
		{"unknown import", "import os\nreturn os.getcwd()", "", "import of module os is not supported"},
		{"unknown name import", "from authentik.core.models import User\nreturn User", "", "import of User from authentik.core.models is not supported"},
		{"try block success", "try:\n    return request.user.username\nexcept:\n    return ''", `"akadmin"`, ""},
		{"try block failure", "try:\n    return request.nothing.username\nexcept:\n    return 'fallback'", `"fallback"`, ""},
		{"try inline", "try: return {}['x']\nexcept Exception: return 'missing'", `"missing"`, ""},
		{"try assignment", "try:\n    v = int('x')\nexcept ValueError:\n    v = -1\nreturn v", "-1", ""},
		{"try as e", "try:\n    raise ValueError('boom')\nexcept Exception as e:\n    return str(e)", `"boom"`, ""},
		{"try expression statement", "x = []\ntry:\n    x.append(1 / 0)\nexcept:\n    x.append('err')\nreturn x", `["err"]`, ""},
		{"try nested in except", "try:\n    return {}['a']\nexcept:\n    try:\n        return {}['b']\n    except:\n        return 'both'", `"both"`, ""},
		{"try multi statement", "try:\n    a = 1\n    b = 2\nexcept:\n    pass", "", "only a single statement is supported in a try block"},
		{"try two excepts", "try:\n    a = 1\nexcept KeyError:\n    pass\nexcept ValueError:\n    pass", "", "only one except clause is supported"},
		{"try finally", "try:\n    a = 1\nexcept:\n    pass\nfinally:\n    pass", "", "try/finally is not supported"},
		{"yield in loop", "for group in request.user.all_groups():\n    yield group.name", `["editors", "admins"]`, ""},
		{"yield inline loop", "for x in [1, 2]: yield x * 10", "[10, 20]", ""},
		{"yield from", "yield from [1, 2]\nyield 3", "[1, 2, 3]", ""},
		{"generator return", "yield 1\nif True:\n    return\nyield 2", "[1]", ""},
		{"yield as expression", "x = yield 1", "", "yield is only supported as a statement"},
		{"f-string nested quotes", "path = 'ou=users'\nelems = ['a', 'b']\nreturn f\"{path}/{'/'.join(elems)}\"", `"ou=users/a/b"`, ""},
		{"f-string spec and conversion", `return [f"{3.14159:.2f}", f"{'x'!r}", f"{{literal}}", f"{7:03d}", f"{'ab':>4}", f"{1234567:,}"]`,
			`["3.14", "'x'", "{literal}", "007", "  ab", "1,234,567"]`, ""},
		{"f-string debug", "x = 5\nreturn f'{x=}'", `"x=5"`, ""},
		// authentik indents every line of the source, string contents too.
		{"f-string triple quoted", "n = 'a'\nreturn f'''<{n}>\n'''", `"<a>\n    "`, ""},
		{"f-string with is", `return f"{None is None}"`, `"True"`, ""},
		{"list reverse", "path_elements = ['a', 'b', 'c']\npath_elements.reverse()\nreturn path_elements", `["c", "b", "a"]`, ""},
		{"list sort with key", "l = ['bb', 'a', 'ccc']\nl.sort(key=len, reverse=True)\nreturn l", `["ccc", "bb", "a"]`, ""},
		{"reverse of non list", "x = 'abc'\nx.reverse()", "", "object has no attribute 'reverse'"},
		{"is not None", "x = request.user\nreturn x is not None and request.http_request is not None", "true", ""},
		{"implicit concatenation", "return ('a' 'b'\n        'c')", `"abc"`, ""},
		// Python joins adjacent literals before the method call.
		{"implicit concatenation with method", `return "x" "y".upper()`, `"XY"`, ""},
		{"raise", "raise PermissionError('denied')", "", "denied"},
		{"raise from", "raise ValueError('outer') from None", "", "outer"},
		{"assert failing", "assert 1 == 2, 'math is broken'", "", "math is broken"},
		{"assert passing", "assert True\nreturn 1", "1", ""},
		{"u prefix", `return u"x"`, `"x"`, ""},
		{"while loop", "i = 0\nwhile i < 3:\n    i += 1\nreturn i", "3", ""},
		{"recursion", "def f(n):\n    return 1 if n == 0 else n * f(n - 1)\nreturn f(5)", "120", ""},
		{"class unsupported", "class X:\n    pass", "", "class definitions are not supported"},
		{"set builtin", "return sorted(set([1, 1, 2]))", "[1, 2]", ""},
	})
}

func TestDefaultBlueprintExpressions(t *testing.T) {
	runCases(t, []exprCase{
		{"password stage optional", `flow_plan = request.context.get("flow_plan")
if not flow_plan:
    return True
# If the user does not have a backend attached to it, they haven't
# been authenticated yet and we need the password stage
return not hasattr(flow_plan.context.get("pending_user"), "backend")`, "true", ""},
		{"user settings authorization", `from authentik.lib.config import CONFIG
from authentik.core.models import (
    USER_ATTRIBUTE_CHANGE_EMAIL,
    USER_ATTRIBUTE_CHANGE_NAME,
    USER_ATTRIBUTE_CHANGE_USERNAME
)
prompt_data = request.context.get("prompt_data")

if not request.user.group_attributes(request.http_request).get(
    USER_ATTRIBUTE_CHANGE_EMAIL, CONFIG.get_bool("default_user_change_email", True)
):
    if prompt_data.get("email") != request.user.email:
        ak_message("Not allowed to change email address.")
        return False

return True`, "false", ""},
		{"prompt initial value", "try:\n    return user.username\nexcept:\n    return ''", `""`, ""},
		{"saml groups", "for group in request.user.ak_groups.all():\n    yield group.name", `["editors"]`, ""},
		{"ldap dn to path", `dn = "cn=user,ou=people,ou=eng,dc=example,dc=com"
path_elements = []
for pair in dn.split(","):
    attr, _, value = pair.partition("=")
    # Ignore elements from the Root DSE and the canonical name of the object
    if attr.lower() in ["cn", "dc"]:
        continue
    path_elements.append(value)
path_elements.reverse()

path = "ldap"
return f"{path}/{'/'.join(path_elements)}"`, `"ldap/eng/people"`, ""},
	})
}

func TestOOBEMutatesFlowPlan(t *testing.T) {
	d, admin, alice := newFixture()
	ev := newEvaluator(d)
	plan := &FlowPlan{FlowPK: "f1", Context: map[string]any{}}
	req := &Request{User: alice, Context: map[string]any{"flow_plan": plan}}
	src := `akadmin = ak_user_by(username="akadmin")
context["flow_plan"].context["pending_user"] = akadmin
request.context["seen"] = [1, {"a": True}]
request.user.attributes["touched"] = True
return not akadmin.has_usable_password()`
	out, err := ev.Run(context.Background(), Call{Source: src, Vars: policyVars(req)})
	if err != nil {
		t.Fatal(err)
	}
	if out.Truth() {
		t.Fatalf("akadmin has a usable password, expected False")
	}
	if got, ok := plan.Context["pending_user"].(*User); !ok || got != admin {
		t.Fatalf("flow plan context not written back: %#v", plan.Context)
	}
	seen, ok := req.Context["seen"].([]any)
	if !ok || len(seen) != 2 || seen[1].(map[string]any)["a"] != true {
		t.Fatalf("request context not written back: %#v", req.Context)
	}
	if alice.Attributes["touched"] != true {
		t.Fatalf("user attributes not written back: %#v", alice.Attributes)
	}
}

func TestMessagesLogsAndHooks(t *testing.T) {
	d, admin, _ := newFixture()
	var events []map[string]any
	var called []string
	ev := newEvaluator(d)
	ev.CreateEvent = func(_ context.Context, action, app string, data map[string]any) error {
		data["__action"], data["__app"] = action, app
		events = append(events, data)
		return nil
	}
	ev.CallPolicy = func(_ context.Context, name string, req *Request, extra map[string]any) (*PolicyResult, error) {
		called = append(called, name)
		if name == "missing" {
			return nil, errors.New("Policy 'missing' not found.")
		}
		return &PolicyResult{Passing: extra["x"] == int64(1), Messages: []string{"inner"}}, nil
	}
	req := &Request{User: admin, Context: map[string]any{}}
	src := `ak_message("hello")
ak_logger.info("checked %s", "it", user=request.user, n=1)
ak_logger.bind(policy="p").warning("careful")
ak_create_event("custom_thing", reason="because")
r = ak_call_policy("other", x=1)
return r.passing and list(r.messages) == ["inner"]`
	out, err := ev.Run(context.Background(), Call{Source: src, Filename: "my-policy", Vars: policyVars(req), Request: req})
	if err != nil {
		t.Fatal(err)
	}
	if !out.Truth() {
		t.Fatal("ak_call_policy result not passed through")
	}
	if len(out.Messages) != 1 || out.Messages[0] != "hello" {
		t.Fatalf("messages %v", out.Messages)
	}
	if len(out.Logs) != 2 || out.Logs[0].Event != "checked it" || out.Logs[0].Level != "info" || out.Logs[1].Attrs["policy"] != "p" || out.Logs[1].Level != "warning" {
		t.Fatalf("logs %#v", out.Logs)
	}
	if u, _ := out.Logs[0].Attrs["user"].(map[string]any); u["name"] != "akadmin" {
		t.Fatalf("log attribute not sanitised: %#v", out.Logs[0].Attrs)
	}
	if len(events) != 1 || events[0]["__action"] != "custom_thing" || events[0]["__app"] != "my-policy" || events[0]["reason"] != "because" {
		t.Fatalf("events %#v", events)
	}
	if len(called) != 1 || called[0] != "other" {
		t.Fatalf("called %v", called)
	}
	_, err = ev.Run(context.Background(), Call{Source: `return ak_call_policy("missing")`, Vars: policyVars(req), Request: req})
	if err == nil || !strings.Contains(err.Error(), "Policy 'missing' not found.") {
		t.Fatalf("missing policy error = %v", err)
	}
}

func TestErrorsAndTimeouts(t *testing.T) {
	d, admin, _ := newFixture()
	cases := []struct {
		name     string
		src      string
		timeout  time.Duration
		dir      Directory
		msg      string
		line     int
		timeout_ bool
	}{
		{name: "key error with line", src: "x = 1\ny = 2\nreturn {}['missing']", msg: `key "missing" not in dict`, line: 3},
		{name: "division by zero", src: "return 1 // 0", msg: "division by zero", line: 1},
		{name: "raised message", src: "\n\nraise ValueError('custom')", msg: "custom", line: 3},
		{name: "attribute of None", src: "return request.user.nothing.x", msg: "nothing", line: 1},
		{name: "directory failure", src: "return ak_user_by(username='x')", dir: &fakeDirectory{fail: true}, msg: "directory unavailable", line: 1},
		{name: "infinite loop", src: "while True:\n    pass", timeout: 50 * time.Millisecond, timeout_: true},
		{name: "timeout not caught by try", src: "def spin():\n    while True:\n        pass\ntry:\n    spin()\nexcept:\n    return 'caught'", timeout: 50 * time.Millisecond, timeout_: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.dir
			if dir == nil {
				dir = d
			}
			ev := newEvaluator(dir)
			ev.Timeout = tc.timeout
			req := &Request{User: admin, Context: map[string]any{}}
			start := time.Now()
			_, err := ev.Run(context.Background(), Call{Source: tc.src, Vars: policyVars(req)})
			var ee *Error
			if !errors.As(err, &ee) {
				t.Fatalf("want *Error, got %v", err)
			}
			if tc.timeout_ {
				if !errors.Is(err, ErrTimeout) {
					t.Fatalf("want ErrTimeout, got %v", err)
				}
				if time.Since(start) > 5*time.Second {
					t.Fatalf("timeout took %s", time.Since(start))
				}
				return
			}
			if !strings.Contains(ee.Msg, tc.msg) || ee.Line != tc.line {
				t.Fatalf("got %q at line %d, want %q at line %d", ee.Msg, ee.Line, tc.msg, tc.line)
			}
		})
	}
}

func TestCompile(t *testing.T) {
	cases := []struct {
		name string
		src  string
		msg  string // empty: compiles
		line int
	}{
		{"valid", "return True", "", 0},
		{"undefined names compile", "return ldap.get('mail') or dn", "", 0},
		{"blueprint imports", "from authentik.lib.config import CONFIG\nreturn CONFIG.get('x')", "", 0},
		{"unclosed paren", "x = 1\nreturn (", "Expression Syntax Error", 2},
		{"bad indentation", "if True:\nreturn 1", "Expression Syntax Error", 2},
		{"python 2 print", "print 'x'", "Expression Syntax Error", 1},
		{"empty", "", "Expression Syntax Error", 0},
		{"unsupported import", "import subprocess", "import of module subprocess is not supported", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Compile(tc.src)
			if tc.msg == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("want *SyntaxError, got %v", err)
			}
			if !strings.Contains(err.Error(), tc.msg) || tc.line != 0 && se.Line != tc.line {
				t.Fatalf("got %q (line %d), want %q at line %d", err, se.Line, tc.msg, tc.line)
			}
		})
	}
}

func TestProgramsAreCachedAndReentrant(t *testing.T) {
	d, admin, _ := newFixture()
	ev := newEvaluator(d)
	src := "return request.user.username + str(context['n']) if request.user.attributes.get('team') else ''"
	done := make(chan error)
	for i := 0; i < 8; i++ {
		go func(i int) {
			req := &Request{User: admin, Context: map[string]any{"n": i}}
			out, err := ev.Run(context.Background(), Call{Source: src, Vars: policyVars(req)})
			if err == nil && out.String() != "akadmin"+string(rune('0'+i)) {
				err = errors.New("wrong result " + out.String())
			}
			done <- err
		}(i)
	}
	for i := 0; i < 8; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if n := len(ev.programs.items); n != 1 {
		t.Fatalf("%d programs cached, want 1", n)
	}
}

func TestWriteBackKeepsUnchangedMaps(t *testing.T) {
	d, admin, _ := newFixture()
	ev := newEvaluator(d)
	admin.Attributes = map[string]any{"n": float64(1), "nested": map[string]any{"x": []any{float64(2)}}}
	req := &Request{User: admin, Context: map[string]any{"k": float64(3)}}
	if _, err := ev.Run(context.Background(), Call{Source: "return request.user.attributes['nested']['x'][0] + context['k']", Vars: policyVars(req)}); err != nil {
		t.Fatal(err)
	}
	if _, ok := admin.Attributes["n"].(float64); !ok {
		t.Fatalf("unchanged attribute was rewritten: %#v", admin.Attributes)
	}
	if _, ok := req.Context["k"].(float64); !ok {
		t.Fatalf("unchanged context value was rewritten: %#v", req.Context)
	}
	if _, err := ev.Run(context.Background(), Call{Source: "context['k'] = 4\nrequest.user.attributes['nested']['y'] = 'z'", Vars: policyVars(req)}); err != nil {
		t.Fatal(err)
	}
	if req.Context["k"] != int64(4) || admin.Attributes["nested"].(map[string]any)["y"] != "z" {
		t.Fatalf("changes not written back: %#v %#v", req.Context, admin.Attributes)
	}
}

func TestStepLimit(t *testing.T) {
	d, admin, _ := newFixture()
	ev := newEvaluator(d)
	ev.MaxSteps = 10_000
	_, err := ev.Run(context.Background(), Call{Source: "x = []\nwhile True:\n    x.append(1)", Vars: policyVars(&Request{User: admin})})
	if err == nil || !strings.Contains(err.Error(), "too many steps") {
		t.Fatalf("got %v, want a step limit error", err)
	}
}

// The default authentication flow skips the password stage once the
// identification stage has authenticated the pending user.
func TestPasswordStagePolicy(t *testing.T) {
	src := `flow_plan = request.context.get("flow_plan")
if not flow_plan:
    return True
# If the user does not have a backend attached to it, they haven't
# been authenticated yet and we need the password stage
return not hasattr(flow_plan.context.get("pending_user"), "backend")`
	d, admin, alice := newFixture()
	cases := []struct {
		name    string
		pending *User
		want    bool
	}{
		{"not yet authenticated", alice, true},
		{"authenticated by identification", admin, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := &Request{User: tc.pending, Context: map[string]any{"flow_plan": &FlowPlan{Context: map[string]any{"pending_user": tc.pending}}}}
			out, err := newEvaluator(d).Run(context.Background(), Call{Source: src, Vars: policyVars(req)})
			if err != nil || out.Truth() != tc.want {
				t.Fatalf("got %v (%v), want %v", out, err, tc.want)
			}
		})
	}
}
