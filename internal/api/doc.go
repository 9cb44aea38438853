// Package api owns the HTTP surface of /api/v3: a chi router built from the
// embedded schema (one route per operation), authentication, the generic
// handlers that put the engine's uniform operations on the wire, and the one
// place where errors become authentik's response shapes (400 ValidationError,
// 403/404 {"detail": ...}). Custom actions register by operationId; an
// operation with neither a generic nor a custom handler answers 501, and
// docs/api-coverage.md (generated) lists those.
package api

//go:generate go run ./coverage -out ../../docs/api-coverage.md
