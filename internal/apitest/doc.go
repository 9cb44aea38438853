// Package apitest owns the test harness for the whole API: it starts a real
// akserver (in-process, over a real HTTP listener) on a fresh SQLite file or
// PostgreSQL schema, authenticates as the bootstrap admin, and validates every
// response against the schema with kin-openapi, so tests fail on any shape
// that authentik's clients would reject.
package apitest
