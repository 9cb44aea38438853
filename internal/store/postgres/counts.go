package postgres

import (
	"strings"

	"github.com/akgo/akgo/internal/store/sqldb"
)

var _ sqldb.RowCounter = dialect{}

// The counts table: one row per table and database session that changed
// its row count (pid 0 holds the folded counts of ended sessions). A
// session runs one transaction at a time, so no two writers ever update
// the same row, and a count is the sum of its table's rows as the
// reader's snapshot sees them. Rows name their table rather than hold its
// oid: pg_dump and pg_restore keep names, and restore the counts table
// with the tables' rows before making their triggers, but give the
// tables new oids.
const countsTable = `"akgo_row_counts"`

func (dialect) CounterSetup() []string {
	return []string{
		// Each session updates its rows many times a second; with nine
		// tenths of every page left free, the new versions stay on the
		// page (HOT, no index entry) while pages are pruned.
		`CREATE TABLE IF NOT EXISTS ` + countsTable + ` ("tbl" text NOT NULL, "pid" integer NOT NULL, "n" bigint NOT NULL, PRIMARY KEY ("tbl", "pid")) WITH (fillfactor = 10)`,
		// The function names the counts table with its schema, so a
		// write from a session with another search_path counts too.
		`DO $akgo$ BEGIN EXECUTE format($fn$
CREATE OR REPLACE FUNCTION %1$I."akgo_count_rows"() RETURNS trigger LANGUAGE plpgsql AS $body$
DECLARE d bigint;
BEGIN
	IF TG_OP = 'INSERT' THEN
		SELECT count(*) INTO d FROM akgo_new_rows;
	ELSIF TG_OP = 'DELETE' THEN
		SELECT -count(*) INTO d FROM akgo_old_rows;
	ELSE
		DELETE FROM %1$I.` + countsTable + ` WHERE "tbl" = TG_TABLE_NAME;
		RETURN NULL;
	END IF;
	IF d = 0 THEN
		RETURN NULL;
	END IF;
	-- The session's row exists after its first write: an UPDATE costs
	-- less than an INSERT ... ON CONFLICT every time.
	UPDATE %1$I.` + countsTable + ` SET "n" = "n" + d WHERE "tbl" = TG_TABLE_NAME AND "pid" = pg_backend_pid();
	IF NOT FOUND THEN
		INSERT INTO %1$I.` + countsTable + ` AS c ("tbl", "pid", "n") VALUES (TG_TABLE_NAME, pg_backend_pid(), d)
		ON CONFLICT ("tbl", "pid") DO UPDATE SET "n" = c."n" + EXCLUDED."n";
	END IF;
	RETURN NULL;
END
$body$
$fn$, current_schema()); END $akgo$`,
	}
}

func (dialect) CountedTablesQuery() string {
	return `SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid ` +
		`WHERE t.tgname = 'akgo_count_ins' AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) ` +
		`AND to_regclass('` + countsTable + `') IS NOT NULL`
}

func (dialect) CountTable(table string) []string {
	q := sqldb.Quote(table)
	name := textLiteral(table)
	stmts := []string{}
	for _, trg := range []struct{ name, event, transition string }{
		{"akgo_count_ins", "INSERT", " REFERENCING NEW TABLE AS akgo_new_rows"},
		{"akgo_count_del", "DELETE", " REFERENCING OLD TABLE AS akgo_old_rows"},
		{"akgo_count_truncate", "TRUNCATE", ""},
	} {
		stmts = append(stmts,
			`DROP TRIGGER IF EXISTS `+trg.name+` ON `+q,
			`CREATE TRIGGER `+trg.name+` AFTER `+trg.event+` ON `+q+trg.transition+` FOR EACH STATEMENT EXECUTE FUNCTION "akgo_count_rows"()`)
	}
	return append(stmts,
		`DELETE FROM `+countsTable+` WHERE "tbl" = `+name,
		`INSERT INTO `+countsTable+` ("tbl", "pid", "n") SELECT `+name+`, 0, count(*) FROM `+q)
}

func (dialect) CompactCounts() []string {
	return []string{
		// Compactions of several replicas would otherwise fold into the
		// same rows in different orders.
		`SELECT pg_advisory_xact_lock(hashtext('akgo-row-counts:' || current_schema()))`,
		`DELETE FROM ` + countsTable + ` WHERE NOT EXISTS (SELECT 1 FROM pg_class WHERE relname = "tbl" ` +
			`AND relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()))`,
		// Only rows of sessions that ended, and none a writer holds (a new
		// session may have been given an ended one's pid).
		`WITH gone AS (DELETE FROM ` + countsTable + ` WHERE ("tbl", "pid") IN (` +
			`SELECT "tbl", "pid" FROM ` + countsTable + ` WHERE "pid" <> 0 ` +
			`AND "pid" NOT IN (SELECT pid FROM pg_stat_activity WHERE pid IS NOT NULL) FOR UPDATE SKIP LOCKED) ` +
			`RETURNING "tbl", "n") ` +
			`INSERT INTO ` + countsTable + ` AS c ("tbl", "pid", "n") SELECT "tbl", 0, sum("n")::bigint FROM gone GROUP BY "tbl" ` +
			`ON CONFLICT ("tbl", "pid") DO UPDATE SET "n" = c."n" + EXCLUDED."n"`,
	}
}

func (dialect) TableCount(table string) string {
	return `(SELECT COALESCE(SUM("n"), 0)::bigint FROM ` + countsTable + ` WHERE "tbl" = ` + textLiteral(table) + `)`
}

func (dialect) UncountTable(table string) []string {
	q := sqldb.Quote(table)
	return []string{
		`DROP TRIGGER IF EXISTS akgo_count_ins ON ` + q,
		`DROP TRIGGER IF EXISTS akgo_count_del ON ` + q,
		`DROP TRIGGER IF EXISTS akgo_count_truncate ON ` + q,
		`DELETE FROM ` + countsTable + ` WHERE "tbl" = ` + textLiteral(table),
	}
}

func (dialect) StopCounting() []string {
	// CASCADE: triggers of tables created meanwhile by another replica.
	return []string{`DROP FUNCTION IF EXISTS "akgo_count_rows"() CASCADE`, `DROP TABLE IF EXISTS ` + countsTable}
}

// textLiteral is s as an SQL string constant.
func textLiteral(s string) string {
	return `'` + strings.ReplaceAll(s, `'`, `''`) + `'`
}
