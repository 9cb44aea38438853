package sqldb

import (
	"context"
	"fmt"
	"sort"
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
	for _, m := range sorted {
		if applied[int64(m.Version)] {
			continue
		}
		if err := s.run(ctx, false, func(t *tx) error { return t.applyMigration(ctx, sch, m) }); err != nil {
			return fmt.Errorf("store: migration %d (%s): %w", m.Version, m.Name, err)
		}
	}
	return nil
}

func (t *tx) lockMigrations(ctx context.Context) error {
	if q := t.s.d.MigrationLock(); q != "" {
		return t.execDDL(ctx, q)
	}
	return nil
}

func (t *tx) applyMigration(ctx context.Context, sch *Schema, m store.Migration) error {
	if err := t.lockMigrations(ctx); err != nil {
		return err
	}
	// Another replica may have applied it while this one waited for the lock.
	n, err := t.Count(ctx, store.Query{Table: MigrationsTable, Where: store.Eq("version", int64(m.Version))})
	if err != nil || n > 0 {
		return err
	}
	g := &ddl{d: t.s.d}
	for _, step := range m.Steps {
		switch st := step.(type) {
		case store.CreateTable:
			tbl := cloneTable(st.Table)
			g.createTable(&tbl, false)
		case store.AddColumn:
			tbl, _ := sch.Table(st.Table)
			c := st.Column
			if err := g.addColumn(tbl, &c); err != nil {
				return err
			}
		case store.RawSQL:
			g.stmt = append(g.stmt, st[t.s.d.Name()]...)
		}
	}
	for _, q := range append(g.stmt, g.late...) {
		if err := t.execDDL(ctx, q); err != nil {
			return err
		}
	}
	_, err = t.Insert(ctx, MigrationsTable, store.Row{
		"version":    int64(m.Version),
		"name":       m.Name,
		"applied_at": time.Now(),
	})
	return err
}
