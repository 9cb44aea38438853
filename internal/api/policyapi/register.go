// Package policyapi owns the policy and property-mapping actions over the
// policy engine: testing a policy or mapping for a user, the policy cache
// information, and expression validation on save.
package policyapi

import "github.com/akgo/akgo/internal/api"

// Register installs the policy and property-mapping actions.
func Register(s *api.Server) {}
