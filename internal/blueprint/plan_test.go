package blueprint_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/blueprint"
	"github.com/akgo/akgo/internal/blueprint/blueprinttest"
)

func mustParse(t testing.TB, path, src string) *blueprint.Blueprint {
	t.Helper()
	bp, err := blueprint.Parse(path, []byte(src))
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	return bp
}

const flowBlueprint = `
version: 1
entries:
  - model: authentik_flows.flow
    id: flow
    identifiers:
      slug: three-way
    attrs:
      name: Three way
      title: Hello
      designation: authentication
  - model: authentik_stages_password.passwordstage
    id: pw
    identifiers:
      name: three-way-password
    attrs:
      backends: [authentik.core.auth.InbuiltBackend]
  - model: authentik_flows.flowstagebinding
    identifiers:
      target: !KeyOf flow
      stage: !KeyOf pw
      order: 10
  - model: authentik_core.group
    id: admins
    identifiers:
      name: three-way-admins
    attrs:
      attributes: {b: [1, 2], a: {x: 1.0}}
      users: [!KeyOf u1, !KeyOf u2]
  - model: authentik_core.user
    id: u1
    identifiers:
      username: u1
    attrs:
      name: User 1
      last_login: 2023-10-01T10:00:00Z
  - model: authentik_core.user
    id: u2
    identifiers:
      username: u2
    attrs:
      name: User 2
`

// applied returns a memory target holding what flowBlueprint creates, and
// the ownership record of that apply.
func applied(t *testing.T, src string) (*blueprinttest.Memory, []string) {
	t.Helper()
	mem := blueprinttest.New()
	p, err := blueprint.Plan(context.Background(), mem, []*blueprint.Blueprint{mustParse(t, "bp.yaml", src)}, blueprint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := blueprint.Apply(context.Background(), mem, p)
	if err != nil {
		t.Fatal(err)
	}
	return mem, res.Managed
}

func actions(p *blueprint.PlanResult) map[blueprint.Action]int {
	out := map[blueprint.Action]int{}
	for _, c := range p.Changes {
		out[c.Action]++
	}
	return out
}

// TestPlanThreeWay covers the three inputs of a plan: the file, the live
// objects and what the blueprint owned.
func TestPlanThreeWay(t *testing.T) {
	type check func(t *testing.T, p *blueprint.PlanResult, mem *blueprinttest.Memory, err error)
	noErr := func(t *testing.T, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("plan: %v", err)
		}
	}
	cases := []struct {
		name string
		// mutate changes the live state after the first apply.
		mutate func(t *testing.T, mem *blueprinttest.Memory)
		src    string
		opts   func(owned []string) blueprint.Options
		check  check
	}{
		{
			name: "unchanged: every entry is a no-op",
			src:  flowBlueprint,
			check: func(t *testing.T, p *blueprint.PlanResult, mem *blueprinttest.Memory, err error) {
				noErr(t, err)
				if p.HasChanges() || actions(p)[blueprint.ActionNoop] != 6 {
					t.Errorf("want 6 no-ops, got %v", actions(p))
				}
			},
		},
		{
			name: "unchanged with live values spelled differently: still no-ops",
			mutate: func(t *testing.T, mem *blueprinttest.Memory) {
				// Reordered many-to-many set, upper-case UUIDs, another
				// date-time spelling, JSON keys in another order.
				for _, g := range mem.Objects("authentik_core.group") {
					users := g["users"].([]any)
					users[0], users[1] = users[1], users[0]
					upd(t, mem, "authentik_core.group", g["pk"], map[string]any{"users": users, "attributes": map[string]any{"a": map[string]any{"x": 1}, "b": []any{1.0, 2.0}}})
				}
				for _, u := range mem.Objects("authentik_core.user") {
					if u["username"] == "u1" {
						upd(t, mem, "authentik_core.user", u["pk"], map[string]any{"last_login": "2023-10-01T12:00:00.000000+02:00"})
					}
				}
				for _, b := range mem.Objects("authentik_flows.flowstagebinding") {
					upd(t, mem, "authentik_flows.flowstagebinding", b["pk"], map[string]any{"target": strings.ToUpper(b["target"].(string))})
				}
			},
			src: flowBlueprint,
			check: func(t *testing.T, p *blueprint.PlanResult, mem *blueprinttest.Memory, err error) {
				noErr(t, err)
				if p.HasChanges() {
					t.Errorf("want no changes, got %v", actions(p))
				}
			},
		},
		{
			name: "changed live field: update of exactly that field",
			mutate: func(t *testing.T, mem *blueprinttest.Memory) {
				f := mem.Objects("authentik_flows.flow")[0]
				upd(t, mem, "authentik_flows.flow", f["pk"], map[string]any{"title": "Drifted", "layout": "sidebar_left"})
			},
			src: flowBlueprint,
			check: func(t *testing.T, p *blueprint.PlanResult, mem *blueprinttest.Memory, err error) {
				noErr(t, err)
				var ups []*blueprint.Change
				for _, c := range p.Changes {
					if c.Action == blueprint.ActionUpdate {
						ups = append(ups, c)
					}
				}
				// layout is not in the blueprint: a partial update leaves it.
				if len(ups) != 1 || len(ups[0].Fields) != 1 || ups[0].Fields[0].Field != "title" ||
					ups[0].Fields[0].Old != "Drifted" || ups[0].Fields[0].New != "Hello" {
					t.Fatalf("want one update of title Drifted → Hello, got %+v", ups)
				}
			},
		},
		{
			name: "removed from the file without prune: nothing is deleted",
			src:  strings.Split(flowBlueprint, "  - model: authentik_core.user\n    id: u2")[0],
			check: func(t *testing.T, p *blueprint.PlanResult, mem *blueprinttest.Memory, err error) {
				if err == nil || !strings.Contains(err.Error(), "!KeyOf u2: no entry has this id") {
					t.Fatalf("removing u2 while admins references it: want a KeyOf error, got %v", err)
				}
			},
		},
		{
			name: "removed from the file without prune: listed, not deleted",
			src:  removeEntry(flowBlueprint, "u2"),
			check: func(t *testing.T, p *blueprint.PlanResult, mem *blueprinttest.Memory, err error) {
				noErr(t, err)
				if len(p.Prunes) != 1 || p.Prunes[0].Delete || p.Prunes[0].Name != "u2" {
					t.Fatalf("want one prune candidate u2 not deleted, got %+v", p.Prunes)
				}
				if p.Summary().Delete != 0 {
					t.Errorf("want 0 deletes, got %+v", p.Summary())
				}
			},
		},
		{
			name: "removed from the file with prune: deletes only owned objects",
			mutate: func(t *testing.T, mem *blueprinttest.Memory) {
				if _, err := mem.Create(context.Background(), "authentik_core.user", map[string]any{"username": "bystander", "name": "B"}); err != nil {
					t.Fatal(err)
				}
			},
			src:  removeEntry(flowBlueprint, "u2"),
			opts: func(owned []string) blueprint.Options { return blueprint.Options{Owned: owned, Prune: true} },
			check: func(t *testing.T, p *blueprint.PlanResult, mem *blueprinttest.Memory, err error) {
				noErr(t, err)
				if len(p.Prunes) != 1 || !p.Prunes[0].Delete || p.Prunes[0].Name != "u2" {
					t.Fatalf("want u2 pruned, got %+v", p.Prunes)
				}
				res, err := blueprint.Apply(context.Background(), mem, p)
				if err != nil {
					t.Fatal(err)
				}
				var names []string
				for _, u := range mem.Objects("authentik_core.user") {
					names = append(names, u["username"].(string))
				}
				if strings.Join(names, ",") != "u1,bystander" {
					t.Errorf("users left: %v", names)
				}
				for _, m := range res.Managed {
					if strings.HasPrefix(m, "authentik_core.user:") && !strings.HasSuffix(m, ":"+pkOf(mem, "authentik_core.user", "username", "u1")) {
						t.Errorf("managed still lists %s", m)
					}
				}
			},
		},
		{
			name: "ambiguous identifiers: error",
			mutate: func(t *testing.T, mem *blueprinttest.Memory) {
				if _, err := mem.Create(context.Background(), "authentik_core.user", map[string]any{"username": "twin", "name": "User 1"}); err != nil {
					t.Fatal(err)
				}
			},
			src: strings.Replace(flowBlueprint, "      username: u1\n", "      name: User 1\n", 1),
			check: func(t *testing.T, p *blueprint.PlanResult, mem *blueprinttest.Memory, err error) {
				if err == nil || !strings.Contains(err.Error(), "entries[4] (id u1, authentik_core.user): identifiers: the identifiers match 2 objects") {
					t.Fatalf("want an ambiguity error on entries[4], got %v", err)
				}
			},
		},
		{
			name: "KeyOf cycle: error naming the entries",
			src: flowBlueprint + `
  - model: authentik_core.group
    id: g1
    identifiers: {name: g1}
    attrs: {parent: !KeyOf g2}
  - model: authentik_core.group
    id: g2
    identifiers: {name: g2}
    attrs: {parent: !KeyOf g1}
`,
			check: func(t *testing.T, p *blueprint.PlanResult, mem *blueprinttest.Memory, err error) {
				if err == nil || !strings.Contains(err.Error(), "!KeyOf cycle: bp.yaml entries[6] (id g1) → bp.yaml entries[7] (id g2) → bp.yaml entries[6] (id g1)") {
					t.Fatalf("want a cycle error naming g1 and g2, got %v", err)
				}
			},
		},
		{
			name: "Find miss: error",
			src: flowBlueprint + `
  - model: authentik_core.group
    identifiers: {name: orphan}
    attrs: {parent: !Find [authentik_core.group, [name, does-not-exist]]}
`,
			check: func(t *testing.T, p *blueprint.PlanResult, mem *blueprinttest.Memory, err error) {
				var es blueprint.Errors
				if !errors.As(err, &es) || len(es) != 1 || es[0].Entry != 6 || es[0].Field != "attrs.parent" || es[0].Line != 46 {
					t.Fatalf("want one !Find error at line 46, entries[6], attrs.parent, got %v", err)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem, owned := applied(t, flowBlueprint)
			if tc.mutate != nil {
				tc.mutate(t, mem)
			}
			mem.ResetCalls()
			opts := blueprint.Options{Owned: owned}
			if tc.opts != nil {
				opts = tc.opts(owned)
			}
			p, err := blueprint.Plan(context.Background(), mem, []*blueprint.Blueprint{mustParse(t, "bp.yaml", tc.src)}, opts)
			if mem.Count("create", "")+mem.Count("update", "")+mem.Count("delete", "") != 0 {
				t.Fatalf("planning wrote: %+v", mem.Calls())
			}
			tc.check(t, p, mem, err)
		})
	}
}

func upd(t *testing.T, mem *blueprinttest.Memory, model string, pk any, attrs map[string]any) {
	t.Helper()
	if _, err := mem.Update(context.Background(), model, pk, attrs); err != nil {
		t.Fatal(err)
	}
}

func pkOf(mem *blueprinttest.Memory, model, field, value string) string {
	for _, o := range mem.Objects(model) {
		if o[field] == value {
			return pkText(o[blueprint.PKField(model)])
		}
	}
	return ""
}

// removeEntry drops the entry with an id and every reference to it.
func removeEntry(src, id string) string {
	lines := strings.Split(src, "\n")
	var out []string
	skip := false
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(l, "  - model:") {
			skip = i+1 < len(lines) && strings.TrimSpace(lines[i+1]) == "id: "+id
		}
		if skip {
			continue
		}
		out = append(out, strings.ReplaceAll(l, ", !KeyOf "+id, ""))
	}
	return strings.Join(out, "\n")
}

// TestPlanListsOncePerModel: a re-plan costs one List per model, however
// many entries there are.
func TestPlanListsOncePerModel(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nentries:\n")
	for i := 0; i < 200; i++ {
		b.WriteString("  - model: authentik_core.group\n    identifiers: {name: g" + itoa(i) + "}\n")
		b.WriteString("  - model: authentik_core.user\n    identifiers: {username: u" + itoa(i) + "}\n    attrs: {name: U, groups: [!Find [authentik_core.group, [name, g" + itoa(i) + "]]]}\n")
	}
	mem, owned := applied(t, b.String())
	mem.ResetCalls()
	p, err := blueprint.Plan(context.Background(), mem, []*blueprint.Blueprint{mustParse(t, "bp.yaml", b.String())}, blueprint.Options{Owned: owned})
	if err != nil {
		t.Fatal(err)
	}
	if p.HasChanges() {
		t.Errorf("re-plan has changes: %+v", p.Summary())
	}
	if n := len(mem.Calls()); n != 2 || p.Lists != 2 {
		t.Errorf("want 2 List calls (one per model), got %d: %+v", n, mem.Calls())
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

// TestPlanAcrossFiles: references resolve across the files of one plan,
// in any order; an id defined in several other files is ambiguous.
func TestPlanAcrossFiles(t *testing.T) {
	a := mustParse(t, "a.yaml", "version: 1\nentries:\n  - model: authentik_core.group\n    identifiers: {name: child}\n    attrs: {parent: !KeyOf parent}\n")
	b := mustParse(t, "b.yaml", "version: 1\nentries:\n  - model: authentik_core.group\n    id: parent\n    identifiers: {name: parent}\n")
	c := mustParse(t, "c.yaml", "version: 1\nentries:\n  - model: authentik_core.group\n    id: parent\n    identifiers: {name: other-parent}\n")
	mem := blueprinttest.New()
	p, err := blueprint.Plan(context.Background(), mem, []*blueprint.Blueprint{a, b}, blueprint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Changes[0].Entry.File != "b.yaml" || p.Changes[1].Entry.File != "a.yaml" || len(p.Changes[1].DependsOn) != 1 {
		t.Fatalf("want b.yaml's parent planned first, got %v then %v", p.Changes[0].Entry.File, p.Changes[1].Entry.File)
	}
	if _, err := blueprint.Apply(context.Background(), mem, p); err != nil {
		t.Fatal(err)
	}
	parent := pkOf(mem, "authentik_core.group", "name", "parent")
	for _, g := range mem.Objects("authentik_core.group") {
		if g["name"] == "child" && g["parent"] != parent {
			t.Errorf("child's parent is %v, want %v", g["parent"], parent)
		}
	}
	_, err = blueprint.Plan(context.Background(), mem, []*blueprint.Blueprint{a, b, c}, blueprint.Options{})
	if err == nil || !strings.Contains(err.Error(), "defined in several other files (b.yaml, c.yaml)") {
		t.Errorf("want an ambiguity error, got %v", err)
	}
}

// TestPlanSensitive: secrets are flagged so renderers hide them.
func TestPlanSensitive(t *testing.T) {
	bp := mustParse(t, "s.yaml", `
version: 1
entries:
  - model: authentik_providers_oauth2.oauth2provider
    identifiers: {name: app}
    attrs:
      authorization_flow: !Find [authentik_flows.flow, [slug, f]]
      client_id: plain
      client_secret: literal-secret
  - model: authentik_core.group
    identifiers: {name: !Env GROUP_NAME}
    attrs:
      attributes: {token: !Format ["x-%s", !Env TOKEN]}
`)
	mem := blueprinttest.New()
	mem.Seed("authentik_flows.flow", map[string]any{"slug": "f", "name": "F", "title": "F", "designation": "authorization"})
	env := map[string]string{"GROUP_NAME": "grp", "TOKEN": "t0k"}
	p, err := blueprint.Plan(context.Background(), mem, []*blueprint.Blueprint{bp}, blueprint.Options{Env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"oauth2provider.client_secret": true, "group.attributes": true, "group.name": true,
		"oauth2provider.client_id": false, "oauth2provider.authorization_flow": false, "oauth2provider.name": false}
	for _, c := range p.Changes {
		for _, f := range c.Fields {
			_, model, _ := strings.Cut(c.Model, ".")
			if w, ok := want[model+"."+f.Field]; ok && f.Sensitive != w {
				t.Errorf("%s.%s sensitive = %v, want %v", c.Model, f.Field, f.Sensitive, w)
			}
		}
	}
	var text strings.Builder
	if err := blueprint.RenderText(&text, p, blueprint.RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	js, err := p.JSON(blueprint.RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{text.String(), string(js)} {
		for _, secret := range []string{"literal-secret", "t0k", "grp"} {
			if strings.Contains(out, secret) {
				t.Errorf("output shows %q:\n%s", secret, out)
			}
		}
	}
	if !strings.Contains(text.String(), "client_secret      = (sensitive)") {
		t.Errorf("text does not redact:\n%s", text.String())
	}
}
