package notify

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/events"
	"github.com/akgo/akgo/internal/store"
)

// Actions and apps of the events notify records itself, as authentik's
// tasks name them.
const (
	ActionEmailSent           = "email_sent"
	ActionSystemTaskException = "system_task_exception"
	appEmailTasks             = "authentik.stages.email.tasks"
	appMonitoredTasks         = "authentik.events.monitored_tasks"
)

// Dispatcher turns committed events into notifications in the background.
// Install Observe as an observer of the event recorder.
type Dispatcher struct {
	// Policies decides bound policies other than event matchers; nil
	// makes them fail. Mappings evaluates webhook mappings; nil makes a
	// mapped webhook fail. Set both before the first event.
	Policies PolicyEvaluator
	Mappings MappingEvaluator
	// Version is the authentik version transports announce.
	Version string

	engine *engine.Engine
	events *events.Recorder
	log    *slog.Logger
	s      *schema
	cfg    Settings
	http   *http.Client

	// base is cancelled by Close, aborting in-flight deliveries.
	base   context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	queue   []job
	workers int
	// pending counts queued, running and scheduled jobs; idle is closed
	// whenever it is zero.
	pending int
	idle    chan struct{}
	timers  map[*time.Timer]struct{}
	// observed are the events Observe took since observeTimer was set;
	// they are queued together when it fires (see Observe).
	observed     []job
	observeTimer *time.Timer
	closed       bool
	wg           sync.WaitGroup
}

// job is an event waiting for its rules (del nil) or one delivery.
type job struct {
	event   string
	since   time.Time
	attempt int
	// committed: the event is known to be visible (observed after its
	// transaction committed).
	committed bool
	del       *delivery
	// own marks work caused by an event notify recorded itself (an email
	// sent, a delivery failure): its deliveries record no further events,
	// so a rule that matches them cannot feed on itself forever.
	own bool
}

// New builds a dispatcher with a copy of Defaults.
func New(e *engine.Engine, rec *events.Recorder, log *slog.Logger) (*Dispatcher, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s, err := newSchema(e)
	if err != nil {
		return nil, err
	}
	cfg := Defaults
	cfg.RetryDelays = append([]time.Duration(nil), Defaults.RetryDelays...)
	if cfg.Workers < 1 {
		cfg.Workers = 1
	}
	version := "2023.10.4"
	if e.Spec != nil && e.Spec.Doc != nil && e.Spec.Doc.Info != nil && e.Spec.Doc.Info.Version != "" {
		version = e.Spec.Doc.Info.Version
	}
	base, cancel := context.WithCancel(context.Background())
	idle := make(chan struct{})
	close(idle)
	return &Dispatcher{Version: version, engine: e, events: rec, log: log, s: s, cfg: cfg,
		http: &http.Client{Timeout: cfg.WebhookTimeout}, base: base, cancel: cancel,
		idle: idle, timers: map[*time.Timer]struct{}{}}, nil
}

type ownKey struct{}

// withOwn marks ctx as notify's own work (see job.own).
func withOwn(ctx context.Context) context.Context { return context.WithValue(ctx, ownKey{}, true) }

func isOwn(ctx context.Context) bool { v, _ := ctx.Value(ownKey{}).(bool); return v }

// Observe queues an event written inside a transaction that has not
// committed yet. It never blocks.
func (d *Dispatcher) Observe(ctx context.Context, eventUUID string) {
	j := job{event: eventUUID, since: time.Now(), own: isOwn(ctx), committed: events.Committed(ctx)}
	if j.committed {
		d.enqueue(j)
		return
	}
	// Its transaction is still open: looking right away would mostly
	// find nothing and look again later. Waiting observeWindow finds most
	// events committed, and the events of concurrent writes together:
	// every event observed within the window is queued when it ends, at
	// once, and matched as one batch. Under a stream of API writes a
	// batch per event cost a third of the database's statements.
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	d.addPending(1)
	d.observed = append(d.observed, j)
	if d.observeTimer == nil {
		d.observeTimer = time.AfterFunc(observeWindow, d.flushObserved)
	}
}

// flushObserved queues the events observed in the last interval together.
func (d *Dispatcher) flushObserved() {
	d.mu.Lock()
	defer d.mu.Unlock()
	js := d.observed
	d.observed, d.observeTimer = nil, nil
	if d.closed {
		// Close found this timer fired already and left them to us.
		d.addPending(-len(js))
		return
	}
	d.queue = append(d.queue, js...)
	// Each was counted pending when observed and stays so, now queued.
	if len(js) > 0 {
		d.startWorker()
	}
}

// Idle waits until nothing is queued, running or scheduled for retry.
func (d *Dispatcher) Idle(ctx context.Context) error {
	d.mu.Lock()
	ch := d.idle
	d.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("notification dispatcher still busy: %w", ctx.Err())
	}
}

// Close drops queued and scheduled work, aborts deliveries in flight and
// waits for the workers to stop.
func (d *Dispatcher) Close() {
	d.mu.Lock()
	if !d.closed {
		d.closed = true
		for t := range d.timers {
			if t.Stop() {
				d.addPending(-1)
			}
		}
		d.timers = map[*time.Timer]struct{}{}
		if d.observeTimer != nil && d.observeTimer.Stop() {
			d.addPending(-len(d.observed))
			d.observed, d.observeTimer = nil, nil
		}
	}
	d.mu.Unlock()
	d.cancel()
	d.wg.Wait()
}

// addPending adjusts the pending count; d.mu must be held.
func (d *Dispatcher) addPending(n int) {
	if d.pending == 0 && n > 0 {
		d.idle = make(chan struct{})
	}
	d.pending += n
	if d.pending == 0 && n < 0 {
		close(d.idle)
	}
}

func (d *Dispatcher) enqueue(j job) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	d.addPending(1)
	d.queue = append(d.queue, j)
	d.startWorker()
}

// startWorker starts a worker for what was queued, unless all run
// already. d.mu is held.
func (d *Dispatcher) startWorker() {
	if d.workers < d.cfg.Workers {
		d.workers++
		d.wg.Add(1)
		go d.work()
	}
}

// later runs a job again after delay without holding a worker.
func (d *Dispatcher) later(delay time.Duration, j job) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	d.addPending(1)
	var t *time.Timer
	t = time.AfterFunc(delay, func() {
		d.mu.Lock()
		delete(d.timers, t)
		d.mu.Unlock()
		d.enqueue(j)
		d.mu.Lock()
		d.addPending(-1)
		d.mu.Unlock()
	})
	d.timers[t] = struct{}{}
}

// work drains the queue and exits when it is empty, so an idle server
// keeps no goroutine around.
func (d *Dispatcher) work() {
	defer d.wg.Done()
	for {
		d.mu.Lock()
		if d.closed {
			d.addPending(-len(d.queue))
			d.queue = nil
		}
		if len(d.queue) == 0 {
			d.workers--
			d.mu.Unlock()
			return
		}
		// Events waiting for their rules are taken together: a bulk write
		// queues thousands of them at once, and one transaction reading
		// the rules once serves them all.
		n := 1
		for n < len(d.queue) && n < matchBatch && d.queue[0].del == nil && d.queue[n].del == nil {
			n++
		}
		jobs := d.queue[:n:n]
		d.queue = d.queue[n:]
		d.mu.Unlock()
		if jobs[0].del != nil {
			d.deliver(jobs[0])
		} else {
			d.matchBatch(jobs)
		}
		d.mu.Lock()
		d.addPending(-n)
		d.mu.Unlock()
	}
}

// observeWindow is how long events observed before their transaction
// committed are gathered before they are matched: notifications go out
// that much later (authentik queues them as tasks), and a steady stream
// of writes is matched in batches of a window's worth of events.
const observeWindow = 20 * time.Millisecond

// matchBatch bounds the events matched in one read transaction, so a
// bulk write does not hold one snapshot open for all of its events.
const matchBatch = 500

// commitPoll is how often an invisible event is looked for again: quickly
// at first, since write transactions are short.
func commitPoll(attempt int) time.Duration {
	delay := 5 * time.Millisecond << min(attempt, 8)
	return min(delay, time.Second)
}

// matchBatch evaluates the rules for queued events once they have
// committed. The rules, their bindings and what they refer to are read
// once for the batch (ruleSet); with no rule at all, only the events'
// visibility is checked, so the events of a bulk write cost one query
// per batch. An error fails the batch's events as it failed each event
// before: logged, nothing delivered.
func (d *Dispatcher) matchBatch(jobs []job) {
	ctx := d.base
	type outcome struct {
		ev   *Event
		plan []delivery
		// done: the event needs nothing more (no rule, or planned).
		done bool
		// err: the event's row does not decode.
		err error
	}
	var out []outcome
	err := d.engine.Store.View(ctx, func(tx store.Tx) error {
		out = make([]outcome, len(jobs))
		rs, err := d.s.loadRuleSet(ctx, tx)
		if err != nil {
			return err
		}
		if len(rs.rules) == 0 {
			var unsure []job
			for _, j := range jobs {
				if !j.committed {
					unsure = append(unsure, j)
				}
			}
			var visible map[string]bool
			if len(unsure) > 0 {
				if visible, err = d.s.visibleEvents(ctx, tx, unsure); err != nil {
					return err
				}
			}
			for i, j := range jobs {
				out[i].done = j.committed || visible[j.event]
			}
			return nil
		}
		pks := make([]any, len(jobs))
		for i, j := range jobs {
			pks[i] = j.event
		}
		evs, bad, err := d.s.loadEvents(ctx, tx, pks)
		if err != nil {
			return err
		}
		for i, j := range jobs {
			if err := bad[j.event]; err != nil {
				out[i].err = err
				continue
			}
			ev := evs[j.event]
			if ev == nil {
				continue
			}
			plan, err := d.plan(ctx, tx, rs, ev)
			if err != nil {
				return err
			}
			out[i] = outcome{ev: ev, plan: plan, done: true}
		}
		return nil
	})
	if err != nil && len(jobs) > 1 && ctx.Err() == nil {
		// One event's failure (a context that does not decode) must not
		// cost the others their notifications: match them one by one.
		for i := range jobs {
			d.matchBatch(jobs[i : i+1])
		}
		return
	}
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error("notification rules could not be evaluated", "event", jobs[0].event, "err", err)
		}
		return
	}
	for i, j := range jobs {
		o := out[i]
		if o.err != nil {
			d.log.Error("notification rules could not be evaluated", "event", j.event, "err", o.err)
			continue
		}
		if !o.done {
			if time.Since(j.since) < d.cfg.CommitWait {
				j.attempt++
				d.later(commitPoll(j.attempt), j)
				continue
			}
			d.log.Debug("event never became visible; its transaction rolled back", "event", j.event)
			continue
		}
		for k := range o.plan {
			d.enqueue(job{event: o.ev.PK, del: &o.plan[k], own: j.own})
		}
	}
}

// deliver builds one notification and sends it, retrying transport
// failures with backoff. A delivery whose event, user, rule or transport
// is gone by now is dropped, as authentik's task returns early.
func (d *Dispatcher) deliver(j job) {
	ctx := d.base
	if j.own {
		ctx = withOwn(ctx)
	}
	del := j.del
	var (
		ev   *Event
		user *User
		rule *Rule
		tr   *Transport
	)
	err := d.engine.Store.View(ctx, func(tx store.Tx) error {
		var err error
		if ev, err = d.s.loadEvent(ctx, tx, del.event); err != nil || ev == nil {
			return err
		}
		if user, err = d.s.loadUser(ctx, tx, del.user); err != nil || user == nil {
			return err
		}
		if rule, err = d.s.loadRule(ctx, tx, del.rule); err != nil || rule == nil {
			return err
		}
		tr, err = d.s.loadTransport(ctx, tx, del.transport)
		return err
	})
	if err == nil && (ev == nil || user == nil || rule == nil || tr == nil) {
		return
	}
	if err == nil {
		n := &Notification{Severity: rule.Severity, Body: ev.Summary(), Event: ev, User: *user}
		_, err = d.Send(ctx, tr, n)
		if err == nil {
			return
		}
	}
	if d.base.Err() != nil {
		return
	}
	if te, ok := AsTransportError(err); ok && !te.Final && j.attempt < len(d.cfg.RetryDelays) {
		d.log.Warn("notification delivery failed, retrying", "transport", del.transport, "event", del.event,
			"user", del.user, "attempt", j.attempt+1, "err", err)
		delay := d.cfg.RetryDelays[j.attempt]
		j.attempt++
		d.later(delay, j)
		return
	}
	d.log.Error("notification delivery failed", "transport", del.transport, "event", del.event, "user", del.user, "err", err)
	if j.own {
		return
	}
	d.record(ctx, ActionSystemTaskException, appMonitoredTasks, map[string]any{
		"message": "Task notification_transport encountered an error: " + strings.TrimSpace(err.Error()),
	})
}

// record writes an event of notify's own, marked so its deliveries record
// nothing further. Failures are logged: the delivery already happened or
// already failed, and there is no caller to tell.
func (d *Dispatcher) record(ctx context.Context, action, app string, data map[string]any) {
	if d.events == nil {
		return
	}
	if err := d.events.Record(withOwn(ctx), action, app, data); err != nil && ctx.Err() == nil {
		d.log.Error("could not record event", "action", action, "err", err)
	}
}

// sendEmail mails the notification to its user through the global email
// settings and records email_sent, as authentik's send_mail task does.
func (d *Dispatcher) sendEmail(ctx context.Context, n *Notification) ([]string, error) {
	m, err := NotificationEmail(n, d.cfg.Email.From)
	if err != nil {
		return nil, err
	}
	if err := SendMail(ctx, d.cfg.Email, m, d.engine.Now()); err != nil {
		return nil, err
	}
	if isOwn(ctx) {
		// A mail about notify's own event records nothing further.
		return []string{"Successfully sent Mail."}, nil
	}
	to := make([]any, len(m.To))
	for i, t := range m.To {
		to[i] = t
	}
	d.record(ctx, ActionEmailSent, appEmailTasks, map[string]any{
		"message": "Email to " + strings.Join(m.To, ", ") + " sent", "subject": m.Subject, "body": m.HTML,
		"from_email": m.From, "to_email": to,
	})
	return []string{"Successfully sent Mail."}, nil
}
