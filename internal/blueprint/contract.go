package blueprint

// This file is the package's contract with its two users: akctl (client-side
// plan/apply over HTTP) and akserver (server-side apply in one transaction).
// The types and signatures here (and Parse, Plan, Apply, Blueprint, Entry,
// PlanResult, Result in their files) are what they compile against; keep
// them stable, extend rather than change.

import (
	"context"
	"io/fs"
)

// Object is one live object as the API returns it (JSON decoded into
// map[string]any, numbers as float64 or json.Number).
type Object = map[string]any

// Target is where a blueprint is read from and applied to. Models are
// blueprint names ("authentik_flows.flow"). The pk given to Update and
// Delete is the object's primary key as its API object shows it (the
// "pk" field, or e.g. "tenant_uuid" for models without one: see PKField);
// a Target whose endpoint looks objects up by another field (a flow's
// slug) maps it. Attribute maps use the API's request field names, plus
// the blueprint-only fields (a user's "password", a token's "key") that a
// Target must store itself.
type Target interface {
	// List returns every live object of a model. The planner calls it once
	// per model a plan touches, never per entry.
	List(ctx context.Context, model string) ([]Object, error)
	// Create creates an object and returns it as the API would.
	Create(ctx context.Context, model string, attrs Object) (Object, error)
	// Update changes only the given attributes (a PATCH).
	Update(ctx context.Context, model string, pk any, attrs Object) (Object, error)
	// Delete deletes one object (the database cascades).
	Delete(ctx context.Context, model string, pk any) error
}

// Options tune a plan.
type Options struct {
	// Context overrides the blueprints' own context (deep-merged as
	// authentik merges an instance's context into the file's: mappings
	// merge, lists concatenate, other values replace).
	Context map[string]any
	// Env resolves !Env; nil means os.LookupEnv.
	Env func(name string) (string, bool)
	// Files resolves the paths of metaapplyblueprint entries and !File
	// (nil: metaapplyblueprint fails, !File reads the local disk).
	Files fs.FS
	// Owned is what this blueprint owned at its last apply
	// (BlueprintInstance.managed_models entries, "model:pk").
	Owned []string
	// Prune turns owned objects that are no longer declared into deletes.
	Prune bool
	// AllowNullFind makes a !Find that matches nothing yield null, as
	// authentik does, instead of failing the entry.
	AllowNullFind bool
	// ResetSecrets sends values the API never returns (a user's password,
	// a token's key) to existing objects as well. They cannot be compared,
	// so without it they are written when the object is created only;
	// authentik rewrites them on every apply.
	ResetSecrets bool
	// ReleaseEntries lets the planner drop the unevaluated values of each
	// entry it has planned (Entry.Identifiers and Attrs keep their keys
	// and lines, for messages; Conditions go) unless the apply must
	// evaluate them again, so that the parse tree of a large blueprint is
	// collected during the plan. Set it when the Blueprints are not used
	// after Plan (another Plan of them would go wrong).
	ReleaseEntries bool
}
