// Package blueprintcmds implements akctl's blueprint commands on top of
// the blueprint engine (internal/blueprint): `akctl blueprint validate`
// (offline), `akctl plan` and `akctl diff` (what applying would change),
// `akctl apply` (client-side through the REST API, or server-side through
// the file's BlueprintInstance), `akctl export` (portable blueprints of
// live objects, internal/blueprint/export) and `akctl blueprint list /
// status / apply-instance` (the server's BlueprintInstances).
//
// Client-side plan and apply read and write through httptarget, so they
// need nothing from the server beyond the documented API. Ownership is
// the server's business: the plan reads the managed_models of the
// instance named by each file's metadata.name, and after a client-side
// apply the file's text is stored in that instance, which makes akserver
// refresh managed_models from a read-only plan. Both apply modes show the
// same locally computed plan and end in the same state; the client-side
// one reports each write, the server-side one is a single transaction.
//
// plan and diff exit as kubectl diff does (0 no changes, 1 changes, 2
// error) through cmdutil.ExitCodeError; the other commands use akctl's
// general exit codes, blueprint problems (an invalid file, an entry the
// server refused) being 1.
package blueprintcmds
