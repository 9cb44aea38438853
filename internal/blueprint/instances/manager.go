package instances

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/akgo/akgo/internal/blueprint"
	"github.com/akgo/akgo/internal/blueprint/storetarget"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
	"github.com/akgo/akgo/internal/tasks"
)

// Model is the registry model of blueprint instances.
const Model = "authentik_blueprints.blueprintinstance"

// Instance statuses (BlueprintInstanceStatusEnum).
const (
	StatusSuccessful = "successful"
	StatusError      = "error"
	StatusOrphaned   = "orphaned"
	StatusUnknown    = "unknown"
)

// OCIPrefix marks instance paths authentik fetches from an OCI registry.
const OCIPrefix = "oci://"

// Config is what a Manager needs.
type Config struct {
	Engine *engine.Engine
	Files  *Files
	// Tasks records applies as apply_blueprint:<name> runs and runs
	// discovery; nil applies directly and records nothing.
	Tasks *tasks.Scheduler
	// Events records password_set for blueprint-set passwords.
	Events storetarget.EventRecorder
	// Env resolves !Env (nil: the process environment).
	Env func(string) (string, bool)
	Log *slog.Logger
}

// Manager applies blueprint instances and discovers blueprint files.
type Manager struct {
	cfg   Config
	model *registry.Model
	log   *slog.Logger

	mu    sync.Mutex
	locks map[string]*sync.Mutex
	// taskPK maps an apply_blueprint task name to the instance it applies
	// when the scheduler runs it on its own (an admin's retry).
	taskPK map[string]string
}

// New builds a manager.
func New(cfg Config) (*Manager, error) {
	if cfg.Engine == nil || cfg.Files == nil {
		return nil, errors.New("instances: an engine and the blueprint files are required")
	}
	m, ok := cfg.Engine.Registry.Model(Model)
	if !ok {
		return nil, fmt.Errorf("instances: registry has no model %s", Model)
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Manager{cfg: cfg, model: m, log: log, locks: map[string]*sync.Mutex{}, taskPK: map[string]string{}}, nil
}

// Files returns the blueprint files the manager reads.
func (m *Manager) Files() *Files { return m.cfg.Files }

// Instance is a stored BlueprintInstance.
type Instance struct {
	PK       string
	Name     string
	Path     string
	Content  string
	Context  map[string]any
	Enabled  bool
	Status   string
	LastHash string
	Managed  []string
}

func (m *Manager) col(field string) string { return m.model.MustColumn(field) }

func (m *Manager) instance(row store.Row) *Instance {
	str := func(f string) string { s, _ := row[m.col(f)].(string); return s }
	in := &Instance{PK: fmt.Sprint(row[m.model.PKColumn]), Name: str("name"), Path: str("path"), Content: str("content"),
		Status: str("status"), LastHash: str("last_applied_hash"), Context: map[string]any{}}
	in.Enabled, _ = row[m.col("enabled")].(bool)
	decodeJSON(row[m.col("context")], &in.Context)
	if in.Context == nil {
		in.Context = map[string]any{}
	}
	decodeJSON(row[m.col("managed_models")], &in.Managed)
	return in
}

// decodeJSON reads a JSON column value (raw bytes on read, or a Go value
// a hook put in a row) into dst.
func decodeJSON(v any, dst any) {
	var raw []byte
	switch x := v.(type) {
	case nil:
		return
	case json.RawMessage:
		raw = x
	case []byte:
		raw = x
	case string:
		raw = []byte(x)
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return
		}
		raw = b
	}
	_ = json.Unmarshal(raw, dst)
}

// Instances lists every stored instance, by name.
func (m *Manager) Instances(ctx context.Context) ([]*Instance, error) {
	var out []*Instance
	err := m.cfg.Engine.Store.View(ctx, func(tx store.Tx) error {
		rows, err := tx.Select(ctx, store.Query{Table: m.model.Table, OrderBy: []store.Order{{Column: m.col("name")}, {Column: m.model.PKColumn}}})
		if err != nil {
			return err
		}
		for _, r := range rows {
			out = append(out, m.instance(r))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list blueprint instances: %w", err)
	}
	return out, nil
}

// Get loads one instance (an *engine.NotFoundError when there is none).
func (m *Manager) Get(ctx context.Context, pk string) (*Instance, error) {
	var in *Instance
	err := m.cfg.Engine.Store.View(ctx, func(tx store.Tx) error {
		var err error
		in, err = m.getTx(ctx, tx, pk)
		return err
	})
	return in, err
}

func (m *Manager) getTx(ctx context.Context, tx store.Tx, pk string) (*Instance, error) {
	v, ok := engine.ParsePK(m.model, pk)
	if !ok {
		return nil, &engine.NotFoundError{Detail: "Not found."}
	}
	rows, err := tx.Select(ctx, store.Query{Table: m.model.Table, Where: store.Eq(m.model.PKColumn, v), Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("load blueprint instance %s: %w", pk, err)
	}
	if len(rows) == 0 {
		return nil, &engine.NotFoundError{Detail: "Not found."}
	}
	return m.instance(rows[0]), nil
}

// Retrieve returns the blueprint an instance applies: the file at its path
// (relative to the blueprint directory), or its stored content. The label
// names it in error messages.
func (m *Manager) Retrieve(in *Instance) (content []byte, label string, err error) {
	switch {
	case strings.HasPrefix(in.Path, OCIPrefix):
		return nil, in.Path, fmt.Errorf("%s: OCI blueprints are not supported by akserver", in.Path)
	case in.Path != "":
		p, err := CleanPath(in.Path)
		if err != nil {
			return nil, in.Path, err
		}
		data, err := m.cfg.Files.ReadFile(p)
		if err != nil {
			return nil, p, fmt.Errorf("failed to retrieve blueprint %s: %w", p, err)
		}
		return data, p, nil
	}
	return []byte(in.Content), in.Name, nil
}

// ApplyOptions tune one apply.
type ApplyOptions struct {
	// Prune also deletes objects the instance owned at its last apply and
	// no longer declares (an akserver extension).
	Prune bool
}

// Outcome is what one apply did.
type Outcome struct {
	// Status is the instance's new status ("" when a disabled instance was
	// skipped).
	Status string
	// Messages are the problems, one per line, or a summary.
	Messages []string
	Managed  []string
	// Created, Updated and Deleted count the writes of a successful apply.
	Created, Updated, Deleted int
}

// Failed reports an apply that ended with the error status.
func (o Outcome) Failed() bool { return o.Status == StatusError }

// ApplyTaskPrefix starts the system task name of an instance's applies.
const ApplyTaskPrefix = blueprint.InstanceTaskPrefix

// TaskName is the system task an instance's applies are recorded under:
// apply_blueprint:<slugified name>, as authentik's task uid.
func TaskName(instanceName string) string { return blueprint.InstanceTaskName(instanceName) }

type runKey struct{}

// run carries one apply's arguments and result through the scheduler.
type run struct {
	pk   string
	opts ApplyOptions
	out  *Outcome
	// gone is the not-found error of an instance deleted before the run.
	gone error
}

// Apply applies an instance now and waits for it. With a scheduler, the
// run is recorded as the system task apply_blueprint:<name> (kept only
// when it fails, as authentik's save_on_success=False) and can be retried
// from the admin API. The returned error is about the instance (missing)
// or the infrastructure; a blueprint that fails is an Outcome with the
// error status.
func (m *Manager) Apply(ctx context.Context, pk string, opts ApplyOptions) (Outcome, error) {
	if m.cfg.Tasks == nil {
		return m.applyNow(ctx, pk, opts)
	}
	in, err := m.Get(ctx, pk)
	if err != nil {
		return Outcome{}, err
	}
	return m.applyInstance(ctx, in, opts)
}

// applyInstance is Apply of an instance the caller has just read (only
// its pk and name are used: the apply reads it again under its lock).
func (m *Manager) applyInstance(ctx context.Context, in *Instance, opts ApplyOptions) (Outcome, error) {
	if m.cfg.Tasks == nil {
		return m.applyNow(ctx, in.PK, opts)
	}
	name, err := m.applyTask(in)
	if err != nil {
		return Outcome{}, err
	}
	out := &Outcome{}
	var applyErr error
	r := &run{pk: in.PK, opts: opts, out: out}
	res, err := m.cfg.Tasks.Run(context.WithValue(ctx, runKey{}, r), name)
	if err != nil {
		return Outcome{}, err
	}
	if r.gone != nil {
		return Outcome{}, r.gone
	}
	if res.Status == tasks.StatusError && out.Status == "" {
		applyErr = errors.New(strings.Join(res.Messages, "\n"))
	}
	return *out, applyErr
}

// applyTask registers the instance's apply_blueprint task once.
func (m *Manager) applyTask(in *Instance) (string, error) {
	name := TaskName(in.Name)
	m.mu.Lock()
	m.taskPK[name] = in.PK
	m.mu.Unlock()
	if _, ok := m.cfg.Tasks.Lookup(name); ok {
		return name, nil
	}
	err := m.cfg.Tasks.Register(tasks.Task{Name: name, Description: "Apply single blueprint", FailuresOnly: true,
		Run: func(ctx context.Context) (tasks.Result, error) { return m.runTask(ctx, name) }})
	if err != nil {
		if _, ok := m.cfg.Tasks.Lookup(name); ok {
			return name, nil // registered concurrently
		}
		return "", err
	}
	return name, nil
}

func (m *Manager) runTask(ctx context.Context, name string) (tasks.Result, error) {
	r, _ := ctx.Value(runKey{}).(*run)
	if r == nil {
		m.mu.Lock()
		pk := m.taskPK[name]
		m.mu.Unlock()
		r = &run{pk: pk, out: &Outcome{}}
	}
	out, err := m.applyNow(ctx, r.pk, r.opts)
	*r.out = out
	var nf *engine.NotFoundError
	if errors.As(err, &nf) {
		// The instance is gone: nothing to apply, as authentik's task.
		r.gone = err
		return tasks.Result{Messages: []string{"blueprint instance no longer exists"}}, nil
	}
	if err != nil {
		return tasks.Result{}, err
	}
	if out.Failed() {
		return tasks.Result{Status: tasks.StatusError, Messages: out.Messages}, nil
	}
	return tasks.Result{Status: tasks.StatusSuccessful, Messages: out.Messages}, nil
}

// lock serialises applies of one instance within this process.
func (m *Manager) lock(pk string) func() {
	m.mu.Lock()
	l, ok := m.locks[pk]
	if !ok {
		l = &sync.Mutex{}
		m.locks[pk] = l
	}
	m.mu.Unlock()
	l.Lock()
	return l.Unlock
}

// applyNow plans and applies an instance in one transaction and writes
// the outcome back to the instance: status, last_applied, metadata and,
// on success, last_applied_hash and managed_models in the same
// transaction as the objects themselves. The instance is read in that
// transaction too, after its lock, and an instance that is disabled or
// whose blueprint cannot be read records that there as well: a start-up
// applies a score of instances, and on PostgreSQL each transaction less
// is a noticeable part of it. Only a blueprint that fails to plan or
// apply records its error in a transaction of its own, after the
// rollback.
func (m *Manager) applyNow(ctx context.Context, pk string, opts ApplyOptions) (Outcome, error) {
	unlock := m.lock(pk)
	defer unlock()
	if _, ok := engine.ParsePK(m.model, pk); !ok {
		return Outcome{}, &engine.NotFoundError{Detail: "Not found."}
	}
	now := store.NowUTC(m.cfg.Engine.Now())
	var (
		in      *Instance
		result  Outcome
		done    bool // result is final (disabled, or could not be read)
		meta    map[string]any
		managed []string
		counts  [3]int
		// Where the time goes, for the log: parse, plan, writes (the
		// apply and its commit).
		start, parsed, planned time.Time
	)
	err := storetarget.Run(ctx, m.cfg.Engine, func(ctx context.Context, t *storetarget.Target) error {
		in, meta, done = nil, nil, false
		if err := m.lockTx(ctx, t.Tx(), pk); err != nil {
			return err
		}
		var err error
		if in, err = m.getTx(ctx, t.Tx(), pk); err != nil {
			return err
		}
		where := store.Eq(m.model.PKColumn, mustPK(m.model, in.PK))
		if !in.Enabled {
			// authentik returns early but still saves, so last_applied moves.
			done, result = true, Outcome{Status: in.Status}
			_, err := t.Tx().UpdateWhere(ctx, m.model.Table, where, store.Row{m.col("last_applied"): now})
			return recordErr(err)
		}
		content, label, err := m.Retrieve(in)
		if err != nil {
			done, result = true, m.failure(in, err)
			_, err := t.Tx().UpdateWhere(ctx, m.model.Table, where, m.failedRow(now, nil))
			return recordErr(err)
		}
		// Retrieve copied it: a large blueprint's text is not kept twice
		// through the apply.
		in.Content = ""
		hash := Hash(content, in.Context)
		start = time.Now()
		bp, err := blueprint.Parse(label, content)
		if err != nil {
			done, result = true, m.failure(in, err)
			_, err := t.Tx().UpdateWhere(ctx, m.model.Table, where, m.failedRow(now, nil))
			return recordErr(err)
		}
		meta = metadataOf(bp)
		parsed = time.Now()
		t.Events = m.cfg.Events
		plan, err := blueprint.Plan(ctx, t, []*blueprint.Blueprint{bp}, m.options(in, opts))
		if err != nil {
			return err
		}
		planned = time.Now()
		res, err := blueprint.ApplyWith(ctx, t, plan, blueprint.ApplyOptions{DropObjects: true})
		if err != nil {
			return err
		}
		managed = nonNil(res.Managed)
		counts = [3]int{res.Created, res.Updated, res.Deleted}
		set := store.Row{m.col("status"): StatusSuccessful, m.col("last_applied"): now, m.col("last_applied_hash"): hash,
			m.col("managed_models"): managed}
		if meta != nil {
			set[m.col("metadata")] = meta
		}
		_, err = t.Tx().UpdateWhere(ctx, m.model.Table, where, set)
		return err
	})
	var nf *engine.NotFoundError
	var rec *recordError
	switch {
	case errors.As(err, &nf) && in == nil:
		return Outcome{}, err
	case errors.As(err, &rec):
		return Outcome{}, rec.err
	case err != nil && (in == nil || done):
		// The lock or the read failed, or the commit of a recorded
		// outcome: there is nothing (else) to record.
		if done {
			err = fmt.Errorf("record blueprint status: %w", err)
		}
		return Outcome{}, err
	case err != nil:
		return m.failed(ctx, in, now, meta, err)
	case done:
		if result.Failed() {
			m.log.Warn("blueprint apply failed", "instance", in.Name, "err", strings.Join(result.Messages, "; "))
		}
		return result, nil
	}
	m.log.Info("applied blueprint", "instance", in.Name, "owned", len(managed), "created", counts[0], "updated", counts[1], "deleted", counts[2],
		"parse", parsed.Sub(start).Round(time.Millisecond), "plan", planned.Sub(parsed).Round(time.Millisecond), "write", time.Since(planned).Round(time.Millisecond))
	return Outcome{Status: StatusSuccessful, Managed: managed, Created: counts[0], Updated: counts[1], Deleted: counts[2]}, nil
}

// recordError is a failure to write an instance's status, which is the
// infrastructure's problem rather than the blueprint's.
type recordError struct{ err error }

func (e *recordError) Error() string { return e.err.Error() }

func recordErr(err error) error {
	if err == nil {
		return nil
	}
	return &recordError{fmt.Errorf("record blueprint status: %w", err)}
}

// options are the plan options of an instance.
// Every caller parses the blueprint for this plan only, so the planner
// may drop what it has evaluated (ReleaseEntries).
func (m *Manager) options(in *Instance, opts ApplyOptions) blueprint.Options {
	return blueprint.Options{Context: in.Context, Env: m.cfg.Env, Files: m.cfg.Files, Owned: in.Managed, Prune: opts.Prune, ReleaseEntries: true}
}

// failed records a failed apply: status error and last_applied (authentik
// saves both on every attempt), the metadata when the file parsed.
func (m *Manager) failed(ctx context.Context, in *Instance, now any, meta map[string]any, cause error) (Outcome, error) {
	if ctx.Err() != nil {
		return Outcome{}, ctx.Err()
	}
	if err := m.writeStatus(ctx, in.PK, m.failedRow(now, meta)); err != nil {
		return Outcome{}, err
	}
	out := m.failure(in, cause)
	m.log.Warn("blueprint apply failed", "instance", in.Name, "err", strings.Join(out.Messages, "; "))
	return out, nil
}

// failedRow is what a failed apply writes on its instance.
func (m *Manager) failedRow(now any, meta map[string]any) store.Row {
	set := store.Row{m.col("status"): StatusError, m.col("last_applied"): now}
	if meta != nil {
		set[m.col("metadata")] = meta
	}
	return set
}

// failure is the outcome of a failed apply.
func (m *Manager) failure(in *Instance, cause error) Outcome {
	return Outcome{Status: StatusError, Messages: Messages(cause), Managed: in.Managed}
}

func (m *Manager) writeStatus(ctx context.Context, pk string, set store.Row) error {
	err := m.cfg.Engine.Store.Update(context.WithoutCancel(ctx), func(tx store.Tx) error {
		_, err := tx.UpdateWhere(ctx, m.model.Table, store.Eq(m.model.PKColumn, mustPK(m.model, pk)), set)
		return err
	})
	if err != nil {
		return fmt.Errorf("record blueprint status: %w", err)
	}
	return nil
}

// Messages turns an apply error into the lines a task record and an API
// error show: one per located problem.
func Messages(err error) []string {
	var out []string
	for _, e := range blueprint.AsErrors(err) {
		out = append(out, e.Error())
	}
	if len(out) == 0 && err != nil {
		out = []string{err.Error()}
	}
	return out
}

// metadataOf is the instance metadata of a parsed blueprint ({name,
// labels}), nil when it has none (authentik then keeps the old value).
func metadataOf(bp *blueprint.Blueprint) map[string]any {
	if bp == nil || bp.Metadata.Name == "" && len(bp.Metadata.Labels) == 0 {
		return nil
	}
	labels := map[string]any{}
	for k, v := range bp.Metadata.Labels {
		labels[k] = v
	}
	return map[string]any{"name": bp.Metadata.Name, "labels": labels}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func mustPK(m *registry.Model, pk string) any {
	v, ok := engine.ParsePK(m, pk)
	if !ok {
		return pk
	}
	return v
}

// lockTx takes, on PostgreSQL, a transaction-level advisory lock on the
// instance, so two replicas never apply the same instance at once; the
// commit or rollback releases it. The first key keeps these locks apart
// from the task scheduler's and from other schemas' on the same database.
func (m *Manager) lockTx(ctx context.Context, tx store.Tx, pk string) error {
	if m.cfg.Engine.Store.Dialect() != "postgres" {
		return nil
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(pk))
	q := fmt.Sprintf("SELECT pg_advisory_xact_lock(hashtext('akgo-blueprint:' || COALESCE(current_schema(), '')), %d)", int32(h.Sum32()))
	if err := tx.Exec(ctx, q); err != nil {
		return fmt.Errorf("lock blueprint instance %s: %w", pk, err)
	}
	return nil
}
