// Package slug owns the slugs the server derives from names (system task
// uids, recovery and app-password token identifiers, exported blueprint
// identifiers). It depends on nothing else in the module, so the CLI can
// compute the same names as the server (an instance's apply task) without
// linking the server.
package slug
