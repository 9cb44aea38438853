// Package httptarget is the blueprint engine's Target over authentik's
// REST API (pkg/client), used by akctl's client-side plan and apply. Each
// model maps to its API endpoint through the registry; lists are read
// whole, 1000 objects a page; the blueprint-only fields go through the
// API's own actions (a user's password through set_password, a token's key
// through set_key); the server's errors come back with their per-field
// messages so the engine can attach them to the entry and field.
package httptarget
