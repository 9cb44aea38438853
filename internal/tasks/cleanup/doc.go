// Package cleanup owns clean_expired_models, authentik's periodic removal
// of expired objects: every model with the expires/expiring pair (tokens,
// sessions, events, OAuth2 grants, consents, invitations) loses its rows
// whose expiry has passed, except API tokens, which get a new key and a new
// expiry instead (authentik's Token.expire_action), so an expired token
// stops working without disappearing from its owner's list.
package cleanup
