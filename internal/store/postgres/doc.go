// Package postgres is the PostgreSQL backend of store.Store, for
// deployments with several replicas. It uses pgx through database/sql
// (github.com/jackc/pgx/v5/stdlib) so it shares sqldb with the SQLite
// backend; pgx still caches prepared statements per connection.
//
// Types: TEXT COLLATE "C", BIGINT, DOUBLE PRECISION, BOOLEAN, UUID,
// TIMESTAMPTZ, JSONB, BYTEA. The "C" collation makes ordering and ILIKE
// case folding byte-wise/ASCII, identical to SQLite, and lets btree indexes
// serve LIKE 'prefix%'. Auto-increment keys are identity columns GENERATED
// BY DEFAULT, so rows may be imported with their ids; the sequence is then
// moved past them. JSON containment is @>, JSON paths are #>>.
//
// Migrations take pg_advisory_xact_lock keyed by the current schema inside
// each migration transaction, so replicas starting together apply each
// migration once; foreign keys are added after the tables of a migration,
// so tables may reference each other in any order. Constraint names longer
// than PostgreSQL's 63-byte limit are shortened with a hash suffix.
//
// The URL may carry "schema=<name>": the schema is created if missing and
// becomes the search_path, which lets tests isolate themselves in one
// database. The standard search_path runtime parameter works as well. View
// runs in a REPEATABLE READ READ ONLY transaction, so it reads one snapshot
// and writes fail with store.ErrReadOnly. ViewCommitted opens no
// transaction at all: its statements run as autocommit reads do (those of
// one pipeline in an implicit transaction, with a snapshot each); a read
// end deferred by an earlier View still goes out first.
//
// The connections wrap stdlib's (pipeline.go): a transaction's BEGIN is
// held back and sent in one pipeline with the transaction's first
// statement, saving a round trip per View and Update; a transaction that
// runs no statement sends nothing. A read transaction's COMMIT or ROLLBACK
// is held back too and sent in front of the connection's next statement, or
// by a timer after commitDelay (2 ms) so an unused connection does not sit
// idle in transaction holding locks. Code reaching pgx through the driver
// connection's Conn method finds both sent first. The driver connection
// also implements sqldb.BatchQueryer: several reads in one pipeline.
//
// Row counts are kept (counts.go, sqldb.RowCounter): statement-level
// triggers on the tables KeepCounts is given (those list pages count
// whole) add each statement's inserted and deleted rows
// (cascades and raw SQL included) to a row of akgo_row_counts per table and
// session, in the writing transaction, so a whole table's count is a sum
// of a few rows that every snapshot sees consistent with the table; the
// counts of ended sessions are folded together at start and every ten
// minutes. It costs each inserting or deleting statement a trigger call;
// an exact COUNT(*) instead reads every row of the table on every list
// page.
package postgres
