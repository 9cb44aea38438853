package engine

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"reflect"
	"sort"

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
		out = append(out, t)
	}
	return orderTables(out), nil
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
// additions are derived; a removed or changed table or column needs a
// hand-written migration and is reported as an error.
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
			if !reflect.DeepEqual(oc, c) {
				return nil, fmt.Errorf("column %s.%s changed: write a migration by hand", t.Name, c.Name)
			}
			delete(cols, c.Name)
		}
		for name := range cols {
			return nil, fmt.Errorf("column %s.%s removed: write a migration by hand", t.Name, name)
		}
		if !reflect.DeepEqual(o.Unique, t.Unique) && len(o.Unique) > 0 {
			return nil, fmt.Errorf("unique constraints of %s changed: write a migration by hand", t.Name)
		}
	}
	for name := range old {
		return nil, fmt.Errorf("table %s removed: write a migration by hand", name)
	}
	return steps, nil
}

// settingsTable holds server-wide values such as the generated secret key.
var settingsTable = store.Table{
	Name: "akgo_settings", PK: []string{"key"},
	Columns: []store.Column{{Name: "key", Type: store.TypeText}, {Name: "value", Type: store.TypeText}},
}
