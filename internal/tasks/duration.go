package tasks

import (
	"context"
	"time"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// InstallHooks adds the computed fields of the run records to the engine:
// Task.task_duration, the run's length in whole seconds. authentik sends a
// float although its schema says integer; generated clients expect the
// integer.
func InstallHooks(e *engine.Engine) {
	e.Hooks.Compute[Model+".task_duration"] = func(ctx context.Context, tx store.Tx, m *registry.Model, row store.Row, obj engine.Object) (any, error) {
		return Duration(m, row), nil
	}
}

// Duration is a record's finish minus start in whole seconds (0 when the
// start is unknown, e.g. a record written before starts were kept).
func Duration(m *registry.Model, row store.Row) int64 {
	value := func(field string) (time.Time, bool) {
		f, ok := m.Field(field)
		if !ok || !f.Stored() {
			return time.Time{}, false
		}
		t, ok := row[f.Column].(time.Time)
		return t, ok
	}
	start, ok1 := value("task_start_timestamp")
	finish, ok2 := value("task_finish_timestamp")
	if !ok1 || !ok2 || finish.Before(start) {
		return 0
	}
	return int64(finish.Sub(start) / time.Second)
}
