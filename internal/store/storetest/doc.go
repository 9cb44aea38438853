// Package storetest is the conformance suite every store.Store backend
// runs (Run), plus shared benchmarks. The API engine is written against
// the store contract only; this suite is what makes "the same semantics on
// SQLite and PostgreSQL" a checked fact rather than a hope, so a behaviour
// the engine relies on belongs here as a named case before it is relied on.
package storetest
