// Package storetarget is the blueprint engine's Target over akserver's own
// database: every read and write of one apply happens inside a single
// store transaction, through the same engine operations the REST API uses
// (request-schema validation, BeforeWrite/AfterWrite hooks, model events
// with the acting user, relations, many-to-many sets, inheritance), so an
// object a blueprint writes is indistinguishable from one written over
// HTTP, and a failed apply leaves nothing behind.
//
// It also carries the two blueprint-only serializer fields authentik 2023.10
// accepts and its REST API does not: a user's password (hashed as the
// set_password action does) and a token's key.
package storetarget
