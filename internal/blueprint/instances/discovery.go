package instances

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/store"
	"github.com/akgo/akgo/internal/tasks"
)

// DiscoveryTask is the system task that turns blueprint files into
// instances and applies the new and changed ones.
const DiscoveryTask = "blueprints_discovery"

// DiscoverySchedule runs discovery hourly (authentik: hourly at a
// per-host random minute; here at a fixed one).
var DiscoverySchedule = tasks.Every{Period: time.Hour, Offset: 17 * time.Minute}

// Task is blueprints_discovery for the scheduler. It does not run when the
// scheduler starts: the server runs discovery itself before it reports
// ready, so the defaults exist before the first request.
func (m *Manager) Task() tasks.Task {
	return tasks.Task{Name: DiscoveryTask, Description: "Find blueprints and check if they need to be created in the database",
		Schedule: DiscoverySchedule, Run: m.Discover}
}

// Discover is authentik's blueprints_discovery: every available file
// becomes an instance (name = metadata.name or the path, path = the
// relative path, enabled, empty context) unless it is labelled
// instantiate: "false", and an enabled instance is applied when it is new
// or its file's hash differs from its last_applied_hash (the hash covers
// the context too, see Hash).
//
// Deviations, documented in docs/blueprints-server.md:
//   - Files are applied in dependency order: system/ first, then default/,
//     then the rest by path; a failed apply is retried after the others as
//     long as a pass makes progress, so an instance whose !Find targets
//     come from a later file still converges in one run. authentik applies
//     in filesystem order, concurrently.
//   - A file whose metadata.name clashes with another instance's name is
//     reported and skipped, instead of aborting the whole run.
//   - An instance whose file has disappeared is marked orphaned (its
//     objects and managed_models stay, so an admin can inspect or prune
//     them); authentik deletes such instances. It is applied again when
//     the file comes back.
func (m *Manager) Discover(ctx context.Context) (tasks.Result, error) {
	files, skipped := m.cfg.Files.Find()
	var msgs []string
	for _, err := range skipped {
		m.log.Warn("blueprint file skipped", "err", err)
		msgs = append(msgs, "skipped "+err.Error())
	}
	insts, err := m.Instances(ctx)
	if err != nil {
		return tasks.Result{}, err
	}
	byPath := map[string]*Instance{}
	byName := map[string]*Instance{}
	for _, in := range insts {
		if _, seen := byPath[in.Path]; !seen && in.Path != "" {
			byPath[in.Path] = in // authentik takes the first by path
		}
		byName[in.Name] = in
	}
	sortForApply(files)
	var pending []*Instance
	warn := false
	available := map[string]bool{}
	// New files become instances first, all in one transaction: a new
	// database has a score of them, and one commit each was a noticeable
	// part of the first start on PostgreSQL.
	var fresh []newInstance
	for i := range files {
		f := &files[i]
		available[f.Path] = true
		if !f.Instantiate() || byPath[f.Path] != nil {
			continue
		}
		name := f.Path
		if f.Meta != nil && f.Meta.Name != "" {
			name = f.Meta.Name
		}
		if other := byName[name]; other != nil {
			warn = true
			msgs = append(msgs, fmt.Sprintf("%s: an instance named %q already exists for %q", f.Path, name, other.Path))
			continue
		}
		byName[name] = &Instance{Name: name, Path: f.Path} // claims the name; replaced once stored
		fresh = append(fresh, newInstance{name: name, path: f.Path})
	}
	created, err := m.createAll(ctx, fresh)
	if err != nil {
		return tasks.Result{}, err
	}
	for _, in := range created {
		byPath[in.Path] = in
		m.log.Info("created blueprint instance from file", "instance", in.Name, "path", in.Path)
	}
	for i := range files {
		f := &files[i]
		in := byPath[f.Path]
		if !f.Instantiate() || in == nil || !in.Enabled {
			continue
		}
		if in.LastHash != Hash(f.Content, in.Context) || in.Status == StatusOrphaned || in.Status == StatusUnknown {
			pending = append(pending, in)
		}
	}
	applied, failed, err := m.applyAll(ctx, pending)
	if err != nil {
		return tasks.Result{}, err
	}
	for _, f := range failed {
		warn = true
		msgs = append(msgs, fmt.Sprintf("failed to apply %s: %s", f.in.Name, strings.Join(f.out.Messages, "; ")))
	}
	orphaned, err := m.markOrphans(ctx, insts, available)
	if err != nil {
		return tasks.Result{}, err
	}
	for _, name := range orphaned {
		warn = true
		msgs = append(msgs, fmt.Sprintf("%s: file is gone, instance marked orphaned", name))
	}
	summary := fmt.Sprintf("Successfully imported %d files.", len(files))
	if applied > 0 {
		summary += fmt.Sprintf(" Applied %d.", applied)
	}
	res := tasks.Result{Status: tasks.StatusSuccessful, Messages: append([]string{summary}, msgs...)}
	if warn {
		res.Status = tasks.StatusWarning
	}
	return res, nil
}

// sortForApply puts system/ before default/ before everything else,
// each by path: the defaults reference objects the system blueprints
// create (scope mappings, the bootstrap group).
func sortForApply(files []File) {
	rank := func(p string) int {
		switch {
		case strings.HasPrefix(p, "system/"):
			return 0
		case strings.HasPrefix(p, "default/"):
			return 1
		}
		return 2
	}
	sort.SliceStable(files, func(i, j int) bool {
		a, b := rank(files[i].Path), rank(files[j].Path)
		if a != b {
			return a < b
		}
		return files[i].Path < files[j].Path
	})
}

type failure struct {
	in  *Instance
	out Outcome
}

// applyAll applies instances in order, then retries the failed ones while
// a pass makes progress.
func (m *Manager) applyAll(ctx context.Context, pending []*Instance) (applied int, failed []failure, err error) {
	for len(pending) > 0 {
		failed = nil
		for _, in := range pending {
			// Discovery has just read the instance: no second read.
			out, err := m.applyInstance(ctx, in, ApplyOptions{})
			var nf *engine.NotFoundError
			switch {
			case errors.As(err, &nf):
				continue // deleted meanwhile
			case err != nil:
				return applied, nil, err
			case out.Failed():
				failed = append(failed, failure{in, out})
			default:
				applied++
			}
		}
		if len(failed) == 0 || len(failed) == len(pending) {
			return applied, failed, nil
		}
		pending = pending[:0]
		for _, f := range failed {
			pending = append(pending, f.in)
		}
	}
	return applied, nil, nil
}

// newInstance is a discovered file that gets an instance.
type newInstance struct{ name, path string }

// createAll stores discovered instances in one transaction; internal
// writes skip the API's content checks (see WithoutChecks).
func (m *Manager) createAll(ctx context.Context, fresh []newInstance) ([]*Instance, error) {
	if len(fresh) == 0 {
		return nil, nil
	}
	var out []*Instance
	err := m.cfg.Engine.Store.Update(ctx, func(tx store.Tx) error {
		out = out[:0] // a retried transaction starts over
		for _, n := range fresh {
			row, err := m.cfg.Engine.InsertTx(WithoutChecks(ctx), tx, m.model, engine.Object{
				"name": n.name, "path": n.path, "context": map[string]any{}, "enabled": true, "status": StatusUnknown,
				"managed_models": []any{}, "metadata": map[string]any{}, "content": "", "last_applied_hash": "",
			})
			if err != nil {
				return fmt.Errorf("create blueprint instance %q: %w", n.name, err)
			}
			out = append(out, m.instance(row))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// markOrphans marks file-based instances whose file is gone.
func (m *Manager) markOrphans(ctx context.Context, insts []*Instance, available map[string]bool) ([]string, error) {
	var names []string
	for _, in := range insts {
		if in.Path == "" || strings.HasPrefix(in.Path, OCIPrefix) || available[in.Path] || in.Status == StatusOrphaned {
			continue
		}
		if err := m.writeStatus(ctx, in.PK, store.Row{m.col("status"): StatusOrphaned}); err != nil {
			return names, err
		}
		names = append(names, in.Name)
	}
	return names, nil
}

type checksKey struct{}

// WithoutChecks marks writes of instances by the server itself
// (discovery), which the API's validation and ownership refresh hooks
// leave alone.
func WithoutChecks(ctx context.Context) context.Context {
	return context.WithValue(ctx, checksKey{}, true)
}

// ChecksSkipped reports a context made by WithoutChecks.
func ChecksSkipped(ctx context.Context) bool {
	v, _ := ctx.Value(checksKey{}).(bool)
	return v
}
