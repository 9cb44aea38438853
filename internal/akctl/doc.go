// Package akctl is the admin command line for authentik and akserver:
// Main builds the cobra command tree from Commands, runs it, and turns
// the result into an exit code through cmdutil.Report.
//
// The commands live in ./cmd/<name> (one package per command group,
// cli/cli's Options + NewCmdX(f, runF) + xRun shape); what they share is
// in cmdutil (Factory, exit codes, errors), config (contexts), output
// (tables, JSON/YAML, jq, progress), resource (the model registry as
// resources), apiop (every operation's parameters, for akctl api) and
// iostreams (terminals and colour). akctl talks to the server only
// through pkg/client and the documented API, so it works against
// authentik itself.
//
// Adding a command is one line in Commands. docs/cli/ is generated from
// the tree by ./gen (go generate).
package akctl

//go:generate go run ./gen -out ../../docs/cli
