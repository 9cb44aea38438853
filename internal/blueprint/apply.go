package blueprint

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Status is what the apply did for one entry or prune.
type Status string

const (
	StatusCreated   Status = "created"
	StatusUpdated   Status = "updated"
	StatusDeleted   Status = "deleted"
	StatusUnchanged Status = "unchanged"
	StatusSkipped   Status = "skipped"
	StatusFailed    Status = "failed"
)

// EntryResult is the outcome of one change (Change set) or prune (Prune
// set).
type EntryResult struct {
	Change *Change
	Prune  *Prune
	Status Status
	// PK is the object's primary key (the created one for creates).
	PK any
	// Object is the object as the Target returned it (creates, updates).
	Object Object
	Err    error
}

// Result is what Apply did.
type Result struct {
	// Managed is the ownership record to store in
	// BlueprintInstance.managed_models ("model:pk"): the objects the
	// present/created/must_created entries now designate, plus the
	// previously owned objects that were not deleted.
	Managed []string
	// Entries lists every change and prune executed, in order; after a
	// failure it ends with the failed one.
	Entries []EntryResult
	// Created, Updated and Deleted count the writes done.
	Created, Updated, Deleted int
	// Complete is false when the apply stopped at a failure: the writes
	// before it stay (a client-side apply is not transactional).
	Complete bool
}

// ApplyOptions tune an apply.
type ApplyOptions struct {
	// Progress is called after each change and prune.
	Progress func(EntryResult)
	// DropObjects leaves EntryResult.Object unset and keeps of each
	// object written only the keys later entries refer to, for callers
	// that need the counts and the ownership record only: the objects of
	// a large apply (27,500 users and groups) are otherwise all held
	// until it ends.
	DropObjects bool
}

// Apply executes a plan in dependency order.
func Apply(ctx context.Context, t Target, p *PlanResult) (*Result, error) {
	return ApplyWith(ctx, t, p, ApplyOptions{})
}

// ApplyWith executes a plan in dependency order: each entry's tags are
// evaluated again with the keys of the objects created so far, so
// references to created objects carry their real keys. It stops at the
// first failure and returns what was done up to it, with an error located
// at the entry (and field, for validation errors).
func ApplyWith(ctx context.Context, t Target, p *PlanResult, ao ApplyOptions) (*Result, error) {
	if p == nil || p.pl == nil {
		return nil, errors.New("blueprint: apply needs a plan made by Plan")
	}
	ap := &applier{ctx: ctx, t: t, pl: p.pl, deleted: map[string]bool{}, dropObjects: ao.DropObjects}
	for _, es := range p.pl.entries {
		es.actual = nil
	}
	res := &Result{}
	report := func(er EntryResult) {
		res.Entries = append(res.Entries, er)
		switch er.Status {
		case StatusCreated:
			res.Created++
		case StatusUpdated:
			res.Updated++
		case StatusDeleted:
			res.Deleted++
		}
		if ao.Progress != nil {
			ao.Progress(er)
		}
	}
	for _, c := range p.Changes {
		if err := ctx.Err(); err != nil {
			res.Managed = ap.managed(res)
			return res, err
		}
		er := ap.change(c)
		report(er)
		if er.Err != nil {
			res.Managed = ap.managed(res)
			return res, er.Err
		}
	}
	for _, pr := range p.Prunes {
		if !pr.Delete {
			continue
		}
		if err := ctx.Err(); err != nil {
			res.Managed = ap.managed(res)
			return res, err
		}
		er := EntryResult{Prune: pr, PK: pr.PK, Status: StatusDeleted}
		if err := t.Delete(ctx, pr.Model, pr.PK); err != nil && !errors.Is(err, ErrNotFound) {
			er.Status = StatusFailed
			er.Err = &Error{Entry: -1, Model: pr.Model, Msg: fmt.Sprintf("prune %s %s: %v", pr.Model, pkString(pr.PK), err), Err: err}
			report(er)
			res.Managed = ap.managed(res)
			return res, er.Err
		}
		ap.deleted[pr.Model+":"+pkString(pr.PK)] = true
		report(er)
	}
	res.Complete = true
	res.Managed = ap.managed(res)
	return res, nil
}

type applier struct {
	ctx         context.Context
	t           Target
	pl          *planner
	deleted     map[string]bool
	dropObjects bool
}

func (ap *applier) change(c *Change) EntryResult {
	es := c.es
	er := EntryResult{Change: c}
	mi := info(c.Model)
	switch c.Action {
	case ActionSkip:
		er.Status = StatusSkipped
		return er
	case ActionNoop, ActionApplyBlueprint:
		er.Status = StatusUnchanged
		if es.obj != nil {
			es.actual = ap.objectOf(es.obj)
			er.PK = ap.pkOf(mi, es.obj)
		}
		return er
	case ActionCreate:
		payload, err := ap.payload(c)
		if err != nil {
			return failEntry(er, err)
		}
		obj, err := ap.t.Create(ap.ctx, c.Model, payload)
		if err != nil {
			return failEntry(er, attach(c, "create", err))
		}
		er.Status, er.Object, er.PK = StatusCreated, obj, normPK(mi, obj[mi.pkField])
		ap.written(es, mi, &er)
		return er
	case ActionUpdate:
		pk := ap.pkOf(mi, es.obj)
		payload, err := ap.payload(c)
		if err != nil {
			return failEntry(er, err)
		}
		obj, err := ap.t.Update(ap.ctx, c.Model, pk, payload)
		if err != nil {
			return failEntry(er, attach(c, "update", err))
		}
		er.Status, er.Object, er.PK = StatusUpdated, obj, pk
		ap.written(es, mi, &er)
		return er
	case ActionDelete:
		pk := ap.pkOf(mi, es.obj)
		if err := ap.t.Delete(ap.ctx, c.Model, pk); err != nil && !errors.Is(err, ErrNotFound) {
			return failEntry(er, attach(c, "delete", err))
		}
		ap.deleted[c.Model+":"+pkString(pk)] = true
		er.Status, er.PK = StatusDeleted, pk
		return er
	}
	return failEntry(er, fmt.Errorf("unknown action %q", c.Action))
}

// written records the object an entry wrote (er.Object) as its actual
// object; with DropObjects, only its keys (keyValue and pkOf read the pk
// and the policy binding model key, nothing else).
func (ap *applier) written(es *entryState, mi *modelInfo, er *EntryResult) {
	if !ap.dropObjects {
		es.actual = er.Object
		return
	}
	keys := make(Object, 3)
	for _, k := range []string{"pk", mi.pkField, mi.pbmField} {
		if v, ok := er.Object[k]; ok && k != "" {
			keys[k] = v
		}
	}
	es.actual, er.Object = keys, nil
}

func failEntry(er EntryResult, err error) EntryResult {
	er.Status, er.Err = StatusFailed, err
	return er
}

// objectOf is an object as last seen: the apply's result for objects this
// apply created, else the live object.
func (ap *applier) objectOf(o *vobj) Object {
	if o.creator != nil {
		return o.creator.actual
	}
	return o.raw
}

func (ap *applier) pkOf(mi *modelInfo, o *vobj) any {
	if o.creator != nil && o.creator.actual != nil {
		return normPK(mi, o.creator.actual[mi.pkField])
	}
	return o.pk
}

// payload is what a change sends: as planned, with the keys of objects
// created during this apply in place of their unknowns, or evaluated
// again when a value was computed from such a key (a !Format of it).
func (ap *applier) payload(c *Change) (Object, error) {
	found, derived := hasUnknown(c.payload)
	if !found || !derived {
		out, err := ap.resolve(c, "", c.payload)
		if err != nil {
			return nil, err
		}
		return out.(map[string]any), nil
	}
	es := c.es
	mi := info(c.Model)
	ev := &evaluator{pl: ap.pl, es: es, model: es.model, apply: true}
	ids, idSens, err := ap.pl.identifiers(ev, false)
	if err != nil {
		return nil, err
	}
	data, _, err := ap.pl.data(ev, mi, ids, idSens)
	if err != nil {
		return nil, err
	}
	out := make(Object, len(c.payload))
	for k := range c.payload {
		out[k] = data[k]
		if found, _ := hasUnknown(data[k]); found {
			return nil, es.e.errorf(0, k, "internal: a value is still unknown at apply time")
		}
	}
	return out, nil
}

// resolve copies a planned value, replacing each unknown by the key of
// the object it stands for, which is what evaluating the entry again
// would give (objectKey with apply set) without evaluating it: a bulk
// apply of thousands of entries referring to created objects (users in
// created groups) need neither their parse trees nor the evaluation.
// field is the payload key, for errors.
func (ap *applier) resolve(c *Change, field string, v any) (any, error) {
	switch x := v.(type) {
	case *Unknown:
		k := ap.pl.keyValue(x.ref, x.field, true)
		if _, still := k.(*Unknown); still {
			return nil, c.Entry.errorf(0, field, "internal: %s was not applied before its use", x.Entry.label())
		}
		return k, nil
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, it := range x {
			f := field
			if f == "" {
				f = k
			}
			r, err := ap.resolve(c, f, it)
			if err != nil {
				return nil, err
			}
			m[k] = r
		}
		return m, nil
	case []any:
		l := make([]any, len(x))
		for i, it := range x {
			r, err := ap.resolve(c, field, it)
			if err != nil {
				return nil, err
			}
			l[i] = r
		}
		return l, nil
	}
	return v, nil
}

// attach locates a Target's error at the entry, one error per field for
// validation errors.
func attach(c *Change, op string, err error) error {
	e := c.Entry
	base := func(field, msg string) *Error {
		return &Error{File: e.File, Line: fieldLine(e, field), Entry: e.Index, ID: e.ID, Model: c.Model, Field: field, Msg: msg, Err: err}
	}
	var fe FieldErrorer
	if errors.As(err, &fe) {
		fields := fe.FieldErrors()
		if len(fields) > 0 {
			var out Errors
			for _, k := range sortedKeys(fields) {
				out = append(out, base(k, op+": "+strings.Join(fields[k], " ")))
			}
			return out
		}
	}
	if errors.Is(err, ErrNotFound) {
		return base("", op+": the object no longer exists")
	}
	return base("", op+": "+err.Error())
}

// fieldLine is the line of a field in the entry's attrs or identifiers.
func fieldLine(e *Entry, field string) int {
	for _, n := range []*Node{e.Attrs, e.Identifiers} {
		for _, p := range n.Pairs {
			if p.Key == field {
				return p.Line
			}
		}
	}
	return e.Line
}

// managed computes the ownership record after (part of) an apply.
func (ap *applier) managed(res *Result) []string {
	set := map[string]bool{}
	for _, er := range res.Entries {
		c := er.Change
		if c == nil || er.Err != nil || !ownsState(c.State) || er.PK == nil {
			continue
		}
		switch c.Action {
		case ActionCreate, ActionUpdate, ActionNoop:
			set[c.Model+":"+pkString(er.PK)] = true
		}
	}
	for _, o := range ap.pl.ownedLive {
		k := o.model + ":" + pkString(o.pk)
		if !ap.deleted[k] {
			set[k] = true
		}
	}
	out := sortedKeys(set)
	sort.Strings(out)
	return out
}
