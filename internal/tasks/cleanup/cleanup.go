package cleanup

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/modelhooks"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
	"github.com/akgo/akgo/internal/tasks"
)

// Name is the task's name, as authentik shows it.
const Name = "clean_expired_models"

// Schedule is authentik's beat entry: minute 2-59/5.
var Schedule = tasks.Every{Period: 5 * time.Minute, Offset: 2 * time.Minute}

// Event values of a rotated token.
const (
	ActionSecretRotate = "secret_rotate"
	rotateApp          = "authentik.core.models"
)

// tokenKeyLength matches the keys akserver generates for new tokens.
const tokenKeyLength = 128

// deletedIntents are the token intents authentik deletes on expiry; tokens
// with any other intent (API tokens) are rotated.
var deletedIntents = map[string]bool{"recovery": true, "verification": true, "app_password": true}

// Cleaner removes expired objects.
type Cleaner struct {
	engine *engine.Engine
	events tasks.EventRecorder
}

// New builds the cleaner; events records secret_rotate for rotated tokens
// (nil records nothing).
func New(e *engine.Engine, events tasks.EventRecorder) *Cleaner {
	return &Cleaner{engine: e, events: events}
}

// Task is clean_expired_models for the scheduler: on authentik's schedule
// and once when the scheduler starts.
func (c *Cleaner) Task() tasks.Task {
	return tasks.Task{Name: Name, Description: "Remove expired objects", Schedule: Schedule, RunAtStart: true, Run: c.Run}
}

// expiring is a model with the expires/expiring pair.
type expiring struct {
	model             *registry.Model
	expires, expiring string
}

// models lists the expiring models by name.
func (c *Cleaner) models() []expiring {
	var out []expiring
	for _, m := range c.engine.Registry.Models {
		if m.Abstract {
			continue
		}
		exp, ok1 := m.Field("expires")
		flag, ok2 := m.Field("expiring")
		if !ok1 || !ok2 || !exp.Stored() || !flag.Stored() {
			continue
		}
		out = append(out, expiring{m, exp.Column, flag.Column})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].model.Name < out[j].model.Name })
	return out
}

// Run expires every model's rows past their expiry, one transaction per
// model, and reports "Expired N <verbose name plural>" for each.
func (c *Cleaner) Run(ctx context.Context) (tasks.Result, error) {
	var msgs []string
	for _, x := range c.models() {
		var n int64
		err := c.engine.Store.Update(ctx, func(tx store.Tx) error {
			var err error
			n, err = c.expire(ctx, tx, x)
			return err
		})
		if err != nil {
			return tasks.Result{Messages: msgs}, fmt.Errorf("expire %s: %w", x.model.Name, err)
		}
		msgs = append(msgs, fmt.Sprintf("Expired %d %s", n, x.model.VerboseNamePlural))
	}
	return tasks.Result{Status: tasks.StatusSuccessful, Messages: msgs}, nil
}

func (c *Cleaner) expire(ctx context.Context, tx store.Tx, x expiring) (int64, error) {
	now := store.NowUTC(c.engine.Now())
	due := store.And(store.Eq(x.expiring, true), store.CmpCond{Column: x.expires, Op: "<=", Value: now})
	if x.model.Name == "authentik_core.token" {
		return c.expireTokens(ctx, tx, x, due, now)
	}
	n, err := tx.Count(ctx, store.Query{Table: x.model.Table, Where: due})
	if err != nil || n == 0 {
		return 0, err
	}
	table, where := c.rootOf(x.model, due)
	if _, err := tx.DeleteWhere(ctx, table, where); err != nil {
		return 0, err
	}
	return n, nil
}

// rootOf turns a condition on a model's table into one on its root
// ancestor's table: deleting there cascades down the inheritance chain.
func (c *Cleaner) rootOf(m *registry.Model, where store.Cond) (string, store.Cond) {
	for m.Parent != "" {
		parent, ok := c.engine.Registry.Model(m.Parent)
		if !ok {
			break
		}
		where = store.InQueryCond{Column: parent.PKColumn, Query: store.Query{Table: m.Table, Columns: []string{m.ParentColumn}, Where: where}}
		m = parent
	}
	return m.Table, where
}

// expireTokens deletes single-use tokens and rotates the others.
func (c *Cleaner) expireTokens(ctx context.Context, tx store.Tx, x expiring, due store.Cond, now time.Time) (int64, error) {
	m := x.model
	col := func(field string) string { f, _ := m.Field(field); return f.Column }
	rows, err := tx.Select(ctx, store.Query{Table: m.Table, Where: due})
	if err != nil {
		return 0, err
	}
	for _, row := range rows {
		pk := row[m.PKColumn]
		intent, _ := row[col("intent")].(string)
		if deletedIntents[intent] {
			table, where := c.rootOf(m, store.Eq(m.PKColumn, pk))
			if _, err := tx.DeleteWhere(ctx, table, where); err != nil {
				return 0, err
			}
			continue
		}
		set := store.Row{col("key"): engine.RandomString(tokenKeyLength, engine.Alphanumeric), x.expires: now.Add(modelhooks.TokenDuration)}
		if _, err := tx.UpdateWhere(ctx, m.Table, store.Eq(m.PKColumn, pk), set); err != nil {
			return 0, err
		}
		if c.events == nil {
			continue
		}
		for k, v := range set {
			row[k] = v
		}
		identifier, _ := row[col("identifier")].(string)
		token := map[string]any{"app": m.App(), "model_name": m.ModelName(), "pk": strings.ReplaceAll(fmt.Sprint(pk), "-", ""),
			"name": c.engine.DisplayName(m, row)}
		data := map[string]any{"token": token, "message": fmt.Sprintf("Token %s's secret was rotated.", identifier)}
		if err := c.events.RecordTx(ctx, tx, ActionSecretRotate, rotateApp, data); err != nil {
			return 0, err
		}
	}
	return int64(len(rows)), nil
}
