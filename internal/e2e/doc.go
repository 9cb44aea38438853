// Package e2e owns the end-to-end tests: they build cmd/akserver, run it as
// a real process on a fresh SQLite file or PostgreSQL schema (configured
// only through its AUTHENTIK_* environment, exactly as it is deployed),
// wait for its readiness probe, drive its API with authentik's official Go
// client (goauthentik.io/api/v3) and finally stop it with SIGTERM.
//
// Where the API tests in internal/api check responses against the OpenAPI
// document, these tests check that the client authentik itself publishes
// can talk to the server: every request is built by the client and every
// response is decoded by the client's model types (including their enum
// validation), plus a check that each property the client treats as
// required is present.
//
// The package has no non-test code; the official client is a test-only
// dependency. The tests are skipped with -short.
package e2e
