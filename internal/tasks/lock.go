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

// exclusive runs fn while this replica holds the task's cluster-wide lock.
//
// On PostgreSQL the lock is a transaction-scoped advisory lock taken in a
// transaction that stays open while fn runs (fn's own writes use other
// connections of the pool): it is released by the commit, or by the server
// if this process dies, so a crashed replica never leaves a task locked.
// The two-key form keeps it apart from the migration lock, and the first
// key is the schema so test schemas sharing one database do not collide.
// Without wait, a held lock means ErrBusy. SQLite has one process and
// needs nothing beyond the in-process guard.
func (s *Scheduler) exclusive(ctx context.Context, name string, wait bool, fn func() error) error {
	if s.store.Dialect() != "postgres" {
		return fn()
	}
	key := lockKey(name)
	return s.store.Update(ctx, func(tx store.Tx) error {
		if wait {
			q := fmt.Sprintf("SELECT pg_advisory_xact_lock(hashtext(COALESCE(current_schema(), '')), %d)", key)
			if err := tx.Exec(ctx, q); err != nil {
				return fmt.Errorf("lock task %s: %w", name, err)
			}
			return fn()
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
		return fn()
	})
}

// lockKey is the second advisory-lock key of a task name.
func lockKey(name string) int32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(name))
	return int32(h.Sum32())
}
