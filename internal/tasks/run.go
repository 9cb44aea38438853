package tasks

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/akgo/akgo/internal/store"
)

// Event names and values authentik uses for failed tasks.
const (
	ActionSystemTaskException = "system_task_exception"
	// eventApp is the module authentik records as the event's app.
	eventApp = "authentik.events.monitored_tasks"
	// notRunMessage is the message of a task that has never run.
	notRunMessage = "Task has not been run yet."
)

// run executes one run of e under the in-process guard and the cluster
// lock; wait chooses between waiting for a running instance and ErrBusy.
func (s *Scheduler) run(ctx context.Context, e *entry, wait bool) (Result, error) {
	if wait {
		select {
		case e.guard <- struct{}{}:
		case <-ctx.Done():
			return Result{}, ctx.Err()
		}
	} else {
		select {
		case e.guard <- struct{}{}:
		default:
			return Result{}, ErrBusy
		}
	}
	defer func() { <-e.guard }()
	var res Result
	interrupted := false
	err := s.exclusive(ctx, e.task.Name, wait, func() func(store.Tx) error {
		start := s.clock.Now()
		var runErr error
		res, runErr = call(ctx, e.task.Run)
		finish := s.clock.Now()
		if runErr != nil && ctx.Err() != nil && errors.Is(runErr, ctx.Err()) {
			// Stopped from outside (the server shutting down, the
			// caller gone), not failed: as when authentik's worker
			// dies mid-task, the last finished run's record stays, and
			// no system_task_exception tells the admins about a
			// restart.
			interrupted = true
			s.log.Info("system task interrupted", "task", e.task.Name, "err", runErr)
			return nil
		}
		res = settle(res, runErr)
		if runErr != nil {
			s.log.Warn("system task failed", "task", e.task.Name, "err", runErr)
		}
		return s.recordTx(ctx, e.task, res, start, finish, runErr)
	})
	if err != nil {
		return Result{}, err
	}
	if interrupted {
		return Result{}, fmt.Errorf("tasks: run of %s interrupted: %w", e.task.Name, context.Cause(ctx))
	}
	return res, nil
}

// call runs fn, turning a panic into an error so one broken task cannot take
// the server down and still leaves an ERROR record behind.
func call(ctx context.Context, fn Func) (res Result, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &panicError{value: v, stack: debug.Stack()}
		}
	}()
	return fn(ctx)
}

type panicError struct {
	value any
	stack []byte
}

func (p *panicError) Error() string { return fmt.Sprintf("panic: %v", p.value) }

// settle gives a run's result its final form: a failed run is ERROR with the
// error text last, an empty status is SUCCESSFUL, messages are never null.
func settle(res Result, err error) Result {
	msgs := append([]string{}, res.Messages...)
	status := res.Status
	switch {
	case err != nil:
		status = StatusError
		msgs = append(msgs, err.Error())
	case status == "":
		status = StatusSuccessful
	case !status.valid():
		msgs = append(msgs, fmt.Sprintf("task reported an unknown status %q", status))
		status = StatusError
	}
	return Result{Status: status, Messages: msgs}
}

// recordTx is the write that stores the outcome of a run (or removes the
// record of a successful FailuresOnly task) and, for a failure, the
// system_task_exception event, all in the transaction it is given.
func (s *Scheduler) recordTx(ctx context.Context, t Task, res Result, start, finish time.Time, runErr error) func(store.Tx) error {
	// The run's own context may be cancelled (shutdown); its outcome should
	// still be written.
	ctx = context.WithoutCancel(ctx)
	return func(tx store.Tx) error {
		where := store.Eq(s.cols.id, t.Name)
		if t.FailuresOnly && res.Status == StatusSuccessful {
			_, err := tx.DeleteWhere(ctx, s.model.Table, where)
			return err
		}
		row := store.Row{
			s.cols.name: t.Name, s.cols.description: t.Description, s.cols.status: string(res.Status),
			s.cols.messages: res.Messages, s.cols.start: store.NowUTC(start), s.cols.finish: store.NowUTC(finish),
		}
		if err := upsert(ctx, tx, s.model.Table, s.cols.id, t.Name, row); err != nil {
			return err
		}
		if runErr != nil && s.events != nil {
			msg := fmt.Sprintf("Task %s encountered an error: %s", t.Name, runErr.Error())
			var pe *panicError
			if errors.As(runErr, &pe) {
				msg += "\n" + string(pe.stack)
			}
			return s.events.RecordTx(ctx, tx, ActionSystemTaskException, eventApp, map[string]any{"message": msg})
		}
		return nil
	}
}

// record runs a recordTx write in a transaction of its own.
func (s *Scheduler) record(ctx context.Context, name string, write func(store.Tx) error) error {
	if err := retryUnique(func() error { return s.store.Update(context.WithoutCancel(ctx), write) }); err != nil {
		return fmt.Errorf("record run of task %s: %w", name, err)
	}
	return nil
}

// upsert updates the row with the given id or inserts it.
func upsert(ctx context.Context, tx store.Tx, table, idCol, id string, row store.Row) error {
	n, err := tx.UpdateWhere(ctx, table, store.Eq(idCol, id), row)
	if err != nil || n > 0 {
		return err
	}
	ins := store.Row{idCol: id}
	for k, v := range row {
		ins[k] = v
	}
	_, err = tx.Insert(ctx, table, ins)
	return err
}

// retryUnique runs fn again once when it lost an insert race (another
// replica prefilled or recorded the same task a moment earlier); the second
// attempt finds the row and updates it.
func retryUnique(fn func() error) error {
	err := fn()
	var ue *store.UniqueError
	if errors.As(err, &ue) {
		err = fn()
	}
	return err
}

// Prefill records every task without a record (except FailuresOnly ones)
// as UNKNOWN, "Task has not been run yet.", so it is listed and can be
// retried before its first run. Start calls it.
func (s *Scheduler) Prefill(ctx context.Context) error {
	var tasks []Task
	for _, t := range s.Tasks() {
		if !t.FailuresOnly {
			tasks = append(tasks, t)
		}
	}
	if len(tasks) == 0 {
		return nil
	}
	now := store.NowUTC(s.clock.Now())
	err := retryUnique(func() error {
		return s.store.Update(ctx, func(tx store.Tx) error {
			ids := make([]any, len(tasks))
			for i, t := range tasks {
				ids[i] = t.Name
			}
			rows, err := tx.Select(ctx, store.Query{Table: s.model.Table, Columns: []string{s.cols.id}, Where: store.InCond{Column: s.cols.id, Values: ids}})
			if err != nil {
				return err
			}
			have := map[string]bool{}
			for _, r := range rows {
				id, _ := r[s.cols.id].(string)
				have[id] = true
			}
			for _, t := range tasks {
				if have[t.Name] {
					continue
				}
				row := store.Row{s.cols.id: t.Name, s.cols.name: t.Name, s.cols.description: t.Description,
					s.cols.status: string(StatusUnknown), s.cols.messages: []string{notRunMessage},
					s.cols.start: now, s.cols.finish: now}
				if _, err := tx.Insert(ctx, s.model.Table, row); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("prefill system tasks: %w", err)
	}
	return nil
}
