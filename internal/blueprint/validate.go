package blueprint

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/spelling"
)

// Validate checks blueprints without a server: the version, what authentik
// would silently ignore (unknown keys), models and fields against the
// registry and request schemas, enum values, tag arguments, !Index/!Value
// outside an !Enumerate, !KeyOf references (missing, ambiguous, to an
// absent entry) and reference cycles. Blueprints that metaapplyblueprint
// entries name are read from Options.Files and checked too, when given.
// It returns every problem found, as Errors.
func Validate(bps []*Blueprint, opts Options) error {
	v := &validator{opts: opts, byPath: map[string]*vfile{}}
	for _, bp := range bps {
		if bp == nil {
			continue
		}
		v.add(bp)
	}
	for i := 0; i < len(v.files); i++ {
		v.file(v.files[i])
	}
	v.duplicates()
	v.cycles()
	return v.errs.err()
}

type vfile struct {
	bp  *Blueprint
	ids map[string][]*Entry
}

type validator struct {
	opts   Options
	files  []*vfile
	byPath map[string]*vfile
	errs   Errors
	// edges: entry → entries it references with !KeyOf.
	edges map[*Entry][]*Entry
	// referenced ids per file.
	refd map[*vfile]map[string]bool
}

func (v *validator) add(bp *Blueprint) *vfile {
	if f, ok := v.byPath[bp.Path]; ok {
		return f
	}
	f := &vfile{bp: bp, ids: map[string][]*Entry{}}
	for _, e := range bp.Entries {
		if e.ID != "" {
			f.ids[e.ID] = append(f.ids[e.ID], e)
		}
	}
	v.files = append(v.files, f)
	v.byPath[bp.Path] = f
	return f
}

func (v *validator) file(f *vfile) {
	bp := f.bp
	if bp.Version != 1 {
		v.errs = append(v.errs, &Error{File: bp.Path, Entry: -1, Field: "version", Msg: fmt.Sprintf("unsupported version %d (only version 1 exists)", bp.Version)})
	}
	v.errs = append(v.errs, bp.Issues...)
	if bp.ContextNode != nil {
		for _, p := range bp.ContextNode.Pairs {
			v.tags(f, nil, "context."+p.Key, p.Value, nil)
		}
	}
	for _, e := range bp.Entries {
		v.entry(f, e)
	}
}

func (v *validator) entry(f *vfile, e *Entry) {
	bad := func(line int, field, format string, args ...any) {
		v.errs = append(v.errs, e.errorf(line, field, format, args...))
	}
	for i, c := range e.Conditions {
		v.tags(f, e, "conditions["+strconv.Itoa(i)+"]", c, nil)
	}
	v.tags(f, e, "model", e.ModelNode, nil)
	v.tags(f, e, "state", e.StateNode, nil)
	for _, p := range e.Identifiers.Pairs {
		v.tags(f, e, "identifiers."+p.Key, p.Value, nil)
	}
	for _, p := range e.Attrs.Pairs {
		v.tags(f, e, "attrs."+p.Key, p.Value, nil)
	}
	if e.ModelNode != nil {
		return // fields can only be checked once the model is known
	}
	if e.Model == "" {
		return
	}
	if msg := modelProblem(e.Model); msg != "" {
		bad(e.Line, "model", "%s", msg)
		return
	}
	if e.Model == MetaApplyBlueprint {
		v.meta(f, e)
		return
	}
	mi := info(e.Model)
	if len(e.Identifiers.Pairs) == 0 {
		bad(e.Identifiers.Line, "identifiers", "no identifiers: an entry needs identifiers to find its object")
	}
	for _, p := range e.Identifiers.Pairs {
		if msg := pathProblem(mi, p.Key); msg != "" {
			bad(p.Line, "identifiers."+p.Key, "%s", msg)
			continue
		}
		v.enum(e, mi, "identifiers", p)
	}
	if e.State == StateAbsent {
		return // attrs are not used to delete
	}
	for _, p := range e.Attrs.Pairs {
		if !mi.writable[p.Key] {
			if f := mi.field(p.Key); f != nil || p.Key == "pk" {
				bad(p.Line, "attrs."+p.Key, "%s is read-only; the API ignores it", p.Key)
			} else {
				bad(p.Line, "attrs."+p.Key, "unknown field %s of %s%s", p.Key, e.Model, suggestField(mi, p.Key))
			}
			continue
		}
		v.enum(e, mi, "attrs", p)
	}
}

// enum checks a plainly written value of an enum field.
func (v *validator) enum(e *Entry, mi *modelInfo, section string, p Pair) {
	f := mi.field(p.Key)
	if f == nil || len(f.Enum) == 0 || p.Value.Kind != ScalarNode {
		return
	}
	s, ok := p.Value.Value.(string)
	if !ok {
		return
	}
	for _, allowed := range f.Enum {
		if s == allowed {
			return
		}
	}
	v.errs = append(v.errs, e.errorf(p.Line, section+"."+p.Key, "%q is not a valid choice (one of %s)", s, strings.Join(f.Enum, ", ")))
}

// pathProblem checks a lookup path ("slug", "attributes__contains",
// "user__username").
func pathProblem(mi *modelInfo, path string) string {
	parts := strings.Split(path, "__")
	if len(parts) > 1 && lookups[parts[len(parts)-1]] {
		parts = parts[:len(parts)-1]
	}
	for i, name := range parts {
		if name == "pk" && i == 0 {
			return ""
		}
		f := mi.field(name)
		if f == nil {
			return fmt.Sprintf("unknown field %s of %s%s", name, mi.name, suggestField(mi, name))
		}
		switch {
		case f.Ref != "" || f.M2M != "":
			t := f.Ref
			if t == "" {
				t = f.M2M
			}
			if mi = info(t); mi == nil {
				return ""
			}
		case f.Kind == registry.KindJSON:
			return "" // keys inside a JSON field
		case i < len(parts)-1:
			return fmt.Sprintf("%s is not a relation or JSON field; %s cannot follow it", name, parts[i+1])
		}
	}
	return ""
}

// suggestField proposes a field with a similar name.
func suggestField(mi *modelInfo, name string) string {
	if mi == nil || mi.m == nil {
		return ""
	}
	best, bestD := "", 3
	for k := range mi.writable {
		if d := spelling.Distance(k, name); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return " (did you mean " + best + "?)"
}

func (v *validator) meta(f *vfile, e *Entry) {
	for _, p := range e.Attrs.Pairs {
		switch p.Key {
		case "identifiers", "required", "context":
		default:
			v.errs = append(v.errs, e.errorf(p.Line, "attrs."+p.Key, "unknown field %s of %s (known: context, identifiers, required)", p.Key, MetaApplyBlueprint))
		}
	}
	idn, ok := e.Attrs.Get("identifiers")
	if !ok {
		v.errs = append(v.errs, e.errorf(e.Attrs.Line, "attrs.identifiers", "a metaapplyblueprint entry needs attrs.identifiers (path or name of the blueprint)"))
		return
	}
	ids, plain := idn.Plain()
	if !plain || v.opts.Files == nil {
		return
	}
	m, ok := ids.(map[string]any)
	if !ok {
		v.errs = append(v.errs, e.errorf(idn.Line, "attrs.identifiers", "must be a mapping"))
		return
	}
	p, _ := m["path"].(string)
	name, _ := m["name"].(string)
	if p != "" {
		if _, ok := v.byPath[p]; ok {
			return
		}
		if _, ok := v.byPath[fsPath(p)]; ok {
			return
		}
	}
	for _, other := range v.files {
		if name != "" && other.bp.Metadata.Name == name && p == "" {
			return
		}
	}
	bp, err := loadMeta(v.opts.Files, p, name)
	if err != nil {
		v.errs = append(v.errs, AsErrors(err)...)
		return
	}
	if bp == nil {
		required := true
		if r, ok := e.Attrs.Get("required"); ok {
			if b, isBool := r.Value.(bool); isBool && r.Kind == ScalarNode {
				required = b
			}
		}
		if required {
			v.errs = append(v.errs, e.errorf(idn.Line, "attrs.identifiers", "required blueprint %s does not exist", pyRepr(m)))
		}
		return
	}
	v.add(bp)
}

// tags walks a value and checks its tags: references, models of !Find,
// and !Index/!Value depths (frames: the enclosing !Enumerate tags, true
// where an item is being produced).
func (v *validator) tags(f *vfile, e *Entry, field string, n *Node, frames []bool) {
	if n == nil {
		return
	}
	bad := func(format string, args ...any) {
		if e == nil {
			v.errs = append(v.errs, &Error{File: f.bp.Path, Line: n.Line, Entry: -1, Field: field, Msg: fmt.Sprintf(format, args...)})
			return
		}
		v.errs = append(v.errs, e.errorf(n.Line, field, format, args...))
	}
	switch n.Kind {
	case MapNode:
		for _, p := range n.Pairs {
			v.tags(f, e, field, p.Value, frames)
		}
		return
	case SeqNode:
		for _, it := range n.Items {
			v.tags(f, e, field, it, frames)
		}
		return
	case ScalarNode:
		return
	}
	switch n.Tag {
	case "!KeyOf":
		id, _ := n.Args[0].Value.(string)
		if e == nil {
			// In a context: references are resolved from the reading entry.
			return
		}
		v.keyOf(f, e, field, n, id)
	case "!Find":
		if s, ok := n.Args[0].Value.(string); ok && n.Args[0].Kind == ScalarNode {
			mi := info(strings.ToLower(s))
			if mi == nil {
				bad("!Find: unknown model %s", s)
			} else {
				for _, c := range n.Args[1:] {
					if k, ok := c.Items[0].Value.(string); ok && c.Items[0].Kind == ScalarNode {
						if msg := pathProblem(mi, k); msg != "" {
							bad("!Find: %s", msg)
						}
					}
				}
			}
		}
	case "!Index", "!Value":
		d := int(n.Args[0].Value.(int64))
		switch {
		case len(frames) == 0:
			bad("%s is only usable inside an !Enumerate", n.Tag)
		case d >= len(frames):
			bad("%s: invalid depth %d (max depth here: %d)", n.Tag, d, len(frames)-1)
		case !frames[len(frames)-1-d]:
			bad("%s %d refers to an !Enumerate whose iterable is being evaluated", n.Tag, d)
		}
		return
	case "!Enumerate":
		inner := append(append([]bool(nil), frames...), false)
		v.tags(f, e, field, n.Args[0], inner)
		v.tags(f, e, field, n.Args[1], frames)
		inner[len(inner)-1] = true
		v.tags(f, e, field, n.Args[2], inner)
		return
	}
	for _, a := range n.Args {
		v.tags(f, e, field, a, frames)
	}
}

func (v *validator) keyOf(f *vfile, e *Entry, field string, n *Node, id string) {
	if v.refd == nil {
		v.refd = map[*vfile]map[string]bool{}
		v.edges = map[*Entry][]*Entry{}
	}
	bad := func(format string, args ...any) {
		v.errs = append(v.errs, e.errorf(n.Line, field, format, args...))
	}
	targets := f.ids[id]
	if len(targets) > 0 {
		if v.refd[f] == nil {
			v.refd[f] = map[string]bool{}
		}
		v.refd[f][id] = true
	} else {
		var files []string
		for _, other := range v.files {
			if other != f && len(other.ids[id]) > 0 {
				targets = append(targets, other.ids[id]...)
				files = append(files, other.bp.Path)
			}
		}
		switch {
		case len(files) > 1:
			bad("!KeyOf %s: the id is defined in several other files (%s); it is ambiguous", id, strings.Join(files, ", "))
			return
		case len(targets) == 0:
			bad("!KeyOf %s: no entry has this id", id)
			return
		}
	}
	all := true
	for _, t := range targets {
		all = all && t.State == StateAbsent
		v.edges[e] = append(v.edges[e], t)
	}
	if all {
		bad("!KeyOf %s: %s has state absent, so it designates no object", id, targets[0].label())
	}
}

// duplicates reports ids used by several unconditional entries of a file
// when a !KeyOf refers to them.
func (v *validator) duplicates() {
	for f, ids := range v.refd {
		for _, id := range sortedKeys(ids) {
			var plain []*Entry
			for _, e := range f.ids[id] {
				if len(e.Conditions) == 0 {
					plain = append(plain, e)
				}
			}
			if len(plain) > 1 {
				labels := make([]string, len(plain))
				for i, e := range plain {
					labels[i] = fmt.Sprintf("entries[%d] (line %d)", e.Index, e.Line)
				}
				e := plain[1]
				v.errs = append(v.errs, e.errorf(e.Line, "id", "id %s is used by %s; !KeyOf %s cannot tell them apart", id, strings.Join(labels, " and "), id))
			}
		}
	}
}

// cycles reports !KeyOf reference cycles (strongly connected components).
func (v *validator) cycles() {
	if len(v.edges) == 0 {
		return
	}
	index := map[*Entry]int{}
	low := map[*Entry]int{}
	on := map[*Entry]bool{}
	var stack []*Entry
	next := 0
	var comps [][]*Entry
	var visit func(e *Entry)
	visit = func(e *Entry) {
		index[e], low[e] = next, next
		next++
		stack = append(stack, e)
		on[e] = true
		for _, t := range v.edges[e] {
			if _, seen := index[t]; !seen {
				visit(t)
				low[e] = min(low[e], low[t])
			} else if on[t] {
				low[e] = min(low[e], index[t])
			}
		}
		if low[e] == index[e] {
			var comp []*Entry
			for {
				top := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				on[top] = false
				comp = append(comp, top)
				if top == e {
					break
				}
			}
			self := false
			for _, t := range v.edges[e] {
				self = self || t == e
			}
			if len(comp) > 1 || self {
				comps = append(comps, comp)
			}
		}
	}
	var roots []*Entry
	for e := range v.edges {
		roots = append(roots, e)
	}
	sort.Slice(roots, func(i, j int) bool {
		if roots[i].File != roots[j].File {
			return roots[i].File < roots[j].File
		}
		return roots[i].Index < roots[j].Index
	})
	for _, e := range roots {
		if _, seen := index[e]; !seen {
			visit(e)
		}
	}
	for _, comp := range comps {
		sort.Slice(comp, func(i, j int) bool {
			if comp[i].File != comp[j].File {
				return comp[i].File < comp[j].File
			}
			return comp[i].Index < comp[j].Index
		})
		first := comp[0]
		path := v.cyclePath(first, comp)
		parts := make([]string, 0, len(path)+1)
		for _, e := range path {
			parts = append(parts, e.File+" "+e.label())
		}
		parts = append(parts, parts[0])
		v.errs = append(v.errs, first.errorf(first.Line, "", "!KeyOf cycle: %s", strings.Join(parts, " → ")))
	}
}

// cyclePath is a shortest reference path from start back to itself within
// a strongly connected component, so the message shows a real cycle.
func (v *validator) cyclePath(start *Entry, comp []*Entry) []*Entry {
	in := map[*Entry]bool{}
	for _, e := range comp {
		in[e] = true
	}
	parent := map[*Entry]*Entry{}
	queue := []*Entry{start}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, t := range v.edges[cur] {
			if t == start {
				var path []*Entry
				for e := cur; e != start; e = parent[e] {
					path = append([]*Entry{e}, path...)
				}
				return append([]*Entry{start}, path...)
			}
			if _, seen := parent[t]; seen || !in[t] {
				continue
			}
			parent[t] = cur
			queue = append(queue, t)
		}
	}
	return comp
}
