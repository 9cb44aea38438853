package engine

import (
	"fmt"
	"sort"

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

// Migrations returns the versioned schema changes. Version 1 is the schema
// of authentik 2023.10.4 as the registry describes it; later changes append
// versions instead of editing this one.
func Migrations(reg *registry.Registry) ([]store.Migration, error) {
	tables, err := Tables(reg)
	if err != nil {
		return nil, err
	}
	steps := make([]store.Step, 0, len(tables)+1)
	for _, t := range tables {
		steps = append(steps, store.CreateTable{Table: t})
	}
	steps = append(steps, store.CreateTable{Table: settingsTable})
	return []store.Migration{{Version: 1, Name: "authentik 2023.10.4 models", Steps: steps}}, nil
}

// settingsTable holds server-wide values such as the generated secret key.
var settingsTable = store.Table{
	Name: "akgo_settings", PK: []string{"key"},
	Columns: []store.Column{{Name: "key", Type: store.TypeText}, {Name: "value", Type: store.TypeText}},
}
