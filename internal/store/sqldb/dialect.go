package sqldb

import (
	"context"
	"database/sql"
	"strings"

	"github.com/akgo/akgo/internal/store"
)

// Dialect is everything that differs between the SQL backends. sqldb owns
// the shared logic (descriptor bookkeeping, query building, value
// conversion, transactions, migrations); a dialect only answers narrow
// questions, so each backend stays small and the behaviour the conformance
// suite checks lives in one place.
type Dialect interface {
	// Name is the value of store.Store.Dialect and the key of RawSQL steps.
	Name() string
	// Placeholder is the marker of the n-th (1-based) bound argument.
	Placeholder(n int) string
	// RewritePlaceholders turns the "?" markers of raw SQL (Tx.Exec) into
	// this dialect's markers.
	RewritePlaceholders(sql string) string

	// ColumnType is the native type of a non-auto-increment column.
	ColumnType(t store.ColumnType) string
	// AutoIncrementColumn is the definition of a generated integer primary
	// key column after its quoted name; inlinePK reports whether it already
	// declares the primary key.
	AutoIncrementColumn() (def string, inlinePK bool)
	// TableOptions is appended after the closing parenthesis of CREATE TABLE.
	TableOptions() string
	// InlineForeignKeys reports whether foreign keys are declared inside
	// CREATE TABLE / ADD COLUMN (SQLite cannot add them later) or added
	// with ALTER TABLE at the end of the migration (PostgreSQL needs the
	// referenced table to exist, which would forbid cycles).
	InlineForeignKeys() bool
	// ConstraintName maps a logical constraint/index name to the one used in
	// the database (PostgreSQL truncates identifiers at 63 bytes).
	ConstraintName(name string) string
	// Literal renders a canonical value (see canonical) as an SQL literal for
	// DEFAULT clauses.
	Literal(t store.ColumnType, v any) string

	// Bind maps a canonical value to what the driver binds.
	Bind(t store.ColumnType, v any) any
	// BindRaw maps an argument of raw SQL (Tx.Exec) whose column is unknown.
	BindRaw(v any) any

	// Like renders a LikeCond; pattern is the caller's literal text.
	Like(col string, t store.ColumnType, mode string, fold bool, pattern string, bind func(any) string) string
	// JSONContains renders "column contains doc" (doc is compact JSON text).
	JSONContains(col string, doc string, bind func(any) string) string
	// JSONPath renders "text at path = value".
	JSONPath(col string, path []string, value string, bind func(any) string) string
	// InArray renders "col IN (values)" with the values bound as one array
	// parameter, or returns "" to leave the list to one placeholder per
	// value. vals are canonical, non-NULL values of a text, uuid or int
	// column. One parameter binds faster than a hundred, and a statement
	// text that does not depend on the number of values is prepared once.
	InArray(col string, t store.ColumnType, vals []any, bind func(any) string) string
	// LimitOffset renders the LIMIT/OFFSET tail; 0 means absent.
	LimitOffset(limit, offset int, bind func(any) string) string
	// NullsOrder is appended after ASC/DESC of a nullable column so NULLs
	// sort last ascending and first descending on every backend.
	NullsOrder(desc bool) string

	// Begin returns the statements that open a transaction; End those run on
	// the connection after it finished (committed or rolled back).
	Begin(readOnly bool) []string
	End(readOnly bool) []string
	// AlterColumnInPlace reports whether the backend changes a column's
	// nullability and default with ALTER TABLE ... ALTER COLUMN
	// (PostgreSQL). Otherwise an AlterColumn step rebuilds the table
	// (SQLite), with RebuildPragmas run around the migration.
	AlterColumnInPlace() bool
	// RebuildPragmas returns the statements run on the migration's
	// connection before its BEGIN and after it ended, around a migration
	// that rebuilds tables (SQLite stops enforcing foreign keys, which it
	// can only do outside a transaction, so dropping the old table does not
	// cascade to the rows that reference it).
	RebuildPragmas() (before, after []string)
	// BatchDDL reports whether a migration's statements are sent as one
	// script (one round trip to a server) rather than one by one.
	BatchDDL() bool
	// MigrationLock returns the statement that serialises migrations across
	// processes inside a write transaction ("" when Begin already does).
	MigrationLock() string
	// AfterExplicitID returns a statement to run after a row was inserted
	// with an explicit value for an auto-increment key, so the generator
	// does not hand that value out again ("" when not needed).
	AfterExplicitID(table, column string) string

	// Translate maps a driver error to the store's errors (*store.UniqueError,
	// *store.ForeignKeyError, store.ErrReadOnly), using sch to name columns
	// from constraint names; other errors are returned unchanged.
	Translate(err error, sch *Schema) error
}

// AutocommitReader is implemented by dialects on which reads cost less
// outside any transaction than inside one (PostgreSQL: no BEGIN and
// COMMIT to send). store.ViewCommitted then runs each statement on its
// own, as autocommit reads do; without it, ViewCommitted is View.
type AutocommitReader interface {
	AutocommitReads()
}

// InJoiner is implemented by dialects whose planner copies an IN list bound
// as one array into a temporary index before searching the table (SQLite
// does this for IN (SELECT ... FROM json_each(?))). InJoinSource renders a
// FROM item yielding the values, one per row, in a column named
// InJoinColumn; the builder puts it first in a CROSS JOIN, so each value
// is one index search and nothing is copied. vals are canonical, distinct,
// sorted non-NULL values of a text, uuid or int column; "" leaves the list
// to InArray.
type InJoiner interface {
	InJoinSource(t store.ColumnType, vals []any, bind func(any) string) string
}

// InJoinColumn names the values column of an InJoiner's FROM item, chosen
// so it cannot be mistaken for a table's column (none starts with "akgo_in").
const InJoinColumn = "akgo_in_value"

// Querier is what a dialect may use to investigate a failure inside the
// still-open transaction.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// ForeignKeyDescriber is implemented by dialects whose driver reports a
// deferred foreign-key failure at COMMIT without saying where (SQLite). It
// runs before the rollback, inside the failed transaction, and checks only
// the tables the transaction wrote.
type ForeignKeyDescriber interface {
	DescribeForeignKeyViolation(ctx context.Context, q Querier, tables []string) (table, column string, ok bool)
}

// ErrorPositioner is implemented by dialects whose errors tell where in
// the statement text they occurred (PostgreSQL's error position, 1-based,
// in bytes), so a failing migration script can name its statement.
type ErrorPositioner interface {
	ErrorPosition(err error) (int, bool)
}

// Quote quotes an identifier for both PostgreSQL and SQLite.
func Quote(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// RewriteQuestionMarks replaces every ? outside quotes and comments with
// ph(n). Dialects with numbered placeholders use it for Tx.Exec.
func RewriteQuestionMarks(q string, ph func(n int) string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(q) {
				if q[j] == c {
					if j+1 < len(q) && q[j+1] == c {
						j += 2
						continue
					}
					break
				}
				j++
			}
			if j >= len(q) {
				j = len(q) - 1
			}
			b.WriteString(q[i : j+1])
			i = j
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				j = len(q) - i - 1
			}
			b.WriteString(q[i : i+j+1])
			i += j
		case c == '/' && i+1 < len(q) && q[i+1] == '*':
			j := strings.Index(q[i+2:], "*/")
			end := len(q) - 1
			if j >= 0 {
				end = i + 2 + j + 1
			}
			b.WriteString(q[i : end+1])
			i = end
		case c == '?':
			n++
			b.WriteString(ph(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// EscapeLike escapes % _ and the escape character itself for
// "LIKE ... ESCAPE '\'".
func EscapeLike(s string) string {
	if !strings.ContainsAny(s, `%_\`) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r == '%' || r == '_' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// LikePattern wraps an escaped pattern with % according to mode.
func LikePattern(mode, escaped string) string {
	switch mode {
	case "prefix":
		return escaped + "%"
	case "suffix":
		return "%" + escaped
	case "exact":
		return escaped
	default:
		return "%" + escaped + "%"
	}
}
