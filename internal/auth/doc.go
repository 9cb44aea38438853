// Package auth owns credentials: Django-compatible password hashes (so
// password hashes exported from authentik keep working here and the other
// way round) and the generation of API token keys.
package auth
