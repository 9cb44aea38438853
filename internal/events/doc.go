// Package events owns the audit trail: it records authentik Events (who did
// what, from where, for which tenant, until when) for API writes and for
// the actions other packages report (logins, secret views, ...). Model
// events are written in the same transaction as the change they describe,
// so an event never outlives a rolled-back write.
package events
