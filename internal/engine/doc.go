// Package engine owns the generic model operations every API resource shares:
// list (filters, search, ordering, pagination), create, retrieve, update,
// partial update, destroy and used_by, over the store, driven by the
// registry's descriptors. It knows nothing of HTTP: the api package decodes
// requests and encodes the engine's results and errors, and blueprints and
// custom actions call the engine directly, so every write path shares the
// same validation, defaults, relations and inheritance handling.
//
// Multi-table inheritance follows authentik's Django models: a concrete
// object (a password stage) has a row in its own table holding every field,
// and a row in each ancestor table (stages, policy binding models) holding
// the ancestor's fields plus the concrete model's name. Foreign keys point at
// the ancestor a relation names, so the database cascades deletes; the
// engine keeps the ancestor copies in step inside the same transaction.
//
// Reads are shaped for a page at a time: computed fields with a batch hook
// (Hooks.ComputeBatch) run one query per field for the whole page, and a
// list is sorted by SortKey, which stops at the first unique NOT NULL
// column so an index can deliver the page without sorting the table. The
// text columns default orderings sort by are NOT NULL (Django's CharField)
// and have an index (Tables), from schema version 2 on.
package engine

//go:generate go run ./migrategen -dir migrations
