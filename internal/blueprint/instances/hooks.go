package instances

import (
	"context"
	"fmt"
	"strings"

	"github.com/akgo/akgo/internal/blueprint"
	"github.com/akgo/akgo/internal/blueprint/storetarget"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/events"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// Validation messages of authentik's BlueprintInstanceSerializer.
const (
	MsgFileMissing    = "Blueprint file does not exist"
	MsgInvalidPrefix  = blueprint.InstanceInvalidPrefix
	MsgPathOrContent  = "Either path or content must be set."
	savepoint         = "akgo_blueprint_validate"
	managedModelsName = "managed_models"
)

// InstallHooks adds the checks authentik's serializer makes on instances
// written through the API, and keeps their ownership record current:
//
//   - path must be empty, an oci:// reference or an available file (a
//     path leaving the blueprint directory never is);
//   - content, when not empty, must apply: it is planned and applied inside
//     a savepoint that is always rolled back (authentik's validate() is the
//     same complete dry run), and a failure is a 400 on content listing
//     every problem;
//   - the instance must have a path or content once written (authentik
//     checks the submitted attributes only, so it refuses a PATCH of just
//     "enabled"; here that PATCH works, a documented deviation);
//   - when content, path or context is written, managed_models becomes what
//     the blueprint owns now: the objects its entries match, plus the
//     objects it owned before that still exist. This is how akctl's
//     client-side apply, which writes over HTTP and then stores the
//     blueprint in its instance, records ownership on the server.
//
// The dry run uses the context being written (authentik validates with
// the instance's previous context, ignoring one sent in the same request).
func (m *Manager) InstallHooks(e *engine.Engine) {
	e.Hooks.BeforeWrite[Model] = append(e.Hooks.BeforeWrite[Model], m.beforeWrite)
}

func (m *Manager) beforeWrite(ctx context.Context, tx store.Tx, model *registry.Model, old, row store.Row, body engine.Object) error {
	if ChecksSkipped(ctx) {
		return nil
	}
	verr := &engine.ValidationError{}
	path, pathGiven := body["path"].(string)
	if pathGiven && path != "" && !strings.HasPrefix(path, OCIPrefix) {
		if clean, ok := m.available(path); ok {
			row[m.col("path")] = clean
		} else {
			verr.Add("path", MsgFileMissing)
		}
	}
	// The instance as it will be stored.
	in := &Instance{Context: map[string]any{}}
	if old != nil {
		in = m.instance(old)
	}
	merged := m.instance(mergeRows(old, row))
	in.Path, in.Content, in.Context, in.Name = merged.Path, merged.Content, merged.Context, merged.Name
	content, contentGiven := body["content"].(string)
	var plan *blueprint.PlanResult
	if contentGiven && content != "" && verr.Empty() {
		var err error
		plan, err = m.dryRun(ctx, tx, in, []byte(content))
		if err != nil {
			verr.Add("content", MsgInvalidPrefix+strings.Join(Messages(err), "\n"))
		}
	}
	if !verr.Empty() {
		return verr
	}
	if in.Path == "" && in.Content == "" {
		return engine.Invalid("", MsgPathOrContent)
	}
	_, contextGiven := body["context"]
	if !contentGiven && !pathGiven && !contextGiven {
		return nil
	}
	if plan == nil {
		// Ownership only: a blueprint that does not plan keeps the old
		// record, it is not a reason to refuse the write.
		data, label, err := m.Retrieve(in)
		if err != nil {
			return nil
		}
		bp, err := blueprint.Parse(label, data)
		if err != nil {
			return nil
		}
		if plan, err = blueprint.Plan(WithoutChecks(ctx), storetarget.New(m.cfg.Engine, tx), []*blueprint.Blueprint{bp}, m.options(in, ApplyOptions{})); err != nil {
			return nil
		}
	}
	row[m.col(managedModelsName)] = nonNil(plan.Managed())
	return nil
}

// available reports whether path names an available blueprint file, and
// its canonical form.
func (m *Manager) available(path string) (string, bool) {
	clean, err := CleanPath(path)
	if err != nil {
		return "", false
	}
	files, _ := m.cfg.Files.Find()
	for _, f := range files {
		if f.Path == clean {
			return clean, true
		}
	}
	return "", false
}

// dryRun plans and applies content inside a savepoint of tx and rolls it
// back, returning the plan (made before anything was written).
func (m *Manager) dryRun(ctx context.Context, tx store.Tx, in *Instance, content []byte) (*blueprint.PlanResult, error) {
	bp, err := blueprint.Parse(in.Name, content)
	if err != nil {
		return nil, err
	}
	// Events of the dry run are rolled back with it: never tell observers.
	ctx, _ = events.Defer(WithoutChecks(ctx))
	if err := tx.Exec(ctx, "SAVEPOINT "+savepoint); err != nil {
		return nil, fmt.Errorf("validate blueprint: %w", err)
	}
	// Rolled back with the savepoint.
	if err := storetarget.PlanEachStatement(ctx, m.cfg.Engine, tx); err != nil {
		return nil, fmt.Errorf("validate blueprint: %w", err)
	}
	t := storetarget.New(m.cfg.Engine, tx)
	t.HashPassword = func(string) (string, error) { return "!", nil } // discarded anyway
	plan, err := blueprint.Plan(ctx, t, []*blueprint.Blueprint{bp}, m.options(in, ApplyOptions{}))
	if err == nil {
		_, err = blueprint.ApplyWith(ctx, t, plan, blueprint.ApplyOptions{DropObjects: true})
	}
	if rerr := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT "+savepoint); rerr != nil {
		return nil, fmt.Errorf("validate blueprint: roll back: %w", rerr)
	}
	if rerr := tx.Exec(ctx, "RELEASE SAVEPOINT "+savepoint); rerr != nil {
		return nil, fmt.Errorf("validate blueprint: release: %w", rerr)
	}
	return plan, err
}

// mergeRows is old with the changed columns of row on top.
func mergeRows(old, row store.Row) store.Row {
	out := store.Row{}
	for k, v := range old {
		out[k] = v
	}
	for k, v := range row {
		out[k] = v
	}
	return out
}
