package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"github.com/akgo/akgo/internal/store/sqldb"
)

// CheckpointInterval is how often the background checkpointer copies
// committed WAL frames into the database file.
const CheckpointInterval = 500 * time.Millisecond

// checkpointer runs SQLite's WAL checkpoints on a connection of its own.
// SQLite's automatic checkpoint runs inside the COMMIT that crosses the
// threshold, on the writer connection: every writer then waited for the
// copy and its two fsyncs. A PASSIVE checkpoint here blocks no reader and
// no writer.
type checkpointer struct {
	db   *sql.DB
	stop context.CancelFunc
	done chan struct{}
}

func startCheckpointer(db *sql.DB, every time.Duration) *checkpointer {
	ctx, cancel := context.WithCancel(context.Background())
	c := &checkpointer{db: db, stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				// An error (say, the database was locked by another
				// process's checkpoint) is retried at the next tick.
				_, _ = db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
			}
		}
	}()
	return c
}

// Close stops the checkpointer and closes its connection. The last
// connection to close checkpoints what is left.
func (c *checkpointer) Close() error {
	c.stop()
	<-c.done
	return c.db.Close()
}

// fileStore is the store over a database file: sqldb's store plus the
// checkpointer, which stops before the connections close.
type fileStore struct {
	*sqldb.DB
	ckpt      *checkpointer
	closeOnce sync.Once
	closeErr  error
}

func (s *fileStore) Close() error {
	s.closeOnce.Do(func() {
		err := s.ckpt.Close()
		if derr := s.DB.Close(); derr != nil {
			err = derr
		}
		s.closeErr = err
	})
	return s.closeErr
}
