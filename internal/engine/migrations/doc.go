// Package migrations holds the frozen schema snapshots that make akserver's
// migrations versioned: vNNNN.json is the full table list at version N. The
// migration steps are derived from consecutive snapshots (new tables, new
// columns), so a released version's schema never changes when the registry
// does; `go generate ./internal/engine` adds the next snapshot.
package migrations

import "embed"

// FS holds the snapshots.
//
//go:embed *.json
var FS embed.FS
