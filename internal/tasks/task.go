package tasks

import (
	"context"
	"time"
)

// Status is the outcome of a run, as the API's TaskStatusEnum names it.
type Status string

const (
	StatusSuccessful Status = "SUCCESSFUL"
	StatusWarning    Status = "WARNING"
	StatusError      Status = "ERROR"
	// StatusUnknown marks a task that has not run yet.
	StatusUnknown Status = "UNKNOWN"
)

func (s Status) valid() bool {
	switch s {
	case StatusSuccessful, StatusWarning, StatusError, StatusUnknown:
		return true
	}
	return false
}

// Result is what a run reports. An empty Status means SUCCESSFUL.
type Result struct {
	Status   Status
	Messages []string
}

// Func is the body of a task. Returning an error (or panicking) stores the
// run as ERROR with the error's text appended to the messages and records a
// system_task_exception event.
type Func func(ctx context.Context) (Result, error)

// Task is one registered background job.
type Task struct {
	// Name identifies the task (authentik's task function name, e.g.
	// "clean_expired_models"); it is the record's id in the API.
	Name string
	// Description is shown as task_description (authentik: the docstring).
	Description string
	// Schedule says when the task runs; nil means only on demand (retry or
	// Scheduler.Run).
	Schedule Schedule
	// RunAtStart runs the task once as soon as the scheduler starts.
	RunAtStart bool
	// FailuresOnly deletes the record after a successful run, so the task is
	// only listed while it fails (authentik's save_on_success=False).
	FailuresOnly bool
	Run          Func
}

// Schedule gives the next time a task is due, strictly after a moment.
type Schedule interface {
	Next(after time.Time) time.Time
}

// Every is due at each multiple of Period since the Unix epoch, shifted by
// Offset. Aligning to the epoch gives cron-like wall-clock times when Period
// divides an hour or a day: authentik's crontab minute "2-59/5" is
// Every{Period: 5 * time.Minute, Offset: 2 * time.Minute}.
type Every struct {
	Period time.Duration
	Offset time.Duration
}

// Next implements Schedule.
func (e Every) Next(after time.Time) time.Time {
	if e.Period <= 0 {
		return time.Time{}
	}
	p, off := int64(e.Period), int64(e.Offset%e.Period)
	t := after.UnixNano() - off
	k := t / p
	if t < 0 && t%p != 0 {
		k-- // floor, not truncation toward zero
	}
	return time.Unix(0, (k+1)*p+off).In(after.Location())
}
