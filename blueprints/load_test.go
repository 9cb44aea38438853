package blueprints

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// The blueprint engine is written in parallel with these files, so the
// tests read the blueprints themselves: a yaml.v3 node walk that keeps
// authentik's custom tags (!KeyOf, !Find, ...) as they are written.

// tags are the YAML tags authentik 2023.10's loader constructs; anything
// else fails its import.
var tags = map[string]bool{
	"!KeyOf": true, "!Find": true, "!Env": true, "!Context": true, "!Format": true,
	"!Condition": true, "!If": true, "!Enumerate": true, "!Index": true, "!Value": true,
}

// metaApply is the meta model that applies another blueprint; it has no
// table, so the registry does not know it.
const metaApply = "authentik_blueprints.metaapplyblueprint"

// bpFile is one parsed blueprint file.
type bpFile struct {
	path    string
	name    string
	labels  map[string]*yaml.Node
	context map[string]*yaml.Node
	entries []*bpEntry
	// problems are structural errors found while parsing (unknown keys,
	// wrong types); the tests report them.
	problems []string
}

// bpEntry is one entry of a blueprint file.
type bpEntry struct {
	file        *bpFile
	index       int
	line        int
	model       string
	state       string
	id          string
	identifiers *yaml.Node // mapping, or nil
	attrs       *yaml.Node // mapping, or nil
	conditions  *yaml.Node // sequence, or nil
}

func (e *bpEntry) String() string {
	return fmt.Sprintf("%s:%d (entry %d, %s)", e.file.path, e.line, e.index, e.model)
}

// field returns the value of a key of the identifiers or, failing that,
// of the attrs.
func (e *bpEntry) field(key string) *yaml.Node {
	if v := mapGet(e.identifiers, key); v != nil {
		return v
	}
	return mapGet(e.attrs, key)
}

var (
	loadOnce  sync.Once
	loaded    []*bpFile
	loadError error
)

// shippedFiles parses every embedded blueprint once per test binary.
func shippedFiles() ([]*bpFile, error) {
	loadOnce.Do(func() {
		err := fs.WalkDir(FS, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			if path.Ext(p) != ".yaml" {
				return fmt.Errorf("%s: only .yaml blueprints are shipped", p)
			}
			data, err := fs.ReadFile(FS, p)
			if err != nil {
				return err
			}
			f, err := parseFile(p, data)
			if err != nil {
				return err
			}
			loaded = append(loaded, f)
			return nil
		})
		sort.Slice(loaded, func(i, j int) bool { return loaded[i].path < loaded[j].path })
		loadError = err
	})
	return loaded, loadError
}

// parseFile reads a blueprint's structure without evaluating any tag.
func parseFile(p string, data []byte) (*bpFile, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: the document is not a mapping", p)
	}
	f := &bpFile{path: p}
	bad := func(n *yaml.Node, format string, args ...any) {
		f.problems = append(f.problems, fmt.Sprintf("%s:%d: %s", p, n.Line, fmt.Sprintf(format, args...)))
	}
	root := doc.Content[0]
	forEachPair(root, func(k string, v *yaml.Node) {
		switch k {
		case "version":
			if v.ShortTag() != "!!int" || v.Value != "1" {
				bad(v, "version must be the integer 1, not %q", v.Value)
			}
		case "metadata":
			if v.Kind != yaml.MappingNode {
				bad(v, "metadata is not a mapping")
				return
			}
			forEachPair(v, func(mk string, mv *yaml.Node) {
				switch mk {
				case "name":
					if mv.ShortTag() != "!!str" || mv.Value == "" {
						bad(mv, "metadata.name must be a non-empty string")
					}
					f.name = mv.Value
				case "labels":
					f.labels = stringMap(mv, bad)
				default:
					bad(mv, "unknown metadata key %q (authentik ignores it silently)", mk)
				}
			})
		case "context":
			if v.Kind != yaml.MappingNode {
				bad(v, "context is not a mapping")
				return
			}
			f.context = map[string]*yaml.Node{}
			forEachPair(v, func(ck string, cv *yaml.Node) { f.context[ck] = cv })
		case "entries":
			if v.Kind != yaml.SequenceNode {
				bad(v, "entries is not a list")
				return
			}
			for i, en := range v.Content {
				f.entries = append(f.entries, parseEntry(f, i, en, bad))
			}
		default:
			bad(v, "unknown top-level key %q (authentik ignores it silently)", k)
		}
	})
	if mapGet(root, "version") == nil {
		bad(root, "version is missing")
	}
	if f.name == "" {
		bad(root, "metadata.name is missing")
	}
	if len(f.entries) == 0 {
		bad(root, "no entries")
	}
	return f, nil
}

func parseEntry(f *bpFile, i int, n *yaml.Node, bad func(*yaml.Node, string, ...any)) *bpEntry {
	e := &bpEntry{file: f, index: i, line: n.Line, state: "present"}
	if n.Kind != yaml.MappingNode {
		bad(n, "entry %d is not a mapping", i)
		return e
	}
	forEachPair(n, func(k string, v *yaml.Node) {
		switch k {
		case "model":
			if v.ShortTag() != "!!str" {
				bad(v, "model must be a plain string (a tag-valued model breaks !KeyOf to bindings)")
			}
			e.model = v.Value
		case "state":
			e.state = v.Value
			if isTag(v) {
				bad(v, "state must be a plain string")
			}
		case "id":
			if v.ShortTag() != "!!str" {
				bad(v, "id must be a string")
			}
			e.id = v.Value
		case "identifiers":
			if v.Kind != yaml.MappingNode {
				bad(v, "identifiers is not a mapping")
				return
			}
			e.identifiers = v
		case "attrs":
			if v.Kind != yaml.MappingNode {
				bad(v, "attrs is not a mapping")
				return
			}
			e.attrs = v
		case "conditions":
			if v.Kind != yaml.SequenceNode {
				bad(v, "conditions is not a list")
				return
			}
			e.conditions = v
		default:
			bad(v, "unknown entry key %q (authentik ignores it silently)", k)
		}
	})
	if e.model == "" {
		bad(n, "entry %d has no model", i)
	}
	return e
}

// stringMap reads labels, whose values authentik types as strings: an
// unquoted true would be a boolean and fail its import.
func stringMap(n *yaml.Node, bad func(*yaml.Node, string, ...any)) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	if n.Kind != yaml.MappingNode {
		bad(n, "labels is not a mapping")
		return out
	}
	forEachPair(n, func(k string, v *yaml.Node) {
		if v.ShortTag() != "!!str" {
			bad(v, "label %s must be a string (quote it)", k)
		}
		out[k] = v
	})
	return out
}

func forEachPair(n *yaml.Node, fn func(string, *yaml.Node)) {
	if n == nil || n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		fn(n.Content[i].Value, n.Content[i+1])
	}
}

func mapGet(n *yaml.Node, key string) *yaml.Node {
	var out *yaml.Node
	forEachPair(n, func(k string, v *yaml.Node) {
		if k == key && out == nil {
			out = v
		}
	})
	return out
}

func mapKeys(n *yaml.Node) []string {
	var out []string
	forEachPair(n, func(k string, _ *yaml.Node) { out = append(out, k) })
	return out
}

// isTag reports a custom (authentik) tag, as opposed to YAML's own !!str,
// !!int, ...
func isTag(n *yaml.Node) bool {
	return strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!")
}

// containsTag reports whether a tag occurs anywhere in the value.
func containsTag(n *yaml.Node) bool {
	if isTag(n) {
		return true
	}
	for _, c := range n.Content {
		if containsTag(c) {
			return true
		}
	}
	return false
}

// walkTags calls fn for every tagged node, outermost first, including
// tags nested inside other tags' arguments.
func walkTags(n *yaml.Node, fn func(*yaml.Node)) {
	if n == nil {
		return
	}
	if isTag(n) {
		fn(n)
	}
	for _, c := range n.Content {
		walkTags(c, fn)
	}
}

// plain converts a tag-free node to the JSON value an API request would
// carry (numbers as float64, as encoding/json decodes them).
func plain(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, err
		}
		switch x := v.(type) {
		case int:
			return float64(x), nil
		case int64:
			return float64(x), nil
		case uint64:
			return float64(x), nil
		}
		return v, nil
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := plain(c)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := plain(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			out[n.Content[i].Value] = v
		}
		return out, nil
	case yaml.AliasNode:
		return plain(n.Alias)
	}
	return nil, fmt.Errorf("line %d: unsupported YAML node", n.Line)
}
