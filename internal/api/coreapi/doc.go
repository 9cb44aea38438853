// Package coreapi owns the custom actions of authentik's core objects:
// the caller's own user (me), passwords, service accounts, user paths and
// metrics, recovery links, group membership, token keys, the current
// tenant, the root configuration and transactional application creation.
package coreapi
