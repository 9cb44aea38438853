// Package blueprinttest provides an in-memory blueprint.Target for tests
// of the blueprint engine and of its users: objects kept per model as the
// API would return them (registry defaults filled, primary keys generated,
// unique sets enforced, deletes cascading along the registry's foreign
// keys), every call recorded, and failures injectable. It is not a
// simulation of akserver's validation; akserver's own Target is
// internal/blueprint/storetarget.
package blueprinttest
