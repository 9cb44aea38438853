package blueprinttest

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/akgo/akgo/internal/blueprint"
	"github.com/akgo/akgo/internal/registry"
)

// Call is one recorded Target call.
type Call struct {
	Op    string // "list", "create", "update", "delete"
	Model string
	PK    any
	Attrs blueprint.Object
}

// ValidationError is a write the memory target refuses, with messages per
// field (the shape of an API 400).
type ValidationError struct {
	Fields map[string][]string
}

func (e *ValidationError) Error() string {
	var parts []string
	for _, k := range sortedKeys(e.Fields) {
		parts = append(parts, k+": "+strings.Join(e.Fields[k], " "))
	}
	return "validation failed: " + strings.Join(parts, "; ")
}

// FieldErrors implements blueprint.FieldErrorer.
func (e *ValidationError) FieldErrors() map[string][]string { return e.Fields }

// Memory is an in-memory Target. It is safe for concurrent use.
type Memory struct {
	// Fail, when set, is asked before every call; an error fails the call.
	Fail func(op, model string, pk any, attrs blueprint.Object) error

	mu   sync.Mutex
	reg  *registry.Registry
	objs map[string][]blueprint.Object
	// pos: model → pk → index in objs; uniq: model → unique set → values → pk.
	pos    map[string]map[string]int
	uniq   map[string]map[int]map[string]string
	secret map[string]map[string]map[string]any // model → pk → hidden fields
	nextID int64
	uuids  int64
	calls  []Call
}

var _ blueprint.Target = (*Memory)(nil)

// New returns an empty memory target over the default registry.
func New() *Memory {
	return &Memory{reg: registry.Default(), objs: map[string][]blueprint.Object{}, secret: map[string]map[string]map[string]any{},
		pos: map[string]map[string]int{}, uniq: map[string]map[int]map[string]string{}}
}

// Calls returns the calls made so far.
func (m *Memory) Calls() []Call {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Call(nil), m.calls...)
}

// Count counts the calls of an operation ("" for any), on a model ("" for
// any).
func (m *Memory) Count(op, model string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, c := range m.calls {
		if (op == "" || c.Op == op) && (model == "" || c.Model == model) {
			n++
		}
	}
	return n
}

// ResetCalls forgets the recorded calls.
func (m *Memory) ResetCalls() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = nil
}

func (m *Memory) model(name string) (*registry.Model, error) {
	mod, ok := m.reg.Model(strings.ToLower(name))
	if !ok {
		return nil, fmt.Errorf("unknown model %s", name)
	}
	return mod, nil
}

// Seed stores objects as they are (a missing pk is generated, registry
// defaults are filled) without recording calls.
func (m *Memory) Seed(model string, objs ...blueprint.Object) {
	m.mu.Lock()
	defer m.mu.Unlock()
	mod, err := m.model(model)
	if err != nil {
		panic(err)
	}
	for _, o := range objs {
		m.insert(mod, normalizeJSON(o))
	}
}

// Objects returns a model's objects (copies, in creation order).
func (m *Memory) Objects(model string) []blueprint.Object {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]blueprint.Object, 0, len(m.objs[model]))
	for _, o := range m.objs[model] {
		out = append(out, clone(o))
	}
	return out
}

// Get returns an object by pk.
func (m *Memory) Get(model string, pk any) (blueprint.Object, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	mod, err := m.model(model)
	if err != nil {
		return nil, false
	}
	if i := m.find(mod, pk); i >= 0 {
		return clone(m.objs[mod.Name][i]), true
	}
	return nil, false
}

// Secret returns a blueprint-only value the target stored for an object
// (a user's password, a token's key).
func (m *Memory) Secret(model string, pk any, field string) (any, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.secret[model][keyOf(pk)][field]
	return v, ok
}

// List returns every object of a model, or of every member of a family.
func (m *Memory) List(ctx context.Context, model string) ([]blueprint.Object, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, Call{Op: "list", Model: model})
	if err := m.fail("list", model, nil, nil); err != nil {
		return nil, err
	}
	mod, err := m.model(model)
	if err != nil {
		return nil, err
	}
	names := []string{mod.Name}
	if mod.Abstract {
		names = nil
		for _, mm := range m.reg.Members(mod.Name) {
			names = append(names, mm.Name)
		}
	}
	var out []blueprint.Object
	for _, n := range names {
		for _, o := range m.objs[n] {
			out = append(out, toJSON(o))
		}
	}
	return out, nil
}

// Create stores a new object and returns it.
func (m *Memory) Create(ctx context.Context, model string, attrs blueprint.Object) (blueprint.Object, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, Call{Op: "create", Model: model, Attrs: normalizeJSON(attrs)})
	if err := m.fail("create", model, nil, attrs); err != nil {
		return nil, err
	}
	mod, err := m.model(model)
	if err != nil {
		return nil, err
	}
	if mod.Abstract {
		return nil, fmt.Errorf("cannot create %s: it is abstract", mod.Name)
	}
	obj := normalizeJSON(attrs)
	hidden := takeHidden(mod, obj)
	if err := m.check(mod, obj, -1); err != nil {
		return nil, err
	}
	o := m.insert(mod, obj)
	m.storeHidden(mod, o, hidden)
	return toJSON(o), nil
}

// Update changes the given fields of an object.
func (m *Memory) Update(ctx context.Context, model string, pk any, attrs blueprint.Object) (blueprint.Object, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, Call{Op: "update", Model: model, PK: pk, Attrs: normalizeJSON(attrs)})
	if err := m.fail("update", model, pk, attrs); err != nil {
		return nil, err
	}
	mod, err := m.model(model)
	if err != nil {
		return nil, err
	}
	i := m.find(mod, pk)
	if i < 0 {
		return nil, fmt.Errorf("update %s %v: %w", mod.Name, pk, blueprint.ErrNotFound)
	}
	upd := normalizeJSON(attrs)
	hidden := takeHidden(mod, upd)
	next := clone(m.objs[mod.Name][i])
	for k, v := range upd {
		if f, ok := mod.Field(k); ok && f.ReadOnly {
			continue
		}
		next[k] = v
	}
	if err := m.check(mod, next, i); err != nil {
		return nil, err
	}
	m.index(mod, m.objs[mod.Name][i], false)
	m.objs[mod.Name][i] = next
	m.index(mod, next, true)
	m.storeHidden(mod, next, hidden)
	return toJSON(next), nil
}

// Delete removes an object and cascades along foreign keys.
func (m *Memory) Delete(ctx context.Context, model string, pk any) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, Call{Op: "delete", Model: model, PK: pk})
	if err := m.fail("delete", model, pk, nil); err != nil {
		return err
	}
	mod, err := m.model(model)
	if err != nil {
		return err
	}
	i := m.find(mod, pk)
	if i < 0 {
		return fmt.Errorf("delete %s %v: %w", mod.Name, pk, blueprint.ErrNotFound)
	}
	m.remove(mod, i)
	return nil
}

func (m *Memory) fail(op, model string, pk any, attrs blueprint.Object) error {
	if m.Fail == nil {
		return nil
	}
	return m.Fail(op, model, pk, attrs)
}

func pkName(mod *registry.Model) string { return blueprint.PKField(mod.Name) }

func (m *Memory) find(mod *registry.Model, pk any) int {
	if i, ok := m.pos[mod.Name][keyOf(pk)]; ok {
		return i
	}
	return -1
}

// reindex rebuilds a model's position index (after a removal).
func (m *Memory) reindex(model string) {
	pos := make(map[string]int, len(m.objs[model]))
	mod, _ := m.reg.Model(model)
	for i, o := range m.objs[model] {
		pos[keyOf(o[pkName(mod)])] = i
	}
	m.pos[model] = pos
}

// uniqueKey is the text of an object's values of a unique set ("" when
// one of them is null: NULLs never collide).
func uniqueKey(set []string, obj blueprint.Object) string {
	var b strings.Builder
	for _, f := range set {
		if obj[f] == nil {
			return ""
		}
		b.WriteString(keyOf(obj[f]))
		b.WriteByte(0)
	}
	return b.String()
}

func (m *Memory) index(mod *registry.Model, obj blueprint.Object, add bool) {
	sets := m.uniq[mod.Name]
	if sets == nil {
		sets = map[int]map[string]string{}
		m.uniq[mod.Name] = sets
	}
	pk := keyOf(obj[pkName(mod)])
	for i, set := range mod.Unique {
		k := uniqueKey(set, obj)
		if k == "" {
			continue
		}
		if sets[i] == nil {
			sets[i] = map[string]string{}
		}
		if add {
			sets[i][k] = pk
		} else if sets[i][k] == pk {
			delete(sets[i], k)
		}
	}
}

func keyOf(v any) string {
	switch x := v.(type) {
	case float64:
		if x == float64(int64(x)) {
			return fmt.Sprint(int64(x))
		}
	case string:
		return strings.ToLower(x)
	}
	return fmt.Sprint(v)
}

// insert fills the pk, the key of a multi-table parent and the registry
// defaults, and stores the object.
func (m *Memory) insert(mod *registry.Model, obj blueprint.Object) blueprint.Object {
	pk := pkName(mod)
	if obj[pk] == nil {
		obj[pk] = m.newKey(mod.PKKind)
	}
	for _, f := range mod.Fields {
		if _, ok := obj[f.Name]; ok || f.Hidden || f.Computed != "" {
			continue
		}
		switch {
		case f.Column != "" && f.Column == mod.ParentColumn && f.Name != pk:
			obj[f.Name] = m.newKey(registry.KindUUID)
		case f.HasDefault:
			obj[f.Name] = normalizeJSON(map[string]any{"v": f.Default})["v"]
		case f.M2M != "":
			obj[f.Name] = []any{}
		}
	}
	m.objs[mod.Name] = append(m.objs[mod.Name], obj)
	if m.pos[mod.Name] == nil {
		m.pos[mod.Name] = map[string]int{}
	}
	m.pos[mod.Name][keyOf(obj[pk])] = len(m.objs[mod.Name]) - 1
	m.index(mod, obj, true)
	return obj
}

func (m *Memory) newKey(kind registry.Kind) any {
	if kind == registry.KindInt {
		m.nextID++
		return float64(m.nextID)
	}
	m.uuids++
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", m.uuids)
}

// takeHidden removes the blueprint-only and hidden fields from a write.
func takeHidden(mod *registry.Model, obj blueprint.Object) map[string]any {
	out := map[string]any{}
	for k, v := range obj {
		if f, ok := mod.Field(k); ok && (f.Hidden || f.WriteOnly) {
			out[k] = v
			delete(obj, k)
		}
	}
	return out
}

func (m *Memory) storeHidden(mod *registry.Model, obj blueprint.Object, hidden map[string]any) {
	if len(hidden) == 0 {
		return
	}
	byPK := m.secret[mod.Name]
	if byPK == nil {
		byPK = map[string]map[string]any{}
		m.secret[mod.Name] = byPK
	}
	k := keyOf(obj[pkName(mod)])
	if byPK[k] == nil {
		byPK[k] = map[string]any{}
	}
	for f, v := range hidden {
		byPK[k][f] = v
	}
}

// check enforces the registry's unique sets (the object at index self is
// the one being updated).
func (m *Memory) check(mod *registry.Model, obj blueprint.Object, self int) error {
	selfPK := ""
	if self >= 0 {
		selfPK = keyOf(m.objs[mod.Name][self][pkName(mod)])
	}
	for i, set := range mod.Unique {
		k := uniqueKey(set, obj)
		if k == "" {
			continue
		}
		if other, taken := m.uniq[mod.Name][i][k]; taken && other != selfPK {
			return &ValidationError{Fields: map[string][]string{set[0]: {fmt.Sprintf("%s with this %s already exists.", mod.VerboseName, strings.Join(set, " and "))}}}
		}
	}
	return nil
}

// remove deletes an object and applies the on-delete actions of the
// foreign keys pointing at it (or at one of its ancestors).
func (m *Memory) remove(mod *registry.Model, i int) {
	obj := m.objs[mod.Name][i]
	m.objs[mod.Name] = append(m.objs[mod.Name][:i:i], m.objs[mod.Name][i+1:]...)
	m.index(mod, obj, false)
	m.reindex(mod.Name)
	keys := map[string]bool{keyOf(obj[pkName(mod)]): true}
	for _, f := range mod.Fields {
		if f.Column != "" && f.Column == mod.ParentColumn {
			keys[keyOf(obj[f.Name])] = true
		}
	}
	for _, ref := range m.reg.ReferencesTo(mod) {
		from := ref.From
		if from.Abstract {
			continue
		}
		for j := 0; j < len(m.objs[from.Name]); j++ {
			o := m.objs[from.Name][j]
			v := o[ref.Field.Name]
			if ref.Field.M2M != "" {
				if l, ok := v.([]any); ok {
					kept := l[:0:0]
					for _, it := range l {
						if !keys[keyOf(it)] {
							kept = append(kept, it)
						}
					}
					o[ref.Field.Name] = kept
				}
				continue
			}
			if v == nil || !keys[keyOf(v)] {
				continue
			}
			switch ref.Field.OnDelete {
			case registry.Cascade:
				m.remove(from, j)
				j = -1 // indexes moved: rescan
			default:
				o[ref.Field.Name] = nil
			}
		}
	}
}

// normalizeJSON makes a value look as if it came out of encoding/json
// (float64 numbers, map[string]any, []any).
func normalizeJSON(o blueprint.Object) blueprint.Object {
	if o == nil {
		return nil
	}
	b, _ := json.Marshal(o)
	var out blueprint.Object
	_ = json.Unmarshal(b, &out)
	return out
}

// clone deep-copies a stored (already normalised) object.
func clone(o blueprint.Object) blueprint.Object {
	if o == nil {
		return nil
	}
	return copyValue(o).(map[string]any)
}

func copyValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, it := range x {
			out[k] = copyValue(it)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, it := range x {
			out[i] = copyValue(it)
		}
		return out
	}
	return v
}

func toJSON(o blueprint.Object) blueprint.Object { return clone(o) }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
