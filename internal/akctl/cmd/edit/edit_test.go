package edit

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/akctl/output"
	"github.com/akgo/akgo/internal/akctl/resource"
	"github.com/akgo/akgo/internal/registry"
)

func TestChanges(t *testing.T) {
	flows, err := resource.NewCatalog(registry.Default()).Lookup("flows")
	if err != nil {
		t.Fatal(err)
	}
	orig := "pk: u-1\nslug: f\ntitle: Old\nlayout: stacked\nstages: [a, b]\ncompatibility_mode: false\n"
	ov, _ := output.FromYAML([]byte(orig))
	original := ov.(map[string]any)
	tests := []struct {
		name     string
		edited   string
		changes  string
		problems []string
	}{
		{"nothing changed", orig, `{}`, nil},
		{"one field", strings.Replace(orig, "title: Old", "title: New", 1), `{"title":"New"}`, nil},
		{"type change counts", strings.Replace(orig, "compatibility_mode: false", "compatibility_mode: true", 1), `{"compatibility_mode":true}`, nil},
		{"removed fields are not sent", "slug: f\n", `{}`, nil},
		{"read-only refused", strings.Replace(orig, "pk: u-1", "pk: u-2", 1), `{}`, []string{"pk: this field is read-only"}},
		{"unknown field refused", orig + "bogus: 1\n", `{}`, []string{"bogus: flows has no such field; writable fields:"}},
		{"invalid YAML", "title: [", `{}`, []string{"invalid YAML"}},
		{"not a mapping", "- a\n", `{}`, []string{"the document must be a YAML mapping"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changes, problems := Changes(flows, original, tt.edited)
			if changes == nil {
				changes = map[string]any{}
			}
			b, _ := json.Marshal(changes)
			if string(b) != tt.changes {
				t.Errorf("changes %s, want %s", b, tt.changes)
			}
			if len(problems) != len(tt.problems) {
				t.Fatalf("problems %q, want %q", problems, tt.problems)
			}
			for i, p := range tt.problems {
				if !strings.HasPrefix(problems[i], p) {
					t.Errorf("problem %q, want prefix %q", problems[i], p)
				}
			}
		})
	}
}

func TestStripComments(t *testing.T) {
	in := "# header\n  # indented\ntitle: a # trailing stays\n"
	if got := stripComments(in); got != "title: a # trailing stays\n" {
		t.Errorf("got %q", got)
	}
}
