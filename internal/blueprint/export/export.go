package export

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"

	"github.com/akgo/akgo/internal/apispec"
	"github.com/akgo/akgo/internal/blueprint"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/slug"
)

// LabelGenerated marks a generated blueprint, as authentik's exporter does.
const LabelGenerated = "blueprints.goauthentik.io/generated"

// Options tune an export.
type Options struct {
	// Secrets includes readable secrets (client secrets, tokens, keys);
	// by default they are left out and must be supplied before applying.
	Secrets bool
	// Full includes fields whose value is the model's default.
	Full bool
	// Name is metadata.name; empty gives "authentik Export - <time>".
	Name string
	// Now stamps the default name (time.Now when nil).
	Now func() time.Time
}

// Result is an exported blueprint.
type Result struct {
	YAML    []byte
	Entries int
	// Warnings are references that could not be made portable (an object
	// without a natural key is referenced by pk) or dangle.
	Warnings []string
}

// Exporter builds blueprints from what a Target lists. One Exporter is
// one export: it caches the listings it reads.
type Exporter struct {
	src  blueprint.Target
	reg  *registry.Registry
	spec *apispec.Spec
	opts Options

	lists    map[string][]blueprint.Object
	byPK     map[string]map[string]blueprint.Object
	writable map[string][]string
	items    []*item
	byKey    map[string]*item
	index    map[string][]*item
	pos      map[*item]int
	ids      map[string]bool
	warnings []string
}

// item is one object being exported.
type item struct {
	model *registry.Model
	obj   blueprint.Object
	id    string
}

// New returns an exporter reading from src.
func New(src blueprint.Target, reg *registry.Registry, spec *apispec.Spec, opts Options) *Exporter {
	return &Exporter{src: src, reg: reg, spec: spec, opts: opts, lists: map[string][]blueprint.Object{}, byPK: map[string]map[string]blueprint.Object{},
		writable: map[string][]string{}, byKey: map[string]*item{}, pos: map[*item]int{}, ids: map[string]bool{}}
}

// list reads a model once per export.
func (x *Exporter) list(ctx context.Context, model string) ([]blueprint.Object, error) {
	if objs, ok := x.lists[model]; ok {
		return objs, nil
	}
	objs, err := x.src.List(ctx, model)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", model, err)
	}
	x.lists[model] = objs
	return objs, nil
}

// add queues an object for export (once).
func (x *Exporter) add(m *registry.Model, obj blueprint.Object) {
	k := key(obj["pk"])
	if _, dup := x.byKey[m.Name+"|"+k]; dup {
		return
	}
	it := &item{model: m, obj: obj}
	x.items = append(x.items, it)
	x.byKey[m.Name+"|"+k] = it
}

// Models exports every object of the given models (blueprint names), in
// the order given; events are never exported.
func (x *Exporter) Models(ctx context.Context, models []string) (*Result, error) {
	for _, name := range models {
		m, ok := x.reg.Model(strings.ToLower(name))
		if !ok {
			return nil, fmt.Errorf("unknown model %s", name)
		}
		if m.Abstract {
			return nil, fmt.Errorf("model %s is a base model: export its concrete models", m.Name)
		}
		if m.Name == "authentik_events.event" {
			continue
		}
		objs, err := x.list(ctx, m.Name)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			x.add(m, o)
		}
	}
	return x.render(ctx)
}

// Flow exports a flow with what it is made of, as authentik's
// FlowExporter: the flow, the prompts of its prompt stages, the policies
// bound to it or its stage bindings (and the prompt stages' validation
// policies), its stages, its stage bindings and those policy bindings.
func (x *Exporter) Flow(ctx context.Context, slug string) (*Result, error) {
	flows, err := x.list(ctx, "authentik_flows.flow")
	if err != nil {
		return nil, err
	}
	var flow blueprint.Object
	for _, f := range flows {
		if f["slug"] == slug {
			flow = f
		}
	}
	if flow == nil {
		return nil, fmt.Errorf("flow %q: %w", slug, blueprint.ErrNotFound)
	}
	bindings, err := x.filter(ctx, "authentik_flows.flowstagebinding", func(o blueprint.Object) bool { return key(o["target"]) == key(flow["pk"]) })
	if err != nil {
		return nil, err
	}
	sort.SliceStable(bindings, func(i, j int) bool { return num(bindings[i]["order"]) < num(bindings[j]["order"]) })
	// Policy bindings hang off the flow and off each stage binding, by
	// their policy binding model id.
	targets := map[string]bool{key(pbmOf(flow)): true}
	for _, b := range bindings {
		targets[key(pbmOf(b))] = true
	}
	pbs, err := x.filter(ctx, "authentik_policies.policybinding", func(o blueprint.Object) bool { return targets[key(o["target"])] })
	if err != nil {
		return nil, err
	}
	var stages []concrete
	for _, b := range bindings {
		s, err := x.concrete(ctx, "authentik_flows.stage", b["stage"])
		if err != nil {
			return nil, err
		}
		if s.obj != nil {
			stages = append(stages, s)
		}
	}
	var prompts, policies []concrete
	for _, s := range stages {
		if s.model.Name != "authentik_stages_prompt.promptstage" {
			continue
		}
		for _, pk := range list(s.obj["fields"]) {
			p, err := x.concrete(ctx, "authentik_stages_prompt.prompt", pk)
			if err != nil {
				return nil, err
			}
			if p.obj != nil {
				prompts = append(prompts, p)
			}
		}
		for _, pk := range list(s.obj["validation_policies"]) {
			p, err := x.concrete(ctx, "authentik_policies.policy", pk)
			if err != nil {
				return nil, err
			}
			if p.obj != nil {
				policies = append(policies, p)
			}
		}
	}
	for _, pb := range pbs {
		if pb["policy"] == nil {
			continue
		}
		p, err := x.concrete(ctx, "authentik_policies.policy", pb["policy"])
		if err != nil {
			return nil, err
		}
		if p.obj != nil {
			policies = append(policies, p)
		}
	}
	x.add(x.reg.MustModel("authentik_flows.flow"), flow)
	for _, group := range [][]concrete{prompts, policies, stages} {
		for _, c := range group {
			x.add(c.model, c.obj)
		}
	}
	bm := x.reg.MustModel("authentik_flows.flowstagebinding")
	for _, b := range bindings {
		x.add(bm, b)
	}
	pm := x.reg.MustModel("authentik_policies.policybinding")
	for _, pb := range pbs {
		x.add(pm, pb)
	}
	if x.opts.Name == "" {
		x.opts.Name = "authentik Export - " + x.now().UTC().Format("2006-01-02 15:04:05")
	}
	return x.render(ctx)
}

func (x *Exporter) now() time.Time {
	if x.opts.Now != nil {
		return x.opts.Now()
	}
	return time.Now()
}

func (x *Exporter) filter(ctx context.Context, model string, keep func(blueprint.Object) bool) ([]blueprint.Object, error) {
	objs, err := x.list(ctx, model)
	if err != nil {
		return nil, err
	}
	var out []blueprint.Object
	for _, o := range objs {
		if keep(o) {
			out = append(out, o)
		}
	}
	return out, nil
}

// concrete is an object with its concrete model.
type concrete struct {
	model *registry.Model
	obj   blueprint.Object
}

// concrete finds the object a reference to model (possibly a polymorphic
// base) designates, as its concrete model lists it. A dangling reference
// is a zero concrete and a warning.
func (x *Exporter) concrete(ctx context.Context, model string, ref any) (concrete, error) {
	m, ok := x.reg.Model(model)
	if !ok {
		return concrete{}, fmt.Errorf("unknown model %s", model)
	}
	o, err := x.find(ctx, m, ref)
	if err != nil || o == nil {
		if err == nil {
			x.warn("%s %v is referenced but does not exist", model, ref)
		}
		return concrete{}, err
	}
	if name, _ := o["meta_model_name"].(string); m.Abstract && name != "" {
		cm, ok := x.reg.Model(name)
		if !ok {
			return concrete{}, fmt.Errorf("unknown model %s", name)
		}
		co, err := x.find(ctx, cm, ref)
		if err != nil || co == nil {
			return concrete{}, err
		}
		return concrete{cm, co}, nil
	}
	return concrete{m, o}, nil
}

// find returns the listed object of m whose pk (or policy binding model
// id) is ref.
func (x *Exporter) find(ctx context.Context, m *registry.Model, ref any) (blueprint.Object, error) {
	idx, ok := x.byPK[m.Name]
	if !ok {
		objs, err := x.list(ctx, m.Name)
		if err != nil {
			return nil, err
		}
		idx = make(map[string]blueprint.Object, len(objs))
		for _, o := range objs {
			idx[key(pbmOf(o))] = o
			idx[key(o["pk"])] = o
		}
		x.byPK[m.Name] = idx
	}
	return idx[key(ref)], nil
}

func (x *Exporter) warn(format string, args ...any) {
	x.warnings = append(x.warnings, fmt.Sprintf(format, args...))
}

// render orders the items so every !KeyOf points backwards and writes the
// document.
func (x *Exporter) render(ctx context.Context) (*Result, error) {
	x.order()
	x.assignIDs()
	entries := &yaml.Node{Kind: yaml.SequenceNode}
	for _, it := range x.items {
		e, err := x.entry(ctx, it)
		if err != nil {
			return nil, err
		}
		entries.Content = append(entries.Content, e)
	}
	name := x.opts.Name
	if name == "" {
		name = "authentik Export - " + x.now().UTC().Format("2006-01-02 15:04:05")
	}
	meta := mapping(
		"name", scalar(name),
		"labels", mapping(LabelGenerated, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "true", Style: yaml.DoubleQuotedStyle}),
	)
	doc := mapping("version", value(1), "metadata", meta, "entries", entries)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{doc}}); err != nil {
		return nil, fmt.Errorf("write blueprint: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("write blueprint: %w", err)
	}
	return &Result{YAML: buf.Bytes(), Entries: len(x.items), Warnings: x.warnings}, nil
}

// order sorts the items topologically (referenced objects first), keeping
// the collection order otherwise. A reference cycle is broken by writing
// the back reference as !Find.
func (x *Exporter) order() {
	const (
		white = iota
		grey
		black
	)
	state := map[*item]int{}
	var out []*item
	var visit func(it *item)
	visit = func(it *item) {
		state[it] = grey
		for _, dep := range x.deps(it) {
			if state[dep] == white {
				visit(dep)
			}
		}
		state[it] = black
		out = append(out, it)
	}
	for _, it := range x.items {
		if state[it] == white {
			visit(it)
		}
	}
	x.items = out
	for i, it := range out {
		x.pos[it] = i
	}
}

// deps are the exported items an item references through the fields it
// writes.
func (x *Exporter) deps(it *item) []*item {
	var out []*item
	for _, name := range x.fields(it.model) {
		f, ok := it.model.Field(name)
		if !ok {
			continue
		}
		target := f.Ref
		if target == "" {
			target = f.M2M
		}
		if target == "" {
			continue
		}
		for _, v := range refValues(it.obj[name]) {
			if dep := x.exported(target, v); dep != nil && dep != it {
				out = append(out, dep)
			}
		}
	}
	return out
}

// exported returns the exported item a reference to model designates.
func (x *Exporter) exported(model string, ref any) *item {
	k := key(ref)
	if k == "" {
		return nil
	}
	if x.index == nil {
		x.index = map[string][]*item{}
		for _, it := range x.items {
			pk, pbm := key(it.obj["pk"]), key(pbmOf(it.obj))
			x.index[pk] = append(x.index[pk], it)
			if pbm != pk {
				x.index[pbm] = append(x.index[pbm], it)
			}
		}
	}
	for _, it := range x.index[k] {
		if it.model.Name == model || contains(it.model.Ancestors, model) {
			return it
		}
	}
	return nil
}

// assignIDs names every item "<model>-<natural key>", unique in the file.
func (x *Exporter) assignIDs() {
	for _, it := range x.items {
		label := x.label(it, 0)
		if label == "" {
			label = key(it.obj["pk"])
		}
		base := it.model.ModelName() + "-" + slug.Make(label)
		id := base
		for n := 2; x.ids[id]; n++ {
			id = fmt.Sprintf("%s-%d", base, n)
		}
		x.ids[id] = true
		it.id = id
	}
}

// label is an item's natural key as text: its managed id, or its natural
// key values, with referenced exported objects by their own label (a
// binding is "<flow> <stage> <order>").
func (x *Exporter) label(it *item, depth int) string {
	if mg, _ := it.obj["managed"].(string); mg != "" {
		return mg
	}
	var parts []string
	for _, k := range it.model.NaturalKey {
		v := it.obj[k]
		if v == nil {
			continue
		}
		f, ok := it.model.Field(k)
		if ok && f.Ref != "" {
			if dep := x.exported(f.Ref, v); dep != nil && depth < maxFindDepth {
				parts = append(parts, x.label(dep, depth+1))
			}
			continue
		}
		parts = append(parts, fmt.Sprint(v))
	}
	return strings.Join(parts, " ")
}

// fields are the request-schema fields of a model, sorted: what a
// blueprint entry may set.
func (x *Exporter) fields(m *registry.Model) []string {
	if fs, ok := x.writable[m.Name]; ok {
		return fs
	}
	var out []string
	ep, err := x.reg.WriteEndpoint(m.Name)
	if err == nil && ep.Request != "" && x.spec != nil {
		if sch, ok := x.spec.Schema(ep.Request); ok {
			for name, p := range sch.Properties {
				if name == "pk" || p.Value == nil || p.Value.ReadOnly || nestedObjects(p.Value) {
					continue
				}
				out = append(out, name)
			}
		}
	}
	sort.Strings(out)
	x.writable[m.Name] = out
	return out
}

func nestedObjects(p *openapi3.Schema) bool {
	return p.Type.Is("array") && p.Items != nil && p.Items.Ref != "" && p.Items.Value != nil && p.Items.Value.Type.Is("object")
}

// identity is what identifies an item: its managed id, else its natural
// key, else (not portable, reported) its pk.
func (x *Exporter) identity(it *item) []string {
	if mg, _ := it.obj["managed"].(string); mg != "" {
		return []string{"managed"}
	}
	var keys []string
	for _, k := range it.model.NaturalKey {
		if v, ok := it.obj[k]; !ok || v == nil || v == "" {
			return []string{"pk"}
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return []string{"pk"}
	}
	return keys
}

// entry writes one item: model, id, identifiers, attrs.
func (x *Exporter) entry(ctx context.Context, it *item) (*yaml.Node, error) {
	ids := x.identity(it)
	if len(ids) == 1 && ids[0] == "pk" {
		x.warn("%s %v has no natural key: identified by pk", it.model.Name, it.obj["pk"])
	}
	idNode := &yaml.Node{Kind: yaml.MappingNode}
	skip := map[string]bool{}
	for _, k := range ids {
		v, err := x.fieldValue(ctx, it, k, it.obj[k])
		if err != nil {
			return nil, err
		}
		idNode.Content = append(idNode.Content, scalar(k), v)
		skip[k] = true
	}
	attrs := &yaml.Node{Kind: yaml.MappingNode}
	for _, name := range x.fields(it.model) {
		if skip[name] {
			continue
		}
		v, present := it.obj[name]
		if !present {
			continue // write-only: secrets the API never shows
		}
		f, _ := it.model.Field(name)
		if f != nil && sensitive(f) && !x.opts.Secrets {
			continue
		}
		if !x.opts.Full && f != nil && isDefault(f, v) {
			continue
		}
		n, err := x.fieldValue(ctx, it, name, v)
		if err != nil {
			return nil, err
		}
		attrs.Content = append(attrs.Content, scalar(name), n)
	}
	e := mapping("model", scalar(it.model.Name), "id", scalar(it.id), "identifiers", idNode)
	if len(attrs.Content) > 0 {
		e.Content = append(e.Content, scalar("attrs"), attrs)
	}
	return e, nil
}

// fieldValue renders a field: references as !KeyOf or !Find, the rest as
// plain YAML.
func (x *Exporter) fieldValue(ctx context.Context, it *item, name string, v any) (*yaml.Node, error) {
	f, ok := it.model.Field(name)
	if !ok || v == nil {
		return value(v), nil
	}
	target := f.Ref
	if target == "" {
		target = f.M2M
	}
	if target == "" {
		return value(v), nil
	}
	if vals, isList := v.([]any); isList {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, e := range vals {
			n, err := x.ref(ctx, it, target, e, 0)
			if err != nil {
				return nil, err
			}
			seq.Content = append(seq.Content, n)
		}
		return seq, nil
	}
	return x.ref(ctx, it, target, v, 0)
}

// maxFindDepth bounds nested !Find (a binding found by its flow found by
// its slug is depth 2).
const maxFindDepth = 4

// ref renders a reference from it to an object of model: !KeyOf when the
// object is exported earlier in the file, else !Find by its natural key.
func (x *Exporter) ref(ctx context.Context, from *item, model string, v any, depth int) (*yaml.Node, error) {
	if dep := x.exported(model, v); dep != nil && from != nil && x.pos[dep] < x.pos[from] {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!KeyOf", Value: dep.id}, nil
	}
	c, err := x.concrete(ctx, model, v)
	if err != nil {
		return nil, err
	}
	if c.obj == nil {
		return value(nil), nil // dangling: warned by concrete
	}
	find := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!Find", Style: yaml.FlowStyle}
	find.Content = append(find.Content, scalar(c.model.Name))
	it := &item{model: c.model, obj: c.obj}
	keys := x.identity(it)
	if len(keys) == 1 && keys[0] == "pk" || depth >= maxFindDepth {
		x.warn("%s %v has no natural key: referenced by pk", c.model.Name, v)
		keys = []string{"pk"}
	}
	for _, k := range keys {
		var val *yaml.Node
		f, ok := c.model.Field(k)
		switch {
		case k == "pk":
			val = value(c.obj["pk"])
		case ok && f.Ref != "" && c.obj[k] != nil:
			if val, err = x.ref(ctx, from, f.Ref, c.obj[k], depth+1); err != nil {
				return nil, err
			}
		default:
			val = value(c.obj[k])
		}
		pair := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle, Content: []*yaml.Node{scalar(k), val}}
		find.Content = append(find.Content, pair)
	}
	return find, nil
}

// sensitive fields are readable secrets: left out unless asked for.
func sensitive(f *registry.Field) bool {
	if f.Kind != registry.KindString || f.Ref != "" || f.M2M != "" {
		return false
	}
	n := f.Name
	switch n {
	case "key", "token", "plex_token", "private_key", "key_data", "auth", "auth_password", "password", "bind_password":
		return true
	}
	return strings.Contains(n, "secret")
}

// isDefault reports a value equal to the field's model default.
func isDefault(f *registry.Field, v any) bool {
	if !f.HasDefault {
		return false
	}
	a, err1 := json.Marshal(v)
	b, err2 := json.Marshal(f.Default)
	return err1 == nil && err2 == nil && bytes.Equal(a, b)
}

// pbmOf is an object's policy binding model id, the value policy
// bindings' target holds (the pk itself for stages' bindings and others
// that share it).
func pbmOf(o blueprint.Object) any {
	if v, ok := o["policybindingmodel_ptr_id"]; ok && v != nil {
		return v
	}
	return o["pk"]
}

// key is a comparable text for a pk value (JSON numbers arrive as float64).
func key(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case float64:
		if x == float64(int64(x)) {
			return fmt.Sprint(int64(x))
		}
	case json.Number:
		return x.String()
	}
	return fmt.Sprint(v)
}

func num(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	case int:
		return float64(x)
	case json.Number:
		f, _ := x.Float64()
		return f
	}
	return 0
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func refValues(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func scalar(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func value(v any) *yaml.Node {
	n := &yaml.Node{}
	if err := n.Encode(v); err != nil {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	}
	return n
}

func mapping(kv ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(kv); i += 2 {
		n.Content = append(n.Content, scalar(kv[i].(string)), kv[i+1].(*yaml.Node))
	}
	return n
}
