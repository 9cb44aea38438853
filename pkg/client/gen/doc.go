// Command gen writes pkg/client's generated files from authentik's OpenAPI
// schema: types.gen.go (one Go type per component schema) and
// operations.gen.go (the Client, one service per tag, one method per
// operation, the query parameter structs and the operation table).
//
// It is run by go generate in pkg/client:
//
//	go run ./gen -schema ../../internal/apispec/authentik.yml
//
// It reads the schema from disk because it is a build tool: the client
// package it generates must not depend on akgo's internal packages. The
// output is deterministic (components sorted by Go name, operations by
// operationId, no timestamps), so CI can regenerate and compare. With
// -check it only reports which files are out of date.
package main
