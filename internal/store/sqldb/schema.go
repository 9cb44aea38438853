package sqldb

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/akgo/akgo/internal/store"
)

// MigrationsTable records applied migrations. It is registered like any
// other table so it can be read with Select.
const MigrationsTable = "akgo_migrations"

func migrationsTableDesc() store.Table {
	return store.Table{
		Name: MigrationsTable,
		PK:   []string{"version"},
		Columns: []store.Column{
			{Name: "version", Type: store.TypeInt},
			{Name: "name", Type: store.TypeText},
			{Name: "applied_at", Type: store.TypeTime},
		},
	}
}

// Schema is the set of table descriptors known to a store, derived from
// every migration handed to Migrate (applied now, earlier, or by another
// replica), plus lookups from database constraint names back to columns for
// error translation. It is immutable once built.
type Schema struct {
	tables  map[string]*store.Table
	uniques map[string]UniqueRef
	fks     map[string]FKRef
	// refs lists, per referenced table, the foreign keys pointing at it.
	refs map[string][]FKRef
	// allColumns holds, per table, its quoted column list for SELECTs of
	// every column, which every query would otherwise quote again.
	allColumns map[string]string
	// counted holds the tables whose row count the database keeps (see
	// RowCounter), which Count reads instead of counting rows.
	counted map[string]bool
}

// UniqueRef names the columns of a unique constraint or primary key.
type UniqueRef struct {
	Table   string
	Columns []string
}

// FKRef is one foreign-key column.
type FKRef struct {
	Table  string
	Column string
	Ref    store.ForeignKey
}

// Table returns a registered table descriptor.
func (s *Schema) Table(name string) (*store.Table, bool) {
	t, ok := s.tables[name]
	return t, ok
}

// Unique resolves a database constraint name of a unique constraint or
// primary key.
func (s *Schema) Unique(constraint string) (UniqueRef, bool) {
	u, ok := s.uniques[constraint]
	return u, ok
}

// ForeignKey resolves a database foreign-key constraint name.
func (s *Schema) ForeignKey(constraint string) (FKRef, bool) {
	f, ok := s.fks[constraint]
	return f, ok
}

// ReferencesTo lists the foreign keys pointing at table.
func (s *Schema) ReferencesTo(table string) []FKRef { return s.refs[table] }

// Names of the constraints and indexes sqldb creates. They are derived from
// the descriptors so the error translation can find them again.
func pkName(table string) string      { return table + "__pkey" }
func fkName(table, col string) string { return table + "__" + col + "__fk" }
func indexName(table string, cols []string) string {
	return table + "__" + strings.Join(cols, "__") + "__idx"
}

// BuildSchema replays the table steps of migrations (sorted by version)
// into descriptors and validates them, so a bad descriptor fails the same
// way on every backend before any DDL runs.
func BuildSchema(d Dialect, migrations []store.Migration) (*Schema, error) {
	s := newSchema()
	mt := migrationsTableDesc()
	s.tables[mt.Name] = &mt
	for _, m := range migrations {
		for _, step := range m.Steps {
			if err := s.apply(step); err != nil {
				return nil, fmt.Errorf("migration %d: %w", m.Version, err)
			}
		}
	}
	names := make([]string, 0, len(s.tables))
	for n := range s.tables {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := s.validate(d, s.tables[n]); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func newSchema() *Schema {
	return &Schema{
		tables:     map[string]*store.Table{},
		uniques:    map[string]UniqueRef{},
		fks:        map[string]FKRef{},
		refs:       map[string][]FKRef{},
		allColumns: map[string]string{},
	}
}

// tablesOnly copies the descriptors (not the constraint lookups), for
// replaying the steps of one migration on top of them.
func (s *Schema) tablesOnly() *Schema {
	c := newSchema()
	for n, t := range s.tables {
		ct := cloneTable(*t)
		c.tables[n] = &ct
	}
	return c
}

// apply replays one step on the descriptors.
func (s *Schema) apply(step store.Step) error {
	switch st := step.(type) {
	case store.CreateTable:
		if _, dup := s.tables[st.Table.Name]; dup {
			return fmt.Errorf("table %q created twice", st.Table.Name)
		}
		t := cloneTable(st.Table)
		s.tables[t.Name] = &t
	case *store.CreateTable:
		return fmt.Errorf("pass store.CreateTable by value")
	case store.AddColumn:
		t, ok := s.tables[st.Table]
		if !ok {
			return fmt.Errorf("AddColumn to table %q that no CreateTable step created", st.Table)
		}
		if _, dup := t.Column(st.Column.Name); dup {
			return fmt.Errorf("column %s.%s added twice", st.Table, st.Column.Name)
		}
		t.Columns = append(t.Columns, st.Column)
	case store.AlterColumn:
		return alterColumn(s, st)
	case store.CreateIndex:
		t, ok := s.tables[st.Table]
		if !ok {
			return fmt.Errorf("CreateIndex on table %q that no CreateTable step created", st.Table)
		}
		for _, ix := range t.Indexes {
			if slices.Equal(ix, st.Columns) {
				return fmt.Errorf("index %s(%s) created twice", st.Table, strings.Join(st.Columns, ", "))
			}
		}
		t.Indexes = append(t.Indexes, slices.Clone(st.Columns))
	case store.RawSQL:
	default:
		return fmt.Errorf("unknown step %T", step)
	}
	return nil
}

// alterColumn applies an AlterColumn step to the descriptor it names.
// Only nullability and the default may change: anything else would need
// the data converted, which no backend does for us.
func alterColumn(s *Schema, st store.AlterColumn) error {
	t, ok := s.tables[st.Table]
	if !ok {
		return fmt.Errorf("AlterColumn on table %q that no CreateTable step created", st.Table)
	}
	old, ok := t.Column(st.Column.Name)
	if !ok {
		return fmt.Errorf("AlterColumn of unknown column %s.%s", st.Table, st.Column.Name)
	}
	nc := st.Column
	if nc.Type != old.Type || !reflect.DeepEqual(nc.Ref, old.Ref) {
		return fmt.Errorf("AlterColumn %s.%s: only nullability and the default can change", st.Table, nc.Name)
	}
	if isPK(t, nc.Name) {
		return fmt.Errorf("AlterColumn %s.%s: a primary key column cannot be altered", st.Table, nc.Name)
	}
	if old.Nullable && !nc.Nullable && nc.Default == nil {
		return fmt.Errorf("AlterColumn %s.%s: a column made NOT NULL needs a default for the rows holding NULL", st.Table, nc.Name)
	}
	*old = nc
	return nil
}

func cloneTable(t store.Table) store.Table {
	t.PK = append([]string(nil), t.PK...)
	t.Columns = append([]store.Column(nil), t.Columns...)
	t.Unique = append([][]string(nil), t.Unique...)
	t.Indexes = append([][]string(nil), t.Indexes...)
	return t
}

var validTypes = map[store.ColumnType]bool{
	store.TypeText: true, store.TypeInt: true, store.TypeFloat: true, store.TypeBool: true,
	store.TypeUUID: true, store.TypeTime: true, store.TypeJSON: true, store.TypeBytes: true,
}

func (s *Schema) validate(d Dialect, t *store.Table) error {
	if t.Name == "" {
		return fmt.Errorf("table without a name")
	}
	if len(t.PK) == 0 {
		return fmt.Errorf("table %s: no primary key", t.Name)
	}
	seen := map[string]bool{}
	for i := range t.Columns {
		c := &t.Columns[i]
		if seen[c.Name] || c.Name == "" {
			return fmt.Errorf("table %s: duplicate or empty column name %q", t.Name, c.Name)
		}
		seen[c.Name] = true
		if !validTypes[c.Type] {
			return fmt.Errorf("table %s: column %s has unknown type %q", t.Name, c.Name, c.Type)
		}
		if c.Default != nil {
			if _, err := canonical(c.Type, c.Default); err != nil {
				return fmt.Errorf("table %s: column %s: default: %w", t.Name, c.Name, err)
			}
		}
		if c.Ref != nil {
			rt, ok := s.tables[c.Ref.Table]
			if !ok {
				return fmt.Errorf("table %s: column %s references unknown table %q", t.Name, c.Name, c.Ref.Table)
			}
			rc, ok := rt.Column(c.Ref.Column)
			if !ok {
				return fmt.Errorf("table %s: column %s references unknown column %s.%s", t.Name, c.Name, c.Ref.Table, c.Ref.Column)
			}
			if rc.Type != c.Type {
				return fmt.Errorf("table %s: column %s (%s) references %s.%s of type %s", t.Name, c.Name, c.Type, c.Ref.Table, c.Ref.Column, rc.Type)
			}
			switch onDelete(c.Ref) {
			case store.Cascade, store.Restrict:
			case store.SetNull:
				if !c.Nullable {
					return fmt.Errorf("table %s: column %s is ON DELETE SET NULL but not nullable", t.Name, c.Name)
				}
			case store.SetDefault:
				if c.Default == nil && !c.Nullable {
					return fmt.Errorf("table %s: column %s is ON DELETE SET DEFAULT without a default", t.Name, c.Name)
				}
			default:
				return fmt.Errorf("table %s: column %s: unknown ON DELETE %q", t.Name, c.Name, c.Ref.OnDelete)
			}
			ref := FKRef{Table: t.Name, Column: c.Name, Ref: *c.Ref}
			s.fks[d.ConstraintName(fkName(t.Name, c.Name))] = ref
			s.refs[c.Ref.Table] = append(s.refs[c.Ref.Table], ref)
		}
	}
	check := func(what string, cols []string) error {
		if len(cols) == 0 {
			return fmt.Errorf("table %s: empty %s", t.Name, what)
		}
		for _, c := range cols {
			if !seen[c] {
				return fmt.Errorf("table %s: %s names unknown column %q", t.Name, what, c)
			}
		}
		return nil
	}
	if err := check("primary key", t.PK); err != nil {
		return err
	}
	if t.AutoIncrement {
		c, _ := t.Column(t.PK[0])
		if len(t.PK) != 1 || c.Type != store.TypeInt {
			return fmt.Errorf("table %s: AutoIncrement needs a single int primary key", t.Name)
		}
	}
	s.uniques[d.ConstraintName(pkName(t.Name))] = UniqueRef{Table: t.Name, Columns: t.PK}
	cols := make([]string, len(t.Columns))
	for i := range t.Columns {
		cols[i] = t.Columns[i].Name
	}
	s.allColumns[t.Name] = quoteList(cols)
	for _, u := range t.Unique {
		if err := check("unique constraint", u); err != nil {
			return err
		}
		s.uniques[d.ConstraintName(store.UniqueName(t.Name, u))] = UniqueRef{Table: t.Name, Columns: u}
	}
	for _, ix := range t.Indexes {
		if err := check("index", ix); err != nil {
			return err
		}
	}
	return nil
}

// onDelete defaults an empty action to RESTRICT: refusing the delete is the
// only choice that never loses or rewrites data silently.
func onDelete(fk *store.ForeignKey) store.OnDelete {
	if fk.OnDelete == "" {
		return store.Restrict
	}
	return fk.OnDelete
}
