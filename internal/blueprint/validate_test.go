package blueprint_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/akgo/akgo/internal/blueprint"
)

func TestValidate(t *testing.T) {
	files := fstest.MapFS{
		"system/ok.yaml":  {Data: []byte("version: 1\nmetadata: {name: ok}\nentries:\n  - model: authentik_core.group\n    id: shared\n    identifiers: {name: x}\n")},
		"system/bad.yaml": {Data: []byte("version: 1\nentries:\n  - model: authentik_core.group\n    identifiers: {nme: x}\n")},
	}
	cases := []struct {
		name  string
		files []string // sources of the blueprints validated together
		want  []string // substrings of the errors, in order; none: valid
	}{
		{name: "valid", files: []string{"version: 1\nentries:\n  - model: authentik_core.group\n    identifiers: {name: x, attributes__contains: {a: 1}, parent__name: p}\n"}},
		{name: "duplicate ids referenced", files: []string{`version: 1
entries:
  - model: authentik_core.group
    id: g
    identifiers: {name: a}
  - model: authentik_core.group
    id: g
    identifiers: {name: b}
  - model: authentik_core.group
    identifiers: {name: c}
    attrs: {parent: !KeyOf g}
`}, want: []string{"f0.yaml:6: entries[1] (id g, authentik_core.group): id: id g is used by entries[0] (line 3) and entries[1] (line 6)"}},
		{name: "duplicate ids with conditions", files: []string{`version: 1
entries:
  - model: authentik_core.group
    id: g
    conditions: [!Env A]
    identifiers: {name: a}
  - model: authentik_core.group
    id: g
    identifiers: {name: b}
  - model: authentik_core.group
    identifiers: {name: c}
    attrs: {parent: !KeyOf g}
`}},
		{name: "cross-file reference and ambiguity", files: []string{
			"version: 1\nentries:\n  - model: authentik_core.group\n    identifiers: {name: c}\n    attrs: {parent: !KeyOf p}\n",
			"version: 1\nentries:\n  - model: authentik_core.group\n    id: p\n    identifiers: {name: p1}\n",
			"version: 1\nentries:\n  - model: authentik_core.group\n    id: p\n    identifiers: {name: p2}\n",
		}, want: []string{"f0.yaml:5: entries[0] (authentik_core.group): attrs.parent: !KeyOf p: the id is defined in several other files (f1.yaml, f2.yaml)"}},
		{name: "meta apply reads the files", files: []string{`version: 1
entries:
  - model: authentik_blueprints.metaapplyblueprint
    attrs: {identifiers: {path: system/ok.yaml}}
  - model: authentik_blueprints.metaapplyblueprint
    attrs: {identifiers: {path: system/bad.yaml}}
  - model: authentik_blueprints.metaapplyblueprint
    attrs: {identifiers: {path: system/none.yaml}, required: false}
  - model: authentik_blueprints.metaapplyblueprint
    attrs: {identifiers: {name: missing}, requird: true}
  - model: authentik_core.group
    identifiers: {name: uses-nested}
    attrs: {parent: !KeyOf shared}
`}, want: []string{
			"f0.yaml:10: entries[3] (authentik_blueprints.metaapplyblueprint): attrs.requird: unknown field requird",
			"f0.yaml:10: entries[3] (authentik_blueprints.metaapplyblueprint): attrs.identifiers: required blueprint {'name': 'missing'} does not exist",
			"system/bad.yaml:4: entries[0] (authentik_core.group): identifiers.nme: unknown field nme of authentik_core.group (did you mean name?)",
		}},
		{name: "lookups and paths", files: []string{"version: 1\nentries:\n  - model: authentik_core.group\n    identifiers: {name__nope: x, parent__nme: y, is_superuser__x: 1}\n    attrs: {attributes: !Find [authentik_core.user, [groups__name, x], [nope, y]]}\n"}, want: []string{
			"identifiers.name__nope: name is not a relation or JSON field; nope cannot follow it",
			"identifiers.parent__nme: unknown field nme of authentik_core.group",
			"identifiers.is_superuser__x: is_superuser is not a relation or JSON field; x cannot follow it",
			"attrs.attributes: !Find: unknown field nope of authentik_core.user",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var bps []*blueprint.Blueprint
			for i, src := range tc.files {
				bps = append(bps, mustParse(t, "f"+itoa(i)+".yaml", src))
			}
			err := blueprint.Validate(bps, blueprint.Options{Files: files})
			es := blueprint.AsErrors(err)
			if len(es) != len(tc.want) {
				t.Fatalf("got %d errors, want %d:\n%v", len(es), len(tc.want), err)
			}
			for i, w := range tc.want {
				if !strings.Contains(es[i].Error(), w) {
					t.Errorf("error %d: %q\nwant it to contain %q", i, es[i].Error(), w)
				}
			}
		})
	}
}
