package blueprintcmds_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/akctl"
	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/config"
	"github.com/akgo/akgo/internal/akctl/iostreams"
	"github.com/akgo/akgo/internal/apitest"
	"github.com/akgo/akgo/internal/blueprint"
	"github.com/akgo/akgo/internal/blueprint/httptarget"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/pkg/client"
)

// env runs akctl in-process against one test server (or none), with an
// environment of its own.
type env struct {
	t    testing.TB
	h    *apitest.Harness
	dir  string
	vars map[string]string
	// tty makes stdin and stderr terminals (confirmation questions).
	tty bool
	// transport, when set, carries akctl's requests (request counting).
	transport http.RoundTripper
}

type result struct {
	code           cmdutil.ExitCode
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// offline is an environment without a server or configuration.
func offline(t testing.TB) *env {
	dir := t.TempDir()
	return &env{t: t, dir: dir, vars: map[string]string{config.EnvConfig: filepath.Join(dir, "none.yaml"), "HOME": dir}}
}

// newEnv starts a fresh akserver (without the default blueprints).
func newEnv(t testing.TB) *env {
	t.Helper()
	if testing.Short() {
		t.Skip("starts akserver; skipped with -short")
	}
	e := offline(t)
	e.h = apitest.Start(t, "sqlite")
	e.vars[config.EnvURL] = e.h.URL
	e.vars[config.EnvToken] = apitest.Token
	return e
}

func (e *env) lookup(k string) (string, bool) { v, ok := e.vars[k]; return v, ok }

func (e *env) runIn(stdin string, args ...string) result {
	e.t.Helper()
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(stdin)
	ios.SetStdinTTY(e.tty)
	ios.SetStderrTTY(e.tty)
	f := cmdutil.New(ios, "test", e.lookup)
	f.HTTPTransport = e.transport
	code := akctl.Run(context.Background(), f, args)
	return result{code, out.String(), errOut.String()}
}

// expect runs akctl and checks its exit code.
func (e *env) expect(code cmdutil.ExitCode, args ...string) result {
	e.t.Helper()
	r := e.runIn("", args...)
	if r.code != code {
		e.t.Fatalf("akctl %s: want exit %d, got %s", strings.Join(args, " "), code, r)
	}
	return r
}

// write writes a file in the environment's directory.
func (e *env) write(name, data string) string {
	e.t.Helper()
	p := filepath.Join(e.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) client() *client.Client {
	e.t.Helper()
	c, err := client.New(e.h.URL, apitest.Token, client.WithHTTPClient(e.h.Client))
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// objects lists a model's live objects.
func (e *env) objects(model string) []blueprint.Object {
	e.t.Helper()
	objs, err := httptarget.New(e.client()).List(context.Background(), model)
	if err != nil {
		e.t.Fatalf("list %s: %v", model, err)
	}
	return objs
}

// names lists the values of a field over a model's objects, sorted.
func (e *env) names(model, field string) []string {
	var out []string
	for _, o := range e.objects(model) {
		out = append(out, fmt.Sprint(o[field]))
	}
	sort.Strings(out)
	return out
}

// instance returns the BlueprintInstance of a name, or nil.
func (e *env) instance(name string) map[string]any {
	e.t.Helper()
	list := e.h.Do("GET", "/managed/blueprints/?name="+strings.ReplaceAll(name, " ", "%20"), nil).Expect(e.t, 200).Object()
	for _, r := range list["results"].([]any) {
		if in := r.(map[string]any); in["name"] == name {
			return in
		}
	}
	return nil
}

// changedLines are the "+"/"-" lines of a unified diff (without the
// file headers).
func changedLines(diff string) []string {
	var out []string
	for _, l := range strings.Split(diff, "\n") {
		if strings.HasPrefix(l, "+++") || strings.HasPrefix(l, "---") {
			continue
		}
		if strings.HasPrefix(l, "+") || strings.HasPrefix(l, "-") {
			out = append(out, l)
		}
	}
	return out
}

const ciBlueprint = `version: 1
metadata:
  name: CI blueprint
entries:
  - model: authentik_core.group
    id: admins
    identifiers: {name: ci-admins}
    attrs: {is_superuser: false, attributes: {team: ci}}
  - model: authentik_core.group
    id: users
    identifiers: {name: ci-users}
    attrs: {parent: !KeyOf admins}
  - model: authentik_flows.flow
    id: flow
    identifiers: {slug: ci-login}
    attrs: {name: CI login, title: Welcome, designation: authentication}
  - model: authentik_stages_password.passwordstage
    id: password
    identifiers: {name: ci-password}
    attrs: {backends: [authentik.core.auth.InbuiltBackend]}
  - model: authentik_flows.flowstagebinding
    identifiers: {target: !KeyOf flow, stage: !KeyOf password, order: 10}
  - model: authentik_core.user
    identifiers: {username: ci-bot}
    attrs:
      name: CI bot
      groups: [!KeyOf admins]
      password: !Env [CI_BOT_PASSWORD, s3cret-default]
`

// TestCIWorkflow is the CI scenario: validate, diff (changes),
// apply, diff (none), edit one field, diff shows exactly it, remove an
// entry, apply --prune deletes its object and nothing else.
func TestCIWorkflow(t *testing.T) {
	e := newEnv(t)
	file := e.write("ci.yaml", ciBlueprint)
	// An object the blueprint never owned, which --prune must not touch.
	e.h.Do("POST", "/core/groups/", map[string]any{"name": "bystander"}).Expect(t, 201)

	r := e.expect(cmdutil.ExitOK, "blueprint", "validate", file)
	if !strings.Contains(r.stdout, "ci.yaml: valid (6 entries)") {
		t.Errorf("validate: %s", r)
	}

	r = e.expect(1, "diff", "-f", file)
	for _, want := range []string{"--- /dev/null", "+++ blueprint/authentik_flows.flow/ci-login", `+title: "Welcome"`, "+password: (sensitive)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("diff lacks %q: %s", want, r)
		}
	}
	r = e.expect(1, "plan", "-f", file)
	if !strings.Contains(r.stdout, "Plan: 6 to create, 0 to update, 0 to delete.") || strings.Contains(r.stdout, "s3cret") {
		t.Errorf("plan: %s", r)
	}
	var js struct {
		Summary struct{ Create, Update, Delete int }
		Changes []struct{ Model, Action string }
	}
	r = e.expect(1, "plan", "-f", file, "-o", "json")
	if err := json.Unmarshal([]byte(r.stdout), &js); err != nil || js.Summary.Create != 6 || len(js.Changes) != 6 {
		t.Errorf("plan -o json (%v): %s", err, r)
	}

	t.Run("no confirmation without a terminal", func(t *testing.T) {
		e.t = t
		r := e.expect(cmdutil.ExitUsage, "apply", "-f", file)
		if !strings.Contains(r.stderr, "pass --yes") || !strings.Contains(r.stdout, "Plan: 6 to create") {
			t.Errorf("apply without --yes: %s", r)
		}
		e.expect(cmdutil.ExitOK, "apply", "-f", file, "--dry-run")
		if got := e.names("authentik_flows.flow", "slug"); len(got) != 0 {
			t.Errorf("flows after refused applies: %v", got)
		}
	})
	t.Run("declined on a terminal", func(t *testing.T) {
		e.t, e.tty = t, true
		defer func() { e.tty = false }()
		r := e.runIn("n\n", "apply", "-f", file)
		if r.code != cmdutil.ExitCancelled || !strings.Contains(r.stderr, "Apply these changes to") {
			t.Errorf("declined apply: %s", r)
		}
	})
	e.t = t

	r = e.expect(cmdutil.ExitOK, "apply", "-f", file, "--yes")
	for _, want := range []string{"Apply complete: 6 created, 0 updated, 0 deleted.", `blueprint instance "CI blueprint" created: 6 object(s) owned`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("apply lacks %q: %s", want, r)
		}
	}
	in := e.instance("CI blueprint")
	if in == nil || in["path"] != "" || in["content"] != ciBlueprint || len(in["managed_models"].([]any)) != 6 {
		t.Fatalf("instance after apply: %v", in)
	}
	r = e.expect(cmdutil.ExitOK, "diff", "-f", file)
	if r.stdout != "" {
		t.Errorf("diff after apply: %s", r)
	}
	e.expect(cmdutil.ExitOK, "plan", "-f", file)

	edited := strings.Replace(ciBlueprint, "title: Welcome,", "title: Welcome back,", 1)
	e.write("ci.yaml", edited)
	r = e.expect(1, "diff", "-f", file)
	if got := changedLines(r.stdout); !equal(got, []string{`-title: "Welcome"`, `+title: "Welcome back"`}) {
		t.Errorf("diff after the edit: %q\n%s", got, r)
	}
	r = e.expect(cmdutil.ExitOK, "apply", "-f", file, "--yes")
	if !strings.Contains(r.stdout, "Apply complete: 0 created, 1 updated, 0 deleted.") {
		t.Errorf("apply of the edit: %s", r)
	}

	// Remove the ci-users entry: it is reported, deleted only with --prune.
	start := strings.Index(edited, "  - model: authentik_core.group\n    id: users")
	end := strings.Index(edited, "  - model: authentik_flows.flow")
	pruned := edited[:start] + edited[end:]
	e.write("ci.yaml", pruned)
	r = e.expect(cmdutil.ExitOK, "plan", "-f", file)
	if !strings.Contains(r.stdout, `authentik_core.group "ci-users"`) || !strings.Contains(r.stdout, "prune would delete it") {
		t.Errorf("plan without --prune: %s", r)
	}
	r = e.expect(1, "plan", "-f", file, "--prune")
	if !strings.Contains(r.stdout, "Plan: 0 to create, 0 to update, 1 to delete.") {
		t.Errorf("plan --prune: %s", r)
	}
	models := []string{"authentik_core.group", "authentik_core.user", "authentik_flows.flow", "authentik_stages_password.passwordstage", "authentik_flows.flowstagebinding"}
	before := map[string]int{}
	for _, m := range models {
		before[m] = len(e.objects(m))
	}
	r = e.expect(cmdutil.ExitOK, "apply", "-f", file, "--prune", "--yes")
	if !strings.Contains(r.stdout, "Apply complete: 0 created, 0 updated, 1 deleted.") {
		t.Errorf("apply --prune: %s", r)
	}
	for _, m := range models {
		want := before[m]
		if m == "authentik_core.group" {
			want--
		}
		if got := len(e.objects(m)); got != want {
			t.Errorf("%s: %d objects after the prune, want %d", m, got, want)
		}
	}
	if got := e.names("authentik_core.group", "name"); !equal(got, []string{"authentik Admins", "bystander", "ci-admins"}) {
		t.Errorf("groups after the prune: %v", got)
	}
	if in := e.instance("CI blueprint"); len(in["managed_models"].([]any)) != 5 {
		t.Errorf("ownership after the prune: %v", in["managed_models"])
	}
	r = e.expect(cmdutil.ExitOK, "diff", "-f", file, "--prune")
	if r.stdout != "" {
		t.Errorf("diff after the prune: %s", r)
	}
	// The same file from stdin is the same blueprint.
	if r := e.runIn(pruned, "apply", "-f", "-", "--yes"); r.code != cmdutil.ExitOK || !strings.Contains(r.stdout, `blueprint instance "CI blueprint" unchanged: 5 object(s) owned`) {
		t.Errorf("apply from stdin: %s", r)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestApplyRefusedMidway: the server refuses an entry after others were
// written; akctl reports exactly what it did and names the entry and
// field.
func TestApplyRefusedMidway(t *testing.T) {
	e := newEnv(t)
	e.h.Do("POST", "/flows/instances/", map[string]any{"name": "Other", "slug": "taken", "title": "Other", "designation": "authentication"}).Expect(t, 201)
	file := e.write("midway.yaml", `version: 1
metadata:
  name: Midway
entries:
  - model: authentik_core.group
    identifiers: {name: midway-a}
  - model: authentik_core.group
    identifiers: {name: midway-b}
  - model: authentik_flows.flow
    id: clash
    identifiers: {name: Midway}
    attrs:
      slug: taken
      title: Midway
      designation: authentication
  - model: authentik_core.group
    identifiers: {name: midway-c}
`)
	e.expect(1, "diff", "-f", file)
	r := e.expect(cmdutil.ExitError, "apply", "-f", file, "--yes")
	for _, want := range []string{`authentik_core.group "midway-a"`, `authentik_core.group "midway-b"`, ": created", ": failed", "Apply stopped at a failure; the writes before it were made: 2 created, 0 updated, 0 deleted."} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q: %s", want, r)
		}
	}
	if _, results, _ := strings.Cut(r.stdout, "Plan: 4 to create"); strings.Contains(results, "midway-c") {
		t.Errorf("the entry after the failure is reported: %s", r)
	}
	wantErr := file + ":13: entry 2 (clash) authentik_flows.flow slug: create: flow with this slug already exists."
	if !strings.Contains(r.stderr, wantErr) || !strings.Contains(r.stderr, "error: apply stopped at the failure above, after 2 write(s)") {
		t.Errorf("stderr lacks %q: %s", wantErr, r)
	}
	if got := e.names("authentik_core.group", "name"); !equal(got, []string{"authentik Admins", "midway-a", "midway-b"}) {
		t.Errorf("groups after the failed apply: %v", got)
	}
	if e.instance("Midway") != nil {
		t.Errorf("a failed apply recorded its instance")
	}
}

// TestValidateOutput checks validate's located problems, offline.
func TestValidateOutput(t *testing.T) {
	e := offline(t)
	good := e.write("good.yaml", ciBlueprint)
	bad := e.write("bad.yaml", `version: 1
entries:
  - model: authentik_core.group
    id: g
    identifiers:
      name: x
    attrs:
      parnt: !KeyOf nope
  - model: authentik_core.usr
    identifiers: {username: x}
  - model: authentik_flows.flow
    identifiers: {slug: a}
    attrs:
      designation: nope
`)
	broken := e.write("broken.yaml", "version: 1\nentries:\n  - model: [unclosed\n")
	tests := []struct {
		name   string
		args   []string
		code   cmdutil.ExitCode
		stdout []string
		stderr []string
	}{
		{"valid", []string{good}, cmdutil.ExitOK, []string{good + ": valid (6 entries)"}, nil},
		{"invalid", []string{good, bad}, cmdutil.ExitError, nil, []string{
			bad + ":8: entry 0 (g) authentik_core.group attrs.parnt: !KeyOf nope: no entry has this id",
			bad + ":8: entry 0 (g) authentik_core.group attrs.parnt: unknown field parnt of authentik_core.group (did you mean parent?)",
			bad + ":9: entry 1 authentik_core.usr model: unknown model authentik_core.usr",
			bad + ":14: entry 2 authentik_flows.flow attrs.designation: \"nope\" is not a valid choice",
			"error: validate: 4 problems (above)",
		}},
		{"not YAML", []string{broken}, cmdutil.ExitError, nil, []string{broken + ":2: invalid YAML", "error: validate: 1 problem (above)"}},
		{"missing file", []string{filepath.Join(e.dir, "nope.yaml")}, cmdutil.ExitError, nil, []string{"nope.yaml: ", "no such file"}},
		{"no file", nil, cmdutil.ExitUsage, nil, []string{"no blueprint files"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			r := e.expect(tt.code, append([]string{"blueprint", "validate"}, tt.args...)...)
			for _, w := range tt.stdout {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout lacks %q: %s", w, r)
				}
			}
			for _, w := range tt.stderr {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q: %s", w, r)
				}
			}
		})
	}
	// Plan and diff check the files before connecting: with no server
	// configured the problems are reported, with kubectl diff's code 2.
	e.t = t
	r := e.expect(2, "plan", "-f", bad)
	if !strings.Contains(r.stderr, "entry 1 authentik_core.usr model: unknown model") {
		t.Errorf("plan of an invalid file: %s", r)
	}
	r = e.expect(2, "diff", "-f", good)
	if !strings.Contains(r.stderr, "no server configured") {
		t.Errorf("diff without a server: %s", r)
	}
	// --context without "=" is the configuration context, before or after
	// the command name.
	for _, args := range [][]string{{"plan", "-f", good, "--context", "nope"}, {"--context", "nope", "diff", "-f", good}} {
		r = e.expect(2, args...)
		if !strings.Contains(r.stderr, `context "nope" not found`) {
			t.Errorf("akctl %v: %s", args, r)
		}
	}
	r = e.expect(cmdutil.ExitError, "apply", "-f", bad, "--yes")
	if !strings.Contains(r.stderr, "error: apply: 4 problems (above)") {
		t.Errorf("apply of an invalid file: %s", r)
	}
}

// state describes the objects of models independently of primary keys
// and timestamps: per model, each object's readable writable fields, with
// references replaced by the referenced object's own description. Two
// servers holding the same objects have equal states.
func state(t testing.TB, e *env, models []string) map[string][]string {
	t.Helper()
	reg := registry.Default()
	type ref struct {
		model string
		obj   blueprint.Object
	}
	byPK := map[string]ref{}
	lists := map[string][]blueprint.Object{}
	for _, m := range models {
		lists[m] = e.objects(m)
		for _, o := range lists[m] {
			for _, k := range []string{"pk", blueprint.PKField(m), "pbm_uuid", "policybindingmodel_ptr_id"} {
				if v, ok := o[k]; ok && v != nil {
					byPK[fmt.Sprint(v)] = ref{m, o}
				}
			}
		}
	}
	var describe func(model string, o blueprint.Object, depth int) string
	refText := func(v any, depth int) any {
		if m, nested := v.(map[string]any); nested {
			v = m["pk"]
		}
		r, ok := byPK[fmt.Sprint(v)]
		if !ok {
			return fmt.Sprintf("<object outside the compared models: %v>", v)
		}
		if key := naturalKey(reg, r.model, r.obj); key != "" {
			return key
		}
		if depth > 4 {
			return r.model
		}
		return describe(r.model, r.obj, depth+1)
	}
	describe = func(model string, o blueprint.Object, depth int) string {
		m, ok := reg.Model(model)
		if !ok {
			t.Fatalf("unknown model %s", model)
		}
		out := map[string]any{}
		for _, f := range m.Fields {
			v, present := o[f.Name]
			if !present || f.ReadOnly || f.WriteOnly || f.Hidden {
				continue
			}
			switch {
			case v == nil:
			case f.M2M != "":
				var refs []string
				for _, it := range v.([]any) {
					refs = append(refs, fmt.Sprint(refText(it, depth)))
				}
				sort.Strings(refs)
				v = refs
			case f.Ref != "":
				v = refText(v, depth)
			}
			out[f.Name] = v
		}
		data, err := json.Marshal(out)
		if err != nil {
			t.Fatal(err)
		}
		return model + string(data)
	}
	st := map[string][]string{}
	for _, m := range models {
		if len(lists[m]) == 0 {
			t.Errorf("no %s objects to compare", m)
		}
		descs := []string{}
		for _, o := range lists[m] {
			descs = append(descs, describe(m, o, 0))
		}
		sort.Strings(descs)
		st[m] = descs
	}
	return st
}

// naturalKey names an object by its model's natural key when that is
// made of plain values ("authentik_flows.flow:slug=x"), else "".
func naturalKey(reg *registry.Registry, model string, o blueprint.Object) string {
	m, ok := reg.Model(model)
	if !ok || len(m.NaturalKey) == 0 {
		return ""
	}
	var parts []string
	for _, k := range m.NaturalKey {
		f, ok := m.Field(k)
		v, present := o[k]
		if !ok || !present || f.Ref != "" || f.M2M != "" {
			return ""
		}
		parts = append(parts, fmt.Sprintf("%s=%v", k, v))
	}
	return model + ":" + strings.Join(parts, ",")
}

// compareStates fails the test with the objects only one side has.
func compareStates(t testing.TB, a, b map[string][]string) {
	t.Helper()
	for m, la := range a {
		onlyA, onlyB := difference(la, b[m]), difference(b[m], la)
		if len(onlyA)+len(onlyB) > 0 {
			t.Errorf("%s differs:\n  only in the first:  %v\n  only in the second: %v", m, onlyA, onlyB)
		}
	}
}

// difference lists the elements of a missing from b (as multisets).
func difference(a, b []string) []string {
	left := map[string]int{}
	for _, s := range b {
		left[s]++
	}
	var out []string
	for _, s := range a {
		if left[s] > 0 {
			left[s]--
			continue
		}
		out = append(out, s)
	}
	return out
}

const equivalenceBlueprint = `version: 1
metadata:
  name: Equivalence
context:
  prefix: eq
entries:
  - model: authentik_flows.flowstagebinding
    identifiers: {target: !KeyOf flow, stage: !KeyOf ident, order: 10}
  - model: authentik_flows.flowstagebinding
    id: pw-binding
    identifiers: {target: !KeyOf flow, stage: !KeyOf password, order: 20}
    attrs: {re_evaluate_policies: true}
  - model: authentik_policies.policybinding
    identifiers: {target: !KeyOf pw-binding, policy: !KeyOf policy, order: 0}
  - model: authentik_flows.flow
    id: flow
    identifiers: {slug: !Format ["%s-login", !Context prefix]}
    attrs: {name: !Format ["%s login", !Context prefix], title: !Context title, designation: authentication}
  - model: authentik_stages_identification.identificationstage
    id: ident
    identifiers: {name: !Format ["%s-ident", !Context prefix]}
    attrs: {user_fields: [username, email], password_stage: !KeyOf password}
  - model: authentik_stages_password.passwordstage
    id: password
    identifiers: {name: !Format ["%s-password", !Context prefix]}
    attrs: {backends: [authentik.core.auth.InbuiltBackend], failed_attempts_before_cancel: 3}
  - model: authentik_policies_expression.expressionpolicy
    id: policy
    identifiers: {name: !Format ["%s-policy", !Context prefix]}
    attrs: {expression: "return True"}
  - model: authentik_core.group
    id: parent
    identifiers: {name: !Format ["%s-parent", !Context prefix]}
    attrs: {attributes: {level: 1}}
  - model: authentik_core.group
    identifiers: {name: !Format ["%s-child", !Context prefix]}
    attrs: {parent: !KeyOf parent, attributes: {level: 2}}
`

var equivalenceModels = []string{
	"authentik_flows.flow", "authentik_flows.flowstagebinding", "authentik_policies.policybinding",
	"authentik_stages_identification.identificationstage", "authentik_stages_password.passwordstage",
	"authentik_policies_expression.expressionpolicy", "authentik_core.group",
}

// TestClientAndServerSideEquivalence applies one blueprint client-side to
// a fresh server and server-side to another: same plan, same end state,
// same ownership.
func TestClientAndServerSideEquivalence(t *testing.T) {
	a, b := newEnv(t), newEnv(t)
	file := a.write("eq.yaml", equivalenceBlueprint)
	args := []string{"-f", file, "--context", "title=Sign in", "--context", "prefix=equiv"}

	planA := a.expect(1, append([]string{"plan", "-o", "json"}, args...)...)
	planB := b.expect(1, append([]string{"plan", "-o", "json"}, args...)...)
	if planA.stdout != planB.stdout {
		t.Errorf("the plans differ:\n%s\n%s", planA.stdout, planB.stdout)
	}
	ra := a.expect(cmdutil.ExitOK, append([]string{"apply", "--yes"}, args...)...)
	rb := b.expect(cmdutil.ExitOK, append([]string{"apply", "--yes", "--server-side"}, args...)...)
	if !strings.Contains(ra.stdout, "Apply complete: 9 created") {
		t.Errorf("client-side apply: %s", ra)
	}
	if !strings.Contains(rb.stdout, `blueprint instance "Equivalence": successful, 9 object(s) owned`) {
		t.Errorf("server-side apply: %s", rb)
	}
	if got := a.names("authentik_flows.flow", "slug"); !equal(got, []string{"equiv-login"}) {
		t.Errorf("the command-line context was not used: flows %v", got)
	}
	compareStates(t, state(t, a, equivalenceModels), state(t, b, equivalenceModels))
	ia, ib := a.instance("Equivalence"), b.instance("Equivalence")
	for _, k := range []string{"content", "context", "path", "status"} {
		if fmt.Sprint(ia[k]) != fmt.Sprint(ib[k]) && k != "status" {
			t.Errorf("instance %s: client-side %v, server-side %v", k, ia[k], ib[k])
		}
	}
	if len(ia["managed_models"].([]any)) != 9 || len(ib["managed_models"].([]any)) != 9 {
		t.Errorf("ownership: client-side %v, server-side %v", ia["managed_models"], ib["managed_models"])
	}
	// Each mode's result is a no-op for the other.
	a.expect(cmdutil.ExitOK, append([]string{"diff"}, args...)...)
	b.expect(cmdutil.ExitOK, append([]string{"diff"}, args...)...)
	b.expect(cmdutil.ExitOK, append([]string{"apply", "--yes"}, args...)...)
	a.expect(cmdutil.ExitOK, append([]string{"apply", "--yes", "--server-side"}, args...)...)
	compareStates(t, state(t, a, equivalenceModels), state(t, b, equivalenceModels))

	t.Run("instances", func(t *testing.T) {
		b.t = t
		r := b.expect(cmdutil.ExitOK, "blueprint", "list")
		if !strings.Contains(r.stdout, "Equivalence\tsuccessful\ttrue\t") || !strings.Contains(r.stdout, "\t9\tcontent (") {
			t.Errorf("blueprint list: %s", r)
		}
		r = b.expect(cmdutil.ExitOK, "blueprint", "status", "Equivalence")
		for _, want := range []string{"Status:        successful", "Managed:       9 object(s)", "  authentik_core.group: 2", "Source:        content (", `Context:       {"prefix":"equiv","title":"Sign in"}`} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("status lacks %q: %s", want, r)
			}
		}
		r = b.expect(cmdutil.ExitOK, "blueprint", "apply-instance", "Equivalence")
		if !strings.Contains(r.stdout, `blueprint instance "Equivalence": successful, 9 object(s) owned`) {
			t.Errorf("apply-instance: %s", r)
		}
		b.expect(cmdutil.ExitNotFound, "blueprint", "status", "nope")
	})

	t.Run("server-side prune", func(t *testing.T) {
		b.t = t
		start := strings.Index(equivalenceBlueprint, "  - model: authentik_core.group\n    identifiers: {name: !Format [\"%s-child\"")
		pruned := b.write("eq-pruned.yaml", equivalenceBlueprint[:start])
		pargs := []string{"-f", pruned, "--context", "title=Sign in", "--context", "prefix=equiv"}
		r := b.expect(1, append([]string{"plan", "--prune"}, pargs...)...)
		if !strings.Contains(r.stdout, "Plan: 0 to create, 0 to update, 1 to delete.") {
			t.Errorf("plan --prune: %s", r)
		}
		r = b.expect(cmdutil.ExitOK, append([]string{"apply", "--prune", "--yes", "--server-side"}, pargs...)...)
		if !strings.Contains(r.stdout, `blueprint instance "Equivalence": successful, 8 object(s) owned`) {
			t.Errorf("server-side apply --prune: %s", r)
		}
		if got := b.names("authentik_core.group", "name"); !equal(got, []string{"authentik Admins", "equiv-parent"}) {
			t.Errorf("groups after the server-side prune: %v", got)
		}
		b.expect(cmdutil.ExitOK, append([]string{"diff", "--prune"}, pargs...)...)
	})

	t.Run("server-side apply fails", func(t *testing.T) {
		b.t = t
		later := b.write("later.yaml", `version: 1
metadata:
  name: Later
entries:
  - model: authentik_core.group
    identifiers: {name: later-group}
  - model: authentik_flows.flow
    identifiers: {name: Later flow}
    attrs: {slug: later-slug, title: x, designation: authentication}
`)
		b.expect(cmdutil.ExitOK, "apply", "-f", later, "--yes", "--server-side")
		// Renamed behind the blueprint's back, the flow no longer matches
		// its identifiers: the next apply creates another one with the
		// same slug, which the server refuses inside the transaction.
		b.h.Do("PATCH", "/flows/instances/later-slug/", map[string]any{"name": "Renamed"}).Expect(t, 200)
		b.h.Do("DELETE", "/core/groups/"+groupPK(t, b, "later-group")+"/", nil).Expect(t, 204)
		r := b.expect(cmdutil.ExitError, "apply", "-f", later, "--yes", "--server-side")
		if !strings.Contains(r.stdout, `blueprint instance "Later": error`) || !strings.Contains(r.stderr, "slug") ||
			!strings.Contains(r.stderr, `the server could not apply blueprint instance "Later"; nothing of it was written`) {
			t.Errorf("failed server-side apply: %s", r)
		}
		if got := b.names("authentik_core.group", "name"); strings.Contains(strings.Join(got, ","), "later-group") {
			t.Errorf("the failed transaction left the group behind: %v", got)
		}
		r = b.expect(cmdutil.ExitOK, "blueprint", "status", "Later")
		if !strings.Contains(r.stdout, "Status:        error") || !strings.Contains(r.stdout, "Last failure:\n  ") {
			t.Errorf("status after the failure: %s", r)
		}
		b.expect(cmdutil.ExitError, "blueprint", "apply-instance", "Later")
	})

	t.Run("server refuses", func(t *testing.T) {
		b.t = t
		bad := b.write("bad.yaml", `version: 1
metadata:
  name: Refused
entries:
  - model: authentik_core.group
    identifiers: {name: refused-group}
  - model: authentik_flows.flow
    identifiers: {name: Equivalence clash}
    attrs: {slug: equiv-login, title: x, designation: authentication}
`)
		r := b.expect(cmdutil.ExitError, "apply", "-f", bad, "--yes", "--server-side")
		if !strings.Contains(r.stderr, `the server refused blueprint "Refused"`) || !strings.Contains(r.stderr, "slug") {
			t.Errorf("server-side refusal: %s", r)
		}
		for _, g := range b.names("authentik_core.group", "name") {
			if g == "refused-group" {
				t.Errorf("a refused server-side apply left an object")
			}
		}
	})
}

func groupPK(t testing.TB, e *env, name string) string {
	t.Helper()
	for _, g := range e.objects("authentik_core.group") {
		if g["name"] == name {
			return fmt.Sprint(g["pk"])
		}
	}
	t.Fatalf("no group %s", name)
	return ""
}

// TestExportRoundTrip exports a flow from one server, applies it to a
// fresh one, and finds nothing left to change there.
func TestExportRoundTrip(t *testing.T) {
	src, dst := newEnv(t), newEnv(t)
	file := src.write("eq.yaml", equivalenceBlueprint)
	src.expect(cmdutil.ExitOK, "apply", "-f", file, "--context", "title=Export me", "--yes")
	out := filepath.Join(dst.dir, "exported.yaml")
	r := src.expect(cmdutil.ExitOK, "export", "flow", "eq-login", "-o", out)
	if !strings.Contains(r.stderr, "exported ") {
		t.Errorf("export: %s", r)
	}
	dst.expect(cmdutil.ExitOK, "blueprint", "validate", out)
	dst.expect(1, "diff", "-f", out)
	dst.expect(cmdutil.ExitOK, "apply", "-f", out, "--yes")
	r = dst.expect(cmdutil.ExitOK, "diff", "-f", out)
	if r.stdout != "" {
		t.Errorf("diff after the round trip: %s", r)
	}
	flowModels := equivalenceModels[:len(equivalenceModels)-1] // the groups are not part of the flow
	compareStates(t, state(t, src, flowModels), state(t, dst, flowModels))
	// Exported to stdout, and the same server's own export is a no-op.
	r = src.expect(cmdutil.ExitOK, "export", "--model", "groups")
	self := src.write("groups.yaml", r.stdout)
	src.expect(cmdutil.ExitOK, "diff", "-f", self)
	src.expect(cmdutil.ExitNotFound, "export", "flow", "no-such-flow")
}
