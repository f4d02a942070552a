#!/bin/bash
# dbctl migrate: the tracking table under hostile migrations and faults. A
# migration's own SET search_path does not move it; versions of any length;
# transaction:false down sections that stop part way; invalid indexes left by
# an interrupted CREATE INDEX CONCURRENTLY; interrupts and lost connections
# inside transaction:false sections (what is recorded, what the hint says);
# tracking-table errors that name the migration; a missing directory; status
# output details.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/servers.sh"
. "$(dirname "$0")/../lib/migrate.sh"
[ -n "${TEST_PG_SUPER_URL:-}" ] || skip_all "no test servers (run me through tests/run)"

tmp=$(mktemp -d "$TEST_TMP/migtrack.XXXXXX")
cd "$tmp" || exit 1
runner=
trap '[ -n "$runner" ] && kill -KILL "$runner" 2>/dev/null; mig_cleanup; rm -rf "$tmp"' EXIT

# waits until a backend of $DB runs a query matching $1 (up to 10 s)
wait_for_query() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
			AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE '%$1%'")" -gt 0 ] && return 0
		sleep 0.05
	done
	return 1
}

# --- 11: the tracking table is schema-qualified once, before anything runs ------
newdb track_sp
d=$tmp/sp
printf -- "-- migrate:up\nSELECT pg_catalog.set_config('search_path', '', false);\nCREATE TABLE public.a (id int);\n" |
	wr "$d/1_pgdump.sql"
expect_exit 0 "pg_dump's set_config('search_path', '', false) in a migration: applied" -- \
	"${dbctl[@]}" migrate up -d "$d"
is "$(q "SELECT string_agg(version, ',') FROM public.schema_migrations")" 1 "... its row is in public.schema_migrations"
q "CREATE SCHEMA tenant; CREATE TABLE tenant.schema_migrations (version varchar(128) PRIMARY KEY, name text,
   checksum text, checksum_algorithm text, applied_at timestamptz DEFAULT now(), duration_ms bigint,
   failed_statement integer, error text)" >/dev/null
printf -- "-- migrate:up\nSET search_path TO tenant;\nCREATE TABLE tenant.items (id int);\nINSERT INTO tenant.items VALUES (1);\n" |
	wr "$d/2_tenant.sql"
printf -- "-- migrate:up\nCREATE TABLE after3 (id int);\n" | wr "$d/3_after.sql"
expect_exit 0 "a migration that sets search_path to a schema with its own schema_migrations" -- \
	"${dbctl[@]}" migrate up -d "$d"
is "$(q "SELECT string_agg(version, ',' ORDER BY version) FROM public.schema_migrations")" "1,2,3" \
	"... every row went to public.schema_migrations"
is "$(q "SELECT count(*) FROM tenant.schema_migrations")" 0 "... none to tenant.schema_migrations"
is "$(q "SELECT to_regclass('tenant.after3') IS NULL AND to_regclass('public.after3') IS NULL")" f \
	"... (migration 3 ran after 2 on the same session)"
expect_exit 0 "status: everything applied" -- "${dbctl[@]}" migrate status -d "$d"
expect_exit 0 "the next up: nothing to do" -- "${dbctl[@]}" migrate up -d "$d"
is "$OUT" "nothing to do: up to date" "... says so"
is "$(q "SELECT count(*) FROM tenant.items")" 1 "... migration 2 did not run again"
# the schema is the current one at connect time, also with -o search_path
newdb track_sp2
q "CREATE SCHEMA ops" >/dev/null
printf -- "-- migrate:up\nSET search_path TO public;\nCREATE TABLE t1 (id int);\n" | wr "$tmp/sp2/1_a.sql"
expect_exit 0 "-o search_path=ops: the tracking table goes to ops" -- \
	"${dbctl[@]}" -o search_path=ops migrate up -d "$tmp/sp2"
is "$(q "SELECT count(*) FROM ops.schema_migrations")|$(q "SELECT to_regclass('public.schema_migrations') IS NULL")" \
	"1|t" "... and stays there although the migration set search_path to public"
expect_exit 0 "... status with -o search_path=ops reads it" -- "${dbctl[@]}" -o search_path=ops migrate status -d "$tmp/sp2"
expect_exit 3 "a search_path naming no schema: exit 3" -- \
	"${dbctl[@]}" -o search_path=nosuch_schema migrate up -d "$tmp/sp2"
like "$ERR" "no schema for the tracking table schema_migrations" "... says why"

# --- 14: versions of any length ---------------------------------------------------
newdb track_long
d=$tmp/long
v64=$(printf '7%.0s' $(seq 64))
v130=$(printf '8%.0s' $(seq 130))
q "CREATE TABLE hits (n serial)" >/dev/null
printf -- "-- migrate:up transaction:false\nINSERT INTO hits DEFAULT VALUES;\n" | wr "$d/${v64}_hit.sql"
for i in 1 2 3; do
	expect_exit 0 "a 64-digit transaction:false version, up #$i" -- "${dbctl[@]}" migrate up -d "$d"
done
is "$(q "SELECT count(*) FROM hits")" 1 "... it ran once"
expect_exit 0 "... status: applied" -- "${dbctl[@]}" migrate status -d "$d"
like "$OUT" "^$v64 +applied" "... under its whole version"
printf -- "-- migrate:up\nINSERT INTO hits DEFAULT VALUES;\n" | wr "$d/${v130}_hit2.sql"
expect_exit 0 "a 130-digit version on a table dbctl created" -- "${dbctl[@]}" migrate up -d "$d"
is "$(q "SELECT max(length(version)) FROM schema_migrations")" 130 "... recorded whole"
is "$(q "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'schema_migrations'::regclass
	AND attname = 'version'")" text "... the version column is text"
newdb track_long_old
q "CREATE TABLE hits (n serial); CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY)" >/dev/null
printf -- "-- migrate:up\nINSERT INTO hits DEFAULT VALUES;\n" | wr "$tmp/long_old/1_a.sql"
printf -- "-- migrate:up\nINSERT INTO hits DEFAULT VALUES;\n" | wr "$tmp/long_old/${v130}_b.sql"
expect_exit 3 "a 130-digit version and an older varchar(128) table: exit 3" -- \
	"${dbctl[@]}" migrate up -d "$tmp/long_old"
like "$ERR" "${v130}_b.sql: version $v130 has 130 digits; the version column of the tracking table holds 128" \
	"... naming the file"
like "$ERR" 'hint: widen the column first: ALTER TABLE "public"."schema_migrations" ALTER COLUMN version TYPE text' \
	"... and how to widen it"
is "$(q "SELECT count(*) FROM hits")|$(versions)" "0|" "... before anything ran"
q 'ALTER TABLE "public"."schema_migrations" ALTER COLUMN version TYPE text' >/dev/null
expect_exit 0 "... after the hint's ALTER: applied" -- "${dbctl[@]}" migrate up -d "$tmp/long_old"
is "$(q "SELECT count(*) FROM hits")" 2 "... both ran"

# --- 12: a transaction:false down that stops part way -------------------------------
newdb track_down
d=$tmp/down
cat <<'EOF' | wr "$d/1_two.sql"
-- migrate:up
CREATE TABLE x1 (id int);
CREATE TABLE x2 (id int);
-- migrate:down transaction:false
DROP TABLE x1;
DROP TABLE nosuch_x3;
DROP TABLE x2;
EOF
expect_exit 0 "up" -- "${dbctl[@]}" migrate up -d "$d"
expect_exit 1 "a transaction:false down failing at statement 2: exit 1" -- "${dbctl[@]}" migrate down -d "$d"
like "$ERR" "1_two.sql:6:1: ERROR: table \"nosuch_x3\" does not exist" "... at its line"
like "$ERR" "hint: statement 1 ran and stayed applied \\(no transaction\\); migration 1 stays recorded, as failed in its down section" \
	"... the hint says what stayed applied"
like "$ERR" "'migrate down --retry' to resume at statement 2" "... and how to go on"
expect_exit 1 "status: failed, exit 1" -- "${dbctl[@]}" migrate status -d "$d"
like "$OUT" "^1 +failed +two .*down section stopped at statement 2: " "... in its down section"
expect_exit 1 "up refuses a half-reverted migration" -- "${dbctl[@]}" migrate up -d "$d"
like "$ERR" "migration 1 stopped in its down section at statement 2" "... saying why"
expect_exit 1 "down without --retry refuses" -- "${dbctl[@]}" migrate down -d "$d"
like "$ERR" "hint: fix the file or the database, then run 'migrate down --retry'" "... with the way on"
is "$(exists x2)" t "... nothing ran"
q "CREATE TABLE nosuch_x3 (id int)" >/dev/null
expect_exit 0 "down --retry resumes at statement 2" -- "${dbctl[@]}" migrate down --retry -d "$d"
is "$(exists x1)|$(exists x2)|$(exists nosuch_x3)|$(versions)" "f|f|f|" "... statement 1 not run again, the row deleted"
expect_exit 4 "... status: pending" -- "${dbctl[@]}" migrate status -d "$d"
expect_exit 0 "down --json --retry with nothing failed is an ordinary down" -- "${dbctl[@]}" migrate up -d "$d"
expect_exit 1 "down fails again" -- "${dbctl[@]}" migrate down -d "$d"
expect_exit 0 "accept keeps it applied" -- "${dbctl[@]}" migrate accept 1 -d "$d"
expect_exit 0 "... status: applied" -- "${dbctl[@]}" migrate status -d "$d"
expect_exit 0 "... --json: failed_section for failed rows only" -- "${dbctl[@]}" --json migrate status -d "$d"
is "$(json_field '"failed_section" in d["migrations"][0]' <<<"$OUT")" False "... (none here)"

# --- 13: CREATE INDEX CONCURRENTLY recorded only over a valid index ----------------
newdb track_cic
d=$tmp/cic
q "CREATE TABLE users (id int, email text); INSERT INTO users VALUES (1, 'a'), (2, 'a')" >/dev/null
# a unique build over duplicates fails and leaves the index INVALID, as an interrupted build does
q "CREATE UNIQUE INDEX CONCURRENTLY users_email_idx ON users (email)" >/dev/null
is "$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email_idx'::regclass")" f "an invalid index is left"
printf -- "-- migrate:up transaction:false\nSELECT 1;\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);\n" |
	wr "$d/1_idx.sql"
expect_exit 1 "CIC IF NOT EXISTS over an invalid index: exit 1" -- "${dbctl[@]}" migrate up -d "$d"
like "$ERR" '1_idx.sql:3: invalid index users_email_idx after CREATE INDEX CONCURRENTLY' "... names the index and the line"
like "$ERR" "DROP INDEX CONCURRENTLY users_email_idx" "... says to drop it"
unlike "$OUT" "applied 1_idx" "... not reported applied"
expect_exit 1 "status: failed (not applied)" -- "${dbctl[@]}" migrate status -d "$d"
like "$OUT" "failed +idx .*stopped at statement 2" "... at the CREATE INDEX"
q "DROP INDEX CONCURRENTLY users_email_idx" >/dev/null
q "DELETE FROM users WHERE id = 2" >/dev/null
expect_exit 0 "dropped, then up --retry builds it" -- "${dbctl[@]}" migrate up --retry -d "$d"
is "$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email_idx'::regclass")" t "... valid"
expect_exit 0 "... status: applied" -- "${dbctl[@]}" migrate status -d "$d"
# unnamed index: every invalid index of the table counts; REINDEX CONCURRENTLY's _ccnew too
q "INSERT INTO users VALUES (5, 'c'), (5, 'd')" >/dev/null
q "CREATE UNIQUE INDEX CONCURRENTLY users_id_ccnew ON users (id)" >/dev/null
is "$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_id_ccnew'::regclass")" f "an invalid _ccnew index is left"
printf -- "-- migrate:up transaction:false\nREINDEX TABLE CONCURRENTLY users;\n" | wr "$d/2_reindex.sql"
expect_exit 1 "an invalid _ccnew index after REINDEX CONCURRENTLY: exit 1" -- "${dbctl[@]}" migrate up -d "$d"
like "$ERR" "invalid index users_id_ccnew after REINDEX CONCURRENTLY" "... detected"
q "DROP INDEX users_id_ccnew" >/dev/null
expect_exit 0 "... dropped: up --retry" -- "${dbctl[@]}" migrate up --retry -d "$d"

# without IF NOT EXISTS the build fails on the name: the hint says it is an invalid index
q "INSERT INTO users VALUES (6, 'e'), (6, 'f')" >/dev/null
q "CREATE UNIQUE INDEX CONCURRENTLY users_id_idx ON users (id)" >/dev/null
printf -- "-- migrate:up transaction:false\nCREATE UNIQUE INDEX CONCURRENTLY users_id_idx ON users (id);\n" | wr "$d/3_id.sql"
expect_exit 1 "CIC without IF NOT EXISTS over an invalid index: exit 1" -- "${dbctl[@]}" migrate up -d "$d"
like "$ERR" 'relation "users_id_idx" already exists' "... the server's error"
like "$ERR" "hint: .*and it is an invalid index users_id_idx after CREATE INDEX CONCURRENTLY.*DROP INDEX CONCURRENTLY users_id_idx" \
	"... and the hint says it is an invalid index to drop"

# the real thing: a build interrupted by SIGINT (a cancelled CI job)
newdb track_cic2
d=$tmp/cic2
q "CREATE TABLE slowt (x int); INSERT INTO slowt SELECT generate_series(1, 4);
   CREATE FUNCTION slow(int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS \$\$ BEGIN PERFORM pg_sleep(0.5); RETURN \$1; END \$\$" >/dev/null
printf -- "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY IF NOT EXISTS slow_idx ON slowt ((slow(x)));\n" |
	wr "$d/1_idx.sql"
"${dbctl[@]}" migrate up -d "$d" >int.out 2>int.err &
runner=$!
wait_for_query "CREATE INDEX CONCURRENTLY" || diag "the build did not start"
sleep 0.3
kill -INT "$runner"
wait "$runner"
is "$?" 130 "SIGINT during CREATE INDEX CONCURRENTLY: exit 130"
runner=
is "$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = 'slow_idx'::regclass")" f "... the build left an invalid index"
expect_exit 4 "... nothing recorded: pending" -- "${dbctl[@]}" migrate status -d "$d"
expect_exit 1 "the next up: IF NOT EXISTS skips, and the invalid index stops it" -- "${dbctl[@]}" migrate up -d "$d"
like "$ERR" "invalid index slow_idx after CREATE INDEX CONCURRENTLY" "... naming it"
expect_exit 1 "... status: failed, not applied" -- "${dbctl[@]}" migrate status -d "$d"
q "DROP INDEX CONCURRENTLY slow_idx" >/dev/null
expect_exit 0 "dropped: up --retry builds it" -- "${dbctl[@]}" migrate up --retry -d "$d"
is "$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = 'slow_idx'::regclass")" t "... valid"

# --- 17, 18: interrupts and lost connections inside transaction:false sections -----
newdb track_int
d=$tmp/int
q "CREATE TABLE steps (n int, at timestamptz DEFAULT clock_timestamp())" >/dev/null
printf -- "-- migrate:up transaction:false\nSELECT pg_sleep(30);\nINSERT INTO steps (n) VALUES (2);\n" | wr "$d/1_first.sql"
"${dbctl[@]}" migrate up -d "$d" >int.out 2>int.err &
runner=$!
wait_for_query "pg_sleep(30)" || diag "the migration did not start"
kill -INT "$runner"
wait "$runner"
is "$?" 130 "SIGINT during statement 1 of a transaction:false section: exit 130"
runner=
like "$(cat int.err)" "interrupted during statement 1 of this transaction:false section, which was cancelled; nothing was recorded, so the next 'migrate up' runs this section again from statement 1" \
	"... the hint says what the next up does"
expect_exit 4 "... nothing recorded: status says pending, not failed" -- "${dbctl[@]}" migrate status -d "$d"
rm "$d/1_first.sql"
printf -- "-- migrate:up transaction:false\nINSERT INTO steps (n) VALUES (1);\nSELECT pg_sleep(30);\nINSERT INTO steps (n) VALUES (3);\n" |
	wr "$d/1_multi.sql"
"${dbctl[@]}" migrate up -d "$d" >int.out 2>int.err &
runner=$!
wait_for_query "pg_sleep(30)" || diag "the migration did not start"
kill -TERM "$runner"
wait "$runner"
is "$?" 130 "SIGTERM during statement 2: exit 130"
runner=
like "$(cat int.err)" "interrupted during statement 2 of this transaction:false section, which was cancelled; statement 1 ran and stayed applied \\(no transaction\\); recorded as stopped at statement 2: 'migrate up --retry' resumes there" \
	"... the hint says what ran and what is recorded"
expect_exit 1 "... status: failed at statement 2" -- "${dbctl[@]}" migrate status -d "$d"
like "$OUT" "stopped at statement 2: " "... so"
sed -i 's/pg_sleep(30)/pg_sleep(0)/' "$d/1_multi.sql"
expect_exit 0 "... the fixed file resumes at statement 2" -- "${dbctl[@]}" migrate up -d "$d"
is "$(q "SELECT string_agg(n::text, ',' ORDER BY at) FROM steps")" "1,3" "... statement 1 did not run twice"
# a lost connection: the row written before statement 2 says it was running, and the next up starts there
printf -- "-- migrate:up transaction:false\nINSERT INTO steps (n) VALUES (11);\nSELECT pg_sleep(30);\nINSERT INTO steps (n) VALUES (13);\n" |
	wr "$d/2_lost.sql"
"${dbctl[@]}" migrate up -d "$d" >lost.out 2>lost.err &
runner=$!
wait_for_query "pg_sleep(30)" || diag "the migration did not start"
# A2: its row says statement 2 is running, and its runner holds the lock: running, not failed
expect_exit 4 "status while another runner is at statement 2: running (exit 4), not failed" -- \
	"${dbctl[@]}" migrate status -d "$d"
like "$OUT" "2 +running .*running \(another runner holds the lock\): at statement 2" "... says it is running"
unlike "$OUT" "failed" "... not failed"
"${dbctl[@]}" migrate status -d "$d" --json >st.json
is "$(python3 -c 'import json,sys; d=json.load(open("st.json")); print([m["state"] for m in d["migrations"] if m["version"]=="2"][0], d["counts"]["running"], d["counts"]["failed"])')" \
	"running 1 0" "... --json: state running, counted as running"
sq "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$DB' AND query LIKE '%pg_sleep(30)%'
    AND pid <> pg_backend_pid()" >/dev/null
wait "$runner"
is "$?" 2 "connection lost during statement 2: exit 2"
runner=
expect_exit 1 "... once no runner holds the lock, status says it stopped there" -- "${dbctl[@]}" migrate status -d "$d"
like "$OUT" "stopped at statement 2: running, or its runner stopped during it" "... in its words"
like "$(cat lost.err)" "the connection was lost during statement 2 of this transaction:false section \\(it may have completed on the server\\); statement 1 ran and stayed applied \\(no transaction\\); its tracking row says statement 2 was running, so whether it applied is unknown: the next 'migrate up' runs it again, not the ones before it" \
	"... the hint says what the next up does"
sed -i 's/pg_sleep(30)/pg_sleep(0)/' "$d/2_lost.sql"
expect_exit 0 "... and the next up does that" -- "${dbctl[@]}" migrate up -d "$d"
is "$(q "SELECT string_agg(n::text, ',' ORDER BY at) FROM steps WHERE n > 10")" "11,13" "... from statement 2: statement 1 did not run twice"

# a BEGIN inside a transaction:false section: a failure in it rolls it back, and the row says so
printf -- "-- migrate:up transaction:false\nINSERT INTO steps (n) VALUES (21);\nBEGIN;\nINSERT INTO steps (n) VALUES (22);\nSELECT 1/0;\nCOMMIT;\n" |
	wr "$d/4_own.sql"
expect_exit 1 "a failure inside the section's own BEGIN" -- "${dbctl[@]}" migrate up -d "$d"
like "$ERR" "statement 1 stayed applied, statements 2 to 3 rolled back with the transaction the section opened" "... says what stayed"
is "$(q "SELECT string_agg(n::text, ',' ORDER BY at) FROM steps WHERE n > 20")|$(q "SELECT failed_statement FROM schema_migrations WHERE version = '4'")" \
	"21|1" "... true: 22 is gone, the row says it stopped at the BEGIN (statement 2)"
printf -- "-- migrate:up transaction:false\nINSERT INTO steps (n) VALUES (21);\nBEGIN;\nINSERT INTO steps (n) VALUES (22);\nCOMMIT;\n" |
	wr "$d/4_own.sql"
expect_exit 0 "... the fixed file resumes at the BEGIN" -- "${dbctl[@]}" migrate up -d "$d"
is "$(q "SELECT string_agg(n::text, ',' ORDER BY at) FROM steps WHERE n > 20")" "21,22" "... 21 not run twice"
rm "$d/4_own.sql"
q "DELETE FROM schema_migrations WHERE version = '4'" >/dev/null

# an interrupted transaction:false down section follows the same rules
printf -- "-- migrate:up\nCREATE TABLE d1 (id int);\n-- migrate:down transaction:false\nSELECT pg_sleep(31);\nDROP TABLE d1;\n" |
	wr "$d/3_down.sql"
expect_exit 0 "up 3" -- "${dbctl[@]}" migrate up -d "$d"
"${dbctl[@]}" migrate down -d "$d" >int.out 2>int.err &
runner=$!
wait_for_query "pg_sleep(31)" || diag "the down did not start"
kill -INT "$runner"
wait "$runner"
is "$?" 130 "SIGINT during statement 1 of a transaction:false down section: exit 130"
runner=
like "$(cat int.err)" "interrupted during statement 1 of this transaction:false down section, which was cancelled; nothing was recorded, so the next 'migrate down' runs this down section again from statement 1" \
	"... the hint says what the next down does"
expect_exit 0 "... status: still applied" -- "${dbctl[@]}" migrate status -d "$d"
sed -i 's/pg_sleep(31)/pg_sleep(0)/' "$d/3_down.sql"
expect_exit 0 "... the next down reverts it" -- "${dbctl[@]}" migrate down -d "$d"
is "$(exists d1)" f "... so"

# --- 21: tracking-table errors name the migration and the step ---------------------
newdb track_err
d=$tmp/err
printf -- "-- migrate:up\nCREATE TABLE e1 (id int);\n" | wr "$d/1_first.sql"
printf -- "-- migrate:up transaction:false\nINSERT INTO schema_migrations (version) VALUES ('2');\n" | wr "$d/2_x.sql"
expect_exit 1 "PostgreSQL: the tracking row of 2 already exists when it is recorded" -- "${dbctl[@]}" migrate up -d "$d"
like "$ERR" "dbctl: recording the tracking row of 2_x failed: .*duplicate key value" "... names the migration and the step"
like "$ERR" "hint: another runner recorded migration 2 at the same time" "... and what it means"
# a rival's row appearing mid-section, as a runner on another lock would leave it: 3 writes the row of 4
# in its statement 1, and the row written before its statement 2 finds it
newdb track_err4
d4=$tmp/err4
printf -- "-- migrate:up transaction:false\nINSERT INTO schema_migrations (version) VALUES ('4');\nCREATE TABLE e4 (id int);\n" | wr "$d4/4_y.sql"
expect_exit 1 "PostgreSQL: the tracking row of 4 appears while 4 runs" -- "${dbctl[@]}" migrate up -d "$d4"
like "$ERR" "dbctl: .*4_y.sql: recording that statement 2 starts failed: .*duplicate key value" "... names the migration and the step"
like "$ERR" "hint: statement 1 ran and stayed applied \\(no transaction\\); another runner recorded migration 4 at the same time; this one stopped before statement 2" \
	"... and what it means"
is "$(exists e4)" f "... and statement 2 did not run"
sq_db() { "$TEST_PG_BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 -d "${TEST_PG_SUPER_URL%/*}/$DB" -c "$1"; }
newdb track_err2
printf -- "-- migrate:up\nCREATE TABLE e1 (id int);\nCREATE FUNCTION no3() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN IF NEW.version = '3' THEN RAISE EXCEPTION 'no row for 3'; END IF; RETURN NEW; END \$\$;\nCREATE TRIGGER no3 BEFORE INSERT ON schema_migrations FOR EACH ROW EXECUTE FUNCTION no3();\n" |
	wr "$tmp/err2/1_trigger.sql"
printf -- "-- migrate:up\nCREATE TABLE e3 (id int);\n" | wr "$tmp/err2/3_third.sql"
expect_exit 1 "PostgreSQL: a transactional migration whose tracking insert fails" -- \
	"${dbctl[@]}" migrate up -d "$tmp/err2"
like "$ERR" "dbctl: recording the tracking row of 3_third failed: .*no row for 3" "... names it"
is "$(exists e3)|$(versions)" "f|1" "... rolled back with it"
newdb track_err3
printf -- "-- migrate:up\nCREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c (pid int REFERENCES p DEFERRABLE INITIALLY DEFERRED);\nINSERT INTO c VALUES (5);\n" |
	wr "$tmp/err3/1_dfk.sql"
expect_exit 1 "PostgreSQL: a deferred constraint of the migration fails at COMMIT (sent with the tracking row)" -- \
	"${dbctl[@]}" migrate up -d "$tmp/err3"
like "$ERR" 'violates foreign key constraint "c_pid_fkey"' "... the constraint's error"
unlike "$ERR" "recording the tracking row" "... not blamed on the tracking row"
is "$(exists p)|$(versions)" "f|" "... nothing applied"
s=$tmp/err.db
expect_exit 1 "SQLite: the tracking row of 2 already exists when it is recorded" -- \
	"$DBCTL" --url "sqlite:///$s" migrate up -d "$d"
like "$ERR" "dbctl: recording the tracking row of 2_x failed: UNIQUE constraint failed" "... names the migration"
like "$ERR" "SQLite does not serialise transaction:false sections" "... and what it means"

# --- 20: a missing migrations directory is exit 3, whoever named it ---------------------
for args in "-d $tmp/nonexist" ""; do
	for sub in up status; do
		# shellcheck disable=SC2086
		expect_exit 3 "migrate $sub ${args:-(default ./migrations)} missing: exit 3" -- \
			"$DBCTL" --url sqlite::memory: migrate $sub $args
		like "$ERR" "cannot read migrations directory '.*': No such file or directory" "... says so"
		unlike "$OUT" "up to date" "... never 'up to date'"
	done
done

# --- 26: smaller items ------------------------------------------------------------------
newdb track_small
d=$tmp/small
printf -- "-- migrate:up\nCREATE TABLE s1 (id int);\n" | wr "$d/1_s1.sql"
printf -- "-- migrate:up\nCREATE TABLE s2 (id int);\n" | wr "$d/2_s2.sql"
q "CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);
   INSERT INTO schema_migrations VALUES (1, true)" >/dev/null
expect_exit 1 "golang-migrate dirty row: status exit 1" -- "${dbctl[@]}" migrate status -d "$d"
like "$OUT" "^1 +failed +s1 .*golang-migrate marked this version dirty" "... says dirty"
unlike "$OUT" "statement 0" "... and no 'statement 0'"
expect_exit 1 "... --json" -- "${dbctl[@]}" --json migrate status -d "$d"
is "$(json_field 'd["migrations"][0]["failed_statement"]' <<<"$OUT")" None "... failed_statement null"
q "DROP TABLE schema_migrations" >/dev/null
printf -- "-- migrate:up\nCREATE TABLE s2 (id int);\nSELECT nosuch;\n" | wr "$d/2_s2.sql"
expect_exit 1 "--single-transaction, the second migration fails" -- "${dbctl[@]}" migrate up --single-transaction -d "$d"
like "$OUT" "applied 1_s1" "... 1 was applied in the transaction"
like "$OUT" "ROLLBACK \\(--single-transaction: the migrations applied above were rolled back too; nothing was applied\\)" \
	"... and the output says it was rolled back"
is "$(versions)|$(exists s1)" "(no table)|f" "... so it was"
expect_exit 1 "... --json: applied 0" -- "${dbctl[@]}" --json migrate up --single-transaction -d "$d"
is "$(json_field 'd["applied"]' <<<"$OUT")" 0 "... applied 0"
expect_exit 3 "migrate to abc" -- "${dbctl[@]}" migrate to abc -d "$d"
like "$ERR" "migrate to: 'abc' is not a version" "... says what is wrong with it"
u=$tmp/utf
printf -- "-- migrate:up\nSELECT 1;\n" | wr "$u/1_plain_ascii_name.sql"
printf -- "-- migrate:up\nSELECT 1;\n" | wr "$u/2_ünïcødé_名前.sql"
expect_exit 4 "status with a non-ASCII name" -- "$DBCTL" --url "sqlite:///$tmp/utf.db" migrate status -d "$u"
is "$(/usr/bin/python3 -c '
import sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in s)
print(sorted({width(l) for l in sys.stdin.read().splitlines()[:2]}).__len__())' <<<"$OUT")" 1 \
	"... its columns line up (both lines the same display width)"

done_testing
