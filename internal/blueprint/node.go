package blueprint

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// NodeKind says what a Node holds.
type NodeKind uint8

const (
	// ScalarNode holds a plain value: nil, bool, int64, float64 or string
	// (or, for context given as Go values, any JSON-like value).
	ScalarNode NodeKind = iota
	// MapNode holds ordered key/value pairs.
	MapNode
	// SeqNode holds items.
	SeqNode
	// TagNode is a blueprint tag (!KeyOf, !Find, ...) with its arguments.
	TagNode
)

// Node is a parsed, unevaluated blueprint value. It keeps the line and
// column of the YAML it came from, so evaluation errors can point at it.
type Node struct {
	Kind NodeKind
	// Scalar: see Tag. It sits next to Kind so that a Node takes 128
	// bytes, not 144: a large blueprint holds a million of them.
	Scalar       bool
	Line, Column int
	Value        any     // ScalarNode
	Pairs        []Pair  // MapNode
	Items        []*Node // SeqNode
	// Tag is the tag's name ("!KeyOf"); Args its arguments: the scalar
	// when Scalar is true (written "!KeyOf x"), else the sequence items
	// (written "!Find [a, [b, c]]").
	Tag  string
	Args []*Node
}

// Pair is one key of a mapping.
type Pair struct {
	Key   string
	Line  int
	Value *Node
}

// Get returns a mapping's value for key.
func (n *Node) Get(key string) (*Node, bool) {
	if n == nil || n.Kind != MapNode {
		return nil, false
	}
	for i := len(n.Pairs) - 1; i >= 0; i-- { // the last duplicate wins, as in PyYAML
		if n.Pairs[i].Key == key {
			return n.Pairs[i].Value, true
		}
	}
	return nil, false
}

// HasTags reports whether the node or anything below it is a tag.
func (n *Node) HasTags() bool {
	if n == nil {
		return false
	}
	switch n.Kind {
	case TagNode:
		return true
	case MapNode:
		for _, p := range n.Pairs {
			if p.Value.HasTags() {
				return true
			}
		}
	case SeqNode:
		for _, it := range n.Items {
			if it.HasTags() {
				return true
			}
		}
	}
	return false
}

// Plain returns the node as a Go value when it has no tags.
func (n *Node) Plain() (any, bool) {
	if n.HasTags() {
		return nil, false
	}
	return n.plain(), true
}

func (n *Node) plain() any {
	if n == nil {
		return nil
	}
	switch n.Kind {
	case MapNode:
		m := make(map[string]any, len(n.Pairs))
		for _, p := range n.Pairs {
			m[p.Key] = p.Value.plain()
		}
		return m
	case SeqNode:
		l := make([]any, len(n.Items))
		for i, it := range n.Items {
			l[i] = it.plain()
		}
		return l
	}
	return n.Value
}

// literal turns a Go value (Options.Context) into a Node.
func literal(v any) *Node {
	switch x := v.(type) {
	case *Node:
		return x
	case map[string]any:
		n := &Node{Kind: MapNode}
		for _, k := range sortedKeys(x) {
			n.Pairs = append(n.Pairs, Pair{Key: k, Value: literal(x[k])})
		}
		return n
	case []any:
		n := &Node{Kind: SeqNode}
		for _, it := range x {
			n.Items = append(n.Items, literal(it))
		}
		return n
	case []string:
		n := &Node{Kind: SeqNode}
		for _, it := range x {
			n.Items = append(n.Items, literal(it))
		}
		return n
	case map[string]string:
		m := make(map[string]any, len(x))
		for k, s := range x {
			m[k] = s
		}
		return literal(m)
	case int:
		return &Node{Kind: ScalarNode, Value: int64(x)}
	}
	return &Node{Kind: ScalarNode, Value: v}
}

// converter turns yaml.v3 nodes into Nodes, resolving plain scalars the way
// PyYAML's SafeLoader (YAML 1.1) does, which is what authentik uses.
type converter struct {
	file   string
	errs   Errors
	depth  int
	issues *Errors // duplicate keys: reported by Validate, not fatal
	// release: the yaml.v3 tree is the converter's own, and each converted
	// child is cut from its parent, so the tree of a large file (about 20
	// times the size of its text) is collected while the Node tree grows
	// instead of both being held at once. anchored counts the anchored
	// subtrees being converted: those are converted again for each alias
	// to them and must stay whole.
	release  bool
	anchored int
}

// done cuts child i of y once converted (see converter.release).
func (c *converter) done(y *yaml.Node, i int) {
	if c.release && c.anchored == 0 {
		y.Content[i] = nil
	}
}

const maxDepth = 500

func (c *converter) fail(line int, format string, args ...any) {
	c.errs = append(c.errs, &Error{File: c.file, Line: line, Entry: -1, Msg: fmt.Sprintf(format, args...)})
}

func (c *converter) node(y *yaml.Node) *Node {
	c.depth++
	defer func() { c.depth-- }()
	if c.depth > maxDepth {
		c.fail(y.Line, "document nests too deeply (recursive alias?)")
		return &Node{Kind: ScalarNode, Line: y.Line, Column: y.Column}
	}
	if y.Anchor != "" {
		c.anchored++
		defer func() { c.anchored-- }()
	}
	if y.Kind == yaml.AliasNode {
		if y.Alias == nil {
			c.fail(y.Line, "unknown alias %q", y.Value)
			return &Node{Kind: ScalarNode, Line: y.Line, Column: y.Column}
		}
		return c.node(y.Alias)
	}
	if y.Kind == yaml.DocumentNode {
		if len(y.Content) == 0 {
			return &Node{Kind: ScalarNode, Line: y.Line, Column: y.Column}
		}
		return c.node(y.Content[0])
	}
	if strings.HasPrefix(y.Tag, "!") && !strings.HasPrefix(y.Tag, "!!") {
		return c.tag(y)
	}
	if (y.Kind == yaml.MappingNode && y.Tag != "!!map") || (y.Kind == yaml.SequenceNode && y.Tag != "!!seq") {
		// SafeLoader knows no other collection types (!!python/..., !!set).
		c.fail(y.Line, "unsupported YAML tag %s", y.Tag)
		return &Node{Kind: ScalarNode, Line: y.Line, Column: y.Column}
	}
	switch y.Kind {
	case yaml.MappingNode:
		return c.mapping(y)
	case yaml.SequenceNode:
		n := &Node{Kind: SeqNode, Line: y.Line, Column: y.Column, Items: make([]*Node, 0, len(y.Content))}
		for i, it := range y.Content {
			n.Items = append(n.Items, c.node(it))
			c.done(y, i)
		}
		return n
	default:
		v, err := scalarValue(y)
		if err != nil {
			c.fail(y.Line, "%v", err)
		}
		return &Node{Kind: ScalarNode, Line: y.Line, Column: y.Column, Value: v}
	}
}

func (c *converter) mapping(y *yaml.Node) *Node {
	n := &Node{Kind: MapNode, Line: y.Line, Column: y.Column}
	seen := map[string]int{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(y.Content); i += 2 {
		k, v := y.Content[i], y.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			merges = append(merges, v)
			continue
		}
		key, ok := c.key(k)
		if !ok {
			continue
		}
		if line, dup := seen[key]; dup && c.issues != nil {
			*c.issues = append(*c.issues, &Error{File: c.file, Line: k.Line, Entry: -1,
				Msg: fmt.Sprintf("duplicate key %q (also on line %d); the last one wins", key, line)})
		}
		seen[key] = k.Line
		n.Pairs = append(n.Pairs, Pair{Key: key, Line: k.Line, Value: c.node(v)})
		c.done(y, i)
		c.done(y, i+1)
	}
	// Merge keys (<<) add the keys the mapping does not set itself; with a
	// list of mappings, earlier ones win, as in YAML 1.1.
	for _, m := range merges {
		srcs := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			srcs = m.Content
		}
		for _, s := range srcs {
			sn := c.node(s)
			if sn.Kind != MapNode {
				c.fail(s.Line, "merge key (<<) needs a mapping")
				continue
			}
			for _, p := range sn.Pairs {
				if _, ok := seen[p.Key]; ok {
					continue
				}
				seen[p.Key] = p.Line
				n.Pairs = append(n.Pairs, p)
			}
		}
	}
	return n
}

// key renders a mapping key as a string: blueprints are JSON-shaped, so
// keys are strings; other scalars are spelled as JSON would.
func (c *converter) key(k *yaml.Node) (string, bool) {
	if k.Kind == yaml.AliasNode && k.Alias != nil {
		k = k.Alias
	}
	if k.Kind != yaml.ScalarNode || (strings.HasPrefix(k.Tag, "!") && !strings.HasPrefix(k.Tag, "!!")) {
		c.fail(k.Line, "mapping keys must be plain scalars")
		return "", false
	}
	v, err := scalarValue(k)
	if err != nil {
		c.fail(k.Line, "%v", err)
		return "", false
	}
	return keyString(v), true
}

func keyString(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case bool:
		if x {
			return "true"
		}
		return "false"
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return pyFloatRepr(x)
	}
	return fmt.Sprint(v)
}

func (c *converter) tag(y *yaml.Node) *Node {
	n := &Node{Kind: TagNode, Line: y.Line, Column: y.Column, Tag: y.Tag}
	before := len(c.errs)
	spec, ok := tagSpecs[y.Tag]
	if !ok {
		c.fail(y.Line, "unknown tag %s (known: %s)", y.Tag, knownTags())
		return n
	}
	switch y.Kind {
	case yaml.ScalarNode:
		if !spec.scalar {
			c.fail(y.Line, "%s takes a sequence: %s", y.Tag, spec.usage)
			return n
		}
		n.Scalar = true
		// Scalar arguments are the raw text, as authentik reads node.value.
		n.Args = []*Node{{Kind: ScalarNode, Line: y.Line, Column: y.Column, Value: y.Value}}
	case yaml.SequenceNode:
		if spec.minArgs == 0 && spec.maxArgs == 0 {
			c.fail(y.Line, "%s takes a scalar: %s", y.Tag, spec.usage)
			return n
		}
		for _, it := range y.Content {
			n.Args = append(n.Args, c.node(it))
		}
		if len(n.Args) < spec.minArgs || (spec.maxArgs >= 0 && len(n.Args) > spec.maxArgs) || (spec.argCounts != nil && !spec.argCounts[len(n.Args)]) {
			c.fail(y.Line, "%s: wrong number of arguments (%d): %s", y.Tag, len(n.Args), spec.usage)
		}
	default:
		c.fail(y.Line, "%s cannot take a mapping: %s", y.Tag, spec.usage)
	}
	if spec.check != nil && len(c.errs) == before {
		if msg := spec.check(n); msg != "" {
			c.fail(y.Line, "%s: %s", y.Tag, msg)
		}
	}
	return n
}

// YAML 1.1 implicit types, as PyYAML's resolver defines them. yaml.v3
// follows YAML 1.2, which differs for yes/no/on/off, octal, underscores,
// sexagesimal numbers and exponents without a dot.
var (
	reBool  = regexp.MustCompile(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`)
	reInt   = regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`)
	reFloat = regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)
	reNull  = regexp.MustCompile(`^(?:~|null|Null|NULL|)$`)
)

func scalarValue(y *yaml.Node) (any, error) {
	if y.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return y.Value, nil
	}
	switch y.Tag {
	case "", "!!str", "!!int", "!!float", "!!bool", "!!null", "!!timestamp":
	case "!!binary":
		return y.Value, nil
	default:
		return nil, fmt.Errorf("unsupported YAML tag %s", y.Tag)
	}
	return resolvePlain(y.Value), nil
}

// resolvePlain gives an unquoted scalar its YAML 1.1 type.
func resolvePlain(s string) any {
	if s == "" {
		return nil
	}
	// Most scalars are words: only a few first characters can start
	// anything but a string, so the expressions run rarely.
	c := s[0]
	switch {
	case c >= '0' && c <= '9', c == '+', c == '-', c == '.':
	case len(s) <= 5 && strings.IndexByte("~nNyYtTfFoO", c) >= 0:
	default:
		return s
	}
	switch {
	case reNull.MatchString(s):
		return nil
	case reBool.MatchString(s):
		switch s[0] {
		case 'y', 'Y', 't', 'T':
			return true
		case 'o', 'O':
			return s == "on" || s == "On" || s == "ON"
		}
		return false
	case reInt.MatchString(s):
		if v, ok := parseInt11(s); ok {
			return v
		}
	case reFloat.MatchString(s):
		if v, ok := parseFloat11(s); ok {
			return v
		}
	}
	return s
}

func parseInt11(s string) (int64, bool) {
	s = strings.ReplaceAll(s, "_", "")
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	var v int64
	var err error
	switch {
	case strings.HasPrefix(s, "0b"):
		v, err = strconv.ParseInt(s[2:], 2, 64)
	case strings.HasPrefix(s, "0x"):
		v, err = strconv.ParseInt(s[2:], 16, 64)
	case strings.Contains(s, ":"):
		for _, part := range strings.Split(s, ":") {
			d, e := strconv.ParseInt(part, 10, 64)
			if e != nil {
				return 0, false
			}
			v = v*60 + d
		}
	case len(s) > 1 && s[0] == '0':
		v, err = strconv.ParseInt(s[1:], 8, 64)
	default:
		v, err = strconv.ParseInt(s, 10, 64)
	}
	if err != nil {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

func parseFloat11(s string) (float64, bool) {
	s = strings.ReplaceAll(s, "_", "")
	switch strings.ToLower(strings.TrimLeft(s, "+-")) {
	case ".inf":
		if strings.HasPrefix(s, "-") {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	case ".nan":
		return math.NaN(), true
	}
	if strings.Contains(s, ":") {
		neg := strings.HasPrefix(s, "-")
		s = strings.TrimLeft(s, "+-")
		var v float64
		for _, part := range strings.Split(s, ":") {
			d, err := strconv.ParseFloat(part, 64)
			if err != nil {
				return 0, false
			}
			v = v*60 + d
		}
		if neg {
			v = -v
		}
		return v, true
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}
