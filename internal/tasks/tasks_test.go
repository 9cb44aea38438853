package tasks_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
	"github.com/akgo/akgo/internal/tasks"
)

var t0 = time.Date(2023, 10, 4, 10, 0, 30, 0, time.UTC)

func TestEveryNext(t *testing.T) {
	cases := []struct {
		name  string
		every tasks.Every
		after time.Time
		want  time.Time
	}{
		{"authentik's 2-59/5 before the slot", tasks.Every{5 * time.Minute, 2 * time.Minute}, t0, t0.Add(90 * time.Second)},
		{"exactly on a slot moves to the next", tasks.Every{5 * time.Minute, 2 * time.Minute}, t0.Add(90 * time.Second), t0.Add(90*time.Second + 5*time.Minute)},
		{"hourly on the hour", tasks.Every{Period: time.Hour}, t0, time.Date(2023, 10, 4, 11, 0, 0, 0, time.UTC)},
		{"every 8 hours from midnight", tasks.Every{Period: 8 * time.Hour}, t0, time.Date(2023, 10, 4, 16, 0, 0, 0, time.UTC)},
		{"offset larger than the period wraps", tasks.Every{5 * time.Minute, 7 * time.Minute}, t0, t0.Add(90 * time.Second)},
		{"before the epoch floors", tasks.Every{Period: time.Hour}, time.Date(1969, 12, 31, 22, 30, 0, 0, time.UTC), time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC)},
		{"no period never runs", tasks.Every{}, t0, time.Time{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.every.Next(tc.after); !got.Equal(tc.want) {
				t.Fatalf("Next(%s) = %s, want %s", tc.after, got, tc.want)
			}
		})
	}
}

func TestRegisterRejects(t *testing.T) {
	st := openStore(t, "sqlite", freshDSN(t, "sqlite"))
	s, err := tasks.New(tasks.Config{Store: st, Registry: registry.Default()})
	if err != nil {
		t.Fatal(err)
	}
	ok := func(context.Context) (tasks.Result, error) { return tasks.Result{}, nil }
	if err := s.Register(tasks.Task{Name: "taken", Run: ok}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		task tasks.Task
		want string
	}{
		{"no name", tasks.Task{Run: ok}, "needs a name"},
		{"no function", tasks.Task{Name: "x"}, "no run function"},
		{"duplicate", tasks.Task{Name: "taken", Run: ok}, "already registered"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Register(tc.task)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Register = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := s.Run(context.Background(), "missing"); !errors.Is(err, tasks.ErrUnknownTask) {
		t.Fatalf("Run(missing) = %v, want ErrUnknownTask", err)
	}
	if _, err := tasks.New(tasks.Config{Registry: registry.Default()}); err == nil {
		t.Fatal("New without a store succeeded")
	}
}

func TestRunRecordsOutcome(t *testing.T) {
	for _, backend := range backends() {
		t.Run(backend, func(t *testing.T) {
			st, clock, events, s := newRecordingScheduler(t, backend)
			cases := []struct {
				name         string
				failuresOnly bool
				run          tasks.Func
				wantStored   bool
				wantStatus   tasks.Status
				wantMessages []string
				wantEvent    string // substring of the system_task_exception message, "" for none
			}{
				{"success", false, func(context.Context) (tasks.Result, error) {
					clock.Advance(2 * time.Second)
					return tasks.Result{Messages: []string{"Expired 0 Tokens"}}, nil
				}, true, tasks.StatusSuccessful, []string{"Expired 0 Tokens"}, ""},
				{"warning", false, func(context.Context) (tasks.Result, error) {
					return tasks.Result{Status: tasks.StatusWarning, Messages: []string{"half done"}}, nil
				}, true, tasks.StatusWarning, []string{"half done"}, ""},
				{"error", false, func(context.Context) (tasks.Result, error) {
					return tasks.Result{Messages: []string{"step 1 ok"}}, errors.New("step 2 broke")
				}, true, tasks.StatusError, []string{"step 1 ok", "step 2 broke"}, "Task error encountered an error: step 2 broke"},
				{"panic", false, func(context.Context) (tasks.Result, error) {
					panic("nil map")
				}, true, tasks.StatusError, []string{"panic: nil map"}, "Task panic encountered an error: panic: nil map"},
				{"unknown status", false, func(context.Context) (tasks.Result, error) {
					return tasks.Result{Status: "DONE"}, nil
				}, true, tasks.StatusError, []string{`task reported an unknown status "DONE"`}, ""},
				{"failures only, success", true, func(context.Context) (tasks.Result, error) {
					return tasks.Result{}, nil
				}, false, "", nil, ""},
				{"failures only, failure", true, func(context.Context) (tasks.Result, error) {
					return tasks.Result{}, errors.New("bad blueprint")
				}, true, tasks.StatusError, []string{"bad blueprint"}, "bad blueprint"},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					name := strings.NewReplacer(" ", "_", ",", "").Replace(tc.name)
					if err := s.Register(tasks.Task{Name: name, Description: "Test " + tc.name, FailuresOnly: tc.failuresOnly, Run: tc.run}); err != nil {
						t.Fatal(err)
					}
					before := len(events.all())
					start := clock.Now()
					res, err := s.Run(context.Background(), name)
					if err != nil {
						t.Fatalf("Run: %v", err)
					}
					rec, stored := readRecord(t, st, name)
					if stored != tc.wantStored {
						t.Fatalf("stored = %v, want %v (%+v)", stored, tc.wantStored, rec)
					}
					if !stored {
						return
					}
					if rec.status != string(tc.wantStatus) || res.Status != tc.wantStatus || !slices.Equal(rec.messages, tc.wantMessages) {
						t.Fatalf("record %s %q (result %s), want %s %q", rec.status, rec.messages, res.Status, tc.wantStatus, tc.wantMessages)
					}
					if rec.description != "Test "+tc.name || !rec.start.Equal(start) || !rec.finish.Equal(clock.Now()) {
						t.Errorf("record = %+v, want description %q, start %s, finish %s", rec, "Test "+tc.name, start, clock.Now())
					}
					got := events.all()[before:]
					if tc.wantEvent == "" {
						if len(got) != 0 {
							t.Fatalf("events = %+v, want none", got)
						}
						return
					}
					if len(got) != 1 || got[0].action != tasks.ActionSystemTaskException || got[0].app != "authentik.events.monitored_tasks" ||
						!strings.Contains(got[0].data["message"].(string), tc.wantEvent) {
						t.Fatalf("events = %+v, want one system_task_exception containing %q", got, tc.wantEvent)
					}
				})
			}
			if rec, _ := readRecord(t, st, "success"); rec.duration != 2 {
				t.Errorf("success took %d s, want 2", rec.duration)
			}
		})
	}
}

// TestInterruptedRunIsNotRecorded: a run stopped by its context (the
// server shutting down, the API caller gone) is no failure: the last
// finished run's record stays and no system_task_exception is emitted,
// while a task failing with a context error of its own is one.
func TestInterruptedRunIsNotRecorded(t *testing.T) {
	for _, backend := range backends() {
		t.Run(backend, func(t *testing.T) {
			st, clock, events, s := newRecordingScheduler(t, backend)
			var stop atomic.Bool
			run := func(ctx context.Context) (tasks.Result, error) {
				if !stop.Load() {
					return tasks.Result{Messages: []string{"done"}}, nil
				}
				<-ctx.Done()
				return tasks.Result{Messages: []string{"half"}}, fmt.Errorf("expire tokens: %w", ctx.Err())
			}
			own := func(ctx context.Context) (tasks.Result, error) {
				inner, cancel := context.WithTimeout(ctx, time.Nanosecond)
				defer cancel()
				<-inner.Done()
				return tasks.Result{}, fmt.Errorf("fetch: %w", inner.Err())
			}
			for _, task := range []tasks.Task{{Name: "stopped", Run: run}, {Name: "timed_out", Run: own}} {
				if err := s.Register(task); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.Run(t.Context(), "stopped"); err != nil {
				t.Fatal(err)
			}
			before, _ := readRecord(t, st, "stopped")

			tests := []struct {
				name       string
				task       string
				wantErr    error
				wantStatus string
				wantEvents int
			}{
				{"stopped from outside", "stopped", context.Canceled, before.status, 0},
				{"failing with its own timeout", "timed_out", nil, string(tasks.StatusError), 1},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					stop.Store(true)
					ctx, cancel := context.WithCancel(t.Context())
					time.AfterFunc(20*time.Millisecond, cancel)
					n := len(events.all())
					clock.Advance(time.Minute)
					_, err := s.Run(ctx, tc.task)
					cancel()
					if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
						t.Fatalf("Run: %v, want %v", err, tc.wantErr)
					}
					rec, ok := readRecord(t, st, tc.task)
					if !ok || rec.status != tc.wantStatus {
						t.Fatalf("record %+v (stored %v), want status %s", rec, ok, tc.wantStatus)
					}
					if tc.task == "stopped" && (!rec.finish.Equal(before.finish) || !slices.Equal(rec.messages, before.messages)) {
						t.Fatalf("record %+v, want the previous run's %+v", rec, before)
					}
					if got := len(events.all()) - n; got != tc.wantEvents {
						t.Fatalf("%d events, want %d", got, tc.wantEvents)
					}
				})
			}
		})
	}
}

func TestSchedulerFollowsClock(t *testing.T) {
	st := openStore(t, "sqlite", freshDSN(t, "sqlite"))
	clock := newFakeClock(t0)
	s, err := tasks.New(tasks.Config{Store: st, Registry: registry.Default(), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan string, 10)
	startup := tasks.Task{Name: "at_start", RunAtStart: true, Run: func(context.Context) (tasks.Result, error) {
		ran <- "at_start " + clock.Now().Format("15:04:05")
		return tasks.Result{}, nil
	}}
	every := tasks.Task{Name: "every_five", Description: "Every five minutes", Schedule: tasks.Every{5 * time.Minute, 2 * time.Minute},
		Run: func(context.Context) (tasks.Result, error) {
			ran <- "every_five " + clock.Now().Format("15:04:05")
			clock.Advance(3 * time.Second) // the work takes three seconds
			return tasks.Result{Messages: []string{"done"}}, nil
		}}
	for _, task := range []tasks.Task{startup, every} {
		if err := s.Register(task); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if s.Workers() != 0 {
		t.Fatalf("Workers before Start = %d", s.Workers())
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err == nil {
		t.Fatal("second Start succeeded")
	}
	if rec, ok := readRecord(t, st, "every_five"); !ok || rec.status != "UNKNOWN" || !slices.Equal(rec.messages, []string{"Task has not been run yet."}) {
		t.Fatalf("prefilled record = %+v, %v", rec, ok)
	}
	expect := func(want string) {
		t.Helper()
		select {
		case got := <-ran:
			if got != want {
				t.Fatalf("ran %q, want %q", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%q never ran", want)
		}
	}
	expect("at_start 10:00:30")
	if s.Workers() != 1 {
		t.Fatalf("Workers = %d, want 1", s.Workers())
	}
	clock.waitForTimer(t)
	clock.Advance(89 * time.Second) // 10:01:59: not due yet
	select {
	case got := <-ran:
		t.Fatalf("%q ran before it was due", got)
	case <-time.After(50 * time.Millisecond):
	}
	clock.Advance(time.Second)
	expect("every_five 10:02:00")
	rec := waitRecord(t, st, "every_five", tasks.StatusSuccessful)
	if rec.duration != 3 || rec.description != "Every five minutes" || !slices.Equal(rec.messages, []string{"done"}) {
		t.Fatalf("record = %+v", rec)
	}
	clock.waitForTimer(t)
	clock.Advance(5 * time.Minute) // 10:07:03, past the 10:07:00 slot
	expect("every_five 10:07:03")
	cancel()
	select {
	case <-s.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("scheduler did not stop with its context")
	}
	if s.Workers() != 0 {
		t.Fatalf("Workers after stop = %d", s.Workers())
	}
}

func TestSlowRunIsNotOverlapped(t *testing.T) {
	st := openStore(t, "sqlite", freshDSN(t, "sqlite"))
	clock := newFakeClock(t0)
	logs := make(chan string, 100)
	s, err := tasks.New(tasks.Config{Store: st, Registry: registry.Default(), Clock: clock, Log: slog.New(logSink{logs})})
	if err != nil {
		t.Fatal(err)
	}
	var starts atomic.Int32
	started, release := make(chan struct{}, 10), make(chan struct{})
	if err := s.Register(tasks.Task{Name: "slow", Schedule: tasks.Every{Period: time.Minute}, Run: func(ctx context.Context) (tasks.Result, error) {
		starts.Add(1)
		started <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return tasks.Result{}, nil
	}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	clock.waitForTimer(t)
	clock.Advance(time.Minute)
	<-started
	if _, err := s.TryRun(ctx, "slow"); !errors.Is(err, tasks.ErrBusy) {
		t.Fatalf("TryRun while running = %v, want ErrBusy", err)
	}
	clock.waitForTimer(t)
	clock.Advance(time.Minute) // the next tick finds the run still going
	waitLog(t, logs, "system task skipped: already running")
	close(release)
	waitRecord(t, st, "slow", tasks.StatusSuccessful)
	if n := starts.Load(); n != 1 {
		t.Fatalf("slow started %d times, want 1", n)
	}
}

// newRecordingScheduler is a scheduler on a fresh store of backend, with
// a fake clock at t0 and an event log.
func newRecordingScheduler(t *testing.T, backend string) (store.Store, *fakeClock, *eventLog, *tasks.Scheduler) {
	t.Helper()
	st := openStore(t, backend, freshDSN(t, backend))
	clock := newFakeClock(t0)
	events := &eventLog{}
	s, err := tasks.New(tasks.Config{Store: st, Registry: registry.Default(), Events: events, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return st, clock, events, s
}
