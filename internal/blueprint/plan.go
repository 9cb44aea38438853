package blueprint

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"
)

// Action is what a plan does for an entry.
type Action string

const (
	ActionCreate Action = "create"
	ActionUpdate Action = "update"
	ActionNoop   Action = "no-op"
	ActionDelete Action = "delete"
	// ActionSkip: the entry's conditions are false.
	ActionSkip Action = "skip"
	// ActionApplyBlueprint: a metaapplyblueprint entry; the other
	// blueprint's entries follow it in the plan.
	ActionApplyBlueprint Action = "apply-blueprint"
)

// Change is the plan for one entry.
type Change struct {
	Entry *Entry
	// Model and State are the entry's, evaluated.
	Model string
	State string
	Action
	// PK is the object's primary key; nil when the object is created by
	// this plan (then PKUnknown is true for creates and for updates of an
	// object an earlier entry creates).
	PK        any
	PKUnknown bool
	// Name names the object for humans (its slug, name, username...).
	Name string
	// Reason explains no-ops, skips and deletes.
	Reason string
	// Fields: for a create, every value sent; for an update, the fields
	// that change (old → new). Sorted by name.
	Fields []FieldChange
	// Blueprint is the file a metaapplyblueprint entry applies.
	Blueprint string
	// DependsOn lists the changes this one needs first (referenced by
	// !KeyOf, found by !Find or the pk map).
	DependsOn []*Change

	es      *entryState
	payload map[string]any
}

// FieldChange is one field of a create or update.
type FieldChange struct {
	Field string
	// Old is the live value (nil for creates: see OldUnknown).
	Old any
	New any
	// Create: the field has no old value. OldUnknown: the API does not
	// return it (write-only).
	Create     bool
	OldUnknown bool
	// Sensitive values are never printed (passwords, keys, anything from
	// !Env or !File).
	Sensitive bool
	// Unknown: the new value is known only after apply.
	Unknown bool
}

// Prune is an object this blueprint owned that no entry declares any
// more. It is deleted only with Options.Prune.
type Prune struct {
	Model string
	PK    any
	Name  string
	// Delete is Options.Prune: the apply deletes it.
	Delete bool
}

// Owned is the ownership record of the prune ("model:pk").
func (p *Prune) Owned() string { return p.Model + ":" + pkString(p.PK) }

// PlanResult is what Plan decides: one change per entry (in the order the
// applier executes them) plus prunes.
type PlanResult struct {
	Changes []*Change
	Prunes  []*Prune
	// Files lists the blueprints in the plan, the meta-applied ones included.
	Files []string
	// Lists is how many times the planner called Target.List.
	Lists int

	pl *planner
}

// Summary counts the changes the way the text renderer prints them.
type Summary struct {
	Create, Update, Delete, Noop int
}

// Summary counts creates, updates, deletes (entries and executed prunes)
// and no-ops.
func (p *PlanResult) Summary() Summary {
	var s Summary
	for _, c := range p.Changes {
		switch c.Action {
		case ActionCreate:
			s.Create++
		case ActionUpdate:
			s.Update++
		case ActionDelete:
			s.Delete++
		case ActionNoop:
			s.Noop++
		}
	}
	for _, pr := range p.Prunes {
		if pr.Delete {
			s.Delete++
		}
	}
	return s
}

// HasChanges reports whether applying the plan would write anything.
func (p *PlanResult) HasChanges() bool {
	s := p.Summary()
	return s.Create+s.Update+s.Delete > 0
}

// Managed is the ownership record the plan implies without applying it:
// the live objects its present/created/must_created entries match, plus
// the previously owned objects that still exist. akserver refreshes an
// instance's managed_models with it after a client-side apply.
func (p *PlanResult) Managed() []string {
	set := map[string]bool{}
	for _, c := range p.Changes {
		if !ownsState(c.State) || c.es == nil || c.es.obj == nil || !c.es.obj.live || c.es.obj.deleted {
			continue
		}
		if c.Action == ActionUpdate || c.Action == ActionNoop {
			set[c.Model+":"+pkString(c.es.obj.pk)] = true
		}
	}
	for _, o := range p.pl.ownedLive {
		set[o.model+":"+pkString(o.pk)] = true
	}
	return sortedKeys(set)
}

func ownsState(s string) bool {
	return s == StatePresent || s == StateCreated || s == StateMustCreated
}

const (
	pending uint8 = iota
	visiting
	done
	failed
)

type fileState struct {
	bp  *Blueprint
	ctx *Node // merged context
	ids map[string][]*entryState
	// pkRaw maps raw identifiers.pk values to their entries (authentik's
	// pk map: references to an exported pk follow the matched object).
	pkRaw   map[string][]*entryState
	entries []*entryState
}

type entryState struct {
	e      *Entry
	f      *fileState
	status uint8
	model  string
	state  string
	change *Change
	// obj is the object the entry designates after planning.
	obj *vobj
	// nested is the file a metaapplyblueprint entry applies.
	nested *fileState
	// static: tag-free values of identifiers and attrs (for !Find).
	static map[string]any
	// actual is the object the apply created or updated.
	actual Object
	deps   []*entryState
}

type planner struct {
	ctx     context.Context
	opts    Options
	store   *vstore
	files   []*fileState
	byPath  map[string]*fileState
	byName  map[string]*fileState
	entries []*entryState
	order   []*Change
	stack   []*entryState
	errs    Errors
	// ownedLive: previously owned objects that exist.
	ownedLive []*vobj
	prunesOut []*Prune
}

func (pl *planner) env(name string) (string, bool) {
	if pl.opts.Env != nil {
		return pl.opts.Env(name)
	}
	return os.LookupEnv(name)
}

func (pl *planner) addFile(bp *Blueprint, override map[string]any) *fileState {
	f := &fileState{bp: bp, ids: map[string][]*entryState{}, pkRaw: map[string][]*entryState{}}
	f.ctx = bp.ContextNode
	if f.ctx == nil {
		f.ctx = &Node{Kind: MapNode}
	}
	if len(override) > 0 {
		f.ctx = mergeNodes(f.ctx, literal(override))
	}
	for _, e := range bp.Entries {
		es := &entryState{e: e, f: f}
		f.entries = append(f.entries, es)
		pl.entries = append(pl.entries, es)
		if e.ID != "" {
			f.ids[e.ID] = append(f.ids[e.ID], es)
		}
		if pkn, ok := e.Identifiers.Get("pk"); ok && pkn.Kind == ScalarNode && pkn.Value != nil {
			k := canon(pkn.Value)
			f.pkRaw[k] = append(f.pkRaw[k], es)
		}
	}
	pl.files = append(pl.files, f)
	pl.byPath[bp.Path] = f
	if bp.Metadata.Name != "" {
		pl.byName[bp.Metadata.Name] = f
	}
	return f
}

// Plan reads the live state through t (once per model) and decides, for
// every entry, what an apply would do. It is pure: nothing is written.
// All problems found are returned together as Errors.
func Plan(ctx context.Context, t Target, bps []*Blueprint, opts Options) (*PlanResult, error) {
	if err := Validate(bps, opts); err != nil {
		return nil, err
	}
	pl := &planner{ctx: ctx, opts: opts, store: newVstore(ctx, t), byPath: map[string]*fileState{}, byName: map[string]*fileState{}}
	for _, bp := range bps {
		if bp != nil {
			pl.addFile(bp, opts.Context)
		}
	}
	for i := 0; i < len(pl.entries); i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		pl.plan(pl.entries[i])
	}
	pl.prunes()
	if len(pl.errs) > 0 {
		return nil, pl.errs.sorted()
	}
	res := &PlanResult{Changes: pl.order, pl: pl, Lists: pl.store.lists}
	for _, f := range pl.files {
		res.Files = append(res.Files, f.bp.Path)
	}
	res.Prunes = pl.prunesOut
	return res, nil
}

// plan plans one entry (and, through references, what it needs first).
func (pl *planner) plan(es *entryState) {
	if es.status != pending {
		return
	}
	es.status = visiting
	pl.stack = append(pl.stack, es)
	err := pl.planEntry(es)
	pl.stack = pl.stack[:len(pl.stack)-1]
	if err != nil {
		es.status = failed
		if !errors.Is(err, errDependency) {
			pl.errs = append(pl.errs, AsErrors(err)...)
		}
		return
	}
	es.status = done
	if pl.opts.ReleaseEntries {
		es.release()
	}
	for _, d := range es.deps {
		if d.change != nil && d.change != es.change {
			es.change.DependsOn = appendUnique(es.change.DependsOn, d.change)
		}
	}
	pl.order = append(pl.order, es.change)
	if es.nested != nil {
		for _, n := range es.nested.entries {
			pl.plan(n)
		}
	}
}

// released stands for the values ReleaseEntries drops.
var released = &Node{Kind: ScalarNode}

// release drops the entry's unevaluated values (Options.ReleaseEntries)
// unless its payload holds a value computed from an unknown, which the
// applier evaluates again. The keys and lines stay for fieldLine.
func (es *entryState) release() {
	if _, derived := hasUnknown(es.change.payload); derived {
		return
	}
	e := es.e
	for _, n := range []*Node{e.Identifiers, e.Attrs} {
		for i := range n.Pairs {
			n.Pairs[i].Value = released
		}
	}
	e.Conditions = nil
	es.static = nil
}

func appendUnique(l []*Change, c *Change) []*Change {
	for _, x := range l {
		if x == c {
			return l
		}
	}
	return append(l, c)
}

func (pl *planner) evaluator(es *entryState) *evaluator {
	return &evaluator{pl: pl, es: es, model: es.model}
}

func (pl *planner) planEntry(es *entryState) error {
	e := es.e
	ev := pl.evaluator(es)
	ch := &Change{Entry: e, es: es, Model: e.Model, State: e.State}
	es.change = ch
	for i, c := range e.Conditions {
		ev.field = "conditions[" + strconv.Itoa(i) + "]"
		ev.nullFind = true
		v, err := ev.eval(c)
		if err != nil {
			return err
		}
		if !truthy(v) {
			ch.Action, ch.Reason = ActionSkip, fmt.Sprintf("condition %d is false", i)
			return nil
		}
	}
	ev.nullFind = false
	model, err := pl.entryModel(ev)
	if err != nil {
		return err
	}
	es.model, ev.model, ch.Model = model, model, model
	state := e.State
	if e.StateNode != nil {
		ev.field = "state"
		v, err := ev.eval(e.StateNode)
		if err != nil {
			return err
		}
		s, _ := v.(string)
		if !states[s] {
			return ev.errf(e.StateNode, "must be one of present, created, must_created, absent, not %s", pyRepr(v))
		}
		state = s
	}
	es.state, ch.State = state, state
	if model == MetaApplyBlueprint {
		return pl.planMeta(es, ev)
	}
	mi := info(model)
	ids, idSens, err := pl.identifiers(ev, state == StateAbsent)
	if err != nil {
		return err
	}
	ch.Name = mi.displayName(withoutKeys(ids, idSens))
	target, err := pl.match(ev, mi, ids)
	if err != nil {
		return err
	}
	if target != nil {
		ch.PK, ch.PKUnknown = knownPK(target.pk)
		if target.creator != nil {
			es.deps = append(es.deps, target.creator)
		}
		if n := mi.displayName(target.fields); n != "" && len(idSens) == 0 {
			ch.Name = n
		}
	}
	switch state {
	case StateAbsent:
		if target == nil {
			ch.Action, ch.Reason = ActionNoop, "does not exist"
			return nil
		}
		ch.Action = ActionDelete
		es.obj, target.deleted = target, true
		return nil
	case StateCreated:
		if target != nil {
			ch.Action, ch.Reason = ActionNoop, "exists (state: created leaves it as it is)"
			es.obj, target.claimed = target, true
			return nil
		}
	case StateMustCreated:
		if target != nil {
			ev.field = "identifiers"
			return ev.errf(e.Identifiers, "state is must_created and the object exists already (pk %s)", pkString(target.pk))
		}
	}
	data, sens, err := pl.data(ev, mi, ids, idSens)
	if err != nil {
		return err
	}
	if target == nil {
		pl.planCreate(es, mi, data, sens)
		return nil
	}
	pl.planUpdate(es, mi, target, data, sens)
	return nil
}

// withoutKeys drops the keys set in drop (secrets must not name objects).
func withoutKeys(m map[string]any, drop map[string]bool) map[string]any {
	if len(drop) == 0 {
		return m
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		if !drop[k] {
			out[k] = v
		}
	}
	return out
}

func knownPK(pk any) (any, bool) {
	if _, ok := pk.(*Unknown); ok {
		return nil, true
	}
	return pk, false
}

// entryModel evaluates and checks the entry's model.
func (pl *planner) entryModel(ev *evaluator) (string, error) {
	e := ev.es.e
	model := e.Model
	if e.ModelNode != nil {
		ev.field = "model"
		v, err := ev.eval(e.ModelNode)
		if err != nil {
			return "", err
		}
		s, ok := v.(string)
		if !ok || strings.Count(s, ".") != 1 {
			return "", ev.errf(e.ModelNode, "must be app_label.model_name, not %s", pyRepr(v))
		}
		model = strings.ToLower(s)
		if msg := modelProblem(model); msg != "" {
			return "", ev.errf(e.ModelNode, "%s", msg)
		}
	}
	return model, nil
}

// modelProblem says why entries cannot use a model ("" when they can).
func modelProblem(model string) string {
	if Allowed(model) {
		return ""
	}
	if info(model) != nil {
		return "model " + model + " is not allowed in blueprints"
	}
	msg := "unknown model " + model
	if s := suggestModel(model); s != "" {
		msg += " (did you mean " + s + "?)"
	}
	return msg
}

// suggestModel finds an allowed model with the same model name or app.
func suggestModel(model string) string {
	app, name, _ := strings.Cut(model, ".")
	var out []string
	for _, m := range AllowedModels() {
		a, n, _ := strings.Cut(m, ".")
		if n == name || (a == app && strings.Contains(n, name)) {
			out = append(out, m)
		}
	}
	if len(out) == 0 || len(out) > 3 {
		return ""
	}
	return strings.Join(out, " or ")
}

// identifiers evaluates the entry's identifiers, follows the pk map and
// replaces a mapping holding a pk by that pk, as authentik does.
func (pl *planner) identifiers(ev *evaluator, absent bool) (map[string]any, map[string]bool, error) {
	e := ev.es.e
	ids := make(map[string]any, len(e.Identifiers.Pairs))
	sens := map[string]bool{}
	for _, p := range e.Identifiers.Pairs {
		ev.field = "identifiers." + p.Key
		ev.nullFind = absent
		ev.sensitive = false
		v, err := ev.eval(p.Value)
		ev.nullFind = false
		if err != nil {
			return nil, nil, err
		}
		if ev.sensitive {
			sens[p.Key] = true
		}
		v = pl.pkMap(ev, v)
		if m, ok := v.(map[string]any); ok {
			if pk, has := m["pk"]; has {
				v = pk
			}
		}
		ids[p.Key] = v
	}
	if len(ids) == 0 {
		ev.field = "identifiers"
		return nil, nil, ev.errf(e.Identifiers, "no identifiers: an entry needs identifiers to find its object")
	}
	return ids, sens, nil
}

// pkMap replaces a value (or the items of a list or mapping value, one
// level deep) that equals another entry's raw identifiers.pk by the pk of
// the object that entry designates.
func (pl *planner) pkMap(ev *evaluator, v any) any {
	es := ev.es
	if len(es.f.pkRaw) == 0 {
		return v
	}
	one := func(x any) any {
		switch x.(type) {
		case string, int64:
		default:
			return x
		}
		for _, other := range es.f.pkRaw[canon(x)] {
			if other == es {
				continue
			}
			pl.plan(other)
			if other.status != done || other.obj == nil {
				continue
			}
			es.deps = append(es.deps, other)
			return pl.keyValue(other, "", ev.apply)
		}
		return x
	}
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, it := range x {
			out[k] = one(it)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, it := range x {
			out[i] = one(it)
		}
		return out
	}
	return one(v)
}

// match finds the object the identifiers designate: pk OR (all other
// identifiers), mappings compared by JSON containment. More than one match
// is an error (authentik silently takes the first).
func (pl *planner) match(ev *evaluator, mi *modelInfo, ids map[string]any) (*vobj, error) {
	var found []*vobj
	add := func(objs []*vobj) {
		for _, o := range objs {
			dup := false
			for _, f := range found {
				dup = dup || f == o
			}
			if !dup {
				found = append(found, o)
			}
		}
	}
	if pk, ok := ids["pk"]; ok && pk != nil {
		objs, err := pl.store.query(mi.name, []cond{{path: "pk", value: pk}})
		if err != nil {
			return nil, pl.storeErr(ev, err)
		}
		add(objs)
	}
	var conds []cond
	for _, k := range sortedKeys(ids) {
		if k == "pk" {
			continue
		}
		v := ids[k]
		if _, isMap := v.(map[string]any); isMap && !strings.Contains(k, "__") {
			conds = append(conds, cond{path: k + "__contains", value: v})
		} else {
			conds = append(conds, cond{path: k, value: v})
		}
	}
	if len(conds) > 0 {
		objs, err := pl.store.query(mi.name, conds)
		if err != nil {
			return nil, pl.storeErr(ev, err)
		}
		add(objs)
	}
	switch len(found) {
	case 0:
		return nil, nil
	case 1:
		return found[0], nil
	}
	pks := make([]string, 0, len(found))
	for _, o := range found {
		if _, unknown := o.pk.(*Unknown); unknown {
			pks = append(pks, "(created by "+o.creator.e.label()+")")
		} else {
			pks = append(pks, pkString(o.pk))
		}
	}
	ev.field = "identifiers"
	return nil, ev.errf(ev.es.e.Identifiers, "the identifiers match %d objects (pk %s); add identifiers so that they match one", len(found), strings.Join(pks, ", "))
}

func (pl *planner) storeErr(ev *evaluator, err error) error {
	e := ev.errf(nil, "%v", err)
	e.(*Error).Err = err
	return e
}

// data builds what is sent: attrs deep-merged with the identifiers (as
// authentik: identifiers win, lists concatenate), without the pk, lookups
// and read-only fields, which the API ignores.
func (pl *planner) data(ev *evaluator, mi *modelInfo, ids map[string]any, idSens map[string]bool) (map[string]any, map[string]bool, error) {
	e := ev.es.e
	attrs := make(map[string]any, len(e.Attrs.Pairs))
	sens := map[string]bool{}
	for k := range idSens {
		sens[k] = true
	}
	for _, p := range e.Attrs.Pairs {
		ev.field = "attrs." + p.Key
		ev.sensitive = false
		v, err := ev.eval(p.Value)
		if err != nil {
			return nil, nil, err
		}
		attrs[p.Key] = pl.pkMap(ev, v)
		if ev.sensitive {
			sens[p.Key] = true
		}
	}
	data := deepMerge(attrs, deepCopy(ids)).(map[string]any)
	for k := range data {
		if k == "pk" || strings.Contains(k, "__") || !mi.writable[k] {
			delete(data, k)
		}
	}
	for k := range data {
		if mi.sensitive(k) {
			sens[k] = true
		}
	}
	return data, sens, nil
}

func (pl *planner) planCreate(es *entryState, mi *modelInfo, data map[string]any, sens map[string]bool) {
	ch := es.change
	ch.Action, ch.PKUnknown = ActionCreate, true
	ch.payload = data
	for _, k := range sortedKeys(data) {
		_, unknown := data[k].(*Unknown)
		f, _ := hasUnknown(data[k])
		ch.Fields = append(ch.Fields, FieldChange{Field: k, New: data[k], Create: true, Sensitive: sens[k], Unknown: unknown || f})
	}
	if n := mi.displayName(withoutKeys(data, sens)); n != "" {
		ch.Name = n
	}
	fields := make(map[string]any, len(data))
	for _, f := range mi.m.Fields {
		if f.HasDefault {
			fields[f.Name] = normalize(deepCopy(f.Default))
		}
	}
	for k, v := range data {
		fields[k] = v
	}
	u := &Unknown{Entry: es.e, ref: es}
	obj := &vobj{model: mi.name, pk: u, fields: fields, creator: es, claimed: ownsState(es.state)}
	if mi.pkField != "pk" {
		fields[mi.pkField] = u
	}
	if mi.pbmField != "" && mi.pbmField != mi.pkField {
		fields[mi.pbmField] = &Unknown{Entry: es.e, ref: es, field: mi.pbmField}
	}
	vm, _ := pl.store.model(mi.name)
	vm.add(obj)
	es.obj = obj
}

func (pl *planner) planUpdate(es *entryState, mi *modelInfo, target *vobj, data map[string]any, sens map[string]bool) {
	ch := es.change
	es.obj = target
	target.claimed = target.claimed || ownsState(es.state)
	changed := map[string]any{}
	for _, k := range sortedKeys(data) {
		want := data[k]
		got, has := target.fields[k]
		fc := FieldChange{Field: k, New: want, Old: got, Sensitive: sens[k]}
		if f, _ := hasUnknown(want); f {
			fc.Unknown = true
		}
		switch {
		case !has && target.live && mi.writeOnly(k):
			// The API never shows it, so it cannot be compared: it is
			// written on create only, unless the caller asks to rewrite
			// such values (authentik rewrites them on every apply).
			if !pl.opts.ResetSecrets {
				continue
			}
			fc.OldUnknown = true
		case !fc.Unknown && has && sameValue(mi, k, want, got):
			continue
		case !has:
			fc.OldUnknown = target.live
		}
		ch.Fields = append(ch.Fields, fc)
		changed[k] = want
	}
	if len(changed) == 0 {
		ch.Action, ch.Reason = ActionNoop, "up to date"
		return
	}
	ch.Action = ActionUpdate
	ch.payload = changed
	vm, _ := pl.store.model(mi.name)
	vm.set(target, changed)
}

// keyOfTarget finds the entry a !KeyOf names: in the same file first, else
// in exactly one other file of the plan. Among several entries with the
// id, the one whose conditions hold is taken.
func (pl *planner) keyOfTarget(es *entryState, id string, n *Node) (*entryState, error) {
	ev := &evaluator{es: es, field: "", model: es.model}
	cands := es.f.ids[id]
	if len(cands) == 0 {
		var files []string
		for _, f := range pl.files {
			if f != es.f && len(f.ids[id]) > 0 {
				cands = append(cands, f.ids[id]...)
				files = append(files, f.bp.Path)
			}
		}
		if len(files) > 1 {
			return nil, ev.errf(n, "!KeyOf %s: the id is defined in several other files (%s); it is ambiguous", id, strings.Join(files, ", "))
		}
		if len(cands) == 0 {
			return nil, ev.errf(n, "!KeyOf %s: no entry has this id", id)
		}
	}
	var active []*entryState
	var why []string
	for _, c := range cands {
		if c.status == visiting {
			return nil, ev.errf(n, "!KeyOf cycle: %s", pl.cycle(c))
		}
		pl.plan(c)
		switch {
		case c.status == failed:
			return nil, errDependency
		case c.change.Action == ActionSkip:
			why = append(why, c.e.label()+" is skipped ("+c.change.Reason+")")
		case c.state == StateAbsent:
			why = append(why, c.e.label()+" has state absent")
		case c.obj == nil:
			why = append(why, c.e.label()+" designates no object")
		default:
			active = append(active, c)
		}
	}
	switch len(active) {
	case 1:
		es.deps = append(es.deps, active[0])
		return active[0], nil
	case 0:
		return nil, ev.errf(n, "!KeyOf %s: no object: %s", id, strings.Join(why, "; "))
	}
	labels := make([]string, len(active))
	for i, a := range active {
		labels[i] = a.e.label()
	}
	return nil, ev.errf(n, "!KeyOf %s: the id is used by %s; it is ambiguous", id, strings.Join(labels, " and "))
}

// cycle describes the reference cycle from entry c to the top of the stack.
func (pl *planner) cycle(c *entryState) string {
	var parts []string
	on := false
	for _, s := range pl.stack {
		if s == c {
			on = true
		}
		if on {
			parts = append(parts, s.e.File+" "+s.e.label())
		}
	}
	parts = append(parts, c.e.File+" "+c.e.label())
	return strings.Join(parts, " → ")
}

// objectKey is the value a reference to an entry's object evaluates to:
// its pk (or another key field), unknown until apply for a created object.
func (pl *planner) objectKey(ev *evaluator, target *entryState, field string, n *Node) (any, error) {
	v := pl.keyValue(target, field, ev.apply)
	if u, ok := v.(*Unknown); ok && ev.apply {
		return nil, ev.errf(n, "internal: %s was not applied before its use", u.Entry.label())
	}
	return v, nil
}

func (pl *planner) keyValue(target *entryState, field string, apply bool) any {
	mi := info(target.model)
	if apply && target.actual != nil {
		if field == "" {
			field = mi.pkField
		}
		return normPK(mi, target.actual[field])
	}
	if _, unknown := target.obj.pk.(*Unknown); unknown {
		return &Unknown{Entry: target.e, ref: target, field: field}
	}
	if field != "" {
		return normalize(target.obj.fields[field])
	}
	return target.obj.pk
}

// find resolves a !Find: live objects plus what earlier entries plan. On a
// miss, entries not planned yet whose written values satisfy the query are
// planned first, so the order of entries does not matter.
func (pl *planner) find(ev *evaluator, n *Node, model string, conds []cond) (any, error) {
	objs, err := pl.store.query(model, conds)
	if err != nil {
		return nil, ev.errf(n, "!Find: %v", err)
	}
	if len(objs) == 0 && !ev.apply {
		for _, es := range pl.entries {
			if es.status != pending || !pl.staticMatch(es, model, conds) {
				continue
			}
			pl.plan(es)
		}
		if objs, err = pl.store.query(model, conds); err != nil {
			return nil, ev.errf(n, "!Find: %v", err)
		}
	}
	desc := findDesc(model, conds)
	switch len(objs) {
	case 0:
		if ev.nullFind || pl.opts.AllowNullFind {
			return nil, nil
		}
		return nil, ev.errf(n, "%s matched no object (it would be null; authentik sets null silently)", desc)
	case 1:
	default:
		return nil, ev.errf(n, "%s matched %d objects; add conditions so that it matches one", desc, len(objs))
	}
	o := objs[0]
	if o.creator != nil {
		ev.es.deps = append(ev.es.deps, o.creator)
		if ev.apply {
			return pl.keyValue(o.creator, "", true), nil
		}
	}
	return o.pk, nil
}

func findDesc(model string, conds []cond) string {
	parts := []string{model}
	for _, c := range conds {
		parts = append(parts, "["+c.path+", "+pyRepr(c.value)+"]")
	}
	return "!Find [" + strings.Join(parts, ", ") + "]"
}

// staticMatch reports whether a pending entry of the model certainly
// creates or designates an object the query matches, judging by the
// values it writes without tags.
func (pl *planner) staticMatch(es *entryState, model string, conds []cond) bool {
	if es.e.Model == "" || es.e.Model == MetaApplyBlueprint || es.e.State == StateAbsent {
		return false
	}
	mi := info(model)
	if mi == nil {
		return false
	}
	if es.e.Model != model && !contains(mi.members, es.e.Model) {
		return false
	}
	if es.static == nil {
		es.static = map[string]any{}
		for _, n := range []*Node{es.e.Attrs, es.e.Identifiers} {
			for _, p := range n.Pairs {
				if v, ok := p.Value.Plain(); ok {
					es.static[p.Key] = normalize(v)
				} else {
					delete(es.static, p.Key)
				}
			}
		}
	}
	emi := info(es.e.Model)
	for _, c := range conds {
		field := strings.Split(c.path, "__")[0]
		if _, ok := es.static[field]; !ok || field == "pk" {
			return false
		}
		ok, err := pl.store.matches(emi, nil, es.static, c.path, c.value)
		if err != nil || !ok {
			return false
		}
	}
	return len(conds) > 0
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// planMeta resolves a metaapplyblueprint entry: the blueprint it names
// joins the plan (once), its entries planned right after this one.
func (pl *planner) planMeta(es *entryState, ev *evaluator) error {
	ch := es.change
	attrs := map[string]any{}
	for _, p := range es.e.Attrs.Pairs {
		ev.field = "attrs." + p.Key
		v, err := ev.eval(p.Value)
		if err != nil {
			return err
		}
		attrs[p.Key] = v
	}
	ev.field = "attrs.identifiers"
	ids, ok := attrs["identifiers"].(map[string]any)
	if !ok || len(ids) == 0 {
		return ev.errf(es.e.Attrs, "a metaapplyblueprint entry needs attrs.identifiers (path or name of the blueprint)")
	}
	required := true
	if r, ok := attrs["required"]; ok {
		b, isBool := r.(bool)
		if !isBool {
			ev.field = "attrs.required"
			return ev.errf(es.e.Attrs, "must be a boolean")
		}
		required = b
	}
	var override map[string]any
	if c, ok := attrs["context"]; ok && c != nil {
		m, isMap := c.(map[string]any)
		if !isMap {
			ev.field = "attrs.context"
			return ev.errf(es.e.Attrs, "must be a mapping")
		}
		override = m
	}
	bp, f, err := pl.metaBlueprint(ids)
	if err != nil {
		return ev.errf(es.e.Attrs, "%v", err)
	}
	ch.Action = ActionApplyBlueprint
	if bp == nil && f == nil {
		if required {
			return ev.errf(es.e.Attrs, "required blueprint %s does not exist", pyRepr(ids))
		}
		ch.Action, ch.Reason = ActionNoop, "blueprint "+pyRepr(ids)+" does not exist (not required)"
		return nil
	}
	if f == nil {
		f = pl.addFile(bp, override)
		es.nested = f
	}
	ch.Blueprint, ch.Name = f.bp.Path, f.bp.Path
	return nil
}

// metaBlueprint finds the blueprint a metaapplyblueprint entry names: one
// already in the plan, or a file of Options.Files (by path, or by
// metadata name).
func (pl *planner) metaBlueprint(ids map[string]any) (*Blueprint, *fileState, error) {
	p, _ := ids["path"].(string)
	name, _ := ids["name"].(string)
	for k := range ids {
		if k != "path" && k != "name" {
			return nil, nil, fmt.Errorf("metaapplyblueprint identifiers: only path and name are supported, not %q", k)
		}
	}
	if p != "" {
		if f, ok := pl.byPath[p]; ok {
			return nil, f, nil
		}
		if f, ok := pl.byPath[fsPath(p)]; ok {
			return nil, f, nil
		}
	}
	if name != "" {
		if f, ok := pl.byName[name]; ok && (p == "" || f.bp.Path == fsPath(p)) {
			return nil, f, nil
		}
	}
	bp, err := loadMeta(pl.opts.Files, p, name)
	if err != nil || bp == nil {
		return nil, nil, err
	}
	if f, ok := pl.byPath[bp.Path]; ok {
		return nil, f, nil
	}
	if f, ok := pl.byName[bp.Metadata.Name]; ok && bp.Metadata.Name != "" {
		return nil, f, nil
	}
	return bp, nil, nil
}

// loadMeta reads a blueprint from files by path, or by metadata name (the
// first *.yaml file, in path order, with that name).
func loadMeta(files fs.FS, p, name string) (*Blueprint, error) {
	if files == nil {
		return nil, errors.New("metaapplyblueprint needs the blueprint files (none were given)")
	}
	if p != "" {
		data, err := fs.ReadFile(files, fsPath(p))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read blueprint %s: %w", p, err)
		}
		bp, err := Parse(fsPath(p), data)
		if err != nil {
			return nil, err
		}
		if name != "" && bp.Metadata.Name != name {
			return nil, nil
		}
		return bp, nil
	}
	var found *Blueprint
	err := fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || found != nil {
			return err
		}
		if d.IsDir() {
			if path != "." && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".yaml") || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		data, err := fs.ReadFile(files, path)
		if err != nil {
			return nil
		}
		bp, err := Parse(path, data)
		if err == nil && bp.Metadata.Name == name {
			found = bp
		}
		return nil
	})
	return found, err
}

// prunes lists the owned objects no entry declares any more.
func (pl *planner) prunes() {
	seen := map[string]bool{}
	for _, o := range pl.opts.Owned {
		model, pk, ok := strings.Cut(o, ":")
		model = strings.ToLower(model)
		if !ok || seen[model+":"+pk] {
			continue
		}
		seen[model+":"+pk] = true
		mi := info(model)
		if mi == nil || mi.m == nil || mi.m.Abstract {
			continue
		}
		vm, err := pl.store.model(model)
		if err != nil {
			pl.errs = append(pl.errs, &Error{Entry: -1, Model: model, Msg: "read owned objects: " + err.Error(), Err: err})
			continue
		}
		obj := vm.byPK[canon(normPK(mi, pk))]
		if obj == nil || !obj.live {
			continue // deleted meanwhile: no longer owned
		}
		pl.ownedLive = append(pl.ownedLive, obj)
		if obj.claimed || obj.deleted {
			continue
		}
		pl.prunesOut = append(pl.prunesOut, &Prune{Model: model, PK: obj.pk, Name: mi.displayName(obj.fields), Delete: pl.opts.Prune})
	}
	sort.SliceStable(pl.prunesOut, func(i, j int) bool {
		a, b := pl.prunesOut[i], pl.prunesOut[j]
		if a.Model != b.Model {
			return a.Model < b.Model
		}
		return pkString(a.PK) < pkString(b.PK)
	})
}
