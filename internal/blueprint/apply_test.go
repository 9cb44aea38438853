package blueprint_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/blueprint"
	"github.com/akgo/akgo/internal/blueprint/blueprinttest"
)

// TestApplyDependencyOrder: referenced objects are created before the
// entries that reference them, whatever the file order, and references
// carry the created keys.
func TestApplyDependencyOrder(t *testing.T) {
	bp := mustParse(t, "order.yaml", `
version: 1
entries:
  - model: authentik_core.group
    id: leaf
    identifiers: {name: leaf}
    attrs: {parent: !KeyOf middle}
  - model: authentik_core.group
    id: middle
    identifiers: {name: middle}
    attrs: {parent: !KeyOf root}
  - model: authentik_core.user
    identifiers: {username: member}
    attrs: {name: M, groups: [!KeyOf leaf, !KeyOf root]}
  - model: authentik_core.group
    id: root
    identifiers: {name: root}
    attrs:
      attributes: {label: !Format ["%s-of-%s", root, !KeyOf middle]}
`)
	mem := blueprinttest.New()
	_, err := blueprint.Plan(context.Background(), mem, []*blueprint.Blueprint{bp}, blueprint.Options{})
	if err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Fatalf("root's label references middle, which references root: want a cycle, got %v", err)
	}
	bp = mustParse(t, "order.yaml", `
version: 1
entries:
  - model: authentik_core.group
    id: leaf
    identifiers: {name: leaf}
    attrs: {parent: !KeyOf middle}
  - model: authentik_core.group
    id: middle
    identifiers: {name: middle}
    attrs: {parent: !KeyOf root}
  - model: authentik_core.user
    identifiers: {username: member}
    attrs: {name: !Format ["member of %s", !KeyOf leaf], groups: [!KeyOf leaf, !KeyOf root]}
  - model: authentik_core.group
    id: root
    identifiers: {name: root}
`)
	p, err := blueprint.Plan(context.Background(), mem, []*blueprint.Blueprint{bp}, blueprint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var progress []string
	res, err := blueprint.ApplyWith(context.Background(), mem, p, blueprint.ApplyOptions{Progress: func(er blueprint.EntryResult) {
		progress = append(progress, string(er.Status)+" "+er.Change.Name)
	}})
	if err != nil {
		t.Fatal(err)
	}
	var created []string
	for _, c := range mem.Calls() {
		if c.Op == "create" {
			created = append(created, c.Attrs["name"].(string))
		}
	}
	leaf := pkOf(mem, "authentik_core.group", "name", "leaf")
	if got := strings.Join(created, ","); got != "root,middle,leaf,member of "+leaf {
		t.Errorf("create order: %s", got)
	}
	if strings.Join(progress, ",") != "created root,created middle,created leaf,created member" {
		t.Errorf("progress: %v", progress)
	}
	byName := map[string]map[string]any{}
	for _, g := range mem.Objects("authentik_core.group") {
		byName[g["name"].(string)] = g
	}
	if byName["leaf"]["parent"] != byName["middle"]["pk"] || byName["middle"]["parent"] != byName["root"]["pk"] {
		t.Errorf("parents not linked: %+v", byName)
	}
	u := mem.Objects("authentik_core.user")[0]
	if g := u["groups"].([]any); len(g) != 2 || g[0] != byName["leaf"]["pk"] || g[1] != byName["root"]["pk"] {
		t.Errorf("user groups %v", u["groups"])
	}
	if res.Created != 4 || !res.Complete || len(res.Managed) != 4 {
		t.Errorf("result %+v", res)
	}
}

// TestApplyPartialFailure: the apply stops at the first failure and says
// exactly what was done, with the error located at the entry and field.
func TestApplyPartialFailure(t *testing.T) {
	bp := mustParse(t, "partial.yaml", `
version: 1
entries:
  - model: authentik_core.group
    identifiers: {name: first}
  - model: authentik_core.group
    identifiers: {name: second}
  - model: authentik_core.user
    id: bad
    identifiers: {username: broken}
    attrs:
      name: Broken
      email: not-an-email
  - model: authentik_core.group
    identifiers: {name: never}
`)
	mem := blueprinttest.New()
	mem.Fail = func(op, model string, pk any, attrs blueprint.Object) error {
		if op == "create" && attrs["email"] == "not-an-email" {
			return &blueprinttest.ValidationError{Fields: map[string][]string{"email": {"Enter a valid email address."}}}
		}
		return nil
	}
	p, err := blueprint.Plan(context.Background(), mem, []*blueprint.Blueprint{bp}, blueprint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := blueprint.Apply(context.Background(), mem, p)
	if err == nil {
		t.Fatal("want an error")
	}
	var es blueprint.Errors
	if !errors.As(err, &es) || len(es) != 1 {
		t.Fatalf("want one located error, got %#v", err)
	}
	e := es[0]
	if e.File != "partial.yaml" || e.Line != 13 || e.Entry != 2 || e.ID != "bad" || e.Model != "authentik_core.user" || e.Field != "email" ||
		e.Error() != "partial.yaml:13: entries[2] (id bad, authentik_core.user): email: create: Enter a valid email address." {
		t.Errorf("error %q (%+v)", e.Error(), e)
	}
	if res == nil || res.Complete || res.Created != 2 || len(res.Entries) != 3 || res.Entries[2].Status != blueprint.StatusFailed {
		t.Fatalf("result %+v", res)
	}
	if len(mem.Objects("authentik_core.group")) != 2 {
		t.Errorf("groups after the failure: %v", mem.Objects("authentik_core.group"))
	}
	if len(res.Managed) != 2 {
		t.Errorf("managed after a partial apply: %v", res.Managed)
	}
	var out strings.Builder
	if err := blueprint.RenderResult(&out, res, blueprint.RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Apply stopped at a failure; the writes before it were made: 2 created, 0 updated, 0 deleted.") ||
		!strings.Contains(out.String(), "email: create: Enter a valid email address.") {
		t.Errorf("rendered result:\n%s", out.String())
	}
}

// TestApplyDeleteTolerateCascade: a delete of an object a cascade removed
// already counts as done.
func TestApplyDeleteTolerateCascade(t *testing.T) {
	mem := blueprinttest.New()
	mem.Seed("authentik_flows.flow", map[string]any{"pk": "f0000000-0000-4000-8000-000000000001", "slug": "f", "name": "F", "title": "F", "designation": "authentication"})
	mem.Seed("authentik_stages_dummy.dummystage", map[string]any{"pk": "s0000000-0000-4000-8000-000000000001", "name": "s"})
	mem.Seed("authentik_flows.flowstagebinding", map[string]any{"pk": "b0000000-0000-4000-8000-000000000001", "target": "f0000000-0000-4000-8000-000000000001", "stage": "s0000000-0000-4000-8000-000000000001", "order": 0})
	bp := mustParse(t, "del.yaml", `
version: 1
entries:
  - model: authentik_flows.flow
    state: absent
    identifiers: {slug: f}
  - model: authentik_flows.flowstagebinding
    state: absent
    identifiers: {order: 0}
`)
	p, err := blueprint.Plan(context.Background(), mem, []*blueprint.Blueprint{bp}, blueprint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := blueprint.Apply(context.Background(), mem, p)
	if err != nil {
		t.Fatal(err)
	}
	if res.Deleted != 2 || len(mem.Objects("authentik_flows.flowstagebinding")) != 0 {
		t.Errorf("result %+v", res)
	}
}

// TestApplyNeedsPlan: Apply refuses a plan it did not make.
func TestApplyNeedsPlan(t *testing.T) {
	if _, err := blueprint.Apply(context.Background(), blueprinttest.New(), &blueprint.PlanResult{}); err == nil {
		t.Error("want an error")
	}
}
