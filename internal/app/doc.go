// Package app owns akserver's composition and lifecycle: configuration →
// store → migrations → secret key → bootstrap → API → HTTP server, and the
// orderly shutdown on SIGTERM. cmd/akserver is a thin wrapper around Main so
// the whole server can be started in-process by tests.
package app
