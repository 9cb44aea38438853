package blueprint_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/blueprint"
	"github.com/akgo/akgo/internal/blueprint/blueprinttest"
)

// renderPlan is a plan with one of each action: a create referencing it,
// an update, a delete, a no-op and a prune.
func renderPlan(t *testing.T) *blueprint.PlanResult {
	mem := blueprinttest.New()
	mem.Seed("authentik_core.group", map[string]any{"pk": "aaaaaaaa-0000-4000-8000-000000000001", "name": "drifted", "attributes": map[string]any{"a": 1}})
	mem.Seed("authentik_core.group", map[string]any{"pk": "aaaaaaaa-0000-4000-8000-000000000002", "name": "doomed", "is_superuser": true})
	mem.Seed("authentik_core.group", map[string]any{"pk": "aaaaaaaa-0000-4000-8000-000000000003", "name": "same"})
	mem.Seed("authentik_core.group", map[string]any{"pk": "aaaaaaaa-0000-4000-8000-000000000004", "name": "orphan"})
	bp := mustParse(t, "r.yaml", `version: 1
entries:
  - model: authentik_core.group
    id: new
    identifiers: {name: new}
  - model: authentik_core.user
    identifiers: {username: ann}
    attrs: {name: Ann, password: !Env PW, groups: [!KeyOf new]}
  - model: authentik_core.group
    identifiers: {name: drifted}
    attrs: {attributes: {a: 2}}
  - model: authentik_core.group
    state: absent
    identifiers: {name: doomed}
  - model: authentik_core.group
    identifiers: {name: same}
`)
	p, err := blueprint.Plan(context.Background(), mem, []*blueprint.Blueprint{bp}, blueprint.Options{
		Owned: []string{"authentik_core.group:aaaaaaaa-0000-4000-8000-000000000004"}, Prune: true,
		Env: func(string) (string, bool) { return "s3cret", true },
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRenderText(t *testing.T) {
	p := renderPlan(t)
	var b strings.Builder
	if err := blueprint.RenderText(&b, p, blueprint.RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	want := `  + authentik_core.group "new"  # r.yaml:3 entries[0] (id new)
      + name = "new"
  + authentik_core.user "ann"  # r.yaml:6 entries[1]
      + groups   = ["(known after apply)"]
      + name     = "Ann"
      + password = (sensitive)
      + username = "ann"
  ~ authentik_core.group "drifted" (pk aaaaaaaa-0000-4000-8000-000000000001)  # r.yaml:9 entries[2]
      ~ attributes = {"a":1} → {"a":2}
  - authentik_core.group "doomed" (pk aaaaaaaa-0000-4000-8000-000000000002)  # r.yaml:12 entries[3], state absent
  - authentik_core.group "orphan" (pk aaaaaaaa-0000-4000-8000-000000000004)  # pruned: owned, no longer declared

Plan: 2 to create, 1 to update, 2 to delete.
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	if err := blueprint.RenderText(&b, p, blueprint.RenderOptions{ShowNoop: true, Color: true}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"\x1b[32m+\x1b[0m", "\x1b[33m~\x1b[0m", "\x1b[31m-\x1b[0m", `authentik_core.group "same" (pk aaaaaaaa-0000-4000-8000-000000000003)`, "no-op, up to date"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("colour/no-op output lacks %q:\n%s", s, b.String())
		}
	}
	if strings.Contains(b.String(), "s3cret") {
		t.Error("secret printed")
	}
}

func TestRenderDiff(t *testing.T) {
	p := renderPlan(t)
	var b strings.Builder
	if err := blueprint.RenderDiff(&b, p, blueprint.RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"--- /dev/null\n+++ blueprint/authentik_core.group/new\n@@ r.yaml:3 entries[0] (id new) @@\n+name: \"new\"\n",
		"--- live/authentik_core.group/drifted\n+++ blueprint/authentik_core.group/drifted\n@@ r.yaml:9 entries[2] @@\n-attributes: {\"a\":1}\n+attributes: {\"a\":2}\n",
		"--- live/authentik_core.group/doomed\n+++ /dev/null\n@@ r.yaml:12 entries[3] @@\n",
		"-is_superuser: true\n",
		"+password: (sensitive)\n",
		"--- live/authentik_core.group/orphan\n+++ /dev/null\n@@ pruned: owned, no longer declared @@\n",
	} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("diff lacks %q:\n%s", s, b.String())
		}
	}
}

func TestRenderJSON(t *testing.T) {
	p := renderPlan(t)
	raw, err := p.JSON(blueprint.RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Changes []struct {
			Action    string
			DependsOn []int `json:"depends_on"`
			Fields    []map[string]any
		}
		Prunes  []map[string]any
		Summary map[string]int
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Changes) != 4 || out.Summary["create"] != 2 || out.Summary["delete"] != 2 || out.Summary["noop"] != 1 || len(out.Prunes) != 1 {
		t.Fatalf("json %s", raw)
	}
	user := out.Changes[1]
	if len(user.DependsOn) != 1 || user.DependsOn[0] != 0 {
		t.Errorf("user depends on %v", user.DependsOn)
	}
	for _, f := range user.Fields {
		switch f["field"] {
		case "password":
			if _, has := f["new"]; has || f["sensitive"] != true {
				t.Errorf("password field %v", f)
			}
		case "groups":
			if f["known_after_apply"] != true {
				t.Errorf("groups field %v", f)
			}
		}
	}
	if strings.Contains(string(raw), "s3cret") {
		t.Error("secret in JSON")
	}
}
