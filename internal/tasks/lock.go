package tasks

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/akgo/akgo/internal/store"
)

// busyCode is the SQLSTATE the try-lock statement raises when another
// session holds the lock.
const busyCode = "AKT01"

// exclusive runs fn while this replica holds the task's cluster-wide lock,
// then commits the write fn returns (the run's record).
//
// On PostgreSQL the lock is a transaction-scoped advisory lock taken in a
// transaction that stays open while fn runs (fn's own writes use other
// connections of the pool): it is released by the commit, or by the server
// if this process dies, so a crashed replica never leaves a task locked.
// The record is written in that transaction, so it commits with the
// release of the lock and costs no transaction of its own (a blueprint
// apply at start-up is one run each). Should that transaction fail after
// fn ran (an insert race with another replica's prefill, a lost
// connection), the record is written again on its own, as it always was.
// fn returns nil when there is nothing to record (an interrupted run).
// The two-key form keeps it apart from the migration lock, and the first
// key is the schema so test schemas sharing one database do not collide.
// Without wait, a held lock means ErrBusy. SQLite has one process and
// needs nothing beyond the in-process guard.
func (s *Scheduler) exclusive(ctx context.Context, name string, wait bool, fn func() func(store.Tx) error) error {
	if s.store.Dialect() != "postgres" {
		if write := fn(); write != nil {
			return s.record(ctx, name, write)
		}
		return nil
	}
	var write func(store.Tx) error
	// The transaction outlives a cancelled run so the record is still
	// written; waiting for the lock stays cancellable (ctx below).
	err := s.store.Update(context.WithoutCancel(ctx), func(tx store.Tx) error {
		if err := s.lockTx(ctx, tx, name, wait); err != nil {
			return err
		}
		if write = fn(); write == nil {
			return nil
		}
		return write(tx)
	})
	if err != nil && write != nil {
		return s.record(ctx, name, write)
	}
	return err
}

// lockTx takes the task's advisory lock in tx, waiting for it or failing
// with ErrBusy.
func (s *Scheduler) lockTx(ctx context.Context, tx store.Tx, name string, wait bool) error {
	key := lockKey(name)
	if wait {
		q := fmt.Sprintf("SELECT pg_advisory_xact_lock(hashtext(COALESCE(current_schema(), '')), %d)", key)
		if err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("lock task %s: %w", name, err)
		}
		return nil
	}
	// Exec returns no rows, so the "not acquired" answer comes back as a
	// distinctive error.
	q := fmt.Sprintf(`DO $$ BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtext(COALESCE(current_schema(), '')), %d) THEN
    RAISE EXCEPTION USING ERRCODE = '%s', MESSAGE = 'system task is running on another replica';
  END IF;
END $$`, key, busyCode)
	if err := tx.Exec(ctx, q); err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == busyCode {
			return ErrBusy
		}
		return fmt.Errorf("lock task %s: %w", name, err)
	}
	return nil
}

// lockKey is the second advisory-lock key of a task name.
func lockKey(name string) int32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(name))
	return int32(h.Sum32())
}
