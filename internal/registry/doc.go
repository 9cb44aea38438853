// Package registry owns the model descriptors: one Model per stored authentik
// model (table, typed fields, relations, natural key) and one Endpoint per
// API resource path that serves it (schemas, lookup, operations, filters).
//
// The descriptors are generated (models.gen.go) from the embedded OpenAPI
// schema plus overlay.yaml, the hand-written facts the schema cannot know:
// which model a path serves, foreign keys and their on-delete action,
// many-to-many sets, unique constraints, search and ordering fields. The API
// engine, the store's migrations, the typed client and the CLI all read these
// descriptors, so a model is described exactly once.
package registry

//go:generate go run ./gen -schema ../apispec/authentik.yml -overlay overlay.yaml -out models.gen.go
