// Package sqldb is the single implementation of store.Store over
// database/sql. Everything the conformance suite checks lives here once —
// descriptor bookkeeping, query building, value conversion, transactions,
// migrations — and the backends (sqlite, postgres) only supply a Dialect:
// placeholder style, type names, DDL options, LIKE and JSON operators,
// transaction openers and driver-error translation. A behaviour fixed here
// is fixed for every backend, which is the point of having one contract.
//
// Descriptors. Reads must return the Go types documented on
// store.ColumnType, and SQLite cannot tell a TEXT holding a time from one
// holding a name, so every query is typed by the table descriptors.
// Migrate derives them from the CreateTable and AddColumn steps of all the
// migrations it is given, applied now or long ago, so a store that applies
// nothing on start-up still knows every column. Tables made by RawSQL are
// unknown to Select/Insert. Names in queries are checked against the
// descriptors before being quoted; values are always bound.
//
// Transactions run on a dedicated connection with explicit BEGIN/COMMIT
// statements chosen by the dialect (SQLite's BEGIN IMMEDIATE, PostgreSQL's
// read-only repeatable-read snapshot for View; ViewCommitted runs no
// transaction at all on an AutocommitReader, and is View elsewhere).
// After a statement fails,
// the transaction refuses further work and Update returns that error even
// if fn ignored it: PostgreSQL aborts the transaction at that point anyway,
// and making SQLite behave the same keeps callers from relying on either.
// Retry by running Update again. Do not call Update from inside Update: the
// SQLite writer connection is held by the outer call.
//
// Migrations replay CreateTable, AddColumn, AlterColumn and CreateIndex
// steps into the descriptors. A backend without ALTER COLUMN (SQLite)
// rebuilds a table whose columns change, with foreign keys off around
// that migration (Dialect.RebuildPragmas). An empty database given
// several versions without raw SQL gets the last version's tables
// directly. Backends that talk to a server send each migration as one
// script (Dialect.BatchDDL).
//
// Speed. Statement texts depend only on a request's shape, never on its
// values, so drivers that do not cache prepared statements themselves can
// be wrapped with CacheStatements (SQLite is; pgx caches per connection).
// Long IN lists are bound as one array parameter (Dialect.InArray); on
// SQLite a SELECT's list of up to a thousand keys of an indexed column
// drives a join instead (InJoiner), which spares the temporary index SQLite
// builds for IN (SELECT ...). A
// count of all rows but one value of a NOT NULL column is computed as the
// table's count minus that value's, which SQLite answers without reading
// the rows. ReadMany hands its statements to a driver connection that is a
// BatchQueryer (PostgreSQL's pipeline) in one round trip, and runs them
// one by one on any other; where the dialect nests arrays (ArrayNester),
// two-column reads keyed by a lookup's own row travel inside the
// lookup's statement (fold.go). Where the dialect keeps row counts
// (RowCounter, counts.go), KeepCounts makes the tables it is given
// counted, and a count of one of them whole (or of all its rows but one
// value, as above) reads the kept count instead of the rows.
//
// Foreign keys are DEFERRABLE INITIALLY DEFERRED, so a violation surfaces
// at COMMIT (Update returns the *store.ForeignKeyError); RESTRICT is
// checked immediately by both databases, so a blocked DeleteWhere fails
// itself. Constraint and index names derive from the descriptors
// (store.UniqueName, <table>__pkey, <table>__<col>__fk,
// <table>__<cols>__idx) so errors can be mapped back to columns.
//
// Portable semantics the suite pins down: NULLs sort last ascending and
// first descending; text sorts and folds byte-wise/ASCII (PostgreSQL text
// columns use the "C" collation); "!=" and NOT follow SQL three-valued
// logic, so NULL rows match neither a comparison nor its negation; "= nil"
// means IS NULL; a malformed UUID in a condition matches nothing rather
// than failing the query. An empty ON DELETE means RESTRICT.
package sqldb
