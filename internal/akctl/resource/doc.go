// Package resource turns the model registry into akctl's resources: the
// names a user types (plural, singular, short and the API path), the
// columns a table shows, how an object is found by its primary key or its
// natural key (slug, name, username), and generic list / get / create /
// patch / delete / used_by calls over pkg/client.
//
// Everything here is derived from internal/registry (which endpoint serves
// which model, lookup field, natural key, filters, ordering, fields), so a
// model the registry gains is a resource without code. Two small
// hand-written tables remain, because no schema says them: the friendly
// names (names.go) and the table columns of the common models
// (columns.go); both are checked against the registry by tests.
//
// The calls use only documented operations (the endpoint's uniform
// operations, by their schema paths), so akctl works against authentik
// itself as well as akserver. Client is also the seam for commands that
// work on models generically (the blueprint engine's HTTP target).
package resource
