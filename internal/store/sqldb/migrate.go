package sqldb

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/akgo/akgo/internal/store"
)

// Migrate registers the descriptors of all migrations, then applies the
// missing ones in version order, each in its own write transaction that
// first takes the dialect's migration lock and re-checks the version, so
// replicas starting together apply every migration exactly once.
func (s *DB) Migrate(ctx context.Context, migrations []store.Migration) error {
	sorted := append([]store.Migration(nil), migrations...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Version < sorted[j].Version })
	for i, m := range sorted {
		if m.Version <= 0 {
			return fmt.Errorf("store: migration %q has version %d; versions start at 1", m.Name, m.Version)
		}
		if i > 0 && sorted[i-1].Version == m.Version {
			return fmt.Errorf("store: migration version %d used twice", m.Version)
		}
	}
	sch, err := BuildSchema(s.d, sorted)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	// Published before applying, so errors raised by the migrations
	// themselves are already translated with the new constraint names.
	s.schema.Store(sch)

	applied := map[int64]bool{}
	err = s.run(ctx, false, func(t *tx) error {
		if err := t.lockMigrations(ctx); err != nil {
			return err
		}
		g := &ddl{d: s.d}
		mt := migrationsTableDesc()
		g.createTable(&mt, true)
		for _, q := range g.stmt {
			if err := t.execDDL(ctx, q); err != nil {
				return err
			}
		}
		rows, err := t.Select(ctx, store.Query{Table: MigrationsTable, Columns: []string{"version"}})
		if err != nil {
			return err
		}
		for _, r := range rows {
			applied[r["version"].(int64)] = true
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: preparing migrations: %w", err)
	}
	if len(applied) == 0 {
		if fn, ok := ctx.Value(emptyDatabaseKey{}).(func()); ok {
			fn()
		}
	}
	if len(applied) == 0 && len(sorted) > 1 && !hasRawSQL(sorted) {
		done, err := s.createLatest(ctx, sch, sorted)
		if err != nil {
			return fmt.Errorf("store: creating the schema of version %d: %w", sorted[len(sorted)-1].Version, err)
		}
		if done {
			return nil
		}
		// Another replica got there first; the loop below re-checks each
		// version under the lock.
	}
	for i, m := range sorted {
		if applied[int64(m.Version)] {
			continue
		}
		before, err := BuildSchema(s.d, sorted[:i])
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		plan, err := s.plan(before, m)
		if err != nil {
			return fmt.Errorf("store: migration %d (%s): %w", m.Version, m.Name, err)
		}
		var pre, post []string
		if plan.rebuilds {
			pre, post = s.d.RebuildPragmas()
		}
		if err := s.runAround(ctx, pre, post, func(t *tx) error { return t.applyMigration(ctx, plan, m) }); err != nil {
			return fmt.Errorf("store: migration %d (%s): %w", m.Version, m.Name, err)
		}
	}
	return nil
}

type emptyDatabaseKey struct{}

// OnEmptyDatabase returns a context that makes Migrate call fn, before
// any schema statement runs, when the database has no migration applied
// yet. Start-up uses it to begin work only a new database needs while
// the tables are being created. fn runs on the goroutine that called
// Migrate, so it must not block.
func OnEmptyDatabase(ctx context.Context, fn func()) context.Context {
	return context.WithValue(ctx, emptyDatabaseKey{}, fn)
}

// hasRawSQL reports migrations with raw statements, which may depend on
// the schema of their own version and so must run in sequence.
func hasRawSQL(ms []store.Migration) bool {
	for _, m := range ms {
		for _, step := range m.Steps {
			if _, ok := step.(store.RawSQL); ok {
				return true
			}
		}
	}
	return false
}

// createLatest gives an empty database the tables of the last version
// directly and records every version as applied, instead of creating the
// first version's tables and altering them version by version (on SQLite
// a column change rebuilds its table). The descriptors are those the
// versions add up to, so the result is the same. It reports false, having
// done nothing, when some version was recorded meanwhile.
func (s *DB) createLatest(ctx context.Context, sch *Schema, sorted []store.Migration) (bool, error) {
	done := false
	err := s.run(ctx, false, func(t *tx) error {
		if err := t.lockMigrations(ctx); err != nil {
			return err
		}
		n, err := t.Count(ctx, store.Query{Table: MigrationsTable})
		if err != nil || n > 0 {
			return err
		}
		g := &ddl{d: s.d}
		for _, name := range creationOrder(sch.tables) {
			tbl := cloneTable(*sch.tables[name])
			g.createTable(&tbl, false)
		}
		if err := t.execAll(ctx, append(g.stmt, g.late...)); err != nil {
			return err
		}
		now := time.Now()
		for _, m := range sorted {
			if _, err := t.Insert(ctx, MigrationsTable, store.Row{"version": int64(m.Version), "name": m.Name, "applied_at": now}); err != nil {
				return err
			}
		}
		done = true
		return nil
	})
	return done, err
}

// creationOrder lists the tables to create on an empty database (all but
// the migrations table, which exists by then): by name, except that a
// table comes after the tables it references, so their foreign keys can
// be declared in CREATE TABLE. Only references within a cycle are left
// to ALTER TABLE.
func creationOrder(tables map[string]*store.Table) []string {
	names := make([]string, 0, len(tables))
	for name := range tables {
		if name != MigrationsTable {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	out := make([]string, 0, len(names))
	seen := map[string]bool{}
	var visit func(name string)
	visit = func(name string) {
		if seen[name] {
			return
		}
		seen[name] = true
		t := tables[name]
		for i := range t.Columns {
			if ref := t.Columns[i].Ref; ref != nil && ref.Table != name && tables[ref.Table] != nil {
				visit(ref.Table)
			}
		}
		out = append(out, name)
	}
	for _, name := range names {
		visit(name)
	}
	return out
}

// migrationPlan is the DDL of one migration.
type migrationPlan struct {
	stmts []string
	// rebuilds: some table is rebuilt (see ddl.rebuild).
	rebuilds bool
}

// plan renders the statements of m, replaying its steps on the
// descriptors of the versions before it so every step sees the table as
// it is at that point. Tables whose columns change on a backend without
// ALTER COLUMN are rebuilt once, after the other steps, from their state
// at the end of the migration; their new indexes come with the rebuild.
func (s *DB) plan(before *Schema, m store.Migration) (*migrationPlan, error) {
	cur := before.tablesOnly()
	rebuild := map[string]bool{}
	var rebuildOrder []string
	if !s.d.AlterColumnInPlace() {
		for _, step := range m.Steps {
			if st, ok := step.(store.AlterColumn); ok && !rebuild[st.Table] {
				rebuild[st.Table] = true
				rebuildOrder = append(rebuildOrder, st.Table)
			}
		}
	}
	g := &ddl{d: s.d, exists: map[string]bool{}}
	for name := range before.tables {
		g.exists[name] = true
	}
	for _, step := range m.Steps {
		var old store.Column
		if st, ok := step.(store.AlterColumn); ok {
			if t, ok := cur.tables[st.Table]; ok {
				if c, ok := t.Column(st.Column.Name); ok {
					old = *c
				}
			}
		}
		if err := cur.apply(step); err != nil {
			return nil, err
		}
		switch st := step.(type) {
		case store.CreateTable:
			tbl := cloneTable(st.Table)
			g.createTable(&tbl, false)
		case store.AddColumn:
			c := st.Column
			if err := g.addColumn(cur.tables[st.Table], &c); err != nil {
				return nil, err
			}
		case store.AlterColumn:
			if !rebuild[st.Table] {
				c := st.Column
				g.alterInPlace(st.Table, &old, &c)
			}
		case store.CreateIndex:
			if !rebuild[st.Table] {
				g.index(st.Table, st.Columns, false)
			}
		case store.RawSQL:
			g.stmt = append(g.stmt, st[s.d.Name()]...)
		}
	}
	for _, name := range rebuildOrder {
		if err := g.rebuild(cur.tables[name]); err != nil {
			return nil, err
		}
	}
	return &migrationPlan{stmts: append(g.stmt, g.late...), rebuilds: len(rebuildOrder) > 0}, nil
}

func (t *tx) lockMigrations(ctx context.Context) error {
	if q := t.s.d.MigrationLock(); q != "" {
		return t.execDDL(ctx, q)
	}
	return nil
}

func (t *tx) applyMigration(ctx context.Context, plan *migrationPlan, m store.Migration) error {
	if err := t.lockMigrations(ctx); err != nil {
		return err
	}
	// Another replica may have applied it while this one waited for the lock.
	n, err := t.Count(ctx, store.Query{Table: MigrationsTable, Where: store.Eq("version", int64(m.Version))})
	if err != nil || n > 0 {
		return err
	}
	if err := t.execAll(ctx, plan.stmts); err != nil {
		return err
	}
	_, err = t.Insert(ctx, MigrationsTable, store.Row{
		"version":    int64(m.Version),
		"name":       m.Name,
		"applied_at": time.Now(),
	})
	return err
}

// execAll runs schema statements, as one script when the dialect batches.
func (t *tx) execAll(ctx context.Context, stmts []string) error {
	if t.s.d.BatchDDL() && len(stmts) > 0 {
		return t.execScript(ctx, stmts)
	}
	for _, q := range stmts {
		if err := t.execDDL(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// execScript runs statements as one script. A failure names the statement
// it came from when the dialect can tell where in the script it happened.
func (t *tx) execScript(ctx context.Context, stmts []string) error {
	if err := t.begin(true); err != nil {
		return err
	}
	const sep = ";\n"
	script := strings.Join(stmts, sep)
	if _, err := t.conn.ExecContext(ctx, script); err != nil {
		if ep, ok := t.s.d.(ErrorPositioner); ok {
			if pos, ok := ep.ErrorPosition(err); ok {
				end := 0
				for _, q := range stmts {
					end += len(q) + len(sep)
					if pos <= end {
						return t.fail(fmt.Errorf("%w\n%s", err, q))
					}
				}
			}
		}
		return t.fail(fmt.Errorf("%w (in a script of %d statements)", err, len(stmts)))
	}
	return nil
}
