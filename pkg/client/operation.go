package client

import (
	"slices"
	"strings"
)

// Operation describes one operation of the schema, for tools that work on
// operations generically (akctl's resource commands, coverage checks).
type Operation struct {
	// ID is the schema's operationId, e.g. "flows_instances_list".
	ID string
	// Method is the HTTP method, e.g. "GET".
	Method string
	// Path is relative to the API root (/api/v3), with the schema's
	// {placeholders}, e.g. "/flows/instances/{slug}/".
	Path string
	// Service is the Client field holding the operation, e.g. "Flows".
	Service string
	// Name is the operation's method on that service, e.g. "InstancesList".
	Name string
	// Paginated is true for lists that return one page at a time.
	Paginated bool
}

// Operations returns every operation of the schema, sorted by ID.
func Operations() []Operation { return slices.Clone(operations) }

// LookupOperation finds an operation by operationId.
func LookupOperation(id string) (Operation, bool) {
	i, found := slices.BinarySearchFunc(operations, id, func(o Operation, id string) int {
		return strings.Compare(o.ID, id)
	})
	if !found {
		return Operation{}, false
	}
	return operations[i], true
}
