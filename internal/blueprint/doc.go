// Package blueprint is the blueprint engine shared by akctl (client-side
// plan and apply over HTTP) and akserver (BlueprintInstances applied in one
// database transaction): it reads authentik 2023.10 blueprint files with
// every tag, checks them offline, plans them against the live objects of a
// Target, renders plans, and applies them.
//
// The pieces, in the order data flows through them:
//
//   - parse.go, node.go, tags.go: YAML (typed as PyYAML's YAML 1.1 loader
//     types it) into Blueprints of Entries whose values stay unevaluated
//     Nodes that remember their lines; tag argument forms are checked here.
//   - validate.go: offline checks (models, fields, enums, references,
//     cycles, what authentik silently ignores), used by akctl blueprint
//     validate and run first by Plan.
//   - eval.go, pyformat.go: tag evaluation with authentik's rules
//     (!Format is Python's % operator, truthiness is Python's).
//   - plan.go, store.go: the planner. It reads each model once through the
//     Target into a virtual store, then plans entries in file order, a
//     !KeyOf planning its target first (so entry and file order do not
//     matter and cycles are found), matching identifiers as authentik does,
//     and recording each entry's effect so later entries see it. Values of
//     objects created by the plan are *Unknown until apply.
//   - apply.go: executes the changes in planned order through the Target,
//     evaluating again what depended on created objects; stops at the first
//     failure; computes the ownership record (managed_models).
//   - render.go: terraform-like text, unified diff and JSON forms.
//   - load.go: files, directories and stdin for the CLI.
//
// Targets: httptarget (pkg/client), storetarget (akserver's store, another
// package's job) and blueprinttest (in memory, for tests). Where this
// engine deliberately differs from authentik 2023.10, docs/blueprints.md
// says so.
package blueprint
