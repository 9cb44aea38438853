// Package instances owns akserver's BlueprintInstances at run time: the
// blueprint files the server can see (AUTHENTIK_BLUEPRINTS_DIR layered over
// the blueprints shipped inside the binary), applying one instance (plan
// and apply in one transaction, one apply at a time per instance, status,
// hash, metadata and ownership written back, the run recorded as the
// system task apply_blueprint:<name>), the blueprints_discovery task that
// turns files into instances, and the file watcher that triggers it.
//
// The REST endpoints (/managed/blueprints/) live in internal/api/
// blueprintsapi; the blueprint language itself in internal/blueprint; the
// transaction-bound Target in internal/blueprint/storetarget.
package instances
