package blueprint_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/blueprint"
)

func TestParse(t *testing.T) {
	bp, err := blueprint.Parse("p.yaml", []byte(`version: 1
metadata:
  name: Parsed
  labels:
    blueprints.goauthentik.io/instantiate: "false"
context:
  plain: {a: [1, 2]}
  tagged: !Env X
entries:
  first:
    - model: Authentik_Flows.Flow
      id: f
      state: created
      identifiers: {slug: s}
  second:
    - model: !Format ["%s.group", authentik_core]
      state: !Context state
      conditions: [true]
      identifiers: {name: n}
      attrs: null
      extra: ignored-by-authentik
`))
	if err != nil {
		t.Fatal(err)
	}
	if bp.Metadata.Name != "Parsed" || bp.Metadata.Labels["blueprints.goauthentik.io/instantiate"] != "false" || !bp.HasMetadata {
		t.Errorf("metadata %+v", bp.Metadata)
	}
	if _, ok := bp.Context["plain"].(map[string]any); !ok {
		t.Errorf("plain context value %T", bp.Context["plain"])
	}
	if n, ok := bp.Context["tagged"].(*blueprint.Node); !ok || n.Tag != "!Env" {
		t.Errorf("tagged context value %#v", bp.Context["tagged"])
	}
	if len(bp.Entries) != 2 {
		t.Fatalf("%d entries", len(bp.Entries))
	}
	e0, e1 := bp.Entries[0], bp.Entries[1]
	if e0.Model != "authentik_flows.flow" || e0.ID != "f" || e0.State != "created" || e0.Line != 11 || e0.Index != 0 || e0.Section != "first" || e0.File != "p.yaml" {
		t.Errorf("entry 0 %+v", e0)
	}
	if e1.Model != "" || e1.ModelNode == nil || e1.StateNode == nil || len(e1.Conditions) != 1 || e1.Index != 1 || len(e1.Attrs.Pairs) != 0 {
		t.Errorf("entry 1 %+v", e1)
	}
	if len(bp.Issues) != 1 || !strings.Contains(bp.Issues[0].Error(), `p.yaml:21: entries[1]: unknown key "extra"`) {
		t.Errorf("issues %v", bp.Issues)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"empty", "", "e.yaml: empty blueprint"},
		{"null", "~\n", "e.yaml:1: empty blueprint"},
		{"not a mapping", "- a\n", "e.yaml:1: a blueprint must be a mapping"},
		{"two documents", "version: 1\n---\nversion: 1\n", "e.yaml:2: more than one YAML document"},
		{"version as string", "version: \"1\"\n", "e.yaml:1: version: must be an integer"},
		{"metadata without name", "metadata: {labels: {}}\n", "e.yaml:1: metadata.name: is required"},
		{"label not a string", "metadata: {name: x, labels: {a: 1}}\n", "e.yaml:1: metadata.labels.a: must be a string (quote it)"},
		{"context not a mapping", "context: [1]\n", "e.yaml:1: context: must be a mapping"},
		{"entries not a list", "entries: 3\n", "e.yaml:1: entries: must be a list of entries"},
		{"entry not a mapping", "entries: [3]\n", "e.yaml:1: entries[0]: an entry must be a mapping"},
		{"model missing", "entries:\n  - identifiers: {a: 1}\n", "e.yaml:2: entries[0]: model: is required"},
		{"model without app", "entries:\n  - model: flow\n", "e.yaml:2: entries[0]: model: must be app_label.model_name, not flow"},
		{"id not a string", "entries:\n  - model: a.b\n    id: 3\n", "e.yaml:3: entries[0] (a.b): id: must be a string (quote it)"},
		{"identifiers not a mapping", "entries:\n  - model: a.b\n    identifiers: [1]\n", "e.yaml:3: entries[0] (a.b): identifiers: must be a mapping"},
		{"conditions not a list", "entries:\n  - model: a.b\n    conditions: true\n", "e.yaml:3: entries[0] (a.b): conditions: must be a list"},
		{"tag as key", "entries:\n  - model: a.b\n    attrs: {!Env X: 1}\n", "e.yaml:3: mapping keys must be plain scalars"},
		{"python tag", "entries: !!python/object:os.system [x]\n", "unsupported YAML tag"},
		{"find condition shape", "entries:\n  - model: a.b\n    attrs: {x: !Find [a.b, name]}\n", "e.yaml:3: !Find: condition 1 must be a [field, value] pair"},
		{"index depth", "entries:\n  - model: a.b\n    attrs: {x: !Index a}\n", `e.yaml:3: !Index: the depth must be a non-negative integer, not "a"`},
		{"enumerate mode", "entries:\n  - model: a.b\n    attrs: {x: !Enumerate [[1], LIST, x]}\n", `e.yaml:3: !Enumerate: unknown mode "LIST" (one of MAP, SEQ)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := blueprint.Parse("e.yaml", []byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// TestParseAliasesAcrossEntries: the parser drops each converted part of
// the YAML tree as it goes, except anchored parts, which later aliases
// (to values, to whole entries, in merge keys) convert again.
func TestParseAliasesAcrossEntries(t *testing.T) {
	bp, err := blueprint.Parse("a.yaml", []byte(`version: 1
entries:
  - &first
    model: authentik_core.group
    identifiers: {name: one}
    attrs: &attrs
      attributes: &shared {team: a, tags: [x, y]}
  - model: authentik_core.group
    identifiers: {name: two}
    attrs:
      attributes: *shared
  - model: authentik_core.group
    identifiers: {name: three}
    attrs:
      <<: *attrs
      is_superuser: true
  - *first
`))
	if err != nil {
		t.Fatal(err)
	}
	plain := func(n *blueprint.Node) string {
		v, ok := n.Plain()
		if !ok {
			t.Fatalf("node has tags")
		}
		return fmt.Sprint(v)
	}
	shared := "map[attributes:map[tags:[x y] team:a]]"
	cases := []struct {
		entry       int
		identifiers string
		attrs       string
	}{
		{0, "map[name:one]", shared},
		{1, "map[name:two]", shared},
		{2, "map[name:three]", "map[attributes:map[tags:[x y] team:a] is_superuser:true]"},
		{3, "map[name:one]", shared},
	}
	if len(bp.Entries) != len(cases) {
		t.Fatalf("%d entries, want %d", len(bp.Entries), len(cases))
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint("entry ", tc.entry), func(t *testing.T) {
			e := bp.Entries[tc.entry]
			if got := plain(e.Identifiers); got != tc.identifiers {
				t.Errorf("identifiers %s, want %s", got, tc.identifiers)
			}
			if got := plain(e.Attrs); got != tc.attrs {
				t.Errorf("attrs %s, want %s", got, tc.attrs)
			}
		})
	}
}
