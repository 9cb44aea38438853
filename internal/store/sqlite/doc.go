// Package sqlite is the SQLite backend of store.Store (pure Go, via
// modernc.org/sqlite), for single-node installs and tests.
//
// Connections: one writer connection, on which Update and Migrate run with
// BEGIN IMMEDIATE (taking the write lock up front, so a transaction never
// fails half-way with SQLITE_BUSY when another writer got in first), and a
// pool of reader connections opened with query_only for View, which in WAL
// mode read a consistent snapshot without blocking or being blocked by the
// writer. Writers in other processes wait up to BusyTimeout. ":memory:"
// uses one connection for everything, since each connection to it would be
// a separate database.
//
// Every connection keeps its prepared statements (sqldb.CacheStatements):
// parsing SQL was the largest cost of a simple read. WAL checkpoints run
// on a connection of their own every CheckpointInterval rather than inside
// the commit that fills the WAL, where every queued writer waited for the
// copy and its fsyncs.
//
// Durability: journal_mode=WAL with synchronous=NORMAL. A commit is durable
// against the application crashing or being killed at any point; only an
// operating-system crash or power loss can lose the last transactions
// (never corrupt the file), which is the usual trade for not fsyncing on
// every commit. The database file is created mode 0600.
//
// Types: tables are STRICT so wrong-typed values are refused as PostgreSQL
// would. Times are stored as fixed-width UTC text
// "2006-01-02T15:04:05.000000Z", so comparing and sorting the text compares
// instants; booleans are 0/1 integers; JSON is compact text.
//
// Operators SQLite lacks are registered as deterministic Go functions
// reproducing PostgreSQL exactly (jsonfunc.go; its tests check the cases
// against a real server when one is configured): akgo_json_contains for
// jsonb @>, and akgo_json_text for #>> (json_extract would turn true into
// 1 and could not address array elements by a key that looks like a
// number). Case-insensitive matching uses LIKE ... ESCAPE (ASCII folding);
// case-sensitive matching uses GLOB with its wildcards escaped.
//
// Foreign-key failures at COMMIT come from SQLite without details; before
// rolling back, the backend runs PRAGMA foreign_key_check on the tables the
// transaction wrote to name the offending column. That costs a scan, but
// only on the failure path.
package sqlite
