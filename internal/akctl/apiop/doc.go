// Package apiop owns `akctl api`'s knowledge of every operation of the
// schema: its method and path, its path and query parameters and its
// request body's fields, each with a type, so a command line can be
// checked before anything is sent (an unknown parameter or a value of the
// wrong type is a usage error that names the valid ones) and turned into
// a request.
//
// ops.gen.go is generated from internal/apispec/authentik.yml by ./gen;
// go generate ./... keeps it current.
package apiop

//go:generate go run ./gen -schema ../../apispec/authentik.yml -out ops.gen.go
