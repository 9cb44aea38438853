// Package providers owns the provider and source actions that are not
// uniform CRUD: OAuth2 setup URLs, SAML metadata (IdP export and SP
// import), SCIM and LDAP sync status, icon and background uploads of
// applications, sources and flows, OAuth source types, SAML source (SP)
// metadata, LDAP debug reads, and Plex token redemption.
//
// The actions that talk to other systems (LDAP servers, Plex) do so with
// short timeouts and answer a 400 that names the failure when the other
// side is unreachable or refuses, so a slow directory never hangs the API.
package providers
