// Package notify owns what happens after an event is recorded: the
// notification rules that decide who hears about it and the transports
// that deliver the notifications (local, generic webhook, Slack/Discord
// webhook, email), as authentik's event_notification_handler,
// event_trigger_handler and notification_transport tasks do.
//
// Events are written inside the transaction of the change they describe,
// and that transaction may still roll back, so nothing is delivered from
// inside it. The recorder tells the Dispatcher the event's UUID; the
// dispatcher queues it in memory and a background worker waits until the
// event is visible (committed) before matching rules, so a rolled-back
// event never notifies anyone and no database write ever nests inside
// another (SQLite has a single writer). Deliveries that fail are retried
// with backoff like authentik's autoretrying task, then logged and recorded
// as a system_task_exception event.
//
// The package evaluates event-matcher policies itself. Other policy kinds
// and webhook mapping expressions are delegated to the PolicyEvaluator and
// MappingEvaluator the caller installs; without one, such a policy does
// not pass and a mapped webhook fails with a clear error.
package notify
