package blueprint

import (
	"context"
	"fmt"
	"maps"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/akgo/akgo/internal/registry"
)

// vobj is one object as the plan sees it: a live object (read once), or
// one an entry will create, with the values the plan will have written.
type vobj struct {
	model  string
	pk     any // normalised; *Unknown for a planned create
	fields map[string]any
	raw    Object // the live object as listed (nil for planned creates)
	// shared: fields is raw (normalising it changed nothing), to be
	// copied before the plan changes a field.
	shared bool
	live   bool
	// creator is the entry that creates it (planned creates).
	creator *entryState
	deleted bool
	// claimed: a present/created/must_created entry designates it.
	claimed bool
}

// vmodel is the plan's view of one model's objects.
type vmodel struct {
	mi     *modelInfo
	objs   []*vobj
	byPK   map[string]*vobj
	idx    map[string]map[string][]*vobj // field → normalised value → objects
	err    error
	loaded bool
}

// vstore reads each model through the Target once and then tracks the
// planned creates, updates and deletes, so later entries see the effects
// of earlier ones as authentik's sequential importer does.
type vstore struct {
	ctx    context.Context
	t      Target
	models map[string]*vmodel
	lists  int
}

func newVstore(ctx context.Context, t Target) *vstore {
	return &vstore{ctx: ctx, t: t, models: map[string]*vmodel{}}
}

// model returns a model's objects, listing them on first use.
func (s *vstore) model(name string) (*vmodel, error) {
	vm, ok := s.models[name]
	if !ok {
		vm = &vmodel{mi: info(name), byPK: map[string]*vobj{}, idx: map[string]map[string][]*vobj{}}
		s.models[name] = vm
	}
	if vm.loaded {
		return vm, vm.err
	}
	vm.loaded = true
	if vm.mi == nil {
		vm.err = fmt.Errorf("unknown model %s", name)
		return vm, vm.err
	}
	if vm.mi.m.Abstract {
		return vm, nil // families are read through their members
	}
	s.lists++
	objs, err := s.t.List(s.ctx, name)
	if err != nil {
		vm.err = fmt.Errorf("list %s: %w", name, err)
		return vm, vm.err
	}
	for _, o := range objs {
		// Listed objects are mostly in normal form already; sharing them
		// saves a copy of every object of every listed model.
		n, copied := normalizeShared(map[string]any(o))
		fields := n.(map[string]any)
		v := &vobj{model: name, raw: o, live: true, fields: fields, shared: !copied, pk: normPK(vm.mi, fields[vm.mi.pkField])}
		vm.add(v)
	}
	return vm, nil
}

// members returns the models a query on name covers: the model itself, or
// every concrete member of an abstract family.
func (s *vstore) members(name string) ([]*vmodel, error) {
	mi := info(name)
	if mi == nil {
		return nil, fmt.Errorf("unknown model %s", name)
	}
	names := []string{name}
	if mi.m != nil && mi.m.Abstract {
		names = mi.members
	}
	out := make([]*vmodel, 0, len(names))
	for _, n := range names {
		vm, err := s.model(n)
		if err != nil {
			return nil, err
		}
		out = append(out, vm)
	}
	return out, nil
}

func (vm *vmodel) add(v *vobj) {
	vm.objs = append(vm.objs, v)
	if v.pk != nil {
		vm.byPK[canon(v.pk)] = v
	}
	for f, m := range vm.idx {
		k := vm.idxKey(f, v)
		m[k] = append(m[k], v)
	}
}

func (vm *vmodel) idxKey(field string, v *vobj) string {
	if field == "pk" {
		return canon(v.pk)
	}
	return canon(normField(vm.mi, field, v.fields[field]))
}

// index returns the objects by a field's normalised value, building the
// index on first use.
func (vm *vmodel) index(field string) map[string][]*vobj {
	m, ok := vm.idx[field]
	if !ok {
		m = map[string][]*vobj{}
		for _, v := range vm.objs {
			k := vm.idxKey(field, v)
			m[k] = append(m[k], v)
		}
		vm.idx[field] = m
	}
	return m
}

// set changes fields of an object, keeping the indexes right.
func (vm *vmodel) set(v *vobj, changes map[string]any) {
	for f, m := range vm.idx {
		if _, touched := changes[f]; !touched {
			continue
		}
		old := vm.idxKey(f, v)
		list := m[old]
		for i, o := range list {
			if o == v {
				m[old] = append(list[:i:i], list[i+1:]...)
				break
			}
		}
	}
	if v.shared {
		v.fields, v.shared = maps.Clone(v.fields), false
	}
	for f, val := range changes {
		v.fields[f] = val
	}
	for f, m := range vm.idx {
		if _, touched := changes[f]; touched {
			k := vm.idxKey(f, v)
			m[k] = append(m[k], v)
		}
	}
}

// cond is one lookup of a query: a Django-style path ("slug",
// "user__username", "attributes__contains") and a value.
type cond struct {
	path  string
	value any
}

var lookups = map[string]bool{
	"exact": true, "iexact": true, "contains": true, "icontains": true, "in": true,
	"gt": true, "gte": true, "lt": true, "lte": true, "startswith": true, "istartswith": true,
	"endswith": true, "iendswith": true, "isnull": true, "regex": true, "iregex": true,
}

// query returns the objects of a model (or family) matching all conds.
func (s *vstore) query(model string, conds []cond) ([]*vobj, error) {
	vms, err := s.members(model)
	if err != nil {
		return nil, err
	}
	var out []*vobj
	for _, vm := range vms {
		cands := vm.objs
		rest := conds
		// An exact lookup on a plain field narrows through an index.
		for i, c := range conds {
			if f, ok := indexable(vm.mi, c.path); ok {
				cands = vm.index(f)[canon(normField(vm.mi, f, c.value))]
				rest = append(append([]cond(nil), conds[:i]...), conds[i+1:]...)
				break
			}
		}
	next:
		for _, v := range cands {
			if v.deleted {
				continue
			}
			for _, c := range rest {
				ok, err := s.matches(vm.mi, v.pk, v.fields, c.path, c.value)
				if err != nil {
					return nil, err
				}
				if !ok {
					continue next
				}
			}
			out = append(out, v)
		}
	}
	return out, nil
}

// indexable reports whether a lookup is an exact match on a field an index
// can serve (no traversal, not a many-to-many set or JSON).
func indexable(mi *modelInfo, path string) (string, bool) {
	name := strings.TrimSuffix(path, "__exact")
	if strings.Contains(name, "__") {
		return "", false
	}
	if name == "pk" {
		return "pk", true
	}
	f := mi.field(name)
	if f == nil || f.M2M != "" || f.Kind == registry.KindJSON || f.Array {
		return "", false
	}
	return f.Name, true
}

// matches evaluates one Django-style lookup against an object's fields.
func (s *vstore) matches(mi *modelInfo, pk any, fields map[string]any, path string, want any) (bool, error) {
	parts := strings.Split(path, "__")
	lookup := "exact"
	if len(parts) > 1 && lookups[parts[len(parts)-1]] {
		lookup = parts[len(parts)-1]
		parts = parts[:len(parts)-1]
	}
	name := parts[0]
	var f *registry.Field
	var got any
	if name == "pk" {
		got = pk
	} else {
		f = mi.field(name)
		if f == nil {
			return false, fmt.Errorf("%s has no field %q", mi.name, name)
		}
		got = fields[f.Name]
	}
	rest := parts[1:]
	if len(rest) > 0 && f != nil && (f.Ref != "" || f.M2M != "") {
		// Traverse a relation: compare on the related objects.
		target := f.Ref
		if target == "" {
			target = f.M2M
		}
		vms, err := s.members(target)
		if err != nil {
			return false, err
		}
		var keys []any
		if l, ok := got.([]any); ok {
			keys = l
		} else if got != nil {
			keys = []any{got}
		}
		sub := strings.Join(append(rest, lookup), "__")
		for _, k := range keys {
			for _, vm := range vms {
				o := vm.byPK[canon(normPK(vm.mi, k))]
				if o == nil || o.deleted {
					continue
				}
				ok, err := s.matches(vm.mi, o.pk, o.fields, sub, want)
				if ok || err != nil {
					return ok, err
				}
			}
		}
		return lookup == "isnull" && truthy(want) && len(keys) == 0, nil
	}
	for _, key := range rest { // a path into a JSON field
		m, ok := got.(map[string]any)
		if !ok {
			got = nil
			break
		}
		got = m[key]
	}
	if len(rest) == 0 && f != nil {
		got = normField(mi, f.Name, got)
		if f.M2M == "" && !f.Array {
			want = normField(mi, f.Name, want)
		} else if lookup == "exact" {
			// A many-to-many set matches when any member does.
			if l, ok := got.([]any); ok {
				w := normRefKey(f, want)
				for _, it := range l {
					if canon(it) == canon(w) {
						return true, nil
					}
				}
				return false, nil
			}
		}
	} else if name == "pk" {
		want = normPK(mi, want)
	}
	return lookupMatch(lookup, got, normalize(want))
}

func lookupMatch(lookup string, got, want any) (bool, error) {
	str := func(v any) (string, bool) {
		if v == nil {
			return "", false
		}
		if s, ok := v.(string); ok {
			return s, true
		}
		if _, ok := v.(*Unknown); ok {
			return "", false
		}
		return pyStr(v), true
	}
	switch lookup {
	case "exact":
		return equal(got, want), nil
	case "iexact":
		a, ok1 := str(got)
		b, ok2 := str(want)
		return ok1 && ok2 && strings.EqualFold(a, b), nil
	case "isnull":
		return (got == nil) == truthy(want), nil
	case "in":
		l, ok := want.([]any)
		if !ok {
			return false, fmt.Errorf("__in needs a list, not %s", pyTypeName(want))
		}
		for _, it := range l {
			if canon(got) == canon(normalize(it)) {
				return true, nil
			}
		}
		return false, nil
	case "contains", "icontains":
		if lookup == "contains" {
			switch got.(type) {
			case map[string]any, []any:
				return jsonContains(got, want), nil
			}
		}
		a, ok1 := str(got)
		b, ok2 := str(want)
		if !ok1 || !ok2 {
			return false, nil
		}
		if lookup == "icontains" {
			return strings.Contains(strings.ToLower(a), strings.ToLower(b)), nil
		}
		return strings.Contains(a, b), nil
	case "startswith", "istartswith", "endswith", "iendswith":
		a, ok1 := str(got)
		b, ok2 := str(want)
		if !ok1 || !ok2 {
			return false, nil
		}
		if lookup[0] == 'i' {
			a, b = strings.ToLower(a), strings.ToLower(b)
			lookup = lookup[1:]
		}
		if lookup == "startswith" {
			return strings.HasPrefix(a, b), nil
		}
		return strings.HasSuffix(a, b), nil
	case "regex", "iregex":
		a, ok1 := str(got)
		b, ok2 := str(want)
		if !ok1 || !ok2 {
			return false, nil
		}
		if lookup == "iregex" {
			b = "(?i)" + b
		}
		re, err := regexp.Compile(b)
		if err != nil {
			return false, fmt.Errorf("invalid regular expression: %w", err)
		}
		return re.MatchString(a), nil
	}
	a, ok1 := asReal(got)
	b, ok2 := asReal(want)
	if !ok1 || !ok2 {
		as, ok1 := str(got)
		bs, ok2 := str(want)
		if !ok1 || !ok2 {
			return false, nil
		}
		switch lookup {
		case "gt":
			return as > bs, nil
		case "gte":
			return as >= bs, nil
		case "lt":
			return as < bs, nil
		}
		return as <= bs, nil
	}
	switch lookup {
	case "gt":
		return a > b, nil
	case "gte":
		return a >= b, nil
	case "lt":
		return a < b, nil
	}
	return a <= b, nil
}

// jsonContains is PostgreSQL's @> (Django's JSONField __contains):
// mappings contain a subset of keys with contained values; lists contain
// each wanted item somewhere; scalars are equal.
func jsonContains(got, want any) bool {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return false
		}
		for k, wv := range w {
			gv, has := g[k]
			if !has || !jsonContains(gv, wv) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok {
			return false
		}
		for _, wv := range w {
			found := false
			for _, gv := range g {
				if jsonContains(gv, wv) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
		return true
	}
	if g, ok := got.([]any); ok { // a list contains a scalar it holds
		for _, gv := range g {
			if canon(gv) == canon(want) {
				return true
			}
		}
		return false
	}
	return canon(got) == canon(want)
}

// normPK normalises a primary key of a model (UUIDs in lower case).
func normPK(mi *modelInfo, v any) any {
	v = normalize(v)
	if mi == nil || mi.m == nil {
		return v
	}
	switch mi.m.PKKind {
	case registry.KindUUID:
		if s, ok := v.(string); ok {
			return strings.ToLower(s)
		}
	case registry.KindInt:
		return intValue(v)
	}
	return v
}

// intValue turns integral floats (JSON numbers) and numeric text into
// int64.
func intValue(v any) any {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x)
		}
	case string:
		if n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
			return n
		}
	}
	return v
}

// normRefKey normalises a value of a relation field the way the related
// model's keys are.
func normRefKey(f *registry.Field, v any) any {
	target := f.Ref
	if target == "" {
		target = f.M2M
	}
	return normPK(info(target), v)
}

// normField brings a field's value into the form the API returns it in,
// so equal meanings compare equal: strings for text fields given as
// numbers, lower-case UUIDs, integers for numeric text, one spelling of a
// date-time, many-to-many sets in a stable order.
func normField(mi *modelInfo, name string, v any) any {
	v = normalize(v)
	if name == "pk" {
		return normPK(mi, v)
	}
	f := mi.field(name)
	if f == nil || v == nil {
		return v
	}
	if _, ok := v.(*Unknown); ok {
		return v
	}
	if f.M2M != "" {
		l, ok := v.([]any)
		if !ok {
			return v
		}
		out := make([]any, 0, len(l))
		seen := map[string]bool{}
		for _, it := range l {
			it = normRefKey(f, it)
			k := canon(it)
			if !seen[k] {
				seen[k] = true
				out = append(out, it)
			}
		}
		sort.Slice(out, func(i, j int) bool { return canon(out[i]) < canon(out[j]) })
		return out
	}
	if f.Ref != "" {
		return normRefKey(f, v)
	}
	switch f.Kind {
	case registry.KindString:
		switch v.(type) {
		case int64, float64, bool:
			return pyStr(v)
		}
	case registry.KindUUID:
		if s, ok := v.(string); ok {
			return strings.ToLower(s)
		}
	case registry.KindInt:
		return intValue(v)
	case registry.KindFloat:
		if s, ok := v.(string); ok {
			if n, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
				return normalize(n)
			}
		}
	case registry.KindBool:
		if s, ok := v.(string); ok {
			switch strings.ToLower(s) {
			case "true", "1", "yes", "on":
				return true
			case "false", "0", "no", "off":
				return false
			}
		}
		if n, ok := v.(int64); ok && (n == 0 || n == 1) {
			return n == 1
		}
	case registry.KindTime:
		if s, ok := v.(string); ok {
			if t, ok := parseTime(s); ok {
				return t.UTC().Format(time.RFC3339Nano)
			}
		}
	}
	return v
}

// sameValue compares a desired and a live value of a field by meaning.
func sameValue(mi *modelInfo, name string, want, got any) bool {
	return equal(normField(mi, name, want), normField(mi, name, got))
}
