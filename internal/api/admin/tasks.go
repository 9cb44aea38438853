package admin

import (
	"context"
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/store"
	"github.com/akgo/akgo/internal/tasks"
)

// workers reports the scheduler loops running in this process, the
// closest thing to authentik's count of connected Celery workers.
func workers(s *api.Server, w http.ResponseWriter) error {
	n := 0
	if sched := schedulerOf(s); sched != nil {
		n = sched.Workers()
	}
	api.WriteJSON(w, http.StatusOK, map[string]int{"count": n})
	return nil
}

// retry re-runs a task and answers once the run is recorded (204),
// whatever the task's own outcome: that is in its record.
func retry(s *api.Server, w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	if sched := schedulerOf(s); sched != nil {
		if _, ok := sched.Lookup(id); ok {
			// A started retry finishes and is recorded even if the client
			// goes away; the run keeps the caller for its events.
			if _, err := sched.Run(context.WithoutCancel(r.Context()), id); err != nil {
				return fmt.Errorf("retry task %s: %w", id, err)
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
	}
	stored, err := recordExists(r.Context(), s, id)
	if err != nil {
		return err
	}
	if !stored {
		return &engine.NotFoundError{Detail: "Not found."}
	}
	// authentik answers 500 when a stored task's code cannot be found; the
	// record stays, since another replica may still know the task.
	return api.Errorf(http.StatusInternalServerError, fmt.Sprintf("Task %s is not registered on this server and cannot be retried.", id))
}

func recordExists(ctx context.Context, s *api.Server, id string) (bool, error) {
	m, ok := s.Engine.Registry.Model(tasks.Model)
	if !ok {
		return false, fmt.Errorf("registry has no model %s", tasks.Model)
	}
	var n int64
	err := s.Engine.Store.View(ctx, func(tx store.Tx) error {
		var err error
		n, err = tx.Count(ctx, store.Query{Table: m.Table, Where: store.Eq(m.PKColumn, id)})
		return err
	})
	if err != nil {
		return false, fmt.Errorf("look up task %s: %w", id, err)
	}
	return n > 0, nil
}
