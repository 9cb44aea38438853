// Package eventsapi owns the event and notification actions of the API:
// the event aggregates the admin dashboards chart (actions, per month, top
// per user, volume), marking notifications seen, the transport test action
// and the transports' write validation. It also starts the notification
// dispatcher (package notify) and connects it to every event written, so
// rules and transports work whichever package records the event.
package eventsapi
