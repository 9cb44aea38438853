package blueprint

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Blueprint is one parsed blueprint file.
type Blueprint struct {
	// Path names the file in errors ("-" for stdin).
	Path     string
	Version  int
	Metadata Metadata
	// HasMetadata tells a file without a metadata block from one with an
	// empty name (discovery names instances after the path then).
	HasMetadata bool
	// Context is the file's context, unevaluated: plain values as Go
	// values, values holding tags as *Node. ContextNode is the whole block.
	Context     map[string]any
	ContextNode *Node
	Entries     []*Entry
	// Issues are problems authentik silently ignores (unknown keys,
	// duplicate keys, permissions of a later version). Validate and Plan
	// report them as errors; Parse does not fail on them, so discovery
	// can still list such a file.
	Issues Errors
}

// Metadata is the blueprint's metadata block.
type Metadata struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels,omitempty"`
}

// The entry states.
const (
	StatePresent     = "present"
	StateCreated     = "created"
	StateMustCreated = "must_created"
	StateAbsent      = "absent"
)

var states = map[string]bool{StatePresent: true, StateCreated: true, StateMustCreated: true, StateAbsent: true}

// Entry is one entry of a blueprint, unevaluated.
type Entry struct {
	// File is the blueprint's Path; Index the entry's position in its file
	// (0-based, counted across sections); Line its line.
	File  string
	Index int
	Line  int
	ID    string
	// Model and State are the written values, lower-cased; empty when
	// written as a tag (ModelNode/StateNode then hold the tag). State is
	// "present" when omitted.
	Model     string
	State     string
	ModelNode *Node
	StateNode *Node
	// Conditions, Identifiers and Attrs are the unevaluated values;
	// Identifiers and Attrs are mappings (possibly empty, never nil).
	Conditions  []*Node
	Identifiers *Node
	Attrs       *Node
	// Section is the section name when entries are given as a mapping of
	// sections (a later authentik form).
	Section string
}

// label names the entry in messages: "entries[3] (id flow)".
func (e *Entry) label() string {
	s := "entries[" + strconv.Itoa(e.Index) + "]"
	if e.ID != "" {
		s += " (id " + e.ID + ")"
	}
	return s
}

// errorf makes an Error located at the entry (line: the node's when known).
func (e *Entry) errorf(line int, field, format string, args ...any) *Error {
	if line == 0 {
		line = e.Line
	}
	return &Error{File: e.File, Line: line, Entry: e.Index, ID: e.ID, Model: e.Model, Field: field, Msg: fmt.Sprintf(format, args...)}
}

var (
	topKeys   = map[string]bool{"version": true, "metadata": true, "context": true, "entries": true}
	entryKeys = map[string]bool{"model": true, "state": true, "conditions": true, "identifiers": true, "attrs": true, "id": true}
)

// Parse reads one blueprint file. It fails on what authentik cannot load
// (invalid YAML, unknown or malformed tags, wrong types of the known keys)
// with every such problem listed; what authentik would silently ignore is
// kept in Blueprint.Issues.
func Parse(path string, data []byte) (*Blueprint, error) {
	bp := &Blueprint{Path: path, Version: 1, Context: map[string]any{}}
	fail := func(line int, format string, args ...any) error {
		return Errors{{File: path, Line: line, Entry: -1, Msg: fmt.Sprintf(format, args...)}}
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if err.Error() == "EOF" {
			return nil, fail(0, "empty blueprint")
		}
		return nil, fail(yamlErrorLine(err), "invalid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, fail(extra.Line, "more than one YAML document")
	}
	c := &converter{file: path, issues: &bp.Issues, release: true}
	root := c.node(&doc)
	if len(c.errs) > 0 {
		return nil, c.errs.sorted()
	}
	if root.Kind == ScalarNode && root.Value == nil {
		return nil, fail(root.Line, "empty blueprint")
	}
	if root.Kind != MapNode {
		return nil, fail(root.Line, "a blueprint must be a mapping with version, metadata, context and entries")
	}
	var errs Errors
	bad := func(line int, field, format string, args ...any) {
		errs = append(errs, &Error{File: path, Line: line, Entry: -1, Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	for _, p := range root.Pairs {
		if !topKeys[p.Key] {
			bp.Issues = append(bp.Issues, &Error{File: path, Line: p.Line, Entry: -1,
				Msg: fmt.Sprintf("unknown key %q (known: context, entries, metadata, version); authentik ignores it", p.Key)})
		}
	}
	if v, ok := root.Get("version"); ok {
		n, isInt := v.Value.(int64)
		if v.Kind != ScalarNode || !isInt {
			bad(v.Line, "version", "must be an integer")
		} else {
			bp.Version = int(n)
		}
	}
	if m, ok := root.Get("metadata"); ok && !(m.Kind == ScalarNode && m.Value == nil) {
		bp.HasMetadata = true
		parseMetadata(bp, m, bad)
	}
	if cn, ok := root.Get("context"); ok {
		if cn.Kind != MapNode {
			bad(cn.Line, "context", "must be a mapping")
		} else {
			bp.ContextNode = cn
			for _, p := range cn.Pairs {
				if v, plain := p.Value.Plain(); plain {
					bp.Context[p.Key] = v
				} else {
					bp.Context[p.Key] = p.Value
				}
			}
		}
	}
	en, ok := root.Get("entries")
	switch {
	case !ok:
	case en.Kind == SeqNode:
		for _, it := range en.Items {
			parseEntry(bp, it, "", &errs)
		}
	case en.Kind == MapNode:
		for _, sec := range en.Pairs {
			if sec.Value.Kind != SeqNode {
				bad(sec.Line, "entries."+sec.Key, "a section must be a list of entries")
				continue
			}
			for _, it := range sec.Value.Items {
				parseEntry(bp, it, sec.Key, &errs)
			}
		}
	default:
		bad(en.Line, "entries", "must be a list of entries")
	}
	if len(errs) > 0 {
		return nil, errs.sorted()
	}
	return bp, nil
}

func parseMetadata(bp *Blueprint, m *Node, bad func(int, string, string, ...any)) {
	if m.Kind != MapNode {
		bad(m.Line, "metadata", "must be a mapping with name and labels")
		return
	}
	name, ok := m.Get("name")
	if !ok {
		bad(m.Line, "metadata.name", "is required")
	} else if s, isStr := name.Value.(string); name.Kind != ScalarNode || !isStr {
		bad(name.Line, "metadata.name", "must be a string")
	} else {
		bp.Metadata.Name = s
	}
	if l, ok := m.Get("labels"); ok && !(l.Kind == ScalarNode && l.Value == nil) {
		if l.Kind != MapNode {
			bad(l.Line, "metadata.labels", "must be a mapping of strings")
		} else {
			bp.Metadata.Labels = map[string]string{}
			for _, p := range l.Pairs {
				s, isStr := p.Value.Value.(string)
				if p.Value.Kind != ScalarNode || !isStr {
					bad(p.Line, "metadata.labels."+p.Key, "must be a string (quote it)")
					continue
				}
				bp.Metadata.Labels[p.Key] = s
			}
		}
	}
	for _, p := range m.Pairs {
		if p.Key != "name" && p.Key != "labels" {
			bp.Issues = append(bp.Issues, &Error{File: bp.Path, Line: p.Line, Entry: -1, Field: "metadata",
				Msg: fmt.Sprintf("unknown key %q (known: labels, name); authentik ignores it", p.Key)})
		}
	}
}

func parseEntry(bp *Blueprint, n *Node, section string, errs *Errors) {
	e := &Entry{File: bp.Path, Index: len(bp.Entries), Line: n.Line, State: StatePresent, Section: section,
		Identifiers: &Node{Kind: MapNode, Line: n.Line}, Attrs: &Node{Kind: MapNode, Line: n.Line}}
	bad := func(line int, field, format string, args ...any) {
		err := e.errorf(line, field, format, args...)
		*errs = append(*errs, err)
	}
	if n.Kind != MapNode {
		bad(n.Line, "", "an entry must be a mapping with model, identifiers, attrs, ...")
		bp.Entries = append(bp.Entries, e)
		return
	}
	m, ok := n.Get("model")
	switch {
	case !ok:
		bad(n.Line, "model", "is required")
	case m.Kind == TagNode:
		e.ModelNode = m
	case m.Kind == ScalarNode:
		if s, isStr := m.Value.(string); isStr && strings.Count(s, ".") == 1 {
			e.Model = strings.ToLower(s)
		} else {
			bad(m.Line, "model", "must be app_label.model_name, not %v", m.Value)
		}
	default:
		bad(m.Line, "model", "must be a string")
	}
	if v, ok := n.Get("id"); ok && !(v.Kind == ScalarNode && v.Value == nil) {
		if s, isStr := v.Value.(string); v.Kind == ScalarNode && isStr {
			e.ID = s
		} else {
			bad(v.Line, "id", "must be a string (quote it)")
		}
	}
	if s, ok := n.Get("state"); ok {
		switch {
		case s.Kind == TagNode:
			e.StateNode, e.State = s, ""
		case s.Kind == ScalarNode:
			v, _ := s.Value.(string)
			if !states[v] {
				bad(s.Line, "state", "must be one of present, created, must_created, absent, not %v", s.Value)
			} else {
				e.State = v
			}
		default:
			bad(s.Line, "state", "must be a string")
		}
	}
	if c, ok := n.Get("conditions"); ok && !(c.Kind == ScalarNode && c.Value == nil) {
		if c.Kind != SeqNode {
			bad(c.Line, "conditions", "must be a list")
		} else {
			e.Conditions = c.Items
		}
	}
	if v, ok := n.Get("identifiers"); ok {
		if v.Kind != MapNode {
			bad(v.Line, "identifiers", "must be a mapping")
		} else {
			e.Identifiers = v
		}
	}
	if v, ok := n.Get("attrs"); ok && !(v.Kind == ScalarNode && v.Value == nil) {
		if v.Kind != MapNode {
			bad(v.Line, "attrs", "must be a mapping")
		} else {
			e.Attrs = v
		}
	}
	for _, p := range n.Pairs {
		switch {
		case entryKeys[p.Key]:
		case p.Key == "permissions":
			bp.Issues = append(bp.Issues, e.errorf(p.Line, "permissions", "not supported: entry permissions came with authentik 2024.8"))
		default:
			bp.Issues = append(bp.Issues, e.errorf(p.Line, "", "unknown key %q (known: attrs, conditions, id, identifiers, model, state); authentik ignores it", p.Key))
		}
	}
	bp.Entries = append(bp.Entries, e)
}

// yamlErrorLine digs the line out of a yaml.v3 error message ("yaml: line
// 3: ...").
func yamlErrorLine(err error) int {
	s := err.Error()
	i := strings.Index(s, "line ")
	if i < 0 {
		return 0
	}
	s = s[i+5:]
	j := 0
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	n, _ := strconv.Atoi(s[:j])
	return n
}
