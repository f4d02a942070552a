#!/bin/bash
# dbctl migrate against a throwaway MariaDB: up/status/down/redo and the
# tracking table's MySQL form; a migration without implicit commits is atomic
# with its row; one with DDL runs without a transaction, records how far it
# got and resumes at the failed statement; GET_LOCK keeps 8 racing runners
# (and 8 on the --lock=table lease) to one application each; a runner killed
# mid-migration loses the lock with its connection; dbmate's, golang-migrate's
# and goose's tables are adopted; no password in any output.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/mariadb.sh"
DBCTL=${DBCTL:-$PWD/dbctl}
command -v mariadbd >/dev/null || skip_all "mariadbd not installed (hint: .ci/install-deps check)"

tmp=$(mktemp -d)
cleanup() {
	[ -n "${holder:-}" ] && kill "$holder" 2>/dev/null && wait "$holder" 2>/dev/null
	mariadb_stop_test
	rm -rf "$tmp"
}
trap cleanup EXIT
mariadb_start_test || skip_all "could not start a throwaway MariaDB (see the messages above)"
cd "$tmp" || exit 1

# newdb NAME: a database of its own for each scenario; U is its URL
newdb() {
	mariadb_sql "CREATE DATABASE $1; GRANT ALL ON $1.* TO 'app'@'%', 'app'@'localhost'"
	U=${TEST_MYSQL_URL%/app}/$1
	DB=$1
	mkdir -p "$tmp/$1"
	D=$tmp/$1
}
sql() { mariadb_sql "USE $DB; $*"; }
wr() { cat >"$1"; }
# race ARGS...: 8 runners at once; CODES is their exit statuses in order
race() {
	local pids=() pid i
	for i in 1 2 3 4 5 6 7 8; do
		"$DBCTL" --url "$U" migrate up -d "$D" --lock-timeout 60 "$@" >"$tmp/out$i" 2>"$tmp/err$i" &
		pids+=($!)
	done
	CODES=
	for pid in "${pids[@]}"; do
		wait "$pid"
		CODES+="$? "
	done
}
# the migration lock of a database's schema_migrations is free
lock_free() { mariadb_sql "SELECT IS_FREE_LOCK('dbctl:$DB.schema_migrations')"; }

# --- up, status, down, redo ---------------------------------------------------------------
newdb basic
wr "$D/20260101000001_tables.sql" <<'SQL'
-- migrate:up
CREATE TABLE t (id int PRIMARY KEY, v varchar(20)) ENGINE=InnoDB;
CREATE INDEX t_v ON t (v);
-- migrate:down
DROP TABLE t;
SQL
wr "$D/20260101000002_rows.sql" <<'SQL'
-- migrate:up
INSERT INTO t VALUES (1, 'a');
INSERT INTO t VALUES (2, 'b');
-- migrate:down
DELETE FROM t WHERE id IN (1, 2);
SQL
expect_exit 4 "status on an empty database: pending (exit 4)" -- "$DBCTL" --url "$U" migrate status -d "$D"
like "$OUT" "0 applied, 2 pending" "... both pending"
is "$(sql "SHOW TABLES")" "" "... and status created nothing"
expect_exit 0 "up applies both" -- "$DBCTL" --url "$U" migrate up -d "$D"
like "$OUT" "applied 20260101000001_tables \(.* ms, no transaction\)" "... the DDL migration without a transaction"
like "$OUT" "applied 20260101000002_rows \([0-9.]* ms\)" "... the INSERT migration in one"
like "$ERR" "20260101000001_tables runs without a transaction: 2 of its statements commit implicitly on MySQL/MariaDB \(CREATE TABLE at .*20260101000001_tables.sql:2\)" \
	"... and says why, naming the first implicit commit"
is "$(sql "SELECT GROUP_CONCAT(id ORDER BY id) FROM t")" "1,2" "... the rows are there"
is "$(sql "SELECT GROUP_CONCAT(version ORDER BY version), COUNT(checksum) FROM schema_migrations" | tr '\t' ' ')" \
	"20260101000001,20260101000002 2" "... both recorded with their checksums"
is "$(sql "SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '$DB' AND TABLE_NAME = 'schema_migrations' AND COLUMN_NAME = 'version'")" \
	"varchar(128)" "... version is varchar(128), dbmate's MySQL form"
is "$(sql "SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$DB' AND TABLE_NAME = 'schema_migrations'")" \
	"InnoDB" "... the tracking table is InnoDB (its rows roll back with a migration)"
is "$(sql "SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '$DB' AND TABLE_NAME = 'schema_migrations'")" \
	"version,name,checksum,checksum_algorithm,applied_at,duration_ms,failed_statement,error,failed_section,note" \
	"... with the columns of the other backends"
is "$(lock_free)" 1 "... and the GET_LOCK is released"
expect_exit 0 "status: up to date" -- "$DBCTL" --url "$U" migrate status -d "$D"
like "$OUT" "2 applied, 0 pending" "... 2 applied"
expect_exit 0 "status --json" -- "$DBCTL" --url "$U" --json migrate status -d "$D"
like "$OUT" '"state": *"applied"' "... states in JSON"
expect_exit 0 "up again: nothing to do" -- "$DBCTL" --url "$U" migrate up -d "$D"
like "$OUT" "nothing to do" "... says so"
expect_exit 0 "redo reverts and applies the newest" -- "$DBCTL" --url "$U" migrate redo -d "$D"
like "$OUT" "reverted 20260101000002_rows.*applied 20260101000002_rows" "... down then up"
is "$(sql "SELECT GROUP_CONCAT(id ORDER BY id) FROM t")" "1,2" "... rows as before"
expect_exit 0 "down reverts the newest" -- "$DBCTL" --url "$U" migrate down -d "$D"
is "$(sql "SELECT COUNT(*) FROM t")|$(sql "SELECT COUNT(*) FROM schema_migrations")" "0|1" "... its rows and its tracking row are gone"
expect_exit 0 "down again reverts the DDL migration" -- "$DBCTL" --url "$U" migrate down -d "$D"
like "$OUT" "reverted 20260101000001_tables \(.*no transaction\)" "... without a transaction"
is "$(sql "SHOW TABLES LIKE 't'")|$(sql "SELECT COUNT(*) FROM schema_migrations")" "|0" "... the table is dropped, the row deleted"
expect_exit 0 "to VERSION applies up to it" -- "$DBCTL" --url "$U" migrate to 20260101000001 -d "$D"
is "$(sql "SELECT GROUP_CONCAT(version) FROM schema_migrations")" "20260101000001" "... only that one"

# --- dry run ------------------------------------------------------------------------------
newdb dry
sql "CREATE TABLE t (id int PRIMARY KEY) ENGINE=InnoDB"
printf -- '-- migrate:up\nCREATE TABLE z (id int);\n-- migrate:down\nDROP TABLE z;\n' | wr "$D/1_z.sql"
printf -- '-- migrate:up\nINSERT INTO t VALUES (1), (2);\n-- migrate:down\nDELETE FROM t;\n' | wr "$D/2_rows.sql"
expect_exit 0 "dry run on an empty database" -- "$DBCTL" --url "$U" migrate up --dry-run -d "$D"
like "$OUT" "takes the advisory lock \(GET_LOCK" "... names GET_LOCK"
like "$OUT" "creates or adopts the tracking table first, for real" "... says the tracking table is created for real"
like "$OUT" "transaction:false section: shown, not run" "... shows the DDL migration without running it"
like "$OUT" "applied 2_rows" "... runs the INSERT migration"
like "$OUT" "ROLLBACK \(dry run: nothing was written\)" "... and rolls it back"
is "$(sql "SHOW TABLES LIKE 'z'")|$(sql "SELECT COUNT(*) FROM t")" "|0" "... nothing was applied"
is "$(sql "SELECT COUNT(*) FROM schema_migrations")" 0 "... and no row was written (the CREATE TABLE did not commit them)"
expect_exit 0 "up after the dry run" -- "$DBCTL" --url "$U" migrate up -d "$D"
expect_exit 0 "down --dry-run" -- "$DBCTL" --url "$U" migrate down --dry-run -d "$D"
is "$(sql "SELECT COUNT(*) FROM t")|$(sql "SELECT COUNT(*) FROM schema_migrations")" "2|2" "... rolled back: rows and tracking rows stay"

# --- an atomic migration fails: nothing of it stays ---------------------------------------
newdb atomic
wr "$D/1_log.sql" <<'SQL'
-- migrate:up
CREATE TABLE log (v int PRIMARY KEY) ENGINE=InnoDB;
SQL
wr "$D/2_rows.sql" <<'SQL'
-- migrate:up
INSERT INTO log VALUES (20);
INSERT INTO log VALUES (21);
INSERT INTO log VALUES (20);
SQL
expect_exit 1 "an INSERT migration that fails at its third statement: exit 1" -- "$DBCTL" --url "$U" migrate up -d "$D"
like "$ERR" "2_rows.sql:4:1: ERROR: Duplicate entry '20'.*1062" "... at FILE:LINE:COL"
is "$(sql "SELECT COUNT(*) FROM log")" 0 "... its first two rows were rolled back with it (MySQL keeps the transaction open after an error)"
is "$(sql "SELECT GROUP_CONCAT(version) FROM schema_migrations")" 1 "... and it has no tracking row"
expect_exit 4 "status: it is pending, not failed" -- "$DBCTL" --url "$U" migrate status -d "$D"
like "$OUT" "2 +pending" "... pending"
sed -i 's/VALUES (20);$/VALUES (22);/; 2s/22/20/' "$D/2_rows.sql"
expect_exit 0 "fixed: up applies it whole" -- "$DBCTL" --url "$U" migrate up -d "$D"
is "$(sql "SELECT GROUP_CONCAT(v ORDER BY v) FROM log")" "20,21,22" "... all three rows, once"

# --- a DDL migration fails at statement 3: 1-2 stay, recorded; the rerun resumes at 3 ------
newdb ddl
wr "$D/1_ddl.sql" <<'SQL'
-- migrate:up
CREATE TABLE a (id int) ENGINE=InnoDB;
CREATE TABLE b (id int) ENGINE=InnoDB;
CREATE TABLE c (id int, oops) ENGINE=InnoDB;
CREATE TABLE d (id int) ENGINE=InnoDB;
-- migrate:down
DROP TABLE d;
DROP TABLE c;
DROP TABLE b;
DROP TABLE a;
SQL
wr "$D/2_more.sql" <<'SQL'
-- migrate:up
ALTER TABLE a ADD COLUMN x int;
-- migrate:down
ALTER TABLE a DROP COLUMN x;
SQL
expect_exit 1 "a DDL migration failing at statement 3: exit 1" -- "$DBCTL" --url "$U" migrate up -d "$D"
like "$ERR" "1_ddl.sql:4:.*ERROR: You have an error in your SQL syntax.*1064" "... names the statement"
like "$ERR" "statements 1 to 2 ran and stayed applied \(no transaction\); fix the file and run up again to resume at statement 3" \
	"... says what stayed and where the next up resumes"
is "$(grep -c 'runs without a transaction' <<<"$ERR")" 1 "... the notice is said once"
is "$(sql "SELECT GROUP_CONCAT(TABLE_NAME ORDER BY TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$DB' AND TABLE_NAME IN ('a','b','c','d')")" \
	"a,b" "... statements 1-2 are applied"
is "$(sql "SELECT CONCAT(version, ':', failed_statement) FROM schema_migrations")" "1:2" \
	"... and recorded: failed at statement index 2 (the third)"
expect_exit 1 "status: failed" -- "$DBCTL" --url "$U" migrate status -d "$D"
like "$OUT" "1 +failed .*stopped at statement 3" "... stopped at statement 3"
expect_exit 1 "up again, file unchanged: refused" -- "$DBCTL" --url "$U" migrate up -d "$D"
like "$ERR" "migration 1 stopped at statement 3" "... says where it stopped"
sed -i 's/, oops//' "$D/1_ddl.sql"
expect_exit 0 "fixed: up resumes at statement 3" -- "$DBCTL" --url "$U" migrate up -d "$D"
like "$OUT" "applied 1_ddl .*applied 2_more" "... applies it and the next"
is "$(sql "SELECT GROUP_CONCAT(TABLE_NAME ORDER BY TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$DB' AND TABLE_NAME IN ('a','b','c','d')")" \
	"a,b,c,d" "... statements 3-4 ran (1-2 were not run again: CREATE TABLE a would have failed)"
is "$(sql "SELECT GROUP_CONCAT(CONCAT(version, ':', COALESCE(failed_statement, '-')) ORDER BY version) FROM schema_migrations")" \
	"1:-,2:-" "... both recorded as applied"
expect_exit 0 "down reverts 2_more" -- "$DBCTL" --url "$U" migrate down -d "$D"
is "$(sql "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '$DB' AND TABLE_NAME = 'a' AND COLUMN_NAME = 'x'")" 0 "... its column is gone"

# --- accept after fixing by hand; --single-transaction --------------------------------------
newdb accept
printf -- '-- migrate:up\nCREATE TABLE a (id int);\nCREATE TABLE b (id int, oops);\n' | wr "$D/1_ddl.sql"
expect_exit 1 "accept: a DDL migration stops at statement 2" -- "$DBCTL" --url "$U" migrate up -d "$D"
sql "CREATE TABLE b (id int)"
expect_exit 0 "fixed by hand: migrate accept 1" -- "$DBCTL" --url "$U" migrate accept 1 -d "$D"
expect_exit 0 "... status: applied" -- "$DBCTL" --url "$U" migrate status -d "$D"
like "$OUT" "1 applied, 0 pending" "... 1 applied"
newdb single
sql "CREATE TABLE t (id int PRIMARY KEY) ENGINE=InnoDB"
printf -- '-- migrate:up\nINSERT INTO t VALUES (1);\n' | wr "$D/1_a.sql"
printf -- '-- migrate:up\nINSERT INTO t VALUES (2);\nINSERT INTO t VALUES (1);\n' | wr "$D/2_b.sql"
expect_exit 1 "--single-transaction: the second migration fails" -- "$DBCTL" --url "$U" migrate up --single-transaction -d "$D"
is "$(sql "SELECT COUNT(*) FROM t")|$(sql "SELECT COUNT(*) FROM schema_migrations")" "0|0" "... and the first is rolled back with it, rows and all"
printf -- '-- migrate:up\nINSERT INTO t VALUES (3);\n' | wr "$D/2_b.sql"
printf -- '-- migrate:up\nCREATE TABLE u (id int);\n' | wr "$D/3_c.sql"
expect_exit 3 "--single-transaction with a DDL migration: refused before anything runs" -- \
	"$DBCTL" --url "$U" migrate up --single-transaction -d "$D"
like "$ERR" "3_c.sql: --single-transaction cannot include" "... naming it"
is "$(sql "SELECT COUNT(*) FROM t")" 0 "... nothing ran"
rm "$D/3_c.sql"
expect_exit 0 "--single-transaction without it" -- "$DBCTL" --url "$U" migrate up --single-transaction -d "$D"
is "$(sql "SELECT GROUP_CONCAT(id ORDER BY id) FROM t")|$(sql "SELECT GROUP_CONCAT(version ORDER BY version) FROM schema_migrations")" "1,3|1,2" "... both applied"

# --- a transaction-control statement in a DDL migration is refused before it runs ----------
newdb control
printf -- '-- migrate:up\nCREATE TABLE a (id int);\nCOMMIT;\n' | wr "$D/1_commit.sql"
expect_exit 3 "DDL beside a COMMIT: refused (exit 3)" -- "$DBCTL" --url "$U" migrate up -d "$D"
like "$ERR" "1_commit.sql:[23]:1:" "... at FILE:LINE:COL"
is "$(sql "SHOW TABLES LIKE 'a'")" "" "... nothing ran"

# --- the lock is taken before the tracking table is touched --------------------------------
newdb held
cp "$tmp/basic/"*.sql "$D/"
mariadb_sql "SELECT GET_LOCK('dbctl:$DB.schema_migrations', 0), SLEEP(30)" >/dev/null 2>&1 &
holder=$!
for _ in $(seq 100); do [ "$(lock_free)" = 0 ] && break; sleep 0.05; done
expect_exit 1 "another session holds the GET_LOCK: up gives up after --lock-timeout" -- \
	"$DBCTL" --url "$U" migrate up -d "$D" --lock-timeout 0.5
like "$ERR" "could not take the migration lock within 0.5 s" "... says why"
like "$ERR" "another migrate holds the lock; waiting" "... after saying it waits"
is "$(sql "SHOW TABLES")" "" "... and touched nothing: no tracking table"
mariadb_sql "KILL $(mariadb_sql "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT GET_LOCK%' LIMIT 1")"
wait "$holder" 2>/dev/null
holder=
expect_exit 0 "once it is free, up proceeds" -- "$DBCTL" --url "$U" migrate up -d "$D" --lock-timeout 5

# --- 8 runners at once: each migration applied exactly once ------------------------------
race_files() {
	wr "$D/1_log.sql" <<-'SQL'
		-- migrate:up
		CREATE TABLE log (v varchar(20)) ENGINE=InnoDB;
		CREATE TABLE r1 (x int) ENGINE=InnoDB;
		INSERT INTO log VALUES ('1');
	SQL
	wr "$D/2_rows.sql" <<-'SQL'
		-- migrate:up
		INSERT INTO log VALUES ('2');
		DO SLEEP(0.2);
		INSERT INTO r1 VALUES (2);
	SQL
	wr "$D/3_ddl.sql" <<-'SQL'
		-- migrate:up
		CREATE TABLE r3 (x int) ENGINE=InnoDB;
		DO SLEEP(0.2);
		INSERT INTO log VALUES ('3');
		ALTER TABLE r1 ADD COLUMN y int;
	SQL
	wr "$D/4_rows.sql" <<-'SQL'
		-- migrate:up
		INSERT INTO log VALUES ('4');
	SQL
}
check_race() { # MODE
	is "$CODES" "0 0 0 0 0 0 0 0 " "$1: 8 runners at once all exit 0"
	[ "$CODES" = "0 0 0 0 0 0 0 0 " ] || diag "$(tail -n +1 "$tmp"/err*)"
	is "$(sql "SELECT GROUP_CONCAT(CONCAT(version, 'x', n) ORDER BY version) FROM (SELECT version, COUNT(*) n FROM schema_migrations GROUP BY version) s")" \
		"1x1,2x1,3x1,4x1" "... every migration recorded once"
	is "$(sql "SELECT GROUP_CONCAT(CONCAT(v, 'x', n) ORDER BY v) FROM (SELECT v, COUNT(*) n FROM log GROUP BY v) s")|$(sql "SELECT COUNT(*) FROM r1")" \
		"1x1,2x1,3x1,4x1|1" "... and its side effects happened once"
	is "$(cat "$tmp"/out* | grep -c '^applied ')" 4 "... four 'applied' lines across the runners"
	is "$(lock_free)" 1 "... the GET_LOCK is free at the end"
}
newdb race
race_files
race
check_race "GET_LOCK"
newdb race_table
race_files
race --lock=table
check_race "--lock=table"
is "$(sql "SELECT COUNT(*) FROM schema_migrations_lock")" 0 "... and the lease row is gone"
# an advisory runner and a lease runner exclude each other too
newdb race_mixed
race_files
pids=()
for i in 1 2 3 4; do
	"$DBCTL" --url "$U" migrate up -d "$D" --lock-timeout 60 --lock=table >"$tmp/out$i" 2>"$tmp/err$i" &
	pids+=($!)
	"$DBCTL" --url "$U" migrate up -d "$D" --lock-timeout 60 >"$tmp/out$((i + 4))" 2>"$tmp/err$((i + 4))" &
	pids+=($!)
done
CODES=
for pid in "${pids[@]}"; do
	wait "$pid"
	CODES+="$? "
done
check_race "advisory and lease runners mixed"

# --- a migration that releases the lock stops the runner ---------------------------------
newdb rel_ddl
printf -- '-- migrate:up\nCREATE TABLE a (id int);\nDO RELEASE_ALL_LOCKS();\n' | wr "$D/1_ddl.sql"
printf -- '-- migrate:up\nCREATE TABLE b (id int);\n' | wr "$D/2_next.sql"
expect_exit 1 "a DDL migration that runs RELEASE_ALL_LOCKS(): exit 1" -- "$DBCTL" --url "$U" migrate up -d "$D"
like "$ERR" "migration 1 is applied and recorded, but.*the migration lock was released .*RELEASE_ALL_LOCKS" \
	"... says it is applied but the lock was released"
is "$(sql "SELECT GROUP_CONCAT(version) FROM schema_migrations")|$(sql "SHOW TABLES LIKE 'b'")" "1|" "... and stops before the next one"
newdb release_tx
printf -- '-- migrate:up\nCREATE TABLE a (id int);\n' | wr "$D/1_ddl.sql"
printf -- '-- migrate:up\nINSERT INTO a VALUES (1);\nDO RELEASE_LOCK('"'"'dbctl:release_tx.schema_migrations'"'"');\n' | wr "$D/2_rows.sql"
printf -- '-- migrate:up\nINSERT INTO a VALUES (3);\n' | wr "$D/3_rows.sql"
expect_exit 1 "an atomic migration that runs RELEASE_LOCK(): the next one is not started" -- "$DBCTL" --url "$U" migrate up -d "$D"
like "$ERR" "the migration lock was released on this runner's own server session before .*3_rows.sql" "... found before it"
is "$(sql "SELECT GROUP_CONCAT(id) FROM a")" 1 "... which did not run"

# --- a runner killed mid-migration: its lock goes with its connection -------------------
newdb killed
wr "$D/1_log.sql" <<'SQL'
-- migrate:up
CREATE TABLE log (v int) ENGINE=InnoDB;
SQL
wr "$D/2_slow.sql" <<'SQL'
-- migrate:up
INSERT INTO log VALUES (2);
SELECT SLEEP(2);
INSERT INTO log VALUES (3);
SQL
"$DBCTL" --url "$U" migrate up -d "$D" >/dev/null 2>&1 &
pid=$!
mariadb_wait_running "SELECT SLEEP(2)"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
is "$(lock_free)" 0 "killed mid-migration (SIGKILL): the server still runs its statement, with the lock"
expect_exit 0 "the next up waits for the orphaned statement, then proceeds" -- \
	"$DBCTL" --url "$U" migrate up -d "$D" --lock-timeout 20
like "$ERR" "another migrate holds the lock; waiting" "... it waited for the lock"
like "$OUT" "applied 2_slow" "... and applied the migration"
is "$(sql "SELECT GROUP_CONCAT(v ORDER BY v) FROM log")" "2,3" "... once: the killed runner's part was rolled back with its connection"
is "$(lock_free)" 1 "... and the lock is free"

# --- a runner killed during a DDL migration: its row names the statement that ran -------
# DDL commits as it goes, so the row is written before each statement: the
# next up neither runs statement 1 again nor claims to know about statement 2
newdb killed_ddl
wr "$D/1_ddl.sql" <<'SQL'
-- migrate:up
CREATE TABLE a (id int);
CREATE TABLE b ENGINE=InnoDB AS SELECT SLEEP(2) AS s;
CREATE TABLE c (id int);
SQL
"$DBCTL" --url "$U" migrate up -d "$D" >/dev/null 2>&1 &
pid=$!
mariadb_wait_running "CREATE TABLE b"
is "$(sql "SELECT CONCAT(failed_statement, ':', error) FROM schema_migrations")" \
	"1:running, or its runner stopped during it: whether it applied is unknown" \
	"a DDL migration in flight: its row says statement 2 is running"
# A2: its runner holds the lock: running, not failed
expect_exit 4 "... status says it is running (exit 4), not failed" -- "$DBCTL" --url "$U" migrate status -d "$D"
like "$OUT" "1 +running .*running \(another runner holds the lock\): at statement 2" "... in its words"
unlike "$OUT" "failed" "... not failed"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
mariadb_wait_gone() { local i; for i in $(seq 100); do [ "$(mariadb_sql "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE '$1%'")" = 0 ] && return 0; sleep 0.1; done; return 1; }
mariadb_wait_gone "CREATE TABLE b"
expect_exit 1 "once no runner holds the lock, status says it stopped there" -- "$DBCTL" --url "$U" migrate status -d "$D"
like "$OUT" "stopped at statement 2: running, or its runner stopped during it" "... in its words"
is "$(sql "SHOW TABLES" | tr '\n' ' ')" "a b schema_migrations " "SIGKILLed during statement 2: the server finished it (DDL commits as it goes)"
expect_exit 1 "the next up runs statement 2 again, not statement 1" -- "$DBCTL" --url "$U" migrate up -d "$D"
like "$ERR" "1_ddl.sql:3:1: .*Table 'b' already exists" "... which fails, as it did apply"
like "$ERR" "statement 2 was running when an earlier runner stopped, and may have applied then" "... and the hint says why"
like "$(sql "SELECT CONCAT(failed_statement, ':', error) FROM schema_migrations")" "^1:.*Table 'b' already exists" \
	"... recorded as failed at statement 2"
sed -i 's/^CREATE TABLE b .*/CREATE TABLE IF NOT EXISTS b (s int);/' "$D/1_ddl.sql"
expect_exit 0 "the fixed file resumes at statement 2" -- "$DBCTL" --url "$U" migrate up -d "$D"
is "$(sql "SHOW TABLES" | tr '\n' ' ')|$(sql "SELECT CONCAT(version, ':', IFNULL(failed_statement, '-'), ':', IFNULL(error, '-')) FROM schema_migrations")" \
	"a b c schema_migrations |1:-:-" "... applied and recorded, statement 1 not run twice"
# a runner cut off between statements leaves the next one to start there
newdb lost_ddl
wr "$D/1_ddl.sql" <<'SQL'
-- migrate:up
CREATE TABLE a (id int);
CREATE TABLE b ENGINE=InnoDB AS SELECT SLEEP(5) AS s;
CREATE TABLE c (id int);
SQL
"$DBCTL" --url "$U" migrate up -d "$D" >lost.out 2>lost.err &
pid=$!
mariadb_wait_running "CREATE TABLE b"
mariadb_sql "KILL $(mariadb_sql "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'CREATE TABLE b%' LIMIT 1")"
wait "$pid"
is "$?" 2 "the runner's connection killed during statement 2: exit 2"
like "$(cat lost.err)" "its tracking row says statement 2 was running, so whether it applied is unknown: the next 'migrate up' runs it again, not the ones before it" \
	"... the hint says what the next up does"
expect_exit 0 "... which it does: statement 2 had not applied" -- "$DBCTL" --url "$U" migrate up -d "$D"
is "$(sql "SHOW TABLES" | tr '\n' ' ')|$(sql "SELECT IFNULL(failed_statement, 'applied') FROM schema_migrations")" \
	"a b c schema_migrations |applied" "... all three tables, recorded as applied"

# --- baseline: a database that has the schema already ---------------------------------------
newdb baseline
sql "CREATE TABLE t (id int PRIMARY KEY, v varchar(20)) ENGINE=InnoDB"
cp "$tmp/basic/"*.sql "$D/"
expect_exit 0 "baseline 20260101000001: recorded, not run" -- "$DBCTL" --url "$U" migrate baseline 20260101000001 -d "$D"
like "$OUT" "baseline 20260101000001: 1 migration recorded as applied, none run" "... says so"
is "$(sql "SELECT CONCAT(version, ':', note, ':', LENGTH(checksum)) FROM schema_migrations")|$(sql "SHOW INDEX FROM t WHERE Key_name = 't_v'")" \
	"20260101000001:baseline:64|" "... its row says baseline, with its checksum; its CREATE INDEX did not run"
expect_exit 0 "up applies the rest" -- "$DBCTL" --url "$U" migrate up -d "$D"
unlike "$OUT" "applied 20260101000001" "... not the baselined one"
expect_exit 1 "baseline again: refused, rows are recorded" -- "$DBCTL" --url "$U" migrate baseline 20260101000001 -d "$D"
like "$ERR" "already records [0-9]+ migrations: a baseline is for a database that records none" "... says why"
is "$(lock_free)" 1 "... and the GET_LOCK is released"

# --- adoption: dbmate, golang-migrate, goose ----------------------------------------------
newdb dbmate
sql "CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY); CREATE TABLE t (id int);
	INSERT INTO schema_migrations VALUES ('20260101000001')"
printf -- '-- migrate:up\nCREATE TABLE t (id int);\n-- migrate:down\nDROP TABLE t;\n' | wr "$D/20260101000001_t.sql"
printf -- '-- migrate:up\nINSERT INTO t VALUES (7);\n' | wr "$D/20260101000002_row.sql"
expect_exit 4 "dbmate's table: status reads it" -- "$DBCTL" --url "$U" migrate status -d "$D"
like "$OUT" "1 applied, 1 pending" "... its version is applied, the next pending"
expect_exit 0 "up applies only the pending one" -- "$DBCTL" --url "$U" migrate up -d "$D"
is "$(sql "SELECT GROUP_CONCAT(id) FROM t")" 7 "... (CREATE TABLE t did not run again)"
is "$(sql "SELECT COUNT(*) FROM schema_migrations WHERE checksum IS NOT NULL")|$(sql "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '$DB' AND TABLE_NAME = 'schema_migrations'")" \
	"2|10" "... dbctl's columns were added and the adopted row got its checksum"
expect_exit 0 "status: up to date" -- "$DBCTL" --url "$U" migrate status -d "$D"

newdb golang
sql "CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);
	INSERT INTO schema_migrations VALUES (2, 0); CREATE TABLE g (id int)"
printf 'CREATE TABLE g (id int);\n' | wr "$D/1_g.up.sql"
printf 'INSERT INTO g VALUES (2);\n' | wr "$D/2_g.up.sql"
printf 'INSERT INTO g VALUES (3);\n' | wr "$D/3_g.up.sql"
expect_exit 4 "golang-migrate's (version, dirty): status reads it" -- "$DBCTL" --url "$U" migrate status -d "$D"
like "$OUT" "2 applied, 1 pending" "... every version up to 2 applied"
expect_exit 0 "up applies only 3" -- "$DBCTL" --url "$U" migrate up -d "$D"
is "$(sql "SELECT GROUP_CONCAT(id) FROM g")" 3 "... (1 and 2 did not run again)"
is "$(sql "SELECT GROUP_CONCAT(version ORDER BY version) FROM schema_migrations")|$(sql "SELECT CONCAT(version, ':', dirty) FROM schema_migrations_golang_migrate")" \
	"1,2,3|2:0" "... dbctl's table has a row per version; golang-migrate's is kept aside"
# an adoption that stopped before its swap left dbctl's half-filled table: the next one starts it over
newdb golang_left
sql "CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);
	INSERT INTO schema_migrations VALUES (2, 0); CREATE TABLE g (id int);
	CREATE TABLE schema_migrations_dbctl_adopting (version varchar(128) PRIMARY KEY); INSERT INTO schema_migrations_dbctl_adopting VALUES ('1')"
cp "$tmp/golang/"*.sql "$D/"
expect_exit 0 "golang-migrate's table beside a stopped adoption's leftover: up" -- "$DBCTL" --url "$U" migrate up -d "$D"
is "$(sql "SELECT GROUP_CONCAT(version ORDER BY version) FROM schema_migrations")|$(sql "SELECT GROUP_CONCAT(id) FROM g")|$(sql "SHOW TABLES LIKE '%adopting'")" \
	"1,2,3|3|" "... adopts it, applies only 3, and leaves no half-filled table"
newdb golang_dry
sql "CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);
	INSERT INTO schema_migrations VALUES (2, 0); CREATE TABLE g (id int)"
cp "$tmp/golang/"*.sql "$D/"
expect_exit 0 "golang-migrate's table and a dry run" -- "$DBCTL" --url "$U" migrate up --dry-run -d "$D"
like "$OUT" "creates or adopts the tracking table first, for real" "... says the adoption is for real (DDL commits)"
expect_exit 4 "... after which status still has 1 and 2 applied (the dry run's ROLLBACK did not lose the adopted rows)" -- \
	"$DBCTL" --url "$U" migrate status -d "$D"
like "$OUT" "2 applied, 1 pending" "... 2 applied, 1 pending"
is "$(sql "SELECT COUNT(*) FROM g")" 0 "... and the dry run applied nothing"
newdb golang_dirty
sql "CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);
	INSERT INTO schema_migrations VALUES (1, 1)"
cp "$tmp/golang/"*.sql "$D/"
expect_exit 1 "golang-migrate's dirty row: up refuses" -- "$DBCTL" --url "$U" migrate up -d "$D"
like "$ERR" "golang-migrate marked version 1 dirty" "... and says so"
is "$(sql "SHOW TABLES LIKE 'g'")" "" "... nothing ran"

newdb goose
sql "CREATE TABLE goose_db_version (id bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, version_id bigint NOT NULL,
	is_applied boolean NOT NULL, tstamp timestamp NULL DEFAULT now());
	INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1), (1, 1), (2, 1), (2, 0), (2, 1), (3, 1), (3, 0);
	CREATE TABLE k (id int)"
printf -- '-- +goose Up\nCREATE TABLE k (id int);\n' | wr "$D/00001_k.sql"
printf -- '-- +goose Up\nINSERT INTO k VALUES (2);\n' | wr "$D/00002_k.sql"
printf -- '-- +goose Up\nINSERT INTO k VALUES (3);\n' | wr "$D/00003_k.sql"
# the README's recipe, MySQL form: goose's applied versions into a dbmate-style table
sql "CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY);
	INSERT INTO schema_migrations (version) SELECT CAST(version_id AS CHAR) FROM goose_db_version g
	 WHERE version_id > 0 AND is_applied AND id = (SELECT MAX(id) FROM goose_db_version WHERE version_id = g.version_id)"
expect_exit 4 "goose's goose_db_version, through the README's recipe: status" -- "$DBCTL" --url "$U" migrate status -d "$D"
like "$OUT" "2 applied, 1 pending" "... 1 and 2 applied, 3 (rolled back by goose) pending"
expect_exit 0 "up applies only 3" -- "$DBCTL" --url "$U" migrate up -d "$D"
is "$(sql "SELECT GROUP_CONCAT(id) FROM k")" 3 "... once"

# goose's table read directly; an adoption that fails part way (its CREATE
# TABLE committed) must not leave an empty table of dbctl's hiding goose's rows
newdb goose_direct
sql "CREATE TABLE goose_db_version (id bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, version_id bigint NOT NULL,
	is_applied boolean NOT NULL, tstamp timestamp NULL DEFAULT now()) ENGINE=InnoDB;
	INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1), (1, 1), (2, 1);
	CREATE TABLE log (n int)"
for v in 1 2 3; do printf -- "-- +goose Up\nINSERT INTO log VALUES ($v);\n" | wr "$D/0000${v}_log.sql"; done
mariadb_sql "USE $DB; BEGIN; SELECT * FROM goose_db_version FOR UPDATE; SELECT SLEEP(30)" >/dev/null 2>&1 &
holder=$!
mariadb_wait_running "SELECT SLEEP(30)"
expect_exit 1 "goose adoption while goose's rows are locked: the copy times out" -- \
	"$DBCTL" --url "$U" -o lock_timeout=1000 migrate up -d "$D"
like "$ERR" "adopting goose's goose_db_version failed" "... says so"
mariadb_sql "KILL $(mariadb_sql "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(30)%' LIMIT 1")"
wait "$holder" 2>/dev/null
holder=
expect_exit 4 "status after it: goose's versions still applied" -- "$DBCTL" --url "$U" migrate status -d "$D"
like "$OUT" "2 applied, 1 pending" "... 1 and 2 applied, not pending again"
expect_exit 0 "up then adopts and applies only 3" -- "$DBCTL" --url "$U" migrate up -d "$D"
is "$(sql "SELECT GROUP_CONCAT(n ORDER BY n) FROM log")|$(sql "SELECT GROUP_CONCAT(version ORDER BY version) FROM schema_migrations")" \
	"3|1,2,3" "... 1 and 2 not run again, all three recorded"
is "$(sql "SHOW TABLES LIKE 'schema_migrations_dbctl_adopting'")" "" "... and no table left aside"

# --- repeatable migrations: DDL commits implicitly, so one runs without a transaction --------
newdb repeatable
printf -- 'CREATE TABLE IF NOT EXISTS runs (n int);\nINSERT INTO runs VALUES (1);\nSELECT nope FROM runs;\n' | wr "$D/R__w.sql"
expect_exit 1 "a repeatable with DDL failing at statement 3" -- "$DBCTL" --url "$U" migrate up -d "$D"
like "$ERR" "warning: R__w runs without a transaction" "... the warning names it R__w"
like "$ERR" "runs it again from statement 1" "... and says its next run starts at statement 1"
unlike "$ERR" "R__w_w|resume at statement 3" "... not that it resumes at statement 3"
printf -- 'CREATE TABLE IF NOT EXISTS runs (n int);\nINSERT INTO runs VALUES (2);\n' | wr "$D/R__w.sql"
expect_exit 0 "fixed: up" -- "$DBCTL" --url "$U" migrate up -d "$D"
is "$(sql "SELECT sum(n) FROM runs" | tail -1)" 3 "... it ran from statement 1 (the first run's INSERT stayed)"
is "$(sql "SELECT CONCAT(version, ':', failed_statement IS NULL) FROM schema_migrations" | tail -1)" "R__w:1" \
	"... its row says applied"

# --- no password in any output ----------------------------------------------------------
newdb secrets
cp "$tmp/basic/"*.sql "$D/"
printf -- '-- migrate:up\nINSERT INTO nowhere VALUES (1);\n' | wr "$D/20260101000003_bad.sql"
enc=${TEST_MYSQL_URL#mysql://app:}
enc=${enc%%@127.0.0.1*}
all=
for args in "migrate up --echo" "--json migrate up" "migrate status" "--json migrate status" "migrate down --echo" \
	"--json migrate up --dry-run" "migrate up --echo --lock=table" "--json migrate down --lock=table"; do
	# shellcheck disable=SC2086
	run_cmd "$DBCTL" --url "$U" $args -d "$D"
	all+="$OUT$ERR"
done
run_cmd "$DBCTL" --url "${U/@127.0.0.1/x@127.0.0.1}" migrate up --echo -d "$D"
is "$RC" 1 "a wrong password: exit 1"
all+="$OUT$ERR"
like "$all" "nowhere" "the outputs include the failing migration's error"
[[ $all != *"$TEST_MYSQL_APP_PASSWORD"* && $all != *p@ss* ]]
ok $? "... and no password, raw"
[[ $all != *"$enc"* ]]
ok $? "... or percent-encoded"

# --- Redis has no migrate -----------------------------------------------------------------
if [ -n "${TEST_REDIS_URL:-}" ]; then
	expect_exit 3 "Redis: migrate is refused" -- "$DBCTL" --url "$TEST_REDIS_URL" migrate up -d "$D"
	like "$ERR" "migrate is not supported for Redis" "... with its reason"
fi

# d7c244a on MySQL: a transaction:false section's own BEGIN or LOCK TABLES.
# No progress row is written inside them (under LOCK TABLES the tracking
# table is not locked, so a row would fail; inside BEGIN it would join the
# section's transaction); a section that leaves a transaction open fails,
# rolled back, its row at the statement that opened it.
newdb own_trx
sql "CREATE TABLE steps (n int) ENGINE=InnoDB"
steps() { sql "SELECT COALESCE(GROUP_CONCAT(n ORDER BY n), '-') FROM steps"; }
row() { sql "SELECT CONCAT(version, ':', IFNULL(failed_statement, '-')) FROM schema_migrations WHERE version = '$1'"; }
printf -- "-- migrate:up transaction:false\nINSERT INTO steps (n) VALUES (21);\nBEGIN;\nINSERT INTO steps (n) VALUES (22);\nSELECT nosuch FROM steps;\nCOMMIT;\n" |
	wr "$D/1_own.sql"
expect_exit 1 "a failure inside a transaction:false section's own BEGIN" -- "$DBCTL" --url "$U" migrate up -d "$D"
like "$ERR" "1_own.sql:5:1: .*Unknown column 'nosuch'" "... the statement's error"
like "$ERR" "statement 1 stayed applied, statements 2 to 3 rolled back with the transaction the section opened" \
	"... says what stayed"
is "$(steps)|$(row 1)" "21|1:1" "... true: 22 is gone, the row says it stopped at the BEGIN (statement 2)"
sed -i 's/^SELECT nosuch FROM steps;$/SELECT n FROM steps;/' "$D/1_own.sql"
expect_exit 0 "... the fixed file resumes at the BEGIN" -- "$DBCTL" --url "$U" migrate up -d "$D"
is "$(steps)|$(row 1)" "21,22|1:-" "... 21 not run twice, recorded as applied"
printf -- "-- migrate:up transaction:false\nINSERT INTO steps (n) VALUES (31);\nLOCK TABLES steps WRITE;\nINSERT INTO steps (n) VALUES (32);\nUNLOCK TABLES;\nINSERT INTO steps (n) VALUES (33);\n" |
	wr "$D/2_lock.sql"
expect_exit 0 "LOCK TABLES ... UNLOCK TABLES in a transaction:false section: no progress row in between" -- \
	"$DBCTL" --url "$U" migrate up -d "$D"
is "$(steps)|$(row 2)" "21,22,31,32,33|2:-" "... every statement ran, recorded as applied"
printf -- "-- migrate:up transaction:false\nINSERT INTO steps (n) VALUES (41);\nBEGIN;\nINSERT INTO steps (n) VALUES (42);\n" |
	wr "$D/3_open.sql"
expect_exit 1 "a section that leaves its BEGIN open fails" -- "$DBCTL" --url "$U" migrate up -d "$D"
like "$ERR" "migration 3 left a transaction open at the end of its transaction:false section" "... says so"
is "$(steps)|$(row 3)" "21,22,31,32,33,41|3:1" "... rolled back: 42 is gone, the row at the BEGIN (statement 2)"
rm "$D/3_open.sql"
sql "DELETE FROM schema_migrations WHERE version = '3'"
# without transaction:false the section runs in a transaction, where DDL
# and BEGIN are refused before anything runs (a DDL-only file runs outside one)
printf -- "-- migrate:up\nCREATE TABLE t4 (id int);\nBEGIN;\nINSERT INTO steps (n) VALUES (43);\nCOMMIT;\n" | wr "$D/4_ddl.sql"
expect_exit 3 "DDL with a BEGIN, not marked transaction:false: refused" -- "$DBCTL" --url "$U" migrate up -d "$D"
like "$ERR" "4_ddl.sql:2:1: CREATE TABLE commits implicitly" "... at FILE:LINE:COL"
like "$ERR" "hint: mark the section '-- migrate:up transaction:false'" "... with the hint"
is "$(steps)|$(sql "SHOW TABLES LIKE 't4'")" "21,22,31,32,33,41|" "... nothing ran"

done_testing
