package blueprint_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/blueprint"
)

func TestLoadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bp := func(name string) string { return "version: 1\nmetadata: {name: " + name + "}\nentries: []\n" }
	write("b/two.yaml", bp("two"))
	write("a.yaml", bp("one"))
	write("b/.hidden.yaml", bp("hidden"))
	write(".git/x.yaml", bp("git"))
	write("notes.yml", bp("yml"))
	write("single.txt", bp("explicit"))

	bps, err := blueprint.LoadFilesFrom([]string{dir, filepath.Join(dir, "single.txt"), "-", filepath.Join(dir, "a.yaml")}, strings.NewReader(bp("stdin")))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range bps {
		names = append(names, b.Metadata.Name)
	}
	if got := strings.Join(names, ","); got != "one,two,explicit,stdin" {
		t.Errorf("loaded %s", got)
	}
	if bps[3].Path != "-" {
		t.Errorf("stdin path %q", bps[3].Path)
	}

	write("bad/broken.yaml", "version: [\n")
	write("bad/also.yaml", "entries: 1\n")
	_, err = blueprint.LoadFilesFrom([]string{filepath.Join(dir, "bad"), filepath.Join(dir, "missing.yaml")}, nil)
	es := blueprint.AsErrors(err)
	if len(es) != 3 {
		t.Fatalf("want 3 errors (two files, one missing), got %v", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := blueprint.LoadFiles([]string{filepath.Join(dir, "empty")}); err == nil || !strings.Contains(err.Error(), "no *.yaml blueprint files") {
		t.Errorf("empty directory: %v", err)
	}
}
