// Package admin owns the /admin/ actions: version, system information,
// installed apps and models, workers, login metrics and system tasks.
//
// The system task records are served by the generic engine; this package
// adds what the engine cannot do: retrying a task through the scheduler
// (package tasks) and reporting the scheduler as the worker count. Apps and
// models come from the schema's AppEnum and ModelEnum, which authentik
// generated from the very lists these endpoints return.
package admin
