package admin

import (
	"net/http"
	"sync"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/tasks"
)

// Register installs the admin actions and the computed fields of the
// system task records.
func Register(s *api.Server) {
	tasks.InstallHooks(s.Engine)
	s.Register("admin_version_retrieve", func(w http.ResponseWriter, r *http.Request) error { return version(s, w) })
	s.Register("admin_system_retrieve", func(w http.ResponseWriter, r *http.Request) error { return systemInfo(s, w, r) })
	s.Register("admin_system_create", func(w http.ResponseWriter, r *http.Request) error { return systemInfo(s, w, r) })
	s.Register("admin_apps_list", func(w http.ResponseWriter, r *http.Request) error { return apps(s, w) })
	s.Register("admin_models_list", func(w http.ResponseWriter, r *http.Request) error { return models(s, w) })
	s.Register("admin_metrics_retrieve", func(w http.ResponseWriter, r *http.Request) error { return metrics(s, w, r) })
	s.Register("admin_workers_retrieve", func(w http.ResponseWriter, r *http.Request) error { return workers(s, w) })
	s.Register("admin_system_tasks_retry_create", func(w http.ResponseWriter, r *http.Request) error { return retry(s, w, r) })
}

// schedulers maps each API server to the scheduler its task actions use.
// The scheduler is made by whoever owns the server's lifecycle, after the
// actions are registered (the router is built once, from the registered
// actions), so the actions look it up per request.
var schedulers sync.Map // *api.Server → *tasks.Scheduler

// SetScheduler makes sched the scheduler whose tasks s retries and counts
// as workers. Until it is called, no task can be retried and the worker
// count is 0.
func SetScheduler(s *api.Server, sched *tasks.Scheduler) { schedulers.Store(s, sched) }

func schedulerOf(s *api.Server) *tasks.Scheduler {
	v, ok := schedulers.Load(s)
	if !ok {
		return nil
	}
	sched, _ := v.(*tasks.Scheduler)
	return sched
}
