package tasks_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
	"github.com/akgo/akgo/internal/store/postgres"
	"github.com/akgo/akgo/internal/store/sqlite"
	"github.com/akgo/akgo/internal/tasks"
)

// postgresEnv enables the PostgreSQL runs (the variable apitest uses).
const postgresEnv = "AKGO_TEST_POSTGRES_URL"

// backends lists the databases to run on: SQLite always, PostgreSQL when
// postgresEnv is set.
func backends() []string {
	if os.Getenv(postgresEnv) != "" {
		return []string{"sqlite", "postgres"}
	}
	return []string{"sqlite"}
}

// freshDSN returns a data source for an empty database on backend: a new
// SQLite file, or a new PostgreSQL schema dropped when the test ends.
func freshDSN(t *testing.T, backend string) string {
	t.Helper()
	switch backend {
	case "sqlite":
		return filepath.Join(t.TempDir(), "tasks.db")
	case "postgres":
		raw := os.Getenv(postgresEnv)
		if raw == "" {
			t.Skip("set " + postgresEnv + " to run PostgreSQL tests")
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("parse %s: %v", postgresEnv, err)
		}
		schema := "akgo_tasks_" + uuid.NewString()[:8]
		q := u.Query()
		q.Set("schema", schema) // the store creates it
		u.RawQuery = q.Encode()
		t.Cleanup(func() {
			conn, err := pgx.Connect(context.Background(), raw)
			if err != nil {
				return
			}
			defer conn.Close(context.Background())
			_, _ = conn.Exec(context.Background(), fmt.Sprintf("DROP SCHEMA IF EXISTS %s CASCADE", schema))
		})
		return u.String()
	}
	t.Fatalf("unknown backend %q", backend)
	return ""
}

// openStore opens (and migrates) the database at dsn; several stores on one
// PostgreSQL dsn behave like replicas.
func openStore(t *testing.T, backend, dsn string) store.Store {
	t.Helper()
	var st store.Store
	var err error
	if backend == "sqlite" {
		st, err = sqlite.Open(dsn)
	} else {
		st, err = postgres.Open(context.Background(), dsn)
	}
	if err != nil {
		t.Fatalf("open %s: %v", backend, err)
	}
	t.Cleanup(func() { st.Close() })
	migrations, err := engine.Migrations(registry.Default())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(context.Background(), migrations); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return st
}

// fakeClock is a Clock the test moves by hand.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
}

type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(now time.Time) *fakeClock { return &fakeClock{now: now} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, fakeWaiter{at: c.now.Add(d), ch: ch})
	return ch
}

// Advance moves the clock and fires the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	keep := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.now) {
			keep = append(keep, w)
			continue
		}
		w.ch <- c.now
	}
	c.waiters = keep
}

// waitForTimer blocks until the scheduler waits on a timer (it finished
// dispatching and went to sleep).
func (c *fakeClock) waitForTimer(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		n := len(c.waiters)
		c.mu.Unlock()
		if n > 0 {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("scheduler never waited on the clock")
}

// eventLog is an EventRecorder that remembers what it was asked to record.
type eventLog struct {
	mu     sync.Mutex
	events []recordedEvent
}

type recordedEvent struct {
	action, app string
	data        map[string]any
}

func (l *eventLog) RecordTx(ctx context.Context, tx store.Tx, action, app string, data map[string]any) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, recordedEvent{action, app, data})
	return nil
}

func (l *eventLog) all() []recordedEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]recordedEvent(nil), l.events...)
}

// logSink is a slog handler that hands every record's message to a channel.
type logSink struct{ ch chan string }

func (s logSink) Enabled(context.Context, slog.Level) bool { return true }
func (s logSink) Handle(_ context.Context, r slog.Record) error {
	select {
	case s.ch <- r.Message:
	default:
	}
	return nil
}
func (s logSink) WithAttrs([]slog.Attr) slog.Handler { return s }
func (s logSink) WithGroup(string) slog.Handler      { return s }

// waitLog waits for a log message.
func waitLog(t *testing.T, ch <-chan string, want string) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case got := <-ch:
			if got == want {
				return
			}
		case <-timeout:
			t.Fatalf("log %q never written", want)
		}
	}
}

// record is a stored run as the tests look at it.
type record struct {
	status, description string
	messages            []string
	start, finish       time.Time
	duration            int64
}

// readRecord loads the record of a task (ok false when there is none).
func readRecord(t *testing.T, st store.Store, name string) (record, bool) {
	t.Helper()
	m, _ := registry.Default().Model(tasks.Model)
	var rows []store.Row
	err := st.View(context.Background(), func(tx store.Tx) error {
		var err error
		rows, err = tx.Select(context.Background(), store.Query{Table: m.Table, Where: store.Eq(m.PKColumn, name)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		return record{}, false
	}
	r := rows[0]
	var msgs []string
	switch v := r["messages"].(type) {
	case json.RawMessage:
		_ = json.Unmarshal(v, &msgs)
	case []byte:
		_ = json.Unmarshal(v, &msgs)
	case string:
		_ = json.Unmarshal([]byte(v), &msgs)
	}
	start, _ := r["task_start_timestamp"].(time.Time)
	finish, _ := r["task_finish_timestamp"].(time.Time)
	return record{status: r["status"].(string), description: r["task_description"].(string), messages: msgs,
		start: start, finish: finish, duration: tasks.Duration(m, r)}, true
}

// waitRecord polls until the task's record has the wanted status.
func waitRecord(t *testing.T, st store.Store, name string, status tasks.Status) record {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if r, ok := readRecord(t, st, name); ok && r.status == string(status) {
			return r
		}
		time.Sleep(2 * time.Millisecond)
	}
	r, _ := readRecord(t, st, name)
	t.Fatalf("task %s never recorded %s (last: %+v)", name, status, r)
	return r
}
