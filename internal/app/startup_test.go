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
// load, migrations, secret key, bootstrap and the default blueprints (the
// "empty database to ready" figure in docs/benchmarks.md); the
// without-blueprints case shows what applying the defaults costs.
func BenchmarkStartupEmptyDatabase(b *testing.B) {
	if _, err := apispec.Load(); err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name                      string
		bootstrap, skipBlueprints bool
	}{
		{"plain", false, false},
		{"with-bootstrap", true, false},
		{"without-blueprints", false, true},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				cfg := config.Config{Database: config.DatabaseURL{Driver: config.DriverSQLite, DSN: filepath.Join(b.TempDir(), "a.db")},
					SkipBlueprints: tc.skipBlueprints}
				if tc.bootstrap {
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
