package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	msqlite "modernc.org/sqlite"

	"github.com/akgo/akgo/internal/store"
	"github.com/akgo/akgo/internal/store/sqldb"
)

// BusyTimeout is how long a writer from another process (or another Store
// on the same file) waits for the write lock before failing.
const BusyTimeout = 10 * time.Second

var (
	registerOnce sync.Once
	registerErr  error
)

// registerFunctions installs the JSON helpers on the driver. The driver
// registry is process-wide, so it happens once, before the first connection.
func registerFunctions() error {
	registerOnce.Do(func() {
		registerErr = errors.Join(
			msqlite.RegisterDeterministicScalarFunction("akgo_json_contains", 2,
				func(_ *msqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
					return jsonContainsFunc(args)
				}),
			msqlite.RegisterDeterministicScalarFunction("akgo_json_text", 2,
				func(_ *msqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
					return jsonTextFunc(args)
				}),
		)
	})
	return registerErr
}

// Open opens (creating if needed) the SQLite database at path. ":memory:"
// gives a private in-memory database on a single connection, for tests.
func Open(path string) (store.Store, error) {
	if err := registerFunctions(); err != nil {
		return nil, fmt.Errorf("sqlite: registering functions: %w", err)
	}
	busy := "busy_timeout(" + strconv.Itoa(int(BusyTimeout/time.Millisecond)) + ")"
	if path == ":memory:" {
		db, err := openDB("file::memory:?_pragma=" + busy + "&_pragma=foreign_keys(1)")
		if err != nil {
			return nil, err
		}
		// Every connection to ":memory:" is a new database, so this one
		// connection must live as long as the store.
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		if err := db.Ping(); err != nil {
			db.Close()
			return nil, err
		}
		return sqldb.New(sqldb.Config{Dialect: &dialect{memory: true}, Write: db}), nil
	}

	if path == "" {
		return nil, errors.New("sqlite: empty path")
	}
	// The database holds credentials and keys: only the owner may read it.
	// SQLite gives the -wal and -shm files the mode of the database file, so
	// creating that one first is enough.
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: creating folder for %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	f.Close()
	base := "file:" + escapePath(path) + "?_pragma=" + busy + "&_pragma=foreign_keys(1)"
	// The writer does not checkpoint: the checkpointer below does, off the
	// path of every write.
	write, err := openDB(base + "&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=wal_autocheckpoint(0)")
	if err != nil {
		return nil, err
	}
	// One writer connection: SQLite allows one writer anyway, and queueing
	// in database/sql is cheaper and fairer than busy-waiting on the lock.
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	// The writer opens first so the file exists and is in WAL mode before
	// any reader connects.
	if err := write.Ping(); err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: opening %s: %w", path, err)
	}
	read, err := openDB(base + "&_pragma=query_only(1)")
	if err != nil {
		write.Close()
		return nil, err
	}
	n := max(4, 2*runtime.NumCPU())
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	if err := read.Ping(); err != nil {
		read.Close()
		write.Close()
		return nil, fmt.Errorf("sqlite: opening %s: %w", path, err)
	}
	ckpt, err := sql.Open("sqlite", base+"&_pragma=synchronous(NORMAL)")
	if err != nil {
		read.Close()
		write.Close()
		return nil, err
	}
	ckpt.SetMaxOpenConns(1)
	ckpt.SetMaxIdleConns(1)
	return &fileStore{DB: sqldb.New(sqldb.Config{Dialect: &dialect{}, Write: write, Read: read}),
		ckpt: startCheckpointer(ckpt, CheckpointInterval)}, nil
}

// StatementCacheSize is how many prepared statements each connection
// keeps. A server runs a few hundred distinct statement texts; the ones of
// the hot requests (lookups, pages, their computed fields, event inserts)
// fit in this many.
const StatementCacheSize = 128

// openDB opens a pool whose connections reuse prepared statements:
// parsing SQL was a third of the CPU of a simple read (see
// sqldb.CacheStatements).
func openDB(dsn string) (*sql.DB, error) {
	c, err := msqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(sqldb.CacheStatements(c, StatementCacheSize)), nil
}

// escapePath keeps the characters that end the path part of a URI
// filename from being read as query or fragment.
func escapePath(p string) string {
	r := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
	return r.Replace(p)
}

// dialect implements sqldb.Dialect for SQLite.
type dialect struct {
	// memory: reads share the single connection, so read-only is switched
	// on per transaction instead of per pool.
	memory bool
}

var (
	_ sqldb.Dialect             = (*dialect)(nil)
	_ sqldb.ForeignKeyDescriber = (*dialect)(nil)
)

func (*dialect) Name() string { return "sqlite" }

// Placeholder numbers the markers so argument order never depends on the
// order in which a condition renders its parts.
func (*dialect) Placeholder(n int) string { return "?" + strconv.Itoa(n) }

func (*dialect) RewritePlaceholders(q string) string { return q }

// ColumnType keeps to the storage classes STRICT tables accept. Times and
// booleans are not declared as such so the driver never converts them
// behind sqldb's back.
func (*dialect) ColumnType(t store.ColumnType) string {
	switch t {
	case store.TypeInt, store.TypeBool:
		return "INTEGER"
	case store.TypeFloat:
		return "REAL"
	case store.TypeBytes:
		return "BLOB"
	default:
		return "TEXT"
	}
}

// AutoIncrementColumn uses AUTOINCREMENT so ids of deleted rows are never
// reused, matching a PostgreSQL identity column.
func (*dialect) AutoIncrementColumn() (string, bool) {
	return "INTEGER PRIMARY KEY AUTOINCREMENT", true
}

// TableOptions makes SQLite refuse values of the wrong type, as PostgreSQL
// does, instead of storing them under type affinity.
func (*dialect) TableOptions() string { return " STRICT" }

func (*dialect) InlineForeignKeys() bool { return true }

func (*dialect) ConstraintName(name string) string { return name }

func (*dialect) Literal(t store.ColumnType, v any) string {
	switch x := v.(type) {
	case string:
		return quoteString(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		if x {
			return "1"
		}
		return "0"
	case time.Time:
		return quoteString(sqldb.FormatTime(x))
	case []byte:
		return "X'" + hex.EncodeToString(x) + "'"
	}
	return "NULL"
}

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func (*dialect) Bind(_ store.ColumnType, v any) any {
	switch x := v.(type) {
	case bool:
		if x {
			return int64(1)
		}
		return int64(0)
	case time.Time:
		return sqldb.FormatTime(x)
	}
	return v
}

func (*dialect) BindRaw(v any) any {
	switch x := v.(type) {
	case time.Time:
		return sqldb.FormatTime(x)
	case json.RawMessage:
		return string(x)
	}
	return v
}

// Like uses LIKE (ASCII case-insensitive in SQLite) when folding and GLOB,
// which is case-sensitive and can use an index for prefixes, otherwise.
func (*dialect) Like(col string, _ store.ColumnType, mode string, fold bool, pattern string, bind func(any) string) string {
	if fold {
		return col + " LIKE " + bind(sqldb.LikePattern(mode, sqldb.EscapeLike(pattern))) + ` ESCAPE '\'`
	}
	g := escapeGlob(pattern)
	switch mode {
	case "exact":
		return col + " = " + bind(pattern)
	case "prefix":
		g += "*"
	case "suffix":
		g = "*" + g
	default:
		g = "*" + g + "*"
	}
	return col + " GLOB " + bind(g)
}

// escapeGlob makes GLOB's wildcards literal by putting each in a one-char
// class; "]" outside a class is already literal.
func escapeGlob(s string) string {
	if !strings.ContainsAny(s, "*?[") {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '*', '?', '[':
			b.WriteByte('[')
			b.WriteRune(r)
			b.WriteByte(']')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (*dialect) JSONContains(col string, doc string, bind func(any) string) string {
	return "akgo_json_contains(" + col + ", " + bind(doc) + ") = 1"
}

func (*dialect) JSONPath(col string, path []string, value string, bind func(any) string) string {
	if path == nil {
		path = []string{}
	}
	p, _ := json.Marshal(path)
	return "akgo_json_text(" + col + ", " + bind(string(p)) + ") = " + bind(value)
}

// InArray binds the values as one JSON array that json_each unpacks:
// JSON strings come out as TEXT and integers as INTEGER, the storage of
// text, uuid and int columns.
func (*dialect) InArray(col string, _ store.ColumnType, vals []any, bind func(any) string) string {
	doc, ok := jsonArray(vals)
	if !ok {
		return ""
	}
	return col + " IN (SELECT value FROM json_each(" + bind(doc) + "))"
}

// InJoinSource yields the values from json_each in a subquery that SQLite
// flattens into the join, so json_each drives the loop and each value is
// one search of the table's index, where IN (SELECT ...) first copies the
// values into a temporary index.
func (*dialect) InJoinSource(_ store.ColumnType, vals []any, bind func(any) string) string {
	doc, ok := jsonArray(vals)
	if !ok {
		return ""
	}
	return "(SELECT value AS " + sqldb.Quote(sqldb.InJoinColumn) + " FROM json_each(" + bind(doc) + "))"
}

// jsonArray encodes int64 and string values as one JSON array (false when
// a value has another type or a string is not valid UTF-8).
func jsonArray(vals []any) (string, bool) {
	doc := make([]byte, 0, 40*len(vals))
	doc = append(doc, '[')
	for i, v := range vals {
		if i > 0 {
			doc = append(doc, ',')
		}
		switch x := v.(type) {
		case int64:
			doc = strconv.AppendInt(doc, x, 10)
		case string:
			if plainASCII(x) {
				// Keys (uuids, slugs, names) mostly are. Copied whole
				// rather than byte by byte, an array of 100 uuids takes
				// 7 µs instead of 12 (micro-benchmark).
				doc = append(doc, '"')
				doc = append(doc, x...)
				doc = append(doc, '"')
				continue
			}
			if !utf8.ValidString(x) {
				// JSON cannot carry these bytes unchanged.
				return "", false
			}
			doc = appendJSONString(doc, x)
		default:
			return "", false
		}
	}
	doc = append(doc, ']')
	return string(doc), true
}

// plainASCII reports whether s is ASCII without control characters, a
// quote or a backslash: a JSON string of it is s between quotes.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// appendJSONString quotes s for SQLite's JSON parser: the quote, the
// backslash and control characters escaped, everything else as it is.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

func (*dialect) LimitOffset(limit, offset int, bind func(any) string) string {
	var s string
	if limit > 0 {
		s = " LIMIT " + bind(int64(limit))
	} else if offset > 0 {
		s = " LIMIT -1"
	}
	if offset > 0 {
		s += " OFFSET " + bind(int64(offset))
	}
	return s
}

func (*dialect) NullsOrder(desc bool) string {
	if desc {
		return " NULLS FIRST"
	}
	return " NULLS LAST"
}

// Begin takes the write lock up front (IMMEDIATE): a deferred transaction
// that reads first and writes later can fail with SQLITE_BUSY mid-way when
// another process wrote in between, which no busy timeout can fix.
func (d *dialect) Begin(readOnly bool) []string {
	switch {
	case !readOnly:
		return []string{"BEGIN IMMEDIATE"}
	case d.memory:
		return []string{"BEGIN", "PRAGMA query_only = 1"}
	default:
		return []string{"BEGIN"}
	}
}

func (d *dialect) End(readOnly bool) []string {
	if readOnly && d.memory {
		return []string{"PRAGMA query_only = 0"}
	}
	return nil
}

func (*dialect) MigrationLock() string { return "" }

// AlterColumnInPlace: SQLite has no ALTER COLUMN; sqldb rebuilds the table.
func (*dialect) AlterColumnInPlace() bool { return false }

// RebuildPragmas turns foreign keys off for a rebuild, as SQLite's
// procedure for other schema changes prescribes: with them on, dropping
// the old table would delete (cascade) or null the rows that reference it.
func (*dialect) RebuildPragmas() (before, after []string) {
	return []string{"PRAGMA foreign_keys = OFF"}, []string{"PRAGMA foreign_keys = ON"}
}

// BatchDDL is off: statements run in-process, so one call each costs
// nothing and an error names the statement that failed.
func (*dialect) BatchDDL() bool { return false }

func (*dialect) AfterExplicitID(string, string) string { return "" }

// Extended result codes (see sqlite3.h).
const (
	codeReadOnly         = 8
	codeConstraint       = 19
	codeConstraintFK     = 787
	codeConstraintPK     = 1555
	codeConstraintUnique = 2067
	uniqueMessagePrefix  = "UNIQUE constraint failed: "
)

func (*dialect) Translate(err error, _ *sqldb.Schema) error {
	var se *msqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch code := se.Code(); {
	case code == codeConstraintUnique || code == codeConstraintPK:
		if table, cols, ok := parseUnique(se.Error()); ok {
			return &store.UniqueError{Table: table, Columns: cols, Err: err}
		}
		return &store.UniqueError{Err: err}
	case code == codeConstraintFK,
		// A RESTRICT action is enforced like a trigger and reported as one.
		code&0xff == codeConstraint && strings.Contains(se.Error(), "FOREIGN KEY constraint failed"):
		return &store.ForeignKeyError{Err: err}
	case code&0xff == codeReadOnly:
		return fmt.Errorf("%w: %w", store.ErrReadOnly, err)
	}
	return err
}

// parseUnique reads "UNIQUE constraint failed: t.a, t.b" (SQLite names
// columns, not constraints).
func parseUnique(msg string) (string, []string, bool) {
	i := strings.Index(msg, uniqueMessagePrefix)
	if i < 0 {
		return "", nil, false
	}
	rest := msg[i+len(uniqueMessagePrefix):]
	if j := strings.LastIndex(rest, " ("); j >= 0 {
		rest = rest[:j]
	}
	var table string
	var cols []string
	for _, part := range strings.Split(rest, ", ") {
		t, c, ok := strings.Cut(strings.TrimSpace(part), ".")
		if !ok {
			return "", nil, false
		}
		table = t
		cols = append(cols, c)
	}
	return table, cols, len(cols) > 0
}

// DescribeForeignKeyViolation asks SQLite which row of the written tables
// breaks a foreign key. It runs only after a COMMIT failed (SQLite keeps
// the transaction open then), so its full-table check costs nothing on the
// success path.
func (*dialect) DescribeForeignKeyViolation(ctx context.Context, q sqldb.Querier, tables []string) (string, string, bool) {
	for _, t := range tables {
		table, fkid, ok := firstViolation(ctx, q, t)
		if !ok {
			continue
		}
		rows, err := q.QueryContext(ctx, "SELECT \"from\" FROM pragma_foreign_key_list(?1) WHERE id = ?2", table, fkid)
		if err != nil {
			return table, "", true
		}
		col := ""
		if rows.Next() {
			_ = rows.Scan(&col)
		}
		rows.Close()
		return table, col, true
	}
	return "", "", false
}

func firstViolation(ctx context.Context, q sqldb.Querier, table string) (string, int64, bool) {
	rows, err := q.QueryContext(ctx, "PRAGMA foreign_key_check("+sqldb.Quote(table)+")")
	if err != nil {
		return "", 0, false
	}
	defer rows.Close()
	if !rows.Next() {
		return "", 0, false
	}
	var t, parent string
	var rowid any
	var fkid int64
	if err := rows.Scan(&t, &rowid, &parent, &fkid); err != nil {
		return "", 0, false
	}
	return t, fkid, true
}
