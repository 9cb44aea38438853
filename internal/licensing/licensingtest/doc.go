// Package licensingtest issues enterprise licence keys for tests, shaped
// like authentik's: an ES512 JWT whose x5c header carries the signing
// certificate and an intermediate, chaining up to a root that a test can
// install as the licensing certificate.
package licensingtest
