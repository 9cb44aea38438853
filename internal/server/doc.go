// Package server owns the HTTP process lifecycle: binding the listener,
// answering the health probes, logging requests, and shutting down
// gracefully. It knows nothing about authentik's API; the application
// handler is passed in, so lifecycle behaviour can be tested with trivial
// handlers and the API can be tested without sockets.
//
// The health endpoints live here rather than in the API router because
// orchestrators call them while the application may not be able to answer:
// liveness must succeed as long as the process serves HTTP at all, and
// readiness must reflect dependencies (the database) through the Ready
// callback, never the router's own state.
//
// Shutdown is driven by context cancellation, not by signals, so the main
// decides which signals matter (signal.NotifyContext) and tests can trigger a
// shutdown deterministically. On cancellation the listener closes first and
// in-flight requests are allowed to finish within ShutdownTimeout, so a
// rolling restart does not cut off a user half-way through a flow.
package server
