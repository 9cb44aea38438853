package engine

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/akgo/akgo/internal/engine/migrations"

	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// ModelColumn is the column of an ancestor table naming the concrete model
// of the row, so polymorphic listings know each row's kind.
const ModelColumn = "akgo_model"

// M2M join table columns.
const (
	M2MSource = "source"
	M2MTarget = "target"
)

func columnType(k registry.Kind) store.ColumnType {
	switch k {
	case registry.KindInt:
		return store.TypeInt
	case registry.KindFloat:
		return store.TypeFloat
	case registry.KindBool:
		return store.TypeBool
	case registry.KindUUID:
		return store.TypeUUID
	case registry.KindTime:
		return store.TypeTime
	case registry.KindJSON:
		return store.TypeJSON
	}
	return store.TypeText
}

var onDelete = map[registry.OnDelete]store.OnDelete{
	registry.Cascade: store.Cascade, registry.SetNull: store.SetNull,
	registry.SetDefault: store.SetDefault, registry.Protect: store.Restrict,
}

// Tables derives every table (one per model, one per many-to-many field)
// from the registry, ordered so referenced tables come first where the
// references allow it.
func Tables(reg *registry.Registry) ([]store.Table, error) {
	var out []store.Table
	for _, m := range reg.Models {
		// A pk shared with the parent comes from the parent's row.
		auto := m.PKAuto && (m.Parent == "" || m.ParentColumn != m.PKColumn)
		t := store.Table{Name: m.Table, PK: []string{m.PKColumn}, AutoIncrement: auto}
		t.Columns = append(t.Columns, store.Column{Name: m.PKColumn, Type: columnType(m.PKKind)})
		seen := map[string]bool{m.PKColumn: true}
		if m.Parent != "" {
			pm, ok := reg.Model(m.Parent)
			if !ok {
				return nil, fmt.Errorf("model %s: unknown parent %s", m.Name, m.Parent)
			}
			ref := &store.ForeignKey{Table: pm.Table, Column: pm.PKColumn, OnDelete: store.Cascade}
			if m.ParentColumn == m.PKColumn {
				t.Columns[0].Ref = ref
			} else {
				t.Columns = append(t.Columns, store.Column{Name: m.ParentColumn, Type: columnType(pm.PKKind), Nullable: true, Ref: ref})
				t.Unique = append(t.Unique, []string{m.ParentColumn})
				seen[m.ParentColumn] = true
			}
		}
		if m.Abstract {
			t.Columns = append(t.Columns, store.Column{Name: ModelColumn, Type: store.TypeText})
			seen[ModelColumn] = true
		}
		for i := range m.Fields {
			f := &m.Fields[i]
			if f.M2M != "" && f.Computed == "" && inheritedM2M(reg, m, f) {
				continue
			}
			if f.M2M != "" && f.Computed == "" {
				target, ok := reg.Model(f.M2M)
				if !ok {
					return nil, fmt.Errorf("model %s field %s: unknown m2m target %s", m.Name, f.Name, f.M2M)
				}
				out = append(out, store.Table{
					Name: m.M2MTable(f), PK: []string{M2MSource, M2MTarget},
					Columns: []store.Column{
						{Name: M2MSource, Type: columnType(m.PKKind), Ref: &store.ForeignKey{Table: m.Table, Column: m.PKColumn, OnDelete: store.Cascade}},
						{Name: M2MTarget, Type: columnType(target.PKKind), Ref: &store.ForeignKey{Table: target.Table, Column: target.PKColumn, OnDelete: store.Cascade}},
					},
				})
				continue
			}
			if !f.Stored() || seen[f.Column] {
				continue
			}
			seen[f.Column] = true
			c := store.Column{Name: f.Column, Type: columnType(f.Kind), Nullable: f.Nullable || !f.HasDefault}
			if sortedText(m, f) {
				// Django's CharFields are NOT NULL and default to "".
				// Declaring it lets both databases walk an index for the
				// default ordering instead of sorting every row for the
				// NULLs-last rule.
				c.Nullable, c.Default = false, ""
			}
			if f.Ref != "" {
				target, ok := reg.Model(f.Ref)
				if !ok {
					return nil, fmt.Errorf("model %s field %s: unknown ref %s", m.Name, f.Name, f.Ref)
				}
				c.Type = columnType(target.PKKind)
				c.Nullable = true
				c.Ref = &store.ForeignKey{Table: target.Table, Column: target.PKColumn, OnDelete: onDelete[f.OnDelete]}
			}
			t.Columns = append(t.Columns, c)
		}
		for _, u := range m.Unique {
			cols := make([]string, 0, len(u))
			for _, name := range u {
				f, ok := m.Field(name)
				if !ok || !f.Stored() {
					return nil, fmt.Errorf("model %s: unique field %s is not stored", m.Name, name)
				}
				cols = append(cols, f.Column)
			}
			t.Unique = append(t.Unique, cols)
		}
		if ix := orderingIndex(m, &t); ix != nil {
			t.Indexes = append(t.Indexes, ix)
		}
		out = append(out, t)
	}
	return orderTables(out), nil
}

// sortedText reports a text field that Django declares NOT NULL without
// a default and that the model's default ordering sorts by.
func sortedText(m *registry.Model, f *registry.Field) bool {
	if f.Kind != registry.KindString || f.Nullable || f.HasDefault || f.Ref != "" || !f.Stored() {
		return false
	}
	for _, d := range m.DefaultOrdering {
		if strings.TrimPrefix(d, "-") == f.Name {
			return true
		}
	}
	return false
}

// SortKey returns the columns a list is sorted by for the requested
// terms: the terms up to the first column that is unique and NOT NULL on
// its own, which orders the rows completely, or else all of them followed
// by the primary key, so equal values still come in a stable order.
// Stopping early is what lets an index on that column drive
// ORDER BY ... LIMIT without a sort; it changes nothing in the result.
func SortKey(t *store.Table, terms []store.Order) []store.Order {
	out := make([]store.Order, 0, len(terms)+1)
	for _, o := range terms {
		out = append(out, o)
		if isPK(t, []string{o.Column}) || uniqueNotNull(t, o.Column) {
			return out
		}
	}
	return append(out, store.Order{Column: t.PK[0]})
}

func isPK(t *store.Table, cols []string) bool { return slices.Equal(t.PK, cols) }

func uniqueNotNull(t *store.Table, col string) bool {
	c, ok := t.Column(col)
	if !ok || c.Nullable {
		return false
	}
	for _, u := range t.Unique {
		if len(u) == 1 && u[0] == col {
			return true
		}
	}
	return false
}

// orderingIndex returns the index a model's default ordering needs, or
// nil when an existing index (primary key, unique constraint) already
// starts with the sort key or when a column of the key may hold NULL
// (SQLite cannot walk an index for NULLs-last beyond its first column).
func orderingIndex(m *registry.Model, t *store.Table) []string {
	if len(m.DefaultOrdering) == 0 || len(t.PK) != 1 {
		return nil
	}
	var terms []store.Order
	for _, d := range m.DefaultOrdering {
		f, ok := m.Field(strings.TrimPrefix(d, "-"))
		if !ok || !f.Stored() {
			return nil
		}
		terms = append(terms, store.Order{Column: f.Column, Desc: strings.HasPrefix(d, "-")})
	}
	key := SortKey(t, terms)
	cols := make([]string, len(key))
	for i, o := range key {
		c, ok := t.Column(o.Column)
		if !ok || c.Nullable && !isPK(t, []string{o.Column}) {
			return nil
		}
		cols[i] = o.Column
	}
	existing := append([][]string{t.PK}, t.Unique...)
	existing = append(existing, t.Indexes...)
	for _, ix := range existing {
		if len(ix) >= len(cols) && slices.Equal(ix[:len(cols)], cols) {
			return nil
		}
	}
	return cols
}

// inheritedM2M reports a many-to-many set stored in an ancestor's join
// table (see Engine.m2mOwner).
func inheritedM2M(reg *registry.Registry, m *registry.Model, f *registry.Field) bool {
	cur := m
	for _, a := range m.Ancestors {
		if cur.ParentColumn != cur.PKColumn {
			return false
		}
		am, ok := reg.Model(a)
		if !ok {
			return false
		}
		if af, ok := am.Field(f.Name); ok && af.M2M == f.M2M && af.Computed == "" {
			return true
		}
		cur = am
	}
	return false
}

// orderTables sorts tables so that a table comes after those it references
// (ignoring self references and cycles, which deferred constraints allow).
func orderTables(ts []store.Table) []store.Table {
	sort.Slice(ts, func(i, j int) bool { return ts[i].Name < ts[j].Name })
	byName := map[string]*store.Table{}
	for i := range ts {
		byName[ts[i].Name] = &ts[i]
	}
	var out []store.Table
	state := map[string]int{}
	var visit func(t *store.Table)
	visit = func(t *store.Table) {
		if state[t.Name] != 0 {
			return
		}
		state[t.Name] = 1
		for _, c := range t.Columns {
			if c.Ref != nil && c.Ref.Table != t.Name {
				if dep, ok := byName[c.Ref.Table]; ok {
					visit(dep)
				}
			}
		}
		state[t.Name] = 2
		out = append(out, *t)
	}
	for i := range ts {
		visit(&ts[i])
	}
	return out
}

// Migrations returns the versioned schema changes: version 1 creates the
// tables of the first snapshot, each later version adds what its snapshot
// has beyond the previous one. TestMigrationsMatchRegistry keeps the latest
// snapshot equal to what the registry describes.
func Migrations(reg *registry.Registry) ([]store.Migration, error) {
	snaps, err := Snapshots()
	if err != nil {
		return nil, err
	}
	var out []store.Migration
	var prev []store.Table
	for i, tables := range snaps {
		steps, err := Diff(prev, tables)
		if err != nil {
			return nil, fmt.Errorf("migration %d: %w", i+1, err)
		}
		if i == 0 {
			steps = append(steps, store.CreateTable{Table: settingsTable})
		}
		out = append(out, store.Migration{Version: i + 1, Name: fmt.Sprintf("schema snapshot %d", i+1), Steps: steps})
		prev = tables
	}
	return out, nil
}

// Snapshots loads the frozen table lists in version order.
func Snapshots() ([][]store.Table, error) {
	names, err := fs.Glob(migrations.FS, "v*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([][]store.Table, 0, len(names))
	for _, n := range names {
		data, err := migrations.FS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		var tables []store.Table
		if err := json.Unmarshal(data, &tables); err != nil {
			return nil, fmt.Errorf("snapshot %s: %w", n, err)
		}
		out = append(out, tables)
	}
	return out, nil
}

// Diff returns the steps that turn schema from into schema to. Only
// additions are derived (new tables, columns and indexes), and changes of
// a column's nullability or default; a removed table, column or index, a
// changed type, reference or unique constraint needs a hand-written
// migration and is reported as an error.
func Diff(from, to []store.Table) ([]store.Step, error) {
	old := map[string]store.Table{}
	for _, t := range from {
		old[t.Name] = t
	}
	var steps []store.Step
	for _, t := range to {
		o, ok := old[t.Name]
		if !ok {
			steps = append(steps, store.CreateTable{Table: t})
			continue
		}
		delete(old, t.Name)
		if !reflect.DeepEqual(o.PK, t.PK) || o.AutoIncrement != t.AutoIncrement {
			return nil, fmt.Errorf("primary key of %s changed: write a migration by hand", t.Name)
		}
		cols := map[string]store.Column{}
		for _, c := range o.Columns {
			cols[c.Name] = c
		}
		for _, c := range t.Columns {
			oc, ok := cols[c.Name]
			if !ok {
				c.Nullable = true // existing rows have no value
				steps = append(steps, store.AddColumn{Table: t.Name, Column: c})
				continue
			}
			delete(cols, c.Name)
			if reflect.DeepEqual(oc, c) {
				continue
			}
			if oc.Type != c.Type || !reflect.DeepEqual(oc.Ref, c.Ref) {
				return nil, fmt.Errorf("column %s.%s changed: write a migration by hand", t.Name, c.Name)
			}
			if oc.Nullable && !c.Nullable && c.Default == nil {
				return nil, fmt.Errorf("column %s.%s becomes NOT NULL without a default for existing rows: write a migration by hand", t.Name, c.Name)
			}
			steps = append(steps, store.AlterColumn{Table: t.Name, Column: c})
		}
		for name := range cols {
			return nil, fmt.Errorf("column %s.%s removed: write a migration by hand", t.Name, name)
		}
		if !sameSets(o.Unique, t.Unique) {
			return nil, fmt.Errorf("unique constraints of %s changed: write a migration by hand", t.Name)
		}
		for _, ix := range o.Indexes {
			if !slices.ContainsFunc(t.Indexes, func(n []string) bool { return slices.Equal(n, ix) }) {
				return nil, fmt.Errorf("index %s(%s) removed: write a migration by hand", t.Name, strings.Join(ix, ", "))
			}
		}
		for _, ix := range t.Indexes {
			if !slices.ContainsFunc(o.Indexes, func(n []string) bool { return slices.Equal(n, ix) }) {
				steps = append(steps, store.CreateIndex{Table: t.Name, Columns: ix})
			}
		}
	}
	for name := range old {
		return nil, fmt.Errorf("table %s removed: write a migration by hand", name)
	}
	return steps, nil
}

// sameSets compares lists of column sets regardless of their order.
func sameSets(a, b [][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.ContainsFunc(b, func(y []string) bool { return slices.Equal(x, y) }) {
			return false
		}
	}
	return true
}

// settingsTable holds server-wide values such as the generated secret key.
var settingsTable = store.Table{
	Name: "akgo_settings", PK: []string{"key"},
	Columns: []store.Column{{Name: "key", Type: store.TypeText}, {Name: "value", Type: store.TypeText}},
}
