// Package tasks owns akserver's background jobs: a registry of named tasks,
// the scheduler that runs them on their schedules, and the records of their
// runs (model authentik_events.systemtask, served by /admin/system_tasks/).
//
// Every run is stored (status, messages, start and finish time) so the admin
// API and the TUI show what background work did, and a failed run can be
// retried by name. authentik 2023.10 kept these records in its cache; a
// table lets every replica see the same history. A run stopped from
// outside (shutdown, a caller gone) is not a failure and is not stored:
// the last finished run's record stays, as when authentik's worker dies,
// and no system_task_exception notifies the admins of a restart.
//
// On PostgreSQL several replicas share one database, so a run holds a
// transaction-scoped advisory lock keyed by the schema and the task name:
// whichever replica gets it runs the task, the others skip that tick. On
// SQLite there is one process, and an in-process guard per task is enough.
package tasks
