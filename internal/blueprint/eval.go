package blueprint

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path"
	"strings"
	"unicode/utf8"
)

// evaluator resolves the tags of one entry. Unlike authentik, every value
// below a tag's argument is resolved (authentik leaves tags nested in plain
// lists or mappings inside another tag's arguments unresolved), and errors
// carry the tag's line.
type evaluator struct {
	pl    *planner
	es    *entryState
	model string // the entry's resolved model ("" while resolving it)
	field string // the part being evaluated, for errors
	enum  []*enumFrame
	// sensitive is set when a value came from !Env or !File.
	sensitive bool
	// nullFind: a !Find that matches nothing yields null here (conditions,
	// !If conditions, identifiers of an absent entry).
	nullFind bool
	// apply: unknowns resolve to the objects the apply created.
	apply bool
}

type enumFrame struct {
	has        bool
	key, value any
}

// errDependency marks an entry that failed because an entry it needs
// failed; the root cause is reported on its own.
var errDependency = errors.New("a referenced entry failed")

func (ev *evaluator) errf(n *Node, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	err := ev.es.e.errorf(line, ev.field, format, args...)
	if ev.model != "" {
		err.Model = ev.model
	}
	return err
}

func (ev *evaluator) eval(n *Node) (any, error) {
	if n == nil {
		return nil, nil
	}
	switch n.Kind {
	case ScalarNode:
		return normalize(n.Value), nil
	case MapNode:
		m := make(map[string]any, len(n.Pairs))
		for _, p := range n.Pairs {
			v, err := ev.eval(p.Value)
			if err != nil {
				return nil, err
			}
			m[p.Key] = v
		}
		return m, nil
	case SeqNode:
		l := make([]any, 0, len(n.Items))
		for _, it := range n.Items {
			v, err := ev.eval(it)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		return l, nil
	}
	return ev.tag(n)
}

func (ev *evaluator) tag(n *Node) (any, error) {
	switch n.Tag {
	case "!KeyOf":
		return ev.keyOf(n)
	case "!Env":
		return ev.envTag(n)
	case "!File":
		return ev.fileTag(n)
	case "!Context":
		return ev.contextTag(n)
	case "!Format":
		return ev.format(n)
	case "!Find":
		return ev.find(n)
	case "!Condition":
		return ev.condition(n)
	case "!If":
		return ev.ifTag(n)
	case "!Enumerate":
		return ev.enumerate(n)
	case "!Index", "!Value":
		return ev.item(n)
	case "!AtIndex":
		return ev.atIndex(n)
	case "!ParseJSON":
		return ev.parseJSON(n)
	}
	return nil, ev.errf(n, "unknown tag %s", n.Tag)
}

// keyAndDefault reads the "KEY" or "[KEY, default]" forms of !Env,
// !Context and !File.
func (ev *evaluator) keyAndDefault(n *Node) (string, any, bool, error) {
	if n.Scalar {
		s, _ := n.Args[0].Value.(string)
		return s, nil, false, nil
	}
	k, err := ev.eval(n.Args[0])
	if err != nil {
		return "", nil, false, err
	}
	if _, ok := k.(*Unknown); ok {
		return "", nil, false, ev.errf(n, "%s: the key cannot be a value known only after apply", n.Tag)
	}
	def, err := ev.eval(n.Args[1])
	if err != nil {
		return "", nil, false, err
	}
	return keyString(k), def, true, nil
}

func (ev *evaluator) keyOf(n *Node) (any, error) {
	id, _ := n.Args[0].Value.(string)
	target, err := ev.pl.keyOfTarget(ev.es, id, n)
	if err != nil {
		return nil, err
	}
	field := ""
	// authentik: a policy binding's target takes the policy binding
	// model's key, not the pk (a flow's pbm_uuid). It tests the raw model
	// string; we test the resolved model.
	if ev.model == "authentik_policies.policybinding" {
		if mi := info(target.model); mi != nil && mi.pbmField != "" && mi.pbmField != mi.pkField {
			field = mi.pbmField
		}
	}
	return ev.pl.objectKey(ev, target, field, n)
}

func (ev *evaluator) envTag(n *Node) (any, error) {
	key, def, _, err := ev.keyAndDefault(n)
	if err != nil {
		return nil, err
	}
	ev.sensitive = true
	// authentik: os.getenv(key) or default, so an empty variable also
	// yields the default.
	if v, ok := ev.pl.env(key); ok && v != "" {
		return v, nil
	}
	return def, nil
}

func (ev *evaluator) fileTag(n *Node) (any, error) {
	p, def, hasDefault, err := ev.keyAndDefault(n)
	if err != nil {
		return nil, err
	}
	ev.sensitive = true
	data, err := ev.pl.readFile(p)
	if err != nil {
		if hasDefault {
			return def, nil
		}
		return nil, ev.errf(n, "!File %s: %v (give a default with !File [path, default])", p, err)
	}
	if !utf8.Valid(data) {
		return nil, ev.errf(n, "!File %s: not UTF-8 text", p)
	}
	return strings.TrimSpace(string(data)), nil
}

func (ev *evaluator) contextTag(n *Node) (any, error) {
	key, def, _, err := ev.keyAndDefault(n)
	if err != nil {
		return nil, err
	}
	if v, ok := ev.es.f.ctx.Get(key); ok {
		return ev.eval(v)
	}
	return def, nil
}

func (ev *evaluator) format(n *Node) (any, error) {
	f, err := ev.eval(n.Args[0])
	if err != nil {
		return nil, err
	}
	fs, ok := f.(string)
	if !ok {
		return nil, ev.errf(n, "!Format: the format must be a string, not %s", pyTypeName(f))
	}
	args := make([]any, 0, len(n.Args)-1)
	for _, a := range n.Args[1:] {
		v, err := ev.eval(a)
		if err != nil {
			return nil, err
		}
		if u := firstUnknown(v); u != nil {
			return &Unknown{Entry: u.Entry, ref: u.ref, field: u.field, derived: true}, nil
		}
		args = append(args, v)
	}
	s, err := pyPercent(fs, args)
	if err != nil {
		return nil, ev.errf(n, "!Format: %v", err)
	}
	return s, nil
}

func firstUnknown(v any) *Unknown {
	switch x := v.(type) {
	case *Unknown:
		return x
	case map[string]any:
		for _, k := range sortedKeys(x) {
			if u := firstUnknown(x[k]); u != nil {
				return u
			}
		}
	case []any:
		for _, it := range x {
			if u := firstUnknown(it); u != nil {
				return u
			}
		}
	}
	return nil
}

func (ev *evaluator) find(n *Node) (any, error) {
	mv, err := ev.eval(n.Args[0])
	if err != nil {
		return nil, err
	}
	model, ok := mv.(string)
	if !ok {
		return nil, ev.errf(n, "!Find: the model must be a string, not %s", pyTypeName(mv))
	}
	model = strings.ToLower(model)
	if info(model) == nil {
		return nil, ev.errf(n, "!Find: unknown model %s", model)
	}
	conds := make([]cond, 0, len(n.Args)-1)
	for _, c := range n.Args[1:] {
		k, err := ev.eval(c.Items[0])
		if err != nil {
			return nil, err
		}
		ks, ok := k.(string)
		if !ok {
			return nil, ev.errf(c, "!Find: a condition's field must be a string, not %s", pyTypeName(k))
		}
		v, err := ev.eval(c.Items[1])
		if err != nil {
			return nil, err
		}
		conds = append(conds, cond{path: ks, value: v})
	}
	return ev.pl.find(ev, n, model, conds)
}

func (ev *evaluator) condition(n *Node) (any, error) {
	mode := strings.ToUpper(n.Args[0].Value.(string))
	vals := make([]bool, 0, len(n.Args)-1)
	saved := ev.nullFind
	ev.nullFind = true
	defer func() { ev.nullFind = saved }()
	for _, a := range n.Args[1:] {
		v, err := ev.eval(a)
		if err != nil {
			return nil, err
		}
		vals = append(vals, truthy(v))
	}
	all, any, parity := true, false, false
	for _, b := range vals {
		all = all && b
		any = any || b
		parity = parity != b
	}
	switch mode {
	case "AND":
		return all, nil
	case "NAND":
		return !all, nil
	case "OR":
		return any, nil
	case "NOR":
		return !any, nil
	case "XOR":
		return parity, nil
	}
	return !parity, nil // XNOR
}

func (ev *evaluator) ifTag(n *Node) (any, error) {
	saved := ev.nullFind
	ev.nullFind = true
	c, err := ev.eval(n.Args[0])
	ev.nullFind = saved
	if err != nil {
		return nil, err
	}
	if len(n.Args) == 1 {
		return truthy(c), nil
	}
	if truthy(c) {
		return ev.eval(n.Args[1])
	}
	return ev.eval(n.Args[2])
}

func (ev *evaluator) enumerate(n *Node) (any, error) {
	if it := n.Args[0]; it.Kind == TagNode && (it.Tag == "!Index" || it.Tag == "!Value") && it.Args[0].Value == int64(0) {
		return nil, ev.errf(n, "!Enumerate's iterable is this tag's own %s 0, which is a no-op; use a depth above 0", it.Tag)
	}
	frame := &enumFrame{}
	ev.enum = append(ev.enum, frame)
	defer func() { ev.enum = ev.enum[:len(ev.enum)-1] }()
	iter, err := ev.eval(n.Args[0])
	if err != nil {
		return nil, err
	}
	type kv struct{ k, v any }
	var items []kv
	switch x := iter.(type) {
	case map[string]any:
		for _, k := range ev.orderedKeys(n.Args[0], x) {
			items = append(items, kv{k, x[k]})
		}
	case []any:
		for i, v := range x {
			items = append(items, kv{int64(i), v})
		}
	case string:
		i := int64(0)
		for _, r := range x {
			items = append(items, kv{i, string(r)})
			i++
		}
	case *Unknown:
		return nil, ev.errf(n, "!Enumerate: cannot iterate over a value known only after apply")
	default:
		return nil, ev.errf(n, "!Enumerate's iterable must be a sequence or a mapping, not %s", pyTypeName(iter))
	}
	mode := strings.ToUpper(n.Args[1].Value.(string))
	var seq []any
	out := map[string]any{}
	if mode == "SEQ" {
		seq = make([]any, 0, len(items))
	}
	for _, it := range items {
		frame.has, frame.key, frame.value = true, it.k, it.v
		body, err := ev.eval(n.Args[2])
		if err != nil {
			return nil, err
		}
		if mode == "SEQ" {
			seq = append(seq, body)
			continue
		}
		switch b := body.(type) {
		case []any:
			if len(b) != 2 {
				return nil, ev.errf(n, "invalid !Enumerate MAP item %s: a pair must have 2 items", pyRepr(b))
			}
			switch b[0].(type) {
			case []any, map[string]any, *Unknown:
				return nil, ev.errf(n, "invalid !Enumerate MAP item %s: the key must be a scalar", pyRepr(b))
			}
			out = deepMerge(out, map[string]any{keyString(b[0]): b[1]}).(map[string]any)
		case map[string]any:
			out = deepMerge(out, b).(map[string]any)
		default:
			return nil, ev.errf(n, "invalid !Enumerate MAP item %s: the body must give a [key, value] pair or a mapping", pyRepr(body))
		}
	}
	frame.has = false
	if mode == "SEQ" {
		return seq, nil
	}
	return out, nil
}

// orderedKeys keeps a mapping's written order when the iterable is a
// literal mapping or a context value; computed mappings go in key order.
func (ev *evaluator) orderedKeys(n *Node, m map[string]any) []string {
	src := n
	if n.Kind == TagNode && n.Tag == "!Context" && n.Scalar {
		key, _ := n.Args[0].Value.(string)
		if v, ok := ev.es.f.ctx.Get(key); ok {
			src = v
		}
	}
	if src.Kind == MapNode && len(src.Pairs) == len(m) {
		keys := make([]string, 0, len(src.Pairs))
		seen := map[string]bool{}
		for _, p := range src.Pairs {
			if _, ok := m[p.Key]; ok && !seen[p.Key] {
				seen[p.Key] = true
				keys = append(keys, p.Key)
			}
		}
		if len(keys) == len(m) {
			return keys
		}
	}
	return sortedKeys(m)
}

func (ev *evaluator) item(n *Node) (any, error) {
	depth := int(n.Args[0].Value.(int64))
	if len(ev.enum) == 0 {
		return nil, ev.errf(n, "%s is only usable inside an !Enumerate", n.Tag)
	}
	if depth >= len(ev.enum) {
		return nil, ev.errf(n, "%s: invalid depth %d (max depth here: %d)", n.Tag, depth, len(ev.enum)-1)
	}
	f := ev.enum[len(ev.enum)-1-depth]
	if !f.has {
		return nil, ev.errf(n, "%s %d refers to an !Enumerate whose iterable is being evaluated", n.Tag, depth)
	}
	if n.Tag == "!Index" {
		return f.key, nil
	}
	return f.value, nil
}

func (ev *evaluator) atIndex(n *Node) (any, error) {
	obj, err := ev.eval(n.Args[0])
	if err != nil {
		return nil, err
	}
	attr, err := ev.eval(n.Args[1])
	if err != nil {
		return nil, err
	}
	missing := func(format string, args ...any) (any, error) {
		if len(n.Args) == 3 {
			return ev.eval(n.Args[2])
		}
		return nil, ev.errf(n, "!AtIndex: "+format, args...)
	}
	switch x := obj.(type) {
	case []any:
		i, ok := asInt(attr)
		if !ok {
			return nil, ev.errf(n, "!AtIndex: invalid index for a list: %s", pyRepr(attr))
		}
		if i < 0 {
			i += int64(len(x))
		}
		if i < 0 || i >= int64(len(x)) {
			return missing("index out of range: %s", pyRepr(attr))
		}
		return x[i], nil
	case map[string]any:
		switch attr.(type) {
		case []any, map[string]any, *Unknown:
			return nil, ev.errf(n, "!AtIndex: invalid key for a mapping: %s", pyRepr(attr))
		}
		if v, ok := x[keyString(attr)]; ok {
			return v, nil
		}
		return missing("key does not exist: %s", pyRepr(attr))
	}
	return nil, ev.errf(n, "!AtIndex needs a sequence or a mapping, not %s", pyTypeName(obj))
}

func (ev *evaluator) parseJSON(n *Node) (any, error) {
	var raw string
	if n.Scalar {
		raw, _ = n.Args[0].Value.(string)
	} else {
		v, err := ev.eval(n.Args[0])
		if err != nil {
			return nil, err
		}
		s, ok := v.(string)
		if !ok {
			return nil, ev.errf(n, "!ParseJSON needs a string, not %s", pyTypeName(v))
		}
		raw = s
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, ev.errf(n, "!ParseJSON: invalid JSON: %v", err)
	}
	if dec.More() {
		return nil, ev.errf(n, "!ParseJSON: invalid JSON: text after the value")
	}
	return normalize(v), nil
}

// readFile reads a !File path: through Options.Files when set (paths
// relative to it; a leading / is dropped), else from the local disk.
func (pl *planner) readFile(p string) ([]byte, error) {
	if pl.opts.Files == nil {
		return os.ReadFile(p)
	}
	return fs.ReadFile(pl.opts.Files, fsPath(p))
}

// fsPath turns a blueprint path into an fs.FS path.
func fsPath(p string) string {
	p = path.Clean("/" + strings.ReplaceAll(p, "\\", "/"))
	return strings.TrimPrefix(p, "/")
}
