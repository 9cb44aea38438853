package tasks_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
	"github.com/akgo/akgo/internal/tasks"
)

// replicas builds two schedulers on separate connections to one PostgreSQL
// schema, each with its own in-process guards: only the advisory lock can
// keep them from running the same task together.
func replicas(t *testing.T, clock tasks.Clock, logs chan string, run tasks.Func) [2]*tasks.Scheduler {
	t.Helper()
	dsn := freshDSN(t, "postgres")
	var out [2]*tasks.Scheduler
	for i := range out {
		st := openStore(t, "postgres", dsn)
		s, err := tasks.New(tasks.Config{Store: st, Registry: registry.Default(), Clock: clock, Log: slog.New(logSink{logs})})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Register(tasks.Task{Name: "shared", Schedule: tasks.Every{Period: time.Minute}, Run: run}); err != nil {
			t.Fatal(err)
		}
		out[i] = s
	}
	return out
}

func TestPostgresOneReplicaRunsATask(t *testing.T) {
	var running, peak atomic.Int32
	started, release, stop := make(chan struct{}, 10), make(chan struct{}), make(chan struct{})
	run := func(context.Context) (tasks.Result, error) {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		started <- struct{}{}
		select {
		case <-release:
		case <-stop:
		}
		return tasks.Result{}, nil
	}
	ctx := context.Background()
	r := replicas(t, nil, make(chan string, 100), run)
	a, b := r[0], r[1]
	// Registered after the stores, so it runs first: a failing test must
	// not leave runs blocked while the stores close.
	t.Cleanup(func() { close(stop) })
	first := make(chan error, 1)
	go func() { _, err := a.Run(ctx, "shared"); first <- err }()
	<-started

	tried := make(chan error, 1)
	go func() { _, err := b.TryRun(ctx, "shared"); tried <- err }()
	select {
	case err := <-tried:
		if !errors.Is(err, tasks.ErrBusy) {
			t.Fatalf("TryRun on the other replica = %v, want ErrBusy", err)
		}
	case <-started:
		t.Fatal("TryRun on the other replica ran the task while it was running")
	case <-time.After(5 * time.Second):
		t.Fatal("TryRun on the other replica neither ran nor returned")
	}
	// A retry on the other replica waits for the running instance.
	second := make(chan error, 1)
	go func() { _, err := b.Run(ctx, "shared"); second <- err }()
	select {
	case <-started:
		t.Fatal("the other replica ran the task while it was running")
	case <-time.After(200 * time.Millisecond):
	}
	release <- struct{}{}
	if err := <-first; err != nil {
		t.Fatalf("first run: %v", err)
	}
	<-started
	release <- struct{}{}
	if err := <-second; err != nil {
		t.Fatalf("waiting run: %v", err)
	}
	if p := peak.Load(); p != 1 {
		t.Fatalf("%d runs overlapped, want 1", p)
	}
}

func TestPostgresSchedulersShareTicks(t *testing.T) {
	clock := newFakeClock(t0)
	logs := make(chan string, 100)
	var starts atomic.Int32
	started, release := make(chan struct{}, 10), make(chan struct{})
	r := replicas(t, clock, logs, func(ctx context.Context) (tasks.Result, error) {
		starts.Add(1)
		started <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return tasks.Result{}, nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	for _, s := range r {
		if err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		clock.mu.Lock()
		n := len(clock.waiters)
		clock.mu.Unlock()
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("schedulers never waited on the clock")
		}
		time.Sleep(time.Millisecond)
	}
	clock.Advance(time.Minute) // both replicas find "shared" due
	<-started
	waitLog(t, logs, "system task skipped: already running")
	close(release)
	cancel()
	for _, s := range r {
		<-s.Done()
	}
	if n := starts.Load(); n != 1 {
		t.Fatalf("the tick ran %d times across replicas, want 1", n)
	}
}

// failingOnce is an event recorder whose first write fails, as a lost
// connection or a constraint race would fail the transaction holding the
// task's lock after the run.
type failingOnce struct {
	eventLog
	calls atomic.Int32
}

func (f *failingOnce) RecordTx(ctx context.Context, tx store.Tx, action, app string, data map[string]any) error {
	if f.calls.Add(1) == 1 {
		return errors.New("connection lost")
	}
	return f.eventLog.RecordTx(ctx, tx, action, app, data)
}

// TestPostgresRecordRetriedOutsideLock: a run's record is written in the
// transaction holding the task's advisory lock; when that transaction
// fails after the run, the record (with its event) is written again in a
// transaction of its own, and nothing of the failed attempt remains.
func TestPostgresRecordRetriedOutsideLock(t *testing.T) {
	st := openStore(t, "postgres", freshDSN(t, "postgres"))
	events := &failingOnce{}
	s, err := tasks.New(tasks.Config{Store: st, Registry: registry.Default(), Events: events})
	if err != nil {
		t.Fatal(err)
	}
	runs := 0
	if err := s.Register(tasks.Task{Name: "flaky", Run: func(context.Context) (tasks.Result, error) {
		runs++
		return tasks.Result{Messages: []string{"step 1 ok"}}, errors.New("step 2 broke")
	}}); err != nil {
		t.Fatal(err)
	}
	res, err := s.Run(context.Background(), "flaky")
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if runs != 1 {
		t.Errorf("the task ran %d times, want once", runs)
	}
	if res.Status != tasks.StatusError {
		t.Errorf("result status %s, want %s", res.Status, tasks.StatusError)
	}
	rec, stored := readRecord(t, st, "flaky")
	if !stored || rec.status != string(tasks.StatusError) || !slices.Equal(rec.messages, []string{"step 1 ok", "step 2 broke"}) {
		t.Fatalf("record stored=%v %+v, want the failed run", stored, rec)
	}
	if n := events.calls.Load(); n != 2 {
		t.Errorf("recorder called %d times, want 2 (the failed attempt and the retry)", n)
	}
	if got := events.all(); len(got) != 1 || got[0].action != tasks.ActionSystemTaskException {
		t.Errorf("events = %+v, want one system_task_exception", got)
	}
}
