package postgres_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/akgo/akgo/internal/store"
	"github.com/akgo/akgo/internal/store/postgres"
	"github.com/akgo/akgo/internal/store/sqldb"
	"github.com/akgo/akgo/internal/store/storetest"
)

const envURL = "AKGO_TEST_POSTGRES_URL"

func baseURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(envURL)
	if u == "" {
		tb.Skip("set AKGO_TEST_POSTGRES_URL to run PostgreSQL tests")
	}
	return u
}

// withSchema returns base with the schema parameter set.
func withSchema(tb testing.TB, base, schema string) string {
	tb.Helper()
	return withParam(tb, base, "schema", schema)
}

// withParam returns base with the query parameter key set to value.
func withParam(tb testing.TB, base, key, value string) string {
	tb.Helper()
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// freshSchema names a new schema and drops it when tb ends, after every
// store opened on it was closed (cleanups run last-registered first).
func freshSchema(tb testing.TB, base string) string {
	tb.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "akgo_test_" + hex.EncodeToString(b)
	tb.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			tb.Error(err)
			return
		}
		defer db.Close()
		if _, err := db.ExecContext(context.Background(), "DROP SCHEMA IF EXISTS "+sqldb.Quote(schema)+" CASCADE"); err != nil {
			tb.Error(err)
		}
	})
	return schema
}

// opener gives each test its own schema; a second call with the same test
// opens another store on that schema.
func opener(base string) storetest.Opener {
	var mu sync.Mutex
	schemas := map[*testing.T]string{}
	return func(t *testing.T) store.Store {
		t.Helper()
		mu.Lock()
		schema, ok := schemas[t]
		if !ok {
			schema = freshSchema(t, base)
			schemas[t] = schema
		}
		mu.Unlock()
		s, err := postgres.Open(t.Context(), withSchema(t, base, schema))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
}

func TestConformance(t *testing.T) {
	storetest.Run(t, opener(baseURL(t)))
}

// TestMigrationScriptError: a migration goes to the server as one script;
// when a statement of it fails, the error still names that statement.
func TestMigrationScriptError(t *testing.T) {
	s := opener(baseURL(t))(t)
	m := store.Migration{Version: 1, Name: "bad", Steps: []store.Step{
		store.CreateTable{Table: store.Table{Name: "fine", PK: []string{"id"}, Columns: []store.Column{{Name: "id", Type: store.TypeInt}}}},
		store.RawSQL{"postgres": {"SELECT 1", "SELECT x FROM no_such_table"}},
		store.CreateTable{Table: store.Table{Name: "after", PK: []string{"id"}, Columns: []store.Column{{Name: "id", Type: store.TypeInt}}}},
	}}
	err := s.Migrate(t.Context(), []store.Migration{m})
	if err == nil || !strings.Contains(err.Error(), "\nSELECT x FROM no_such_table") {
		t.Fatalf("Migrate: %v, want the failing statement named", err)
	}
}

func benchStore(b *testing.B) store.Store {
	base := baseURL(b)
	s, err := postgres.Open(b.Context(), withSchema(b, base, freshSchema(b, base)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func BenchmarkGetByPK(b *testing.B)  { storetest.BenchGetByPK(b, benchStore(b)) }
func BenchmarkInsert(b *testing.B)   { storetest.BenchInsert(b, benchStore(b)) }
func BenchmarkListPage(b *testing.B) { storetest.BenchListPage(b, benchStore(b)) }
func BenchmarkInList(b *testing.B)   { storetest.BenchInList(b, benchStore(b)) }

// TestUnixSocketURL: a URL naming a socket directory in its host
// parameter, as libpq spells it, reaches the server over that socket,
// with the schema parameter still honoured. It runs where the test role
// may log in over the local socket (a pg_hba.conf "local" line for it);
// AKGO_TEST_POSTGRES_SOCKET_DIR names the directory (default
// /var/run/postgresql).
func TestUnixSocketURL(t *testing.T) {
	base := baseURL(t)
	dir := os.Getenv("AKGO_TEST_POSTGRES_SOCKET_DIR")
	if dir == "" {
		dir = "/var/run/postgresql"
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	if _, err := os.Stat(dir + "/.s.PGSQL." + port); err != nil {
		t.Skipf("no PostgreSQL socket in %s (set AKGO_TEST_POSTGRES_SOCKET_DIR): %v", dir, err)
	}
	u.Host = ""
	q := u.Query()
	q.Set("host", dir)
	u.RawQuery = q.Encode()
	socketURL := u.String()
	if db, err := sql.Open("pgx", socketURL); err == nil {
		err = db.PingContext(t.Context())
		db.Close()
		if err != nil {
			t.Skipf("cannot log in over the socket in %s (pg_hba.conf needs a local line for the role): %v", dir, err)
		}
	}

	s, err := postgres.Open(t.Context(), withSchema(t, socketURL, freshSchema(t, base)))
	if err != nil {
		t.Fatalf("Open over the socket: %v", err)
	}
	defer s.Close()
	table := store.Table{Name: "things", PK: []string{"id"}, Columns: []store.Column{{Name: "id", Type: store.TypeInt}, {Name: "via", Type: store.TypeText}}}
	if err := s.Migrate(t.Context(), []store.Migration{{Version: 1, Name: "things", Steps: []store.Step{store.CreateTable{Table: table}}}}); err != nil {
		t.Fatal(err)
	}
	err = s.Update(t.Context(), func(tx store.Tx) error {
		return tx.Exec(t.Context(), `INSERT INTO things (id, via) SELECT 1, CASE WHEN inet_server_addr() IS NULL THEN 'socket' ELSE 'tcp' END`)
	})
	if err != nil {
		t.Fatal(err)
	}
	var rows []store.Row
	err = s.View(t.Context(), func(tx store.Tx) error {
		rows, err = tx.Select(t.Context(), store.Query{Table: "things"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0]["via"] != "socket" {
		t.Fatalf("rows %v, want one row written over the socket", rows)
	}
}
