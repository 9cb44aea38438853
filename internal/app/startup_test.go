package app

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/apispec"
	"github.com/akgo/akgo/internal/config"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/registry"
)

// BenchmarkStartupEmptyDatabase measures Open on a new SQLite file: schema
// load, migrations, secret key and bootstrap (the "empty database to ready"
// figure in docs/benchmarks.md).
func BenchmarkStartupEmptyDatabase(b *testing.B) {
	if _, err := apispec.Load(); err != nil {
		b.Fatal(err)
	}
	for _, bootstrap := range []bool{false, true} {
		name := "plain"
		if bootstrap {
			name = "with-bootstrap"
		}
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				cfg := config.Config{Database: config.DatabaseURL{Driver: config.DriverSQLite, DSN: filepath.Join(b.TempDir(), "a.db")}}
				if bootstrap {
					cfg.BootstrapPassword, cfg.BootstrapToken = "pw", "token"
				}
				a, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
				if err != nil {
					b.Fatal(err)
				}
				a.Close()
			}
		})
	}
}

func TestStartupPhases(t *testing.T) {
	start := time.Now()
	spec, err := apispec.Parse(apispec.YAML)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("schema: %v", time.Since(start))
	start = time.Now()
	if _, err := engine.Migrations(registry.Default()); err != nil {
		t.Fatal(err)
	}
	_ = spec
	t.Logf("migration plan: %v", time.Since(start))
	start = time.Now()
	st, err := OpenStore(context.Background(), config.DatabaseURL{Driver: config.DriverSQLite, DSN: filepath.Join(t.TempDir(), "a.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ms, _ := engine.Migrations(registry.Default())
	if err := st.Migrate(context.Background(), ms); err != nil {
		t.Fatal(err)
	}
	t.Logf("open + migrate: %v", time.Since(start))
}
