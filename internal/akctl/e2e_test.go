package akctl_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/akctl"
	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/config"
	"github.com/akgo/akgo/internal/akctl/iostreams"
	"github.com/akgo/akgo/internal/akctl/resource"
	"github.com/akgo/akgo/internal/apitest"
)

// env runs akctl in-process against a test server, with an environment
// of its own (never the process's).
type env struct {
	t    *testing.T
	h    *apitest.Harness
	vars map[string]string
	tty  bool
}

type result struct {
	code           cmdutil.ExitCode
	stdout, stderr string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	if testing.Short() {
		t.Skip("starts akserver; skipped with -short")
	}
	h := apitest.Start(t, "sqlite")
	dir := t.TempDir()
	return &env{t: t, h: h, vars: map[string]string{
		config.EnvURL:    h.URL,
		config.EnvToken:  apitest.Token,
		config.EnvConfig: filepath.Join(dir, "config.yaml"),
		"HOME":           dir,
	}}
}

func (e *env) lookup(k string) (string, bool) { v, ok := e.vars[k]; return v, ok }

func (e *env) run(args ...string) result { return e.runCtx(context.Background(), "", args...) }

func (e *env) runIn(stdin string, args ...string) result {
	return e.runCtx(context.Background(), stdin, args...)
}

func (e *env) runCtx(ctx context.Context, stdin string, args ...string) result {
	e.t.Helper()
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(stdin)
	ios.SetStdoutTTY(e.tty)
	f := cmdutil.New(ios, "test", e.lookup)
	code := akctl.Run(ctx, f, args)
	return result{code, out.String(), errOut.String()}
}

// ok runs a command that must succeed.
func (e *env) ok(args ...string) string {
	e.t.Helper()
	r := e.run(args...)
	if r.code != cmdutil.ExitOK {
		e.t.Fatalf("akctl %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// expect runs a command that must fail with code and mention want on
// stderr.
func (e *env) expect(code cmdutil.ExitCode, want string, args ...string) result {
	e.t.Helper()
	r := e.run(args...)
	if r.code != code || !strings.Contains(r.stderr, want) {
		e.t.Fatalf("akctl %s: exit %d, want %d with %q\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, code, want, r.stdout, r.stderr)
	}
	return r
}

func (e *env) object(args ...string) map[string]any {
	e.t.Helper()
	var m map[string]any
	out := e.ok(append(args, "-o", "json")...)
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		e.t.Fatalf("akctl %s -o json: %v\n%s", strings.Join(args, " "), err, out)
	}
	return m
}

// editor writes a fake $EDITOR that applies a sed script to the file.
func (e *env) editor(script string) string {
	e.t.Helper()
	path := filepath.Join(e.t.TempDir(), "editor.sh")
	body := "#!/bin/sh\nsed -i " + shellQuote(script) + ` "$1"` + "\n"
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		e.t.Fatal(err)
	}
	return path
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// TestResourceLifecycle runs create → get → edit → describe → delete for
// several kinds of resources.
func TestResourceLifecycle(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		resource string
		name     string
		create   []string
		edit     string // sed script for the fake editor
		field    string // the edited field
		want     any    // its value after the edit
	}{
		{"flows", "e2e-flow", []string{"--set", "slug=e2e-flow", "--set", "name=E2E", "--set", "title=Before", "--set", "designation=authentication"},
			"s/^title: .*/title: After/", "title", "After"},
		{"users", "e2e-user", []string{"--set", "username=e2e-user", "--set", "name=E2E User", "--set", "attributes.team=qa"},
			"s/^name: .*/name: Renamed User/", "name", "Renamed User"},
		{"groups", "e2e-group", []string{"--set", "name=e2e-group", "--set", "is_superuser=false"},
			"s/^is_superuser: .*/is_superuser: true/", "is_superuser", true},
		{"stage/password", "e2e-password", []string{"--set", "name=e2e-password", "--set", "backends=authentik.core.auth.InbuiltBackend"},
			"s/^failed_attempts_before_cancel: .*/failed_attempts_before_cancel: 7/", "failed_attempts_before_cancel", float64(7)},
		{"policy/expression", "e2e-expression", []string{"--set", "name=e2e-expression", "--set", "expression=return True"},
			"s/^execution_logging: .*/execution_logging: true/", "execution_logging", true},
	}
	for _, tt := range tests {
		t.Run(tt.resource, func(t *testing.T) {
			e.t = t
			out := e.ok(append([]string{"create", tt.resource}, tt.create...)...)
			if !strings.Contains(out, "/"+tt.name+" created") {
				t.Errorf("create said %q", out)
			}
			obj := e.object("get", tt.resource, tt.name)
			if obj["pk"] == nil {
				t.Fatalf("get: %v", obj)
			}
			list := e.ok("get", tt.resource)
			if !strings.Contains(list, tt.name) {
				t.Errorf("get %s does not list %s:\n%s", tt.resource, tt.name, list)
			}
			e.vars["EDITOR"] = e.editor(tt.edit)
			out = e.ok("edit", tt.resource, tt.name)
			if !strings.Contains(out, "edited ("+tt.field+")") {
				t.Errorf("edit said %q", out)
			}
			if got := e.object("get", tt.resource, tt.name)[tt.field]; got != tt.want {
				t.Errorf("%s after edit = %v, want %v", tt.field, got, tt.want)
			}
			// By pk as well as by natural key.
			pk := fmt.Sprint(obj["pk"])
			desc := e.ok("describe", tt.resource, pk)
			if !strings.Contains(desc, "Fields:") || !strings.Contains(desc, tt.name) {
				t.Errorf("describe:\n%s", desc)
			}
			out = e.ok("delete", tt.resource, tt.name, "--yes")
			if !strings.Contains(out, "deleted") {
				t.Errorf("delete said %q", out)
			}
			e.expect(cmdutil.ExitNotFound, fmt.Sprintf("%q not found", tt.name), "get", tt.resource, tt.name)
		})
	}
}

func TestEditValidationReopens(t *testing.T) {
	e := newEnv(t)
	e.ok("create", "flows", "--set", "slug=ed", "--set", "name=Ed", "--set", "title=Ed", "--set", "designation=authentication")
	// First pass sets an invalid value; the second sees the server's
	// message as a comment and fixes it.
	script := filepath.Join(t.TempDir(), "editor.sh")
	seen := filepath.Join(t.TempDir(), "second.yaml")
	os.WriteFile(script, []byte(`#!/bin/sh
if grep -q "server rejected" "$1"; then
  cp "$1" `+seen+`
  sed -i 's/^designation: .*/designation: recovery/' "$1"
else
  sed -i 's/^designation: .*/designation: bogus/' "$1"
fi
`), 0o755)
	e.vars["EDITOR"] = script
	e.ok("edit", "flow", "ed")
	second, err := os.ReadFile(seen)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(second), `#   designation: "bogus" is not a valid choice.`) {
		t.Errorf("re-opened file:\n%s", second)
	}
	if got := e.object("get", "flow", "ed")["designation"]; got != "recovery" {
		t.Errorf("designation %v", got)
	}
	// Saving unchanged after an error gives up with the validation code,
	// keeping the edited copy (in the test's own temporary directory).
	t.Setenv("TMPDIR", t.TempDir())
	e.vars["EDITOR"] = e.editor("s/^designation: .*/designation: bogus/")
	r := e.run("edit", "flow", "ed")
	if r.code != cmdutil.ExitValidation || !strings.Contains(r.stderr, "your changes are in") {
		t.Errorf("give up: exit %d\n%s", r.code, r.stderr)
	}
	// An editor that also rewrites akctl's comments still gives up when
	// the fields are saved unchanged (it used to re-open forever); the
	// script fails on a fourth opening so that a loop fails the test.
	count := filepath.Join(t.TempDir(), "count")
	rewriter := filepath.Join(t.TempDir(), "rewriter.sh")
	os.WriteFile(rewriter, []byte(`#!/bin/sh
echo x >> `+count+`
[ "$(wc -l < `+count+`)" -le 3 ] || exit 1
sed -i -e 's/^designation: .*/designation: bogus/' -e 's/^#   designation:.*/#   designation: (seen)/' "$1"
`), 0o755)
	e.vars["EDITOR"] = rewriter
	r = e.run("edit", "flow", "ed")
	if r.code != cmdutil.ExitValidation || !strings.Contains(r.stderr, "your changes are in") || strings.Count(r.stderr, "edit flows") != 1 {
		t.Errorf("give up with rewritten comments: exit %d\n%s", r.code, r.stderr)
	}
	// No change: nothing sent.
	e.vars["EDITOR"] = "true"
	r = e.run("edit", "flow", "ed")
	if r.code != cmdutil.ExitOK || !strings.Contains(r.stderr, "no changes") {
		t.Errorf("no change: exit %d %s", r.code, r.stderr)
	}
}

func TestDeleteShowsCascade(t *testing.T) {
	e := newEnv(t)
	flow := e.object("create", "flows", "--set", "slug=casc", "--set", "name=C", "--set", "title=C", "--set", "designation=authentication")
	e.ok("create", "stage/dummy", "--set", "name=casc-stage")
	// References by name: the flow's slug and the stage's name.
	e.ok("create", "flowbindings", "--set", "target=casc", "--set", "stage=casc-stage", "--set", "order=10")
	r := e.run("delete", "flow", "casc")
	if r.code != cmdutil.ExitUsage || !strings.Contains(r.stderr, "pass --yes") {
		t.Errorf("delete without --yes on a pipe: exit %d %s", r.code, r.stderr)
	}
	r = e.run("delete", "flow", "casc", "--yes")
	if r.code != cmdutil.ExitOK || !strings.Contains(r.stderr, `flow "casc" is used by:`) || !strings.Contains(r.stderr, "flowstagebinding") || !strings.Contains(r.stderr, "deleted along with it") {
		t.Errorf("delete: exit %d\n%s", r.code, r.stderr)
	}
	e.expect(cmdutil.ExitUsage, "want a UUID", "get", "flowbindings", "--filter", "target=casc")
	if out := e.ok("get", "flowbindings", "--filter", "target="+fmt.Sprint(flow["pk"])); strings.TrimSpace(out) != "" {
		t.Errorf("binding survived: %s", out)
	}
}

// TestCompositeKeys addresses objects whose natural key has several
// fields, and describes them for programs.
func TestCompositeKeys(t *testing.T) {
	e := newEnv(t)
	flow := e.object("create", "flows", "--set", "slug=ck", "--set", "name=C", "--set", "title=C", "--set", "designation=authentication")
	e.ok("create", "stage/dummy", "--set", "name=ck-stage")
	binding := e.object("create", "flowbindings", "--set", "target=ck", "--set", "stage=ck-stage", "--set", "order=10")
	if got := strings.TrimSpace(e.ok("get", "flowbinding", "ck/ck-stage/10", "--jq", ".pk")); got != binding["pk"] {
		t.Errorf("by target/stage/order: %q, want %v", got, binding["pk"])
	}
	e.vars["EDITOR"] = e.editor("s/^evaluate_on_plan: .*/evaluate_on_plan: true/")
	if out := e.ok("edit", "flowbinding", "ck/ck-stage/10"); !strings.Contains(out, "edited (evaluate_on_plan)") {
		t.Errorf("edit by key: %q", out)
	}
	e.expect(cmdutil.ExitNotFound, `flowbindings "ck/ck-stage/11" not found`, "get", "flowbinding", "ck/ck-stage/11")
	e.expect(cmdutil.ExitNotFound, `flows "nope" not found`, "get", "flowbinding", "nope/ck-stage/10")
	e.expect(cmdutil.ExitUsage, "by pk or by target/stage/order (3 parts", "get", "flowbinding", "ck/10")
	e.expect(cmdutil.ExitUsage, "order must be an integer", "get", "flowbinding", "ck/ck-stage/x")

	// describe -o json: the object as the API sends it, related objects
	// by name, and used_by.
	var doc struct {
		Object  map[string]any `json:"object"`
		Related []struct{ Field, Resource, Value, Name string }
		UsedBy  []struct {
			ModelName string `json:"model_name"`
			Action    string `json:"action"`
		} `json:"used_by"`
	}
	out := e.ok("describe", "stage/dummy", "ck-stage", "-o", "json")
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("describe -o json: %v\n%s", err, out)
	}
	if doc.Object["name"] != "ck-stage" || len(doc.UsedBy) != 1 || doc.UsedBy[0].ModelName != "flowstagebinding" || doc.UsedBy[0].Action != "CASCADE" {
		t.Errorf("describe -o json:\n%s", out)
	}
	out = e.ok("describe", "flowbinding", "ck/ck-stage/10", "--jq", `.related[] | select(.field == "target") | .name`)
	if strings.TrimSpace(out) != "ck" {
		t.Errorf("related target: %q (flow %v)", out, flow["pk"])
	}
	if out := e.ok("describe", "flow", "ck", "-o", "yaml"); !strings.Contains(out, "object:\n  authentication: none\n") || !strings.Contains(out, "used_by:") {
		t.Errorf("describe -o yaml:\n%s", out)
	}
	e.ok("delete", "flowbinding", "ck/ck-stage/10", "--yes")
	e.expect(cmdutil.ExitNotFound, "not found", "get", "flowbinding", fmt.Sprint(binding["pk"]))
}

func TestCustomOperations(t *testing.T) {
	e := newEnv(t)
	if got := strings.TrimSpace(e.ok("users", "me", "--jq", ".user.username")); got != "akadmin" {
		t.Errorf("users me: %q", got)
	}
	if out := e.ok("version"); !strings.Contains(out, "Server: authentik 2023.10.4") || !strings.Contains(out, "Client: akctl test") {
		t.Errorf("version: %s", out)
	}
	user := e.object("create", "users", "--set", "username=jane", "--set", "name=Jane")
	pk := fmt.Sprint(user["pk"])

	// akctl api, by operationId and by path.
	e.ok("api", "core_users_set_password_create", "-f", "id="+pk, "-f", "password=first-Secret-1")
	if r := e.runIn("second-Secret-2\n", "users", "set-password", "jane", "--password-stdin"); r.code != 0 {
		t.Fatalf("set-password: %d %s", r.code, r.stderr)
	}
	events := e.ok("get", "events", "--filter", "action=password_set", "-o", "json", "--jq", "length")
	if strings.TrimSpace(events) != "2" {
		t.Errorf("password_set events: %s", events)
	}
	if got := strings.TrimSpace(e.ok("api", "GET", "/core/users/"+pk+"/", "--jq", ".username")); got != "jane" {
		t.Errorf("api GET user: %q", got)
	}
	e.expect(cmdutil.ExitUsage, `has no parameter "pasword"`, "api", "core_users_set_password_create", "-f", "id="+pk, "-f", "pasword=x")
	e.expect(cmdutil.ExitValidation, "the server rejected the request (400)", "api", "POST", "/core/groups/", "-f", "is_superuser=true")

	// Upload through akctl api.
	bp := filepath.Join(t.TempDir(), "flow.yaml")
	os.WriteFile(bp, []byte("version: 1\nmetadata:\n  name: imported\nentries:\n- model: authentik_flows.flow\n  identifiers: {slug: imported}\n  attrs: {name: Imported, title: Imported, designation: authentication}\n"), 0o600)
	if got := strings.TrimSpace(e.ok("api", "flows_instances_import_create", "-F", "file=@"+bp, "--jq", ".success")); got != "true" {
		t.Errorf("import: %s", got)
	}
	e.ok("get", "flow", "imported")

	// Tokens: create prints the key, view-key agrees, the key works.
	key := strings.TrimSpace(e.ok("tokens", "create", "jane-api", "--user", "jane", "--no-expiry"))
	if key == "" || strings.TrimSpace(e.ok("tokens", "view-key", "jane-api")) != key {
		t.Fatalf("token key %q", key)
	}
	e.vars[config.EnvToken] = key
	if got := strings.TrimSpace(e.ok("users", "me", "--jq", ".user.username")); got != "jane" {
		t.Errorf("users me with jane's token: %q", got)
	}
	// jane has no permissions: writes are refused with exit code 4.
	e.expect(cmdutil.ExitPermission, "permission denied (403)", "create", "groups", "--set", "name=x")
	e.vars[config.EnvToken] = apitest.Token

	// Groups membership.
	e.ok("create", "groups", "--set", "name=ops")
	e.ok("groups", "add-user", "ops", "jane", "akadmin")
	if got := strings.TrimSpace(e.ok("get", "group", "ops", "--jq", ".users | length")); got != "2" {
		t.Errorf("members after add: %s", got)
	}
	e.ok("groups", "remove-user", "ops", "akadmin")
	if got := strings.TrimSpace(e.ok("get", "group", "ops", "--jq", "[.users_obj[].username]|join(\",\")")); got != "jane" {
		t.Errorf("members after remove: %s", got)
	}

	// Certificates.
	e.ok("certs", "generate", "e2e.example.com", "--san", "e2e.example.com", "--days", "30")
	pem := e.ok("certs", "export", "e2e.example.com", "--key")
	if !strings.HasPrefix(pem, "-----BEGIN CERTIFICATE-----") || !strings.Contains(pem, "PRIVATE KEY-----") {
		t.Errorf("export:\n%s", pem)
	}
	keyFile := filepath.Join(t.TempDir(), "k.pem")
	e.ok("certs", "export", "e2e.example.com", "--key-file", keyFile, "--cert-file", filepath.Join(t.TempDir(), "c.pem"))
	if st, err := os.Stat(keyFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v %v", st, err)
	}

	// Applications.
	e.ok("create", "apps", "--set", "slug=grafana", "--set", "name=Grafana")
	if out := e.ok("apps", "check-access", "grafana", "jane"); !strings.Contains(out, "allowed") {
		t.Errorf("check-access: %s", out)
	}

	// Tasks: a retry runs the task now and records the run.
	if out := e.ok("tasks", "retry", "clean_expired_models"); !strings.Contains(out, "retried") {
		t.Errorf("retry: %s", out)
	}
	if tasks := e.ok("tasks", "list"); !strings.Contains(tasks, "clean_expired_models\t") {
		t.Errorf("tasks list: %q", tasks)
	}
	e.expect(cmdutil.ExitNotFound, `systemtasks "no-such-task" not found`, "tasks", "retry", "no-such-task")
}

func TestErrorPaths(t *testing.T) {
	e := newEnv(t)
	e.expect(cmdutil.ExitNotFound, "error: flows \"nope\" not found\nhint: `akctl get flows` lists them", "get", "flows", "nope")
	e.ok("get", "tasks")
	e.expect(cmdutil.ExitUsage, `unknown resource "flowz"; did you mean flows`, "get", "flowz")
	e.expect(cmdutil.ExitUsage, "unknown command", "frobnicate")
	e.expect(cmdutil.ExitUsage, "unknown flag: --nope", "get", "flows", "--nope")
	e.ok("create", "flows", "--set", "slug=dup", "--set", "name=D", "--set", "title=D", "--set", "designation=authentication")
	r := e.expect(cmdutil.ExitValidation, "create flows: the server rejected the request (400):\n  slug: ", "create", "flows", "--set", "slug=dup", "--set", "name=D", "--set", "title=D", "--set", "designation=authentication")
	if r.stdout != "" {
		t.Errorf("stdout on error: %q", r.stdout)
	}
	e.expect(cmdutil.ExitUsage, "cannot be created", "create", "systemtasks", "--set", "task_name=x")

	e.vars[config.EnvToken] = "wrong-token"
	e.expect(cmdutil.ExitPermission, "the token in AUTHENTIK_TOKEN may be invalid", "get", "flows")
	e.vars[config.EnvToken] = apitest.Token

	e.vars[config.EnvURL] = "http://127.0.0.1:1"
	r = e.expect(cmdutil.ExitConnection, "error: list flows: cannot connect to http://127.0.0.1:1 (from AUTHENTIK_URL): ", "get", "flows")
	if !strings.Contains(r.stderr, "is akserver running") {
		t.Errorf("no hint: %s", r.stderr)
	}
	delete(e.vars, config.EnvURL)
	delete(e.vars, config.EnvToken)
	e.expect(cmdutil.ExitUsage, "no server configured", "get", "flows")
	e.expect(cmdutil.ExitNotFound, `context "nope" not found`, "--context", "nope", "get", "flows")

	// A context works like the environment.
	e.ok("config", "set-context", "test", "--url", e.h.URL, "--token", apitest.Token)
	e.ok("get", "flows")
	e.ok("config", "set-context", "broken", "--url", "http://127.0.0.1:1", "--token", "x")
	e.expect(cmdutil.ExitConnection, `(context "broken")`, "--context", "broken", "get", "flows")
	// The flag beats the context.
	e.ok("--context", "broken", "--url", e.h.URL, "--token", apitest.Token, "get", "flows")
}

func TestListing(t *testing.T) {
	e := newEnv(t)
	for i := range 23 {
		e.h.Do(http.MethodPost, "/core/users/", map[string]any{"username": fmt.Sprintf("list-%02d", i), "name": "L"}).Expect(t, http.StatusCreated)
	}
	var all []map[string]any
	out := e.ok("get", "users", "--all-pages", "--page-size", "5", "--search", "list-", "-o", "json")
	if err := json.Unmarshal([]byte(out), &all); err != nil {
		t.Fatalf("not a JSON array: %v\n%s", err, out)
	}
	if len(all) != 23 {
		t.Errorf("%d users over all pages, want 23", len(all))
	}
	// Without --all-pages: one page.
	names := e.ok("get", "users", "--page-size", "5", "--search", "list-", "--ordering", "username", "-o", "name")
	if names != "user/list-00\nuser/list-01\nuser/list-02\nuser/list-03\nuser/list-04\n" {
		t.Errorf("first page: %q", names)
	}
	if got := strings.TrimSpace(e.ok("get", "users", "-A", "--search", "list-", "--jq", "length")); got != "23" {
		t.Errorf("jq length %s", got)
	}
	y := e.ok("get", "users", "list-00", "list-01", "-o", "yaml")
	if !strings.HasPrefix(y, "- ") || strings.Count(y, "\n- ") != 1 {
		t.Errorf("yaml list of two:\n%s", y)
	}
	// Piped: tab-separated, no header.
	e.ok("create", "flows", "--set", "slug=piped", "--set", "name=P", "--set", "title=P", "--set", "designation=recovery")
	piped := e.ok("get", "flow", "piped")
	if strings.Contains(piped, "SLUG") || !strings.HasPrefix(piped, "piped\tP\trecovery\t") {
		t.Errorf("piped: %q", piped)
	}
	// On a terminal: a header and aligned columns, and a hint about more pages.
	e.tty = true
	r := e.run("get", "users", "--page-size", "5", "--search", "list-")
	if !strings.HasPrefix(r.stdout, "PK ") || !strings.Contains(r.stdout, "USERNAME") || !strings.Contains(r.stderr, "use --all-pages") {
		t.Errorf("terminal:\n%s\n%s", r.stdout, r.stderr)
	}
	e.tty = false
	res := e.ok("api-resources")
	if !strings.Contains(res, "flows\t\tauthentik_flows.flow\tget,describe,create,edit,delete") {
		t.Errorf("api-resources: %s", res)
	}
}

func TestEventsTail(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan result, 1)
	go func() { done <- e.runCtx(ctx, "", "events", "tail", "-n", "0", "--interval", "100ms", "-o", "json") }()
	time.Sleep(400 * time.Millisecond)
	e.h.Do(http.MethodPost, "/core/groups/", map[string]any{"name": "tail-group"}).Expect(t, http.StatusCreated)
	deadline := time.Now().Add(5 * time.Second)
	var r result
	for {
		time.Sleep(200 * time.Millisecond)
		if time.Now().After(deadline) {
			break
		}
		// The command's output is only readable after it ended; poll the
		// server until the event exists, then give tail two intervals.
		if n := e.ok("get", "events", "--filter", "action=model_created", "--search", "tail-group", "--jq", "length"); strings.TrimSpace(n) != "0" {
			time.Sleep(300 * time.Millisecond)
			break
		}
	}
	cancel()
	r = <-done
	if r.code != cmdutil.ExitOK {
		t.Fatalf("tail exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	found := false
	for _, l := range lines {
		var ev map[string]any
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("not JSON lines: %q", l)
		}
		if ev["action"] == "model_created" && strings.Contains(l, "tail-group") {
			found = true
		}
	}
	if !found {
		t.Errorf("tail did not print the new event:\n%s", r.stdout)
	}
}

func TestRootHelp(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	f := cmdutil.New(ios, "test", func(string) (string, bool) { return "", false })
	if code := akctl.Run(context.Background(), f, []string{"--help"}); code != 0 {
		t.Fatalf("--help exit %d", code)
	}
	if !strings.Contains(out.String(), "Resources (every model of the API):") {
		t.Errorf("help:\n%s", out.String())
	}
	names := map[string]bool{}
	for _, c := range akctl.NewRootCmd(f, akctl.Commands...).Commands() {
		if names[c.Name()] {
			t.Errorf("command %s twice", c.Name())
		}
		names[c.Name()] = true
		if c.Short == "" {
			t.Errorf("command %s has no Short", c.Name())
		}
	}
}

// TestExitCodesInDocs keeps docs/cli.md's table in step with the codes.
func TestExitCodesInDocs(t *testing.T) {
	doc, err := os.ReadFile("../../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cmdutil.ExitCodes {
		row := fmt.Sprintf("| %d | %s |", c.Code, c.Name)
		if !bytes.Contains(doc, []byte(row)) {
			t.Errorf("docs/cli.md lacks the row %q", row)
		}
	}
}

// TestModels drives resource.Models, the by-model target the blueprint
// engine will use over HTTP.
func TestModels(t *testing.T) {
	e := newEnv(t)
	ios, _, _, _ := iostreams.Test()
	f := cmdutil.New(ios, "test", e.lookup)
	rc, err := f.Resources()
	if err != nil {
		t.Fatal(err)
	}
	m := &resource.Models{Client: rc, Catalog: f.Catalog()}
	ctx := context.Background()
	created, err := m.Create(ctx, "authentik_flows.flow", map[string]any{"slug": "by-model", "name": "M", "title": "M", "designation": "authentication"})
	if err != nil {
		t.Fatal(err)
	}
	if created["slug"] != "by-model" {
		t.Fatalf("created %v", created)
	}
	updated, err := m.Update(ctx, "authentik_flows.flow", "by-model", map[string]any{"title": "Changed"})
	if err != nil || updated["title"] != "Changed" {
		t.Fatalf("update: %v %v", updated, err)
	}
	all, err := m.List(ctx, "authentik_flows.flow")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, o := range all {
		found = found || o["slug"] == "by-model"
	}
	if !found {
		t.Errorf("List lacks the flow: %d objects", len(all))
	}
	if err := m.Delete(ctx, "authentik_flows.flow", "by-model"); err != nil {
		t.Fatal(err)
	}
	if err := m.Delete(ctx, "authentik_flows.flow", "by-model"); !errors.As(err, new(*resource.NotFoundError)) {
		t.Errorf("second delete: %v", err)
	}
	if _, err := m.List(ctx, "nope.nope"); !errors.As(err, new(*resource.UnknownModelError)) {
		t.Errorf("unknown model: %v", err)
	}
}
