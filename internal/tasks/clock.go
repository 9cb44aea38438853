package tasks

import "time"

// Clock is the scheduler's source of time, injected so tests can drive the
// schedule without waiting.
type Clock interface {
	Now() time.Time
	// After delivers the time once d has elapsed, like time.After.
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
