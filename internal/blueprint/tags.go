package blueprint

import (
	"sort"
	"strconv"
	"strings"
)

// tagSpec describes the argument forms of one tag. Parse checks them, so a
// malformed tag is an error with its line before anything is evaluated
// (authentik crashes on most of these at load or apply time).
type tagSpec struct {
	// scalar: accepts the scalar form ("!KeyOf x").
	scalar bool
	// minArgs/maxArgs bound the sequence form (maxArgs -1: unbounded;
	// both 0: no sequence form); argCounts, when set, lists the allowed
	// counts exactly.
	minArgs, maxArgs int
	argCounts        map[int]bool
	usage            string
	// later marks tags added after authentik 2023.10 (accepted as
	// extensions, documented in docs/blueprints.md).
	later bool
	check func(n *Node) string
}

var tagSpecs = map[string]tagSpec{
	"!KeyOf":   {scalar: true, usage: "!KeyOf <entry id>"},
	"!Env":     {scalar: true, minArgs: 2, maxArgs: 2, usage: "!Env NAME or !Env [NAME, default]"},
	"!File":    {scalar: true, minArgs: 2, maxArgs: 2, usage: "!File /path or !File [/path, default]", later: true},
	"!Context": {scalar: true, minArgs: 2, maxArgs: 2, usage: "!Context key or !Context [key, default]"},
	"!Format":  {minArgs: 1, maxArgs: -1, usage: "!Format [format, arg, ...]"},
	"!Find":    {minArgs: 1, maxArgs: -1, usage: "!Find [model, [field, value], ...]", check: checkFind},
	"!Condition": {minArgs: 2, maxArgs: -1, usage: "!Condition [AND|NAND|OR|NOR|XOR|XNOR, value, ...]",
		check: checkMode(conditionModes)},
	"!If":        {minArgs: 1, maxArgs: 3, argCounts: map[int]bool{1: true, 3: true}, usage: "!If [condition] or !If [condition, when true, when false]"},
	"!Enumerate": {minArgs: 3, maxArgs: 3, usage: "!Enumerate [iterable, SEQ|MAP, body]", check: checkEnumerate},
	"!Index":     {scalar: true, usage: "!Index <depth>", check: checkDepth},
	"!Value":     {scalar: true, usage: "!Value <depth>", check: checkDepth},
	"!AtIndex":   {minArgs: 2, maxArgs: 3, usage: "!AtIndex [sequence or mapping, index or key] or !AtIndex [..., ..., default]", later: true},
	"!ParseJSON": {scalar: true, minArgs: 1, maxArgs: 1, usage: "!ParseJSON '<json>' or !ParseJSON [value]", later: true},
}

var conditionModes = map[string]bool{"AND": true, "NAND": true, "OR": true, "NOR": true, "XOR": true, "XNOR": true}

func knownTags() string {
	names := make([]string, 0, len(tagSpecs))
	for k := range tagSpecs {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// checkMode requires the first argument to be one of modes, written
// plainly: authentik upper-cases it without resolving tags.
func checkMode(modes map[string]bool) func(*Node) string {
	return func(n *Node) string {
		s, ok := n.Args[0].Value.(string)
		if n.Args[0].Kind != ScalarNode || !ok {
			return "the mode must be a plain string"
		}
		if !modes[strings.ToUpper(s)] {
			return "unknown mode " + strconv.Quote(s) + " (one of " + modeList(modes) + ")"
		}
		return ""
	}
}

func modeList(m map[string]bool) string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

func checkEnumerate(n *Node) string {
	return checkMode(map[string]bool{"SEQ": true, "MAP": true})(&Node{Args: n.Args[1:]})
}

func checkDepth(n *Node) string {
	s, _ := n.Args[0].Value.(string)
	d, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || d < 0 {
		return "the depth must be a non-negative integer, not " + strconv.Quote(s)
	}
	n.Args[0] = &Node{Kind: ScalarNode, Line: n.Line, Column: n.Column, Value: int64(d)}
	return ""
}

func checkFind(n *Node) string {
	for i, c := range n.Args[1:] {
		if c.Kind != SeqNode || len(c.Items) != 2 {
			return "condition " + strconv.Itoa(i+1) + " must be a [field, value] pair"
		}
	}
	return ""
}
