package tasks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// Model is the registry model run records are stored in.
const Model = "authentik_events.systemtask"

// ErrUnknownTask is returned for a name no task is registered under.
var ErrUnknownTask = errors.New("unknown task")

// ErrBusy is returned by TryRun when the task is already running, in this
// process or on another replica.
var ErrBusy = errors.New("task is already running")

// EventRecorder writes audit events inside a transaction; *events.Recorder
// is one.
type EventRecorder interface {
	RecordTx(ctx context.Context, tx store.Tx, action, app string, data map[string]any) error
}

// Config is what a Scheduler needs.
type Config struct {
	Store    store.Store
	Registry *registry.Registry
	// Events records system_task_exception for failed runs; nil records
	// nothing.
	Events EventRecorder
	// Clock defaults to the real clock.
	Clock Clock
	// Log defaults to discarding.
	Log *slog.Logger
}

// Scheduler is the task registry and the loop that runs due tasks. Tasks
// may be registered before or after Start.
type Scheduler struct {
	store  store.Store
	model  *registry.Model
	cols   columns
	events EventRecorder
	clock  Clock
	log    *slog.Logger

	mu      sync.Mutex
	entries map[string]*entry
	started bool
	wake    chan struct{}

	loops atomic.Int32
	runs  sync.WaitGroup
	done  chan struct{}
}

// entry is a registered task with its run guard and next due time.
type entry struct {
	task Task
	// guard holds one token while the task runs in this process, so a slow
	// run is never overlapped by the next tick or a retry.
	guard chan struct{}
	next  time.Time // zero: not scheduled
}

// columns are the systemtask columns a run writes.
type columns struct {
	id, name, description, start, finish, status, messages string
}

// New builds a scheduler storing runs through cfg.Store.
func New(cfg Config) (*Scheduler, error) {
	if cfg.Store == nil || cfg.Registry == nil {
		return nil, errors.New("tasks: a store and a registry are required")
	}
	m, ok := cfg.Registry.Model(Model)
	if !ok {
		return nil, fmt.Errorf("tasks: registry has no model %s", Model)
	}
	cols := columns{id: m.PKColumn}
	for field, dst := range map[string]*string{
		"task_name": &cols.name, "task_description": &cols.description, "task_start_timestamp": &cols.start,
		"task_finish_timestamp": &cols.finish, "status": &cols.status, "messages": &cols.messages,
	} {
		f, ok := m.Field(field)
		if !ok || !f.Stored() {
			return nil, fmt.Errorf("tasks: model %s has no stored field %s", Model, field)
		}
		*dst = f.Column
	}
	s := &Scheduler{store: cfg.Store, model: m, cols: cols, events: cfg.Events, clock: cfg.Clock, log: cfg.Log,
		entries: map[string]*entry{}, wake: make(chan struct{}, 1), done: make(chan struct{})}
	if s.clock == nil {
		s.clock = realClock{}
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return s, nil
}

// Register adds a task. A task registered after Start joins the schedule
// at once (and runs immediately when RunAtStart is set); its record appears
// with its first run, or with a call to Prefill.
func (s *Scheduler) Register(t Task) error {
	if t.Name == "" {
		return errors.New("tasks: a task needs a name")
	}
	if t.Run == nil {
		return fmt.Errorf("tasks: task %s has no run function", t.Name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.entries[t.Name]; dup {
		return fmt.Errorf("tasks: task %s is already registered", t.Name)
	}
	e := &entry{task: t, guard: make(chan struct{}, 1)}
	s.entries[t.Name] = e
	if s.started {
		e.next = firstDue(t, s.clock.Now())
		s.poke()
	}
	return nil
}

// Lookup returns a registered task.
func (s *Scheduler) Lookup(name string) (Task, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[name]
	if !ok {
		return Task{}, false
	}
	return e.task, true
}

// Tasks lists the registered tasks by name.
func (s *Scheduler) Tasks() []Task {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Task, 0, len(s.entries))
	for _, e := range s.entries {
		out = append(out, e.task)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Workers is the number of scheduler loops running in this process (0 or
// 1): what /admin/workers/ reports, as authentik counts its Celery workers.
func (s *Scheduler) Workers() int { return int(s.loops.Load()) }

// Done is closed once a started scheduler has stopped and its runs have
// returned.
func (s *Scheduler) Done() <-chan struct{} { return s.done }

// Start records every task that has no record yet as not run, then runs
// tasks in the background until ctx ends: RunAtStart tasks at once, the
// others when their schedule says. Runs receive ctx, so they are cancelled
// with it; Done is closed when they have all returned.
func (s *Scheduler) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return errors.New("tasks: scheduler already started")
	}
	s.started = true
	s.mu.Unlock()
	if err := s.Prefill(ctx); err != nil {
		s.mu.Lock()
		s.started = false
		s.mu.Unlock()
		return err
	}
	now := s.clock.Now()
	s.mu.Lock()
	for _, e := range s.entries {
		e.next = firstDue(e.task, now)
	}
	s.mu.Unlock()
	s.loops.Add(1)
	go s.loop(ctx)
	return nil
}

func firstDue(t Task, now time.Time) time.Time {
	if t.RunAtStart {
		return now
	}
	if t.Schedule == nil {
		return time.Time{}
	}
	return t.Schedule.Next(now)
}

// poke wakes the loop so it recomputes when to wake next; a poke while one
// is pending is dropped, as one wake-up serves both.
func (s *Scheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Scheduler) loop(ctx context.Context) {
	defer func() {
		s.runs.Wait()
		s.loops.Add(-1)
		close(s.done)
	}()
	for {
		now := s.clock.Now()
		next := s.dispatch(ctx, now)
		var timer <-chan time.Time
		if !next.IsZero() {
			timer = s.clock.After(next.Sub(now))
		}
		select {
		case <-ctx.Done():
			return
		case <-timer:
		case <-s.wake:
		}
	}
}

// dispatch starts every task due at now and returns the earliest next due
// time (zero when nothing is scheduled).
func (s *Scheduler) dispatch(ctx context.Context, now time.Time) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var earliest time.Time
	for _, e := range s.entries {
		if e.next.IsZero() {
			continue
		}
		if !e.next.After(now) {
			e.next = time.Time{}
			if e.task.Schedule != nil {
				e.next = e.task.Schedule.Next(now)
			}
			s.runs.Add(1)
			go func(e *entry) {
				defer s.runs.Done()
				_, err := s.run(ctx, e, false)
				switch {
				case errors.Is(err, ErrBusy):
					s.log.Debug("system task skipped: already running", "task", e.task.Name)
				case err != nil && ctx.Err() == nil:
					s.log.Error("system task could not be recorded", "task", e.task.Name, "err", err)
				}
			}(e)
		}
		if !e.next.IsZero() && (earliest.IsZero() || e.next.Before(earliest)) {
			earliest = e.next
		}
	}
	return earliest
}

func (s *Scheduler) entry(name string) (*entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknownTask, name)
	}
	return e, nil
}

// Run runs a task now and waits for it: if it is running here or on another
// replica, Run waits for that run to end first. This is the admin API's
// retry. The returned error is about running or recording the task; the
// task's own failure is in the Result (and the stored record). A run that
// ctx stops (it fails with ctx's error once ctx is done) is not recorded:
// the previous record stays, and the error wraps the context's.
func (s *Scheduler) Run(ctx context.Context, name string) (Result, error) {
	e, err := s.entry(name)
	if err != nil {
		return Result{}, err
	}
	return s.run(ctx, e, true)
}

// TryRun runs a task now unless it is already running here or on another
// replica, in which case it returns ErrBusy.
func (s *Scheduler) TryRun(ctx context.Context, name string) (Result, error) {
	e, err := s.entry(name)
	if err != nil {
		return Result{}, err
	}
	return s.run(ctx, e, false)
}
