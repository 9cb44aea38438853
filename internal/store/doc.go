// Package store owns persistence: a small relational contract (tables,
// typed columns, foreign keys, unique constraints, transactions, versioned
// migrations) that the API engine speaks, and nothing about HTTP or the
// authentik schema. Backends live in sub-packages (sqlite, postgres) and all
// pass the conformance suite in storetest, so the engine can rely on the same
// semantics everywhere: the database enforces references and cascades, the
// store translates driver errors into the sentinel errors below once.
package store
