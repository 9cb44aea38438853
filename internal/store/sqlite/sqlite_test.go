package sqlite_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/store"
	"github.com/akgo/akgo/internal/store/sqlite"
	"github.com/akgo/akgo/internal/store/storetest"
)

// opener gives each test its own database file; a second call with the
// same test reopens that file.
func opener() storetest.Opener {
	var mu sync.Mutex
	paths := map[*testing.T]string{}
	return func(t *testing.T) store.Store {
		t.Helper()
		mu.Lock()
		path, ok := paths[t]
		if !ok {
			path = filepath.Join(t.TempDir(), "sub", "akgo.db")
			paths[t] = path
		}
		mu.Unlock()
		s, err := sqlite.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
}

func TestConformance(t *testing.T) {
	storetest.Run(t, opener())
}

func TestConformanceInMemory(t *testing.T) {
	// In memory every Open is a new database, so only the tests that open
	// once apply.
	storetest.Run(t, func(t *testing.T) store.Store {
		switch t.Name() {
		case "TestConformanceInMemory/Reopen", "TestConformanceInMemory/AlterReopen", "TestConformanceInMemory/Migrate/concurrent_calls_from_two_stores":
			t.Skip("needs a second handle on the same database")
		case "TestConformanceInMemory/Concurrency":
			t.Skip("one connection: a write inside a view would wait for itself")
		}
		s, err := sqlite.Open(":memory:")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func benchStore(b *testing.B) store.Store {
	s, err := sqlite.Open(filepath.Join(b.TempDir(), "bench.db"))
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

// TestBackgroundCheckpoint: writers never checkpoint, so the database
// file only grows when the background checkpointer copies the WAL into it.
func TestBackgroundCheckpoint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ckpt.db")
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(t.Context(), storetest.Migrations); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * sqlite.CheckpointInterval) // the schema reaches the file
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size()
	err = s.Update(t.Context(), func(tx store.Tx) error {
		for i := 0; i < 2000; i++ {
			if _, err := tx.Insert(t.Context(), "items", store.Row{"name": strings.Repeat("x", 200)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * sqlite.CheckpointInterval)
	for size() <= before {
		if time.Now().After(deadline) {
			t.Fatalf("database file still %d bytes: the WAL was not checkpointed", before)
		}
		time.Sleep(sqlite.CheckpointInterval / 5)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}
