// Package apispec owns the API contract: authentik 2023.10.4's OpenAPI
// schema, embedded in the binary. Everything API-shaped is derived from it
// (route table, request/response validation, the model registry through its
// generator, GET /api/v3/schema/), so the contract lives in one file that is
// replaced, never edited by hand.
package apispec
