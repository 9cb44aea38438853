package blueprint_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/akgo/akgo/internal/blueprint"
	"github.com/akgo/akgo/internal/blueprint/blueprinttest"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/golden")

// directive is a golden case's setup, written in its first lines as
// "# test: {json}" (several lines are merged).
type directive struct {
	// Live objects per model, seeded before planning.
	Live map[string][]map[string]any `json:"live"`
	// Context is Options.Context.
	Context map[string]any `json:"context"`
	// Files is Options.Files (path → content).
	Files map[string]string `json:"files"`
	// Owned is Options.Owned ("model:pk", or "model:@name=value" to name a
	// seeded object by a field).
	Owned []string `json:"owned"`
	Prune bool     `json:"prune"`
	// Apply also applies the plan and prints the objects afterwards.
	Apply bool `json:"apply"`
	// Show lists models whose objects are printed after the apply.
	Show          []string `json:"show"`
	AllowNullFind bool     `json:"allow_null_find"`
	ResetSecrets  bool     `json:"reset_secrets"`
}

// testEnv is the environment every golden case sees.
var testEnv = map[string]string{
	"AK_TEST_VAR":   "value",
	"AK_TEST_EMPTY": "",
	"AK_TEST_JSON":  `{"a": [1, 2], "b": null}`,
}

func readDirective(t *testing.T, src []byte) directive {
	var d directive
	var js strings.Builder
	for _, line := range strings.Split(string(src), "\n") {
		if rest, ok := strings.CutPrefix(line, "# test:"); ok {
			js.WriteString(rest)
		}
	}
	if js.Len() > 0 {
		if err := json.Unmarshal([]byte(js.String()), &d); err != nil {
			t.Fatalf("bad # test: directive: %v", err)
		}
	}
	return d
}

// runGolden plans (and maybe applies) one case and renders the outcome.
func runGolden(t *testing.T, name string, src []byte) string {
	d := readDirective(t, src)
	mem := blueprinttest.New()
	for _, model := range sortedModelKeys(d.Live) {
		for _, o := range d.Live[model] {
			mem.Seed(model, o)
		}
	}
	opts := blueprint.Options{
		Context:       d.Context,
		Env:           func(k string) (string, bool) { v, ok := testEnv[k]; return v, ok },
		Prune:         d.Prune,
		AllowNullFind: d.AllowNullFind,
		ResetSecrets:  d.ResetSecrets,
	}
	if d.Files != nil {
		fsys := fstest.MapFS{}
		for p, c := range d.Files {
			fsys[p] = &fstest.MapFile{Data: []byte(c)}
		}
		opts.Files = fsys
	}
	for _, o := range d.Owned {
		opts.Owned = append(opts.Owned, resolveOwned(t, mem, o))
	}
	var out bytes.Buffer
	bp, err := blueprint.Parse(name, src)
	if err != nil {
		return "error:\n" + err.Error() + "\n"
	}
	p, err := blueprint.Plan(context.Background(), mem, []*blueprint.Blueprint{bp}, opts)
	if err != nil {
		return "error:\n" + err.Error() + "\n"
	}
	if err := blueprint.RenderText(&out, p, blueprint.RenderOptions{ShowNoop: true, ShowSensitive: true}); err != nil {
		t.Fatal(err)
	}
	if !d.Apply {
		return out.String()
	}
	res, err := blueprint.Apply(context.Background(), mem, p)
	out.WriteString("\napply:\n")
	if res != nil {
		if err := blueprint.RenderResult(&out, res, blueprint.RenderOptions{}); err != nil {
			t.Fatal(err)
		}
		out.WriteString("managed:\n")
		for _, m := range res.Managed {
			out.WriteString("  " + m + "\n")
		}
	}
	if err != nil {
		out.WriteString("error:\n" + err.Error() + "\n")
	}
	for _, model := range d.Show {
		out.WriteString("objects " + model + ":\n")
		for _, o := range mem.Objects(model) {
			b, _ := json.Marshal(o)
			out.WriteString("  " + string(b) + "\n")
		}
	}
	return out.String()
}

func resolveOwned(t *testing.T, mem *blueprinttest.Memory, o string) string {
	model, rest, _ := strings.Cut(o, ":")
	field, value, ok := strings.Cut(strings.TrimPrefix(rest, "@"), "=")
	if !strings.HasPrefix(rest, "@") || !ok {
		return o
	}
	for _, obj := range mem.Objects(model) {
		if s, _ := obj[field].(string); s == value {
			return model + ":" + pkText(obj[blueprint.PKField(model)])
		}
	}
	t.Fatalf("owned %s: no seeded object", o)
	return ""
}

func pkText(v any) string {
	b, _ := json.Marshal(v)
	return strings.Trim(string(b), `"`)
}

func sortedModelKeys(m map[string][]map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestGolden runs every testdata/golden/*.yaml case and compares the plan
// (or error) with the .golden file next to it. Run with -update to
// rewrite them after checking the differences.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/golden/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got := runGolden(t, filepath.Base(f), src)
			golden := strings.TrimSuffix(f, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("missing golden file (run with -update): %v", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s\n--- got\n%s\n--- want\n%s", golden, got, want)
			}
		})
	}
}
