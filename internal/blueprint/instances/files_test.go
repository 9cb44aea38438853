package instances_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/akgo/akgo/internal/blueprint/instances"
)

func TestCleanPath(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"default/flow.yaml", "default/flow.yaml", true},
		{"./default/flow.yaml", "default/flow.yaml", true},
		{"a/b/../c.yaml", "a/c.yaml", true},
		{"../etc/passwd", "", false},
		{"/etc/passwd", "", false},
		{"a/../../x.yaml", "", false},
		{`a\..\x.yaml`, "", false},
		{"", "", false},
		{".", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := instances.CleanPath(tc.in)
			if (err == nil) != tc.ok || got != tc.want {
				t.Fatalf("CleanPath(%q) = %q, %v", tc.in, got, err)
			}
			if err != nil && !errors.Is(err, instances.ErrOutside) {
				t.Errorf("error %v is not ErrOutside", err)
			}
		})
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	write := func(root, rel, content string) {
		t.Helper()
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(dir, "default/override.yaml", "version: 1\nmetadata:\n  name: From dir\n")
	write(dir, "default/disabled.yaml", "")
	write(dir, "v2.yaml", "version: 2\n")
	write(dir, "broken.yaml", "version: [1\n")
	write(dir, "list.yaml", "- 1\n")
	write(dir, "tags.yaml", "version: 1\nmetadata:\n  name: Tagged\n  labels:\n    a: b\nentries:\n  - model: authentik_core.group\n    identifiers:\n      name: !Format [\"%s\", x]\n")
	write(outside, "secret.yaml", "version: 1\nmetadata:\n  name: Outside\n")
	if err := os.Symlink(filepath.Join(outside, "secret.yaml"), filepath.Join(dir, "escape.yaml")); err != nil {
		t.Fatal(err)
	}
	embedded := fstest.MapFS{
		"default/override.yaml": {Data: []byte("version: 1\nmetadata:\n  name: Embedded\n")},
		"default/disabled.yaml": {Data: []byte("version: 1\nmetadata:\n  name: Disabled\n")},
		"default/kept.yaml":     {Data: []byte("version: 1\nmetadata:\n  name: Kept\n")},
	}
	mtime := time.Date(2023, 10, 4, 0, 0, 0, 0, time.UTC)
	f := &instances.Files{Dir: dir, Embedded: embedded, EmbeddedTime: mtime}

	files, skipped := f.Find()
	got := map[string]instances.File{}
	for _, file := range files {
		got[file.Path] = file
	}
	want := map[string]string{"default/override.yaml": "From dir", "default/kept.yaml": "Kept", "tags.yaml": "Tagged"}
	if len(got) != len(want) {
		t.Errorf("found %v", keys(got))
	}
	for p, name := range want {
		if got[p].Meta == nil || got[p].Meta.Name != name {
			t.Errorf("%s: meta %+v", p, got[p].Meta)
		}
	}
	if !got["default/kept.yaml"].LastModified.Equal(mtime) {
		t.Errorf("embedded mtime = %v", got["default/kept.yaml"].LastModified)
	}
	if got["tags.yaml"].Meta.Labels["a"] != "b" || got["tags.yaml"].Hash != instances.Hash(got["tags.yaml"].Content, nil) || len(got["tags.yaml"].Hash) != 128 {
		t.Errorf("tags.yaml = %+v", got["tags.yaml"])
	}
	reasons := strings.Join(errorsText(skipped), "\n")
	for _, p := range []string{"v2.yaml", "broken.yaml", "list.yaml", "escape.yaml"} {
		if !strings.Contains(reasons, p) {
			t.Errorf("%s not reported as skipped: %s", p, reasons)
		}
	}

	if data, err := f.ReadFile("default/override.yaml"); err != nil || !strings.Contains(string(data), "From dir") {
		t.Errorf("ReadFile prefers the directory: %q %v", data, err)
	}
	if data, err := fs.ReadFile(f, "default/kept.yaml"); err != nil || !strings.Contains(string(data), "Kept") {
		t.Errorf("ReadFile falls back to embedded: %q %v", data, err)
	}
	if _, err := f.ReadFile("escape.yaml"); !errors.Is(err, instances.ErrOutside) {
		t.Errorf("a link out of the directory was read: %v", err)
	}
	if _, err := f.Open("../x.yaml"); err == nil {
		t.Errorf("Open accepted ../")
	}
	if _, err := f.ReadFile("missing.yaml"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestHash(t *testing.T) {
	content := []byte("version: 1\n")
	plain := instances.Hash(content, nil)
	cases := []struct {
		name string
		ctx  map[string]any
		same bool
	}{
		{"empty context is the content hash", map[string]any{}, true},
		{"a context changes the hash", map[string]any{"a": 1}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := instances.Hash(content, tc.ctx) == plain; got != tc.same {
				t.Errorf("same = %v", got)
			}
		})
	}
	if instances.Hash(content, map[string]any{"a": 1, "b": 2}) != instances.Hash(content, map[string]any{"b": 2, "a": 1}) {
		t.Errorf("hash depends on key order")
	}
}

func keys(m map[string]instances.File) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func errorsText(errs []error) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}
