// Package outpostsapi owns the outpost actions that report on things
// outside the database: the default outpost configuration for this
// server's URL, the health of an outpost's running instances, and the
// state of an outpost service connection, which it learns by asking the
// Docker daemon or Kubernetes API server the connection points at (with a
// short timeout, so an unreachable daemon reads as unhealthy rather than
// hanging the request).
package outpostsapi
