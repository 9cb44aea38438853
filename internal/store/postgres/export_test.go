package postgres

import (
	"database/sql"

	"github.com/akgo/akgo/internal/store"
	"github.com/akgo/akgo/internal/store/sqldb"
)

// OpenDB opens the pool Open wraps in a store, so tests can reach its
// driver connections.
var OpenDB = openDB

// PendingEnd is the end of a read transaction that the driver connection
// dc holds back, "" when none.
func PendingEnd(dc any) string {
	c := dc.(*pipeConn)
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pendingEnd
}

// CommitDelay is how long a deferred read end may wait.
const CommitDelay = commitDelay

// StoreOn is the store Open builds, on a pool the test configured.
func StoreOn(db *sql.DB) store.Store {
	return sqldb.New(sqldb.Config{Dialect: dialect{}, Write: db})
}
