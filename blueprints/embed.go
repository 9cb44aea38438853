package blueprints

import "embed"

// FS holds the shipped blueprint files under their paths relative to the
// blueprints directory ("default/flow-oobe.yaml"), which is how
// BlueprintInstance.path and metaapplyblueprint identifiers name them.
//
//go:embed default system example
var FS embed.FS
