// Package app owns akserver's composition and lifecycle: configuration →
// store → migrations → secret key → start-up objects and bootstrap → API →
// blueprint discovery (the default blueprints are applied before the
// server reports ready) → HTTP server with the task scheduler and the
// blueprint file watcher, and the orderly shutdown on SIGTERM.
// cmd/akserver is a thin wrapper around Main so the whole server can be
// started in-process by tests.
package app
