package blueprints

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestMatchesReferenceObjects compares the default and system blueprints
// with reference/default-objects.md, the list of what authentik 2023.10's
// own blueprints create: for each of its sections (one blueprint file)
// every object must be declared with the same model, identifiers, state
// and listed attribute values, references resolved to the identity of
// the referenced object (ids are ours to choose), and nothing else.
//
// The reference lives outside the repository (../shared/reference, or
// $AKGO_REFERENCE_DIR); without it the test is skipped and
// TestShippedBlueprints' table still pins slugs, names and managed ids.
func TestMatchesReferenceObjects(t *testing.T) {
	dir := os.Getenv("AKGO_REFERENCE_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "reference")
	}
	sections, err := readReference(filepath.Join(dir, "default-objects.md"))
	if os.IsNotExist(err) {
		t.Skipf("no reference list at %s", dir)
	}
	if err != nil {
		t.Fatal(err)
	}
	files, err := shippedFiles()
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]*bpFile{}
	for _, f := range files {
		byPath[f.path] = f
	}
	covered := map[string]bool{}
	for _, sec := range sections {
		covered[sec.path] = true
		t.Run(sec.path, func(t *testing.T) {
			f := byPath[sec.path]
			if f == nil {
				t.Fatalf("no blueprint %s (%q)", sec.path, sec.title)
			}
			if f.name != sec.title {
				t.Errorf("metadata.name is %q, authentik's is %q", f.name, sec.title)
			}
			for k, want := range sec.labels {
				got := f.labels[k]
				switch {
				case got == nil:
					t.Errorf("label %s is missing", k)
				case k != "blueprints.goauthentik.io/description" && got.Value != want:
					t.Errorf("label %s is %q, authentik's is %q", k, got.Value, want)
				}
			}
			compareSection(t, sec, f)
		})
	}
	for _, f := range files {
		if !strings.HasPrefix(f.path, "example/") && !covered[f.path] {
			t.Errorf("%s recreates nothing of the reference list", f.path)
		}
	}
}

// refSection is one blueprint of the reference list.
type refSection struct {
	title   string
	path    string
	labels  map[string]string
	objects []*refObject
}

// refObject is one object line of the reference with its attribute lines.
type refObject struct {
	line        string
	model       string
	identifiers [][2]string
	id          string
	state       string
	conditions  bool
	attrs       [][2]string
}

var (
	refFileRE   = regexp.MustCompile("^\\(authentik file `([^`]+)`; labels: (\\{.*\\})\\)$")
	refObjectRE = regexp.MustCompile("^- `([^`]+)` \\[([^\\]]*)\\](.*)$")
	refLabelRE  = regexp.MustCompile(`'([^']+)': '((?:[^'\\]|\\.)*)'`)
)

func readReference(p string) ([]*refSection, error) {
	fh, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	var out []*refSection
	var sec *refSection
	var obj *refObject
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " ")
		switch {
		case strings.HasPrefix(line, "## "):
			// Sections without a file line (the start-up objects) are not
			// blueprints and stay nil.
			sec, obj = &refSection{title: strings.TrimSpace(line[3:])}, nil
		case sec != nil && sec.path == "" && refFileRE.MatchString(line):
			m := refFileRE.FindStringSubmatch(line)
			sec.path, sec.labels = m[1], map[string]string{}
			for _, l := range refLabelRE.FindAllStringSubmatch(m[2], -1) {
				sec.labels[l[1]] = l[2]
			}
			out = append(out, sec)
		case sec != nil && sec.path != "" && refObjectRE.MatchString(line):
			m := refObjectRE.FindStringSubmatch(line)
			obj = &refObject{line: line, model: m[1], state: "present"}
			if m[2] != "" {
				for _, kv := range strings.Split(m[2], ", ") {
					k, v, _ := strings.Cut(kv, "=")
					obj.identifiers = append(obj.identifiers, [2]string{k, v})
				}
			}
			for _, tok := range strings.Fields(m[3]) {
				k, v, _ := strings.Cut(tok, "=")
				switch k {
				case "id":
					obj.id = v
				case "state":
					obj.state = v
				case "conditions":
					obj.conditions = true
				}
			}
			sec.objects = append(sec.objects, obj)
		case obj != nil && strings.HasPrefix(line, "  - "):
			k, v, _ := strings.Cut(line[4:], ":")
			v = strings.TrimSpace(v)
			// Expressions are described, not quoted: ours are our own.
			if strings.HasPrefix(v, "(a ") {
				continue
			}
			obj.attrs = append(obj.attrs, [2]string{k, v})
		}
	}
	return out, sc.Err()
}

func compareSection(t *testing.T, sec *refSection, f *bpFile) {
	refByID := map[string]*refObject{}
	for _, o := range sec.objects {
		if o.id != "" {
			refByID[o.id] = o
		}
	}
	var refSig func(o *refObject) string
	refValue := func(v string) string {
		if strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]") {
			var items []string
			for _, it := range strings.Split(strings.Trim(v, "[]"), ", ") {
				if it != "" {
					items = append(items, refScalar(it, refByID, refSig))
				}
			}
			return "[" + strings.Join(items, ", ") + "]"
		}
		return refScalar(v, refByID, refSig)
	}
	refSig = func(o *refObject) string {
		var parts []string
		for _, kv := range o.identifiers {
			parts = append(parts, kv[0]+"="+refValue(kv[1]))
		}
		sort.Strings(parts)
		return o.model + "[" + strings.Join(parts, ", ") + "]"
	}

	used := map[*bpEntry]bool{}
	for _, o := range sec.objects {
		want := refSig(o)
		var e *bpEntry
		for _, cand := range f.entries {
			if !used[cand] && cand.model == o.model && entrySig(cand) == want {
				e = cand
				break
			}
		}
		if e == nil {
			t.Errorf("no entry for %s (want %s)", o.line, want)
			continue
		}
		used[e] = true
		if e.state != o.state {
			t.Errorf("%s: state %s, authentik's is %s", e, e.state, o.state)
		}
		if o.conditions && e.conditions == nil {
			t.Errorf("%s: authentik's entry is conditional, ours is not", e)
		}
		for _, kv := range o.attrs {
			v := mapGet(e.attrs, kv[0])
			if v == nil {
				t.Errorf("%s: attr %s is missing (authentik: %s)", e, kv[0], kv[1])
				continue
			}
			if got, want := ourValue(e, v), refValue(kv[1]); got != want {
				t.Errorf("%s: %s is %s, authentik's is %s", e, kv[0], got, want)
			}
		}
	}
	for _, e := range f.entries {
		if !used[e] {
			t.Errorf("%s: %s is not in authentik's blueprint", e, entrySig(e))
		}
	}
}

// refScalar normalises one reference value: Python booleans, and "→id"
// replaced by the signature of the object with that id.
func refScalar(v string, byID map[string]*refObject, sig func(*refObject) string) string {
	switch v {
	case "True":
		return "true"
	case "False":
		return "false"
	}
	if id, ok := strings.CutPrefix(v, "→"); ok {
		if o := byID[id]; o != nil {
			return "→" + sig(o)
		}
		return "→?" + id
	}
	return v
}

// entrySig is an entry's identity: its model and identifiers, with
// references replaced by the identity of what they refer to.
func entrySig(e *bpEntry) string {
	var parts []string
	forEachPair(e.identifiers, func(k string, v *yaml.Node) {
		parts = append(parts, k+"="+ourValue(e, v))
	})
	sort.Strings(parts)
	return e.model + "[" + strings.Join(parts, ", ") + "]"
}

// ourValue renders a value the way the reference list writes it.
func ourValue(e *bpEntry, v *yaml.Node) string {
	switch {
	case v.Tag == "!KeyOf":
		if ref := entryByID(e, v.Value); ref != nil {
			return "→" + entrySig(ref)
		}
		return "→?" + v.Value
	case v.Tag == "!Find" && len(v.Content) > 0:
		var conds []string
		for _, c := range v.Content[1:] {
			if len(c.Content) == 2 {
				conds = append(conds, c.Content[0].Value+"="+c.Content[1].Value)
			}
		}
		return "find(" + v.Content[0].Value + ": " + strings.Join(conds, ", ") + ")"
	case isTag(v):
		return v.Tag + " " + v.Value
	case v.Kind == yaml.SequenceNode:
		var items []string
		for _, c := range v.Content {
			items = append(items, ourValue(e, c))
		}
		return "[" + strings.Join(items, ", ") + "]"
	}
	return v.Value
}
