package blueprint_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/akgo/akgo/internal/blueprint"
	"github.com/akgo/akgo/internal/blueprint/blueprinttest"
)

// leanBlueprint refers to created objects in every way a payload can:
// a plain key, keys in a list and in a nested mapping, a key computed
// with !Format (evaluated again at apply), a !Find of a created object,
// and a policy binding's target (the policy binding model key).
const leanBlueprint = `
version: 1
entries:
  - model: authentik_core.group
    id: root
    identifiers: {name: root}
  - model: authentik_core.group
    id: team
    identifiers: {name: team}
    attrs:
      parent: !KeyOf root
      attributes: {owner: !KeyOf root, label: !Format ["team under %s", !KeyOf root]}
  - model: authentik_core.user
    identifiers: {username: member}
    attrs:
      name: !Format ["member of %s", !KeyOf team]
      groups: [!KeyOf team, !Find [authentik_core.group, [name, root]]]
      attributes: {teams: [!KeyOf team]}
  - model: authentik_flows.flow
    id: flow
    identifiers: {slug: lean-flow}
    attrs: {name: Lean, title: Lean, designation: authentication}
  - model: authentik_policies.policybinding
    conditions: [!Condition [AND, true]]
    identifiers: {target: !KeyOf flow, order: 0}
    attrs: {group: !KeyOf team}
`

// TestLeanApply: ReleaseEntries (the parse tree dropped during the plan,
// unknown keys substituted at apply) and DropObjects (only keys kept)
// write exactly what the full plan and apply write.
func TestLeanApply(t *testing.T) {
	type outcome struct {
		calls   []blueprinttest.Call
		managed []string
		objects int
	}
	run := func(t *testing.T, opts blueprint.Options, ao blueprint.ApplyOptions) outcome {
		t.Helper()
		mem := blueprinttest.New()
		bp := mustParse(t, "lean.yaml", leanBlueprint)
		p, err := blueprint.Plan(context.Background(), mem, []*blueprint.Blueprint{bp}, opts)
		if err != nil {
			t.Fatal(err)
		}
		res, err := blueprint.ApplyWith(context.Background(), mem, p, ao)
		if err != nil {
			t.Fatal(err)
		}
		out := outcome{calls: mem.Calls(), managed: res.Managed}
		for _, er := range res.Entries {
			if er.Object != nil {
				out.objects++
			}
		}
		return out
	}
	want := run(t, blueprint.Options{}, blueprint.ApplyOptions{})
	if want.objects != 5 {
		t.Fatalf("full apply returned %d objects, want 5", want.objects)
	}
	cases := []struct {
		name    string
		opts    blueprint.Options
		ao      blueprint.ApplyOptions
		objects int
	}{
		{name: "release entries", opts: blueprint.Options{ReleaseEntries: true}, objects: 5},
		{name: "drop objects", ao: blueprint.ApplyOptions{DropObjects: true}},
		{name: "both", opts: blueprint.Options{ReleaseEntries: true}, ao: blueprint.ApplyOptions{DropObjects: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := run(t, tc.opts, tc.ao)
			if fmt.Sprint(got.calls) != fmt.Sprint(want.calls) {
				t.Errorf("calls differ:\n got %v\nwant %v", got.calls, want.calls)
			}
			if fmt.Sprint(got.managed) != fmt.Sprint(want.managed) {
				t.Errorf("managed = %v, want %v", got.managed, want.managed)
			}
			if got.objects != tc.objects {
				t.Errorf("%d results carry an object, want %d", got.objects, tc.objects)
			}
		})
	}
}

// TestReleasedEntryErrors: an apply error of a released entry still
// points at the line of its field (groups, line 17 of leanBlueprint).
func TestReleasedEntryErrors(t *testing.T) {
	for _, release := range []bool{false, true} {
		t.Run(fmt.Sprintf("release=%v", release), func(t *testing.T) {
			bp := mustParse(t, "lean.yaml", leanBlueprint)
			mem := blueprinttest.New()
			mem.Fail = func(op, model string, pk any, attrs blueprint.Object) error {
				if op == "create" && model == "authentik_core.user" {
					return &blueprinttest.ValidationError{Fields: map[string][]string{"groups": {"refused"}}}
				}
				return nil
			}
			p, err := blueprint.Plan(context.Background(), mem, []*blueprint.Blueprint{bp}, blueprint.Options{ReleaseEntries: release})
			if err != nil {
				t.Fatal(err)
			}
			_, err = blueprint.ApplyWith(context.Background(), mem, p, blueprint.ApplyOptions{DropObjects: release})
			errs := blueprint.AsErrors(err)
			if len(errs) != 1 || errs[0].Field != "groups" || errs[0].Line != 17 {
				t.Fatalf("err = %v, want the groups field on line 17", err)
			}
		})
	}
}
