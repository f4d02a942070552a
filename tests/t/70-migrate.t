#!/bin/bash
# dbctl migrate against real servers: the three file formats, status and its
# exit codes, bad files refused before anything runs, failures that leave
# nothing dirty, transaction:false sections that resume, drift, out-of-order
# files, dry runs, adoption of dbmate and golang-migrate tables, and SQLite.
# Each scenario has its own PostgreSQL database (see tests/lib/migrate.sh).
# Concurrency and failure modes are in 71-migrate-race.t, the corpus in 72.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/servers.sh"
. "$(dirname "$0")/../lib/migrate.sh"
[ -n "${TEST_PG_SUPER_URL:-}" ] || skip_all "no test servers (run me through tests/run)"

tmp=$(mktemp -d "$TEST_TMP/migrate.XXXXXX")
cd "$tmp" || exit 1
trap 'mig_cleanup; rm -rf "$tmp"' EXIT
closed_url="postgresql://app@127.0.0.1:1/app"
mkdir empty

# --- usage: exit 3 before connecting -------------------------------------------
expect_exit 0 "migrate up --help" -- "$DBCTL" migrate up --help
like "$OUT" "--dry-run.*--lock-timeout.*--single-transaction.*--on-drift.*--out-of-order.*--retry" "... lists its options"
for sub in down redo to status new accept; do
	expect_exit 0 "migrate $sub --help" -- "$DBCTL" migrate "$sub" --help
done
expect_exit 0 "help lists the migrate commands" -- "$DBCTL" help
like "$OUT" "migrate up.*migrate down.*migrate redo.*migrate to.*migrate status.*migrate new.*migrate accept" "... all seven"
like "$OUT" "4 migrations pending" "... and exit code 4"
usage_cases=(
	"migrate"
	"migrate nosuch"
	"migrate up extra"
	"migrate to"
	"migrate to abc"
	"migrate to 1 2"
	"migrate down 0"
	"migrate down x"
	"migrate accept"
	"migrate up --on-drift=maybe"
	"migrate up --out-of-order=x"
	"migrate up --lock-timeout abc"
	"migrate up --lock=bogus"
	"migrate up --nope"
	"migrate status --dry-run"
	"migrate new"
	"migrate new bad/name"
)
for args in "${usage_cases[@]}"; do
	# shellcheck disable=SC2086 # word splitting is the point
	expect_exit 3 "usage error: dbctl $args" -- "$DBCTL" --url "$closed_url" $args -d empty
	unlike "$ERR" "migrations directory" "... for its own reason"
done
expect_exit 3 "migrate to a version no file has" -- "$DBCTL" --url "$closed_url" migrate to 42 -d empty
like "$ERR" "no migration file has version 42" "... says so"
expect_exit 3 "usage errors with --json" -- "$DBCTL" --url "$closed_url" --json migrate down x -d empty
is "$(json_field 'd["exit"], d["error"]["message"]' <<<"$OUT")" "(3, \"migrate down expects a number of migrations, got 'x'\")" "... are JSON too"

# --- Redis: not supported ------------------------------------------------------
for sub in up status "down 1" "to 0" redo "accept 1"; do
	# shellcheck disable=SC2086
	expect_exit 3 "Redis: migrate $sub is exit 3" -- "$DBCTL" --url "$TEST_REDIS_URL" migrate $sub -d empty
	like "$ERR" "migrate is not supported for Redis" "... not supported"
done
expect_exit 3 "Redis with --json" -- "$DBCTL" --url "$TEST_REDIS_URL" --json migrate up -d empty
is "$(json_field 'd["error"]["message"]' <<<"$OUT")" "migrate is not supported for Redis" "... the message in JSON"

# --- migrate new -----------------------------------------------------------------
expect_exit 0 "migrate new NAME" -- "$DBCTL" migrate new add_users -d newdir
like "$OUT" "^newdir/[0-9]{14}_add_users\.sql$" "prints newdir/TIMESTAMP_NAME.sql"
new_file=$OUT
[ -f "$new_file" ]; ok $? "... and creates it"
like "$(cat "$new_file")" "^-- migrate:up
.*-- migrate:down" "... with an up and a down marker"
stamp=$(basename "$new_file" | cut -c1-14)
stamp_epoch=$(date -u -d "${stamp:0:8} ${stamp:8:2}:${stamp:10:2}:${stamp:12:2}" +%s)
cmp_ok "$(($(date +%s) - stamp_epoch))" -lt 60 "... the version is the UTC time"
expect_exit 0 "migrate new --json" -- "$DBCTL" --json migrate new second-one -d newdir
like "$(json_field 'd["file"]' <<<"$OUT")" "^newdir/[0-9]{14}_second-one\.sql$" "... the file in JSON"
rm -rf newdir

# --- dbmate format: up, status, down, redo, to -------------------------------------
newdb basic
d=$tmp/basic
# versions compare numerically: 9 runs before 10 and 12 (10 needs 9's table)
wr "$d/1_users.sql" <<'SQL'
-- migrate:up
create table users (id int primary key, name text);

-- migrate:down
drop table users;
SQL
wr "$d/9_posts.sql" <<'SQL'
-- a comment before the first marker is fine
-- migrate:up
create table posts (id int primary key, user_id int references users);
insert into posts values (1, null);
-- migrate:down
drop table posts;
SQL
wr "$d/10_posts_title.sql" <<'SQL'
-- migrate:up
alter table posts add column title text;
-- migrate:down
alter table posts drop column title;
SQL
wr "$d/12_tags.sql" <<'SQL'
-- migrate:up
create table tags (post int references posts, tag text);
create function tag_count() returns bigint language sql as $$ select count(*) from tags; $$;
-- migrate:down
drop function tag_count();
drop table tags;
SQL
expect_exit 4 "status before anything: exit 4 (pending)" -- "${dbctl[@]}" migrate status -d "$d"
like "$OUT" "0 applied, 4 pending" "... 0 applied, 4 pending"
is "$(exists schema_migrations)" f "... and status created no table"
expect_exit 4 "status --json" -- "${dbctl[@]}" --json migrate status -d "$d"
is "$(json_field 'd["exit"], d["counts"]["pending"], [m["version"] for m in d["migrations"]], d["migrations"][0]["state"]' <<<"$OUT")" \
	"(4, 4, ['1', '9', '10', '12'], 'pending')" "... versions in numeric order, all pending"
expect_exit 0 "up applies all" -- "${dbctl[@]}" migrate up -d "$d"
like "$OUT" "applied 1_users .*applied 9_posts .*applied 10_posts_title .*applied 12_tags " "... in numeric order"
is "$(versions)" "1,9,10,12" "... each recorded"
is "$(q "select count(*) from schema_migrations where length(checksum) = 64 and checksum_algorithm = 'sha256'
	and name <> '' and applied_at is not null and duration_ms >= 0 and failed_statement is null")" 4 \
	"... with name, SHA-256 checksum, applied_at and duration"
is "$(q "select name from schema_migrations where version = '10'")" posts_title "... the name is the part after VERSION_"
is "$(q "select count(*) from posts where title is null")" 1 "... and the schema is there"
expect_exit 0 "status after: exit 0 (up to date)" -- "${dbctl[@]}" migrate status -d "$d"
like "$OUT" "4 applied, 0 pending" "... 4 applied, 0 pending"
like "$OUT" "12 +applied +tags +[0-9]{4}-" "... a line per migration with its applied time"
expect_exit 0 "status --json when up to date" -- "${dbctl[@]}" --json migrate status -d "$d"
is "$(json_field 'd["exit"], d["counts"], sorted(d["migrations"][3].keys())' <<<"$OUT")" \
	"(0, {'applied': 4, 'pending': 0, 'modified': 0, 'missing_file': 0, 'out_of_order': 0, 'failed': 0, 'other_environment': 0, 'repeatable_due': 0, 'running': 0}, ['applied_at', 'duration_ms', 'file', 'name', 'note', 'repeatable', 'state', 'version'])" \
	"... counts and the fields of a migration"
is "$(json_field 'd["migrations"][3]["file"], d["migrations"][3]["state"], type(d["migrations"][3]["duration_ms"]).__name__, d["migrations"][3]["applied_at"] is not None' <<<"$OUT")" \
	"('$d/12_tags.sql', 'applied', 'int', True)" "... file, state, duration and applied time"
expect_exit 0 "up again: nothing to do" -- "${dbctl[@]}" migrate up -d "$d"
is "$OUT" "nothing to do: up to date" "... says so"
expect_exit 0 "up --json when up to date" -- "${dbctl[@]}" --json migrate up -d "$d"
is "$(json_field 'd["exit"], d["applied"], d["reverted"], d["events"]' <<<"$OUT")" "(0, 0, 0, [])" "... applied 0"
expect_exit 0 "down reverts the last one" -- "${dbctl[@]}" migrate down -d "$d"
like "$OUT" "^reverted 12_tags " "... 12 only"
is "$(versions)|$(exists tags)" "1,9,10|f" "... its row and its table are gone"
expect_exit 4 "status: exit 4 again" -- "${dbctl[@]}" migrate status -d "$d"
expect_exit 0 "up re-applies it" -- "${dbctl[@]}" --json migrate up -d "$d"
is "$(json_field 'd["applied"], [(e["event"], e["version"]) for e in d["events"] if e["event"] != "locked"]' <<<"$OUT")" \
	"(1, [('applying', '12'), ('applied', '12')])" "... JSON events"
expect_exit 0 "down 2" -- "${dbctl[@]}" migrate down 2 -d "$d"
is "$(versions)|$(exists tags)|$(q "select count(*) from information_schema.columns where table_name = 'posts' and column_name = 'title'")" \
	"1,9|f|0" "... reverts 12 and 10"
expect_exit 0 "redo" -- "${dbctl[@]}" migrate redo -d "$d"
like "$OUT" "reverted 9_posts .*applied 9_posts " "... reverts the newest and applies it again"
is "$(versions)|$(q 'select count(*) from posts')" "1,9|1" "... 9 is applied again"
expect_exit 0 "to 12 goes up" -- "${dbctl[@]}" migrate to 12 -d "$d"
is "$(versions)" "1,9,10,12" "... to 12"
expect_exit 0 "to 9 goes down" -- "${dbctl[@]}" migrate to 9 -d "$d"
like "$OUT" "reverted 12_tags .*reverted 10_posts_title " "... newest first"
is "$(versions)" "1,9" "... to 9"
expect_exit 0 "to 10 applies 10 but not 12" -- "${dbctl[@]}" migrate to 10 -d "$d"
is "$(versions)" "1,9,10" "... to 10"
expect_exit 0 "to 010: leading zeros are the same version" -- "${dbctl[@]}" migrate to 010 -d "$d"
is "$OUT" "nothing to do: up to date" "... already there"
expect_exit 0 "to 0 reverts everything" -- "${dbctl[@]}" migrate to 0 -d "$d"
is "$(versions)|$(exists users)|$(exists posts)" "|f|f" "... no row and no table left"
expect_exit 0 "down with nothing applied" -- "${dbctl[@]}" migrate down -d "$d"
is "$OUT" "nothing to do: up to date" "... is nothing to do"
expect_exit 0 "up from zero again" -- "${dbctl[@]}" -q migrate up -d "$d"
is "$OUT" "" "... -q prints nothing"
is "$(versions)" "1,9,10,12" "... all applied"
expect_exit 4 "another migrations_table is another history" -- "${dbctl[@]}" -o migrations_table=other_history migrate status -d "$d"
like "$OUT" "0 applied, 4 pending$" "... in which nothing is applied"
# a file without a down section cannot be reverted: refused before anything is
wr "$d/13_only_up.sql" <<'SQL'
-- migrate:up
create table only_up (x int);
SQL
wr "$d/14_after.sql" <<'SQL'
-- migrate:up
create table after_only_up (x int);
-- migrate:down
drop table after_only_up;
SQL
expect_exit 0 "up applies 13 (no down section) and 14" -- "${dbctl[@]}" migrate up -d "$d"
expect_exit 3 "down 2 across a file without a down section: exit 3" -- "${dbctl[@]}" migrate down 2 -d "$d"
like "$ERR" "13_only_up\.sql: migration 13 has no down section" "... names the file"
is "$(versions)|$(exists after_only_up)" "1,9,10,12,13,14|t" "... and nothing was reverted, not even 14"
expect_exit 3 "to 0 across it: exit 3" -- "${dbctl[@]}" migrate to 0 -d "$d"
is "$(versions)|$(exists after_only_up)" "1,9,10,12,13,14|t" "... nothing reverted"
expect_exit 3 "--json: the refusal in JSON" -- "${dbctl[@]}" --json migrate down 2 -d "$d"
is "$(json_field 'd["exit"], d["reverted"], "no down section" in d["error"]["message"]' <<<"$OUT")" "(3, 0, True)" "... exit 3, 0 reverted"
expect_exit 0 "down 1 still reverts 14" -- "${dbctl[@]}" migrate down -d "$d"
is "$(versions)|$(exists after_only_up)" "1,9,10,12,13|f" "... 14 reverted"
expect_exit 3 "down on 13: exit 3" -- "${dbctl[@]}" migrate down -d "$d"
expect_exit 3 "redo on 13: exit 3" -- "${dbctl[@]}" migrate redo -d "$d"
is "$(versions)|$(exists only_up)" "1,9,10,12,13|t" "... 13 stays applied"
like "$ERR" "hint: add one; or pass --allow-missing-down to revert it by deleting its tracking row only" "... the hint names the way out"
expect_exit 0 "down --allow-missing-down on 13: its row goes, its table stays" -- \
	"${dbctl[@]}" migrate down -d "$d" --allow-missing-down
like "$ERR" "migration 13 has no down section: --allow-missing-down reverts it by deleting its tracking row; what its up section did stays" \
	"... with a warning that says so"
is "$(versions)|$(exists only_up)" "1,9,10,12|t" "... so"
q "drop table only_up" >/dev/null
expect_exit 0 "... and up applies it again" -- "${dbctl[@]}" migrate up -d "$d"
# an up section with comments only and no down section reverts as a no-op, as goose and golang-migrate do
wr "$d/16_comments.sql" <<<$'-- migrate:up
-- placeholder: the change moved to 17
/* nothing */
'
expect_exit 0 "a comments-only up section without a down section applies" -- "${dbctl[@]}" migrate up -d "$d"
expect_exit 0 "... and reverts without --allow-missing-down" -- "${dbctl[@]}" migrate down -d "$d"
unlike "$ERR" "warning" "... silently: there is nothing to undo"
is "$(versions)" "1,9,10,12,13,14" "... 16 reverted"
rm "$d/16_comments.sql"
# an empty up section (what migrate new writes) is a migration with no statement
wr "$d/15_empty.sql" <<<$'-- migrate:up\n\n\n-- migrate:down\n\n'
expect_exit 0 "an empty up section applies" -- "${dbctl[@]}" migrate up -d "$d"
is "$(versions)" "1,9,10,12,13,14,15" "... and is recorded"
expect_exit 0 "and its empty down section reverts" -- "${dbctl[@]}" migrate down -d "$d"
is "$(versions)" "1,9,10,12,13,14" "... 15 reverted"
rm "$d/15_empty.sql"

# --- golang-migrate pairs ------------------------------------------------------------
newdb golang
d=$tmp/golang
printf 'create table gm_a (id int);\n' | wr "$d/0001_create_a.up.sql"
printf 'drop table gm_a;\n' | wr "$d/0001_create_a.down.sql"
printf 'create table gm_b (id int);\ninsert into gm_b values (1)' | wr "$d/0002_create_b.up.sql"   # no trailing ; or newline
printf 'alter table gm_a add column b int;\n' | wr "$d/0003_alter_a.up.sql"
printf 'alter table gm_a drop column b;\n' | wr "$d/0003_alter_a.down.sql"
expect_exit 0 "golang-migrate: up --echo" -- "${dbctl[@]}" migrate up --echo -d "$d"
like "$OUT" "^-- $d/0001_create_a\.up\.sql:1
create table gm_a \(id int\);
applied 1_create_a " "... --echo prints each statement with its place"
like "$OUT" "applied 1_create_a .*applied 2_create_b .*applied 3_alter_a " "... versions without their leading zeros"
is "$(versions)|$(q 'select count(*) from gm_b')" "1,2,3|1" "... applied (a last statement without ';')"
expect_exit 0 "golang-migrate: status" -- "${dbctl[@]}" --json migrate status -d "$d"
is "$(json_field 'd["migrations"][0]["file"]' <<<"$OUT")" "$d/0001_create_a.up.sql" "... the file is the .up.sql"
expect_exit 0 "golang-migrate: down runs the .down.sql" -- "${dbctl[@]}" migrate down -d "$d"
is "$(versions)|$(q "select count(*) from information_schema.columns where table_name = 'gm_a'")" "1,2|1" "... column b dropped"
expect_exit 3 "golang-migrate: 2 has no .down.sql: exit 3" -- "${dbctl[@]}" migrate down -d "$d"
like "$ERR" "0002_create_b\.up\.sql: migration 2 has no down section" "... names it"
is "$(versions)" "1,2" "... nothing reverted"

# golang-migrate's PostgreSQL tutorial wraps each file in BEGIN; ... COMMIT;, and
# golang-migrate runs a file with CREATE INDEX CONCURRENTLY without a transaction
newdb golang_tx
d=$tmp/golang_tx
wr "$d/000001_add_mood.up.sql" <<'SQL'
BEGIN;

CREATE TYPE enum_mood AS ENUM ('happy', 'sad', 'neutral');
CREATE TABLE gt_users (id int, mood enum_mood);

COMMIT;
SQL
printf 'BEGIN;\nDROP TABLE gt_users;\nDROP TYPE enum_mood;\nCOMMIT;\n' | wr "$d/000001_add_mood.down.sql"
printf 'CREATE INDEX CONCURRENTLY gt_users_id ON gt_users (id);\n' | wr "$d/000002_index.up.sql"
printf 'DROP INDEX CONCURRENTLY gt_users_id;\n' | wr "$d/000002_index.down.sql"
expect_exit 0 "golang-migrate: files wrapped in BEGIN/COMMIT, and CONCURRENTLY alone, apply" -- \
	"${dbctl[@]}" migrate up -d "$d"
like "$OUT" "applied 1_add_mood \([0-9.]+ ms\)
applied 2_index \([0-9.]+ ms, no transaction\)" "... the first in dbctl's transaction, the index without one"
is "$(versions)|$(exists gt_users)|$(exists gt_users_id)" "1,2|t|t" "... applied and recorded"
expect_exit 0 "golang-migrate: to 0 runs the wrapped and the CONCURRENTLY .down.sql" -- "${dbctl[@]}" migrate to 0 -d "$d"
is "$(versions)|$(exists gt_users)|$(q "select count(*) from pg_type where typname = 'enum_mood'")" "|f|0" "... reverted"
printf 'BEGIN;\nCREATE TABLE gt_x (a int);\nINSERT INTO gt_x VALUES (1/0);\nCOMMIT;\n' | wr "$d/000003_fail.up.sql"
expect_exit 1 "golang-migrate: a failing statement in a wrapped file" -- "${dbctl[@]}" migrate up -d "$d"
like "$ERR" "000003_fail\.up\.sql:3:[0-9]+: ERROR: division by zero" "... is reported at its own line"
is "$(versions)|$(exists gt_x)" "1,2|f" "... rolled back, the two before applied"
printf 'BEGIN;\nCREATE TABLE gt_x (a int);\nCREATE INDEX CONCURRENTLY gt_x_a ON gt_x (a);\nCOMMIT;\n' | wr "$d/000003_fail.up.sql"
expect_exit 3 "golang-migrate: CONCURRENTLY inside BEGIN/COMMIT is exit 3" -- "${dbctl[@]}" migrate up -d "$d"
like "$ERR" "000003_fail\.up\.sql:3:1: CREATE INDEX CONCURRENTLY cannot run inside a transaction
hint: move it to a migration of its own without BEGIN/COMMIT: such a file runs without a transaction" \
	"... with a hint for a golang-migrate file"
unlike "$ERR" "migrate:up" "... not dbmate's marker"
printf 'CREATE TABLE gt_x (a int);\nCOMMIT;\nCREATE TABLE gt_y (a int);\n' | wr "$d/000003_fail.up.sql"
expect_exit 3 "golang-migrate: a COMMIT in the middle is exit 3" -- "${dbctl[@]}" migrate up -d "$d"
like "$ERR" "000003_fail\.up\.sql:2:1: COMMIT is not allowed here.*
hint: remove it: dbctl runs each golang-migrate file in a transaction" "... with a hint for a golang-migrate file"
is "$(versions)|$(exists gt_x)" "1,2|f" "... nothing applied"

# --- goose annotations --------------------------------------------------------------
newdb goose
d=$tmp/goose
wr "$d/20240101000000_init.sql" <<'SQL'
-- +goose Up
create table g_items (id serial primary key, n int);
-- +goose StatementBegin
create function g_bump() returns trigger language plpgsql as $$
begin
  new.n := coalesce(new.n, 0) + 1;  -- a ';' inside the body
  return new;
end;
$$;
-- +goose StatementEnd
create trigger g_items_bump before insert on g_items for each row execute function g_bump();

-- +goose Down
drop table g_items;
-- +goose StatementBegin
drop function g_bump();
-- +goose StatementEnd
SQL
wr "$d/20240102000000_index.sql" <<'SQL'
-- +goose NO TRANSACTION
-- +goose Up
create index concurrently g_items_n on g_items (n);
create index concurrently g_items_id_n on g_items (id, n);

-- +goose Down
drop index concurrently g_items_id_n;
drop index concurrently g_items_n;
SQL
wr "$d/20240103000000_lower.sql" <<'SQL'
-- +goose no transaction
-- +goose up
vacuum g_items;
-- +goose down
vacuum g_items;
SQL
expect_exit 0 "goose: up" -- "${dbctl[@]}" migrate up -d "$d"
like "$OUT" "applied 20240101000000_init \([0-9.]+ ms\).*applied 20240102000000_index \([0-9.]+ ms, no transaction\).*applied 20240103000000_lower \([0-9.]+ ms, no transaction\)" \
	"... NO TRANSACTION before Up (either case) makes the file transaction:false"
is "$(q 'insert into g_items (n) values (1) returning n')" 2 "... the plpgsql trigger between StatementBegin/End works"
is "$(q "select count(*) from pg_index where indexrelid in ('g_items_n'::regclass, 'g_items_id_n'::regclass) and indisvalid")" 2 \
	"... both CONCURRENTLY indexes exist and are valid"
expect_exit 0 "goose: to 0" -- "${dbctl[@]}" migrate to 0 -d "$d"
is "$(versions)|$(exists g_items)|$(q "select count(*) from pg_proc where proname = 'g_bump'")" "|f|0" "... every Down ran"
expect_exit 0 "goose: up again" -- "${dbctl[@]}" -q migrate up -d "$d"
is "$(versions)" "20240101000000,20240102000000,20240103000000" "... all applied again"

# --- bad files: exit 3 naming the file, nothing applied ---------------------------------
newdb badfiles
d=$tmp/bad
good() {
	rm -rf "$d"
	printf -- '-- migrate:up\ncreate table bad_a (x int);\n-- migrate:down\ndrop table bad_a;\n' | wr "$d/1_a.sql"
	printf -- '-- migrate:up\ncreate table bad_z (x int);\n' | wr "$d/9_z.sql"
}
bad_case() { # NAME REGEX: the directory as it is now must be refused
	expect_exit 3 "bad files: $1" -- "${dbctl[@]}" migrate up -d "$d"
	like "$ERR" "$2" "... $2"
	is "$(exists schema_migrations)|$(exists bad_a)|$(exists bad_z)" "f|f|f" "... nothing applied, no tracking table"
}
good
printf -- '-- migrate:up\nselect 1;\n' | wr "$d/2_b.sql"
printf -- '-- migrate:up\nselect 2;\n' | wr "$d/02_c.sql"
bad_case "two files with one version" "$d/(2_b|02_c)\.sql: version 2 is also used by $d/(02_c|2_b)\.sql"
good
printf -- '-- migrate:up\nselect 1;\n' | wr "$d/2_b.sql"
printf 'select 1;\n' | wr "$d/2_b.up.sql"
bad_case "a dbmate file and a golang-migrate file with one version" "version 2 is also used by"
good
printf -- '-- just a comment\n-- migrate:down\ndrop table x;\n' | wr "$d/2_b.sql"
bad_case "a file with no up section" "$d/2_b\.sql: no up section"
good
printf -- '-- header\ncreate table early (x int);\n-- migrate:up\nselect 1;\n' | wr "$d/2_b.sql"
bad_case "statements before the first marker" "$d/2_b\.sql:2: statements before the first"
good
printf -- '-- +goose Up\nselect 1;\n-- +goose Up\nselect 2;\n' | wr "$d/2_b.sql"
bad_case "two up sections" "$d/2_b\.sql:3: a second up section"
good
printf -- '-- migrate:up\nselect 1;\n' | wr "$d/abc.sql"
bad_case "a name without a version" "$d/abc\.sql: cannot read a version"
good
printf -- '-- migrate:up\nselect 1;\n' | wr "$d/2x_b.sql"
bad_case "a version followed by junk" "$d/2x_b\.sql: cannot read a version"
good
printf 'drop table x;\n' | wr "$d/2_b.down.sql"
bad_case "a .down.sql without its .up.sql" "$d/2_b\.down\.sql: a down migration without"
good
printf -- '-- migrate:up\nselect 1;\nselect 2;\n  create index concurrently bad_i on bad_a (x);\n' | wr "$d/2_b.sql"
bad_case "CREATE INDEX CONCURRENTLY in a transactional section" "$d/2_b\.sql:4:3: .*CONCURRENTLY"
like "$ERR" "transaction:false" "... and suggests transaction:false"
good
printf -- '-- +goose Up\nvacuum bad_a;\n' | wr "$d/2_b.sql"
bad_case "VACUUM in a goose file without NO TRANSACTION" "$d/2_b\.sql:2:1: "
like "$ERR" "NO TRANSACTION" "... and suggests goose's NO TRANSACTION"
good
printf -- '-- migrate:up\nselect 1;\n\\set x 1\n' | wr "$d/2_b.sql"
bad_case "a psql meta-command" "$d/2_b\.sql:3:1: "
good
# shellcheck disable=SC2016 # a dollar quote, not an expansion
printf -- '-- migrate:up\nselect $x$ never closed;\n' | wr "$d/2_b.sql"
bad_case "an unterminated dollar quote" "$d/2_b\.sql:2:[0-9]+: unterminated"
good
expect_exit 0 "the good files apply" -- "${dbctl[@]}" migrate up -d "$d"
printf -- '-- migrate:up\nselect 1;\n' | wr "$d/3_c.sql"
printf -- '-- migrate:up\nselect 1;\n' | wr "$d/03_c.sql"
expect_exit 3 "bad files with some applied" -- "${dbctl[@]}" --json migrate up -d "$d"
is "$(json_field 'd["exit"], d["error"]["message"].endswith("is also used by '"$d"'/03_c.sql")' <<<"$OUT")" "(3, True)" \
	"... the error in JSON"
is "$(versions)" "1,9" "... the tracking table is unchanged"
expect_exit 3 "status refuses bad files too" -- "${dbctl[@]}" migrate status -d "$d"
# a down section that cannot run does not stop up, and stops down before anything is reverted
newdb baddown
d=$tmp/baddown
printf -- '-- migrate:up\ncreate table bd_a (x int);\n-- migrate:down\ndrop table bd_a;\n' | wr "$d/1_a.sql"
printf -- '-- migrate:up\ncreate table bd_b (x int);\n-- migrate:down\nbegin;\ndrop table bd_b;\n' | wr "$d/2_b.sql"
printf -- '-- migrate:up\ncreate table bd_c (x int);\n-- migrate:down\ndrop table bd_c;\n' | wr "$d/3_c.sql"
expect_exit 0 "a BEGIN in a down section does not stop up" -- "${dbctl[@]}" migrate up -d "$d"
expect_exit 3 "down 3 through that down section: exit 3" -- "${dbctl[@]}" migrate down 3 -d "$d"
like "$ERR" "2_b\.sql:4:1: " "... names its line"
is "$(versions)|$(exists bd_c)" "1,2,3|t" "... nothing reverted, not even 3"

# --- a transactional migration that fails ------------------------------------------------
newdb txfail
d=$tmp/txfail
printf -- '-- migrate:up\ncreate table tf_a (x int);\n' | wr "$d/1_a.sql"
printf -- '-- migrate:up\ncreate table tf_b (x int);\n' | wr "$d/2_b.sql"
wr "$d/3_c.sql" <<'SQL'
-- migrate:up
create table tf_c (x int);
insert into tf_c values (1);
insert into tf_c
  values (1/0);
SQL
printf -- '-- migrate:up\ncreate table tf_d (x int);\n' | wr "$d/4_d.sql"
expect_exit 1 "a failing migration: exit 1" -- "${dbctl[@]}" migrate up -d "$d"
like "$ERR" "^dbctl: $d/3_c\.sql:4:1: ERROR: division by zero \(22012\)" "... FILE:LINE:COL: ERROR: message (SQLSTATE)"
is "$(versions)|$(exists tf_a)|$(exists tf_b)|$(exists tf_c)|$(exists tf_d)" "1,2|t|t|f|f" \
	"... 1 and 2 stay applied, 3 rolled back and not recorded, 4 not run"
expect_exit 4 "status: 3 is simply pending (never dirty)" -- "${dbctl[@]}" migrate status -d "$d"
like "$OUT" "2 applied, 2 pending$" "... 2 applied, 2 pending"
expect_exit 1 "--json on failure" -- "${dbctl[@]}" --json migrate up -d "$d"
is "$(json_field 'd["exit"], d["applied"], d["error"]["file"], d["error"]["line"], d["error"]["column"], d["error"]["sqlstate"]' <<<"$OUT")" \
	"(1, 0, '$d/3_c.sql', 4, 1, '22012')" "... file, line, column, SQLSTATE"
sed -i 's|(1/0)|(2)|' "$d/3_c.sql"
expect_exit 0 "fixed: up applies 3 and 4" -- "${dbctl[@]}" migrate up -d "$d"
is "$(versions)|$(q 'select sum(x) from tf_c')" "1,2,3,4|3" "... nothing to force, it just runs"
# --single-transaction: the whole run or nothing
newdb single
d=$tmp/single
printf -- '-- migrate:up\ncreate table st_a (x int);\n' | wr "$d/1_a.sql"
printf -- '-- migrate:up\ncreate table st_b (x int);\n' | wr "$d/2_b.sql"
printf -- '-- migrate:up\nselect 1/0;\n' | wr "$d/3_c.sql"
expect_exit 1 "--single-transaction with a failing third migration: exit 1" -- "${dbctl[@]}" migrate up --single-transaction -d "$d"
like "$ERR" "3_c\.sql:2:1: ERROR: division by zero" "... names it"
is "$(versions)|$(exists st_a)|$(exists st_b)" "(no table)|f|f" "... the first two are rolled back too"
printf -- '-- migrate:up\nselect 1;\n' | wr "$d/3_c.sql"
expect_exit 0 "--single-transaction, fixed" -- "${dbctl[@]}" migrate up --single-transaction -d "$d"
is "$(versions)|$(exists st_a)|$(exists st_b)" "1,2,3|t|t" "... all three"
printf -- '-- migrate:up transaction:false\nselect 1;\n' | wr "$d/4_d.sql"
expect_exit 3 "--single-transaction with a transaction:false migration: exit 3" -- "${dbctl[@]}" migrate up --single-transaction -d "$d"
like "$ERR" "4_d\.sql" "... names it"
is "$(versions)" "1,2,3" "... nothing applied"

# --- transaction:false: runs statement by statement, resumes, retry, accept --------------
newdb notx
d=$tmp/notx
printf -- '-- migrate:up\ncreate table nt (x int);\ninsert into nt select generate_series(1, 100);\n' | wr "$d/1_table.sql"
wr "$d/2_index.sql" <<'SQL'
-- migrate:up transaction:false
create table nt_log (step int);
create index concurrently nt_x on nt (x);
insert into nt_missing values (3);
insert into nt_log values (4);
-- migrate:down transaction:false
drop index concurrently nt_x;
drop table nt_log;
SQL
printf -- '-- migrate:up\ncreate table nt_after (x int);\n' | wr "$d/3_after.sql"
expect_exit 1 "transaction:false: the third statement fails" -- "${dbctl[@]}" migrate up -d "$d"
like "$ERR" "2_index\.sql:4:13: ERROR: relation \"nt_missing\" does not exist" "... FILE:LINE:COL"
like "$ERR" "resume at statement 3" "... and says where it will resume"
is "$(versions)|$(exists nt_log)|$(exists nt_x)|$(exists nt_after)" "1,2|t|t|f" \
	"... the statements before it stayed; 3 did not run"
expect_exit 1 "status with a failed migration: exit 1" -- "${dbctl[@]}" migrate status -d "$d"
like "$OUT" "2 +failed +index .*stopped at statement 3: .*nt_missing" "... shows it failed at statement 3"
like "$OUT" "1 applied, 1 pending, 1 failed" "... in the counts"
expect_exit 1 "status --json" -- "${dbctl[@]}" --json migrate status -d "$d"
is "$(json_field 'd["counts"]["failed"], d["migrations"][1]["state"], d["migrations"][1]["failed_statement"], "nt_missing" in d["migrations"][1]["error"]' <<<"$OUT")" \
	"(1, 'failed', 3, True)" "... state failed, failed_statement 3, the error"
expect_exit 1 "up with the file unchanged: refused" -- "${dbctl[@]}" migrate up -d "$d"
like "$ERR" "2_index\.sql: migration 2 stopped at statement 3" "... says why"
like "$ERR" "--retry" "... and how to go on"
is "$(versions)|$(exists nt_after)" "1,2|f" "... nothing else ran"
expect_exit 1 "up --dry-run refuses it too" -- "${dbctl[@]}" migrate up --dry-run -d "$d"
# fix the file: it resumes at statement 3; CREATE TABLE nt_log would fail if it ran again
sed -i 's/^insert into nt_missing values (3);/create table nt_missing (x int);/' "$d/2_index.sql"
expect_exit 0 "the file fixed: up resumes" -- "${dbctl[@]}" migrate up -d "$d"
like "$OUT" "applied 2_index .*no transaction.*applied 3_after " "... 2 completes, then 3"
is "$(versions)|$(q "select string_agg(step::text, ',') from nt_log")|$(exists nt_missing)|$(exists nt_after)" "1,2,3|4|t|t" \
	"... from statement 3 on: the first two did not run again"
expect_exit 0 "status: all applied" -- "${dbctl[@]}" --json migrate status -d "$d"
is "$(json_field 'd["counts"]["failed"], d["migrations"][1]["state"], "failed_statement" in d["migrations"][1]' <<<"$OUT")" \
	"(0, 'applied', False)" "... no failure left"
is "$(q "select failed_statement is null and error is null from schema_migrations where version = '2'")" t "... the row is clean"
# --retry: the file is right, the database was not
wr "$d/4_retry.sql" <<'SQL'
-- migrate:up transaction:false
create table rt_log (x int);
insert into rt_ext values (1);
SQL
expect_exit 1 "another transaction:false failure" -- "${dbctl[@]}" migrate up -d "$d"
q "create table rt_ext (x int)" >/dev/null
expect_exit 1 "the database fixed by hand, the file unchanged: still refused" -- "${dbctl[@]}" migrate up -d "$d"
expect_exit 0 "up --retry" -- "${dbctl[@]}" migrate up --retry -d "$d"
is "$(versions)|$(q 'select count(*) from rt_ext')" "1,2,3,4|1" "... resumed at statement 2 (statement 1 would fail again)"
# accept: the person finished the job by hand
wr "$d/5_accept.sql" <<'SQL'
-- migrate:up transaction:false
create table ac_log (x int);
insert into ac_missing values (1);
insert into ac_log values (3);
SQL
expect_exit 1 "a third transaction:false failure" -- "${dbctl[@]}" migrate up -d "$d"
q "insert into ac_log values (3)" >/dev/null
expect_exit 0 "migrate accept clears it" -- "${dbctl[@]}" migrate accept 5 -d "$d"
like "$OUT" "accepted 5" "... says so"
expect_exit 0 "status: up to date" -- "${dbctl[@]}" migrate status -d "$d"
expect_exit 0 "up: nothing to do" -- "${dbctl[@]}" migrate up -d "$d"
is "$OUT" "nothing to do: up to date" "... the failed migration counts as applied"
is "$(q 'select count(*) from ac_log')" 1 "... and nothing ran again"
expect_exit 3 "accept of a version no file has: exit 3" -- "${dbctl[@]}" migrate accept 6 -d "$d"
printf -- '-- migrate:up\nselect 1;\n' | wr "$d/6_pending.sql"
expect_exit 3 "accept of a version that is not applied: exit 3" -- "${dbctl[@]}" migrate accept 6 -d "$d"
like "$ERR" "not applied" "... says so"

# --- drift, CRLF, missing files ------------------------------------------------------
newdb drift
d=$tmp/drift
printf -- '-- migrate:up\ncreate table dr_a (x int);\n-- migrate:down\ndrop table dr_a;\n' | wr "$d/1_a.sql"
printf -- '-- migrate:up\ncreate table dr_b (x int);\n-- migrate:down\ndrop table dr_b;\n' | wr "$d/2_b.sql"
expect_exit 0 "drift: up" -- "${dbctl[@]}" migrate up -d "$d"
sum1=$(q "select checksum from schema_migrations where version = '1'")
printf -- '-- migrate:up\ncreate table dr_c (x int);\n' | wr "$d/3_c.sql"
printf -- '-- migrate:up\ncreate table dr_a (x int, y int);\n-- migrate:down\ndrop table dr_a;\n' | wr "$d/1_a.sql"
expect_exit 1 "an applied up section edited: up exit 1" -- "${dbctl[@]}" migrate up -d "$d"
like "$ERR" "1_a\.sql: migration 1 was applied, and its file has changed since" "... names it"
like "$ERR" "migrate accept 1" "... suggests accept"
is "$(versions)|$(exists dr_c)" "1,2|f" "... before applying the pending one"
expect_exit 1 "status: exit 1 with a modified migration" -- "${dbctl[@]}" --json migrate status -d "$d"
is "$(json_field 'd["counts"]["modified"], d["counts"]["pending"], d["migrations"][0]["state"]' <<<"$OUT")" "(1, 1, 'modified')" \
	"... state modified"
expect_exit 0 "--on-drift=warn" -- "${dbctl[@]}" migrate up --on-drift=warn -d "$d"
like "$ERR" "warning: .*1_a\.sql: applied migration 1 has changed" "... warns"
is "$(versions)|$(exists dr_c)" "1,2,3|t" "... and applies the pending one"
expect_exit 1 "status: still modified" -- "${dbctl[@]}" migrate status -d "$d"
expect_exit 0 "migrate accept 1" -- "${dbctl[@]}" migrate accept 1 -d "$d"
isnt "$(q "select checksum from schema_migrations where version = '1'")" "$sum1" "... records the new checksum"
expect_exit 0 "status: up to date after accept" -- "${dbctl[@]}" migrate status -d "$d"
expect_exit 0 "... and up is happy" -- "${dbctl[@]}" migrate up -d "$d"
printf -- '-- migrate:up\ncreate table dr_b (x int);\n-- migrate:down\ndrop table dr_b cascade;\n' | wr "$d/2_b.sql"
expect_exit 0 "editing only the down section is not drift" -- "${dbctl[@]}" migrate status -d "$d"
expect_exit 0 "... up is happy" -- "${dbctl[@]}" migrate up -d "$d"
crlf "$d/2_b.sql"
expect_exit 0 "the applied file converted to CRLF: status up to date" -- "${dbctl[@]}" --json migrate status -d "$d"
is "$(json_field 'd["migrations"][1]["state"]' <<<"$OUT")" applied "... still applied"
expect_exit 0 "... up is happy" -- "${dbctl[@]}" migrate up -d "$d"
printf '\xef\xbb\xbf' | cat - "$d/2_b.sql" >bom && mv bom "$d/2_b.sql"
expect_exit 0 "with a byte-order mark too: up to date" -- "${dbctl[@]}" migrate status -d "$d"
# one checksum for the LF and the CRLF file, whichever was applied
drift_url=$URL
newdb crlf
mkdir -p "$tmp/crlf" && cp "$d/1_a.sql" "$d/2_b.sql" "$tmp/crlf/"
expect_exit 0 "a CRLF file (with a BOM) applied elsewhere" -- "${dbctl[@]}" migrate up -d "$tmp/crlf"
is "$(q "select checksum from schema_migrations where version = '2'")" \
	"$(URL=$drift_url q "select checksum from schema_migrations where version = '2'")" \
	"... has the checksum the LF file had"
tr -d '\r' <"$tmp/crlf/2_b.sql" | sed '1s/^\xef\xbb\xbf//' >lf && mv lf "$tmp/crlf/2_b.sql"
expect_exit 0 "... and converted back to LF: still up to date" -- "${dbctl[@]}" migrate status -d "$tmp/crlf"
# a missing file
URL=$drift_url dbctl=("$DBCTL" --url "$drift_url")
mv "$d/3_c.sql" "$tmp/3_c.sql.away"
expect_exit 0 "status with an applied migration's file gone" -- "${dbctl[@]}" --json migrate status -d "$d"
is "$(json_field 'd["counts"]["missing_file"], d["migrations"][2]["version"], d["migrations"][2]["state"], d["migrations"][2]["file"]' <<<"$OUT")" \
	"(1, '3', 'missing_file', None)" "... reported as missing_file"
expect_exit 0 "status text" -- "${dbctl[@]}" migrate status -d "$d"
like "$OUT" "1 missing file" "... says 1 missing file"
printf -- '-- migrate:up\ncreate table dr_d (x int);\n-- migrate:down\ndrop table dr_d;\n' | wr "$d/4_d.sql"
expect_exit 0 "up with a missing file: works" -- "${dbctl[@]}" migrate up -d "$d"
like "$ERR" "warning: applied migration 3 has no file" "... and warns"
is "$(versions)|$(exists dr_d)" "1,2,3,4|t" "... 4 applied"
expect_exit 3 "down of the migration whose file is missing: exit 3" -- "${dbctl[@]}" migrate down 2 -d "$d"
like "$ERR" "cannot revert migration 3: its file is missing" "... says so"
is "$(versions)|$(exists dr_d)" "1,2,3,4|t" "... nothing reverted, not even 4"

# --- out of order ----------------------------------------------------------------------
newdb order
d=$tmp/order
printf -- '-- migrate:up\ncreate table oo_1 (x int);\n' | wr "$d/1_a.sql"
printf -- '-- migrate:up\ncreate table oo_3 (x int);\n' | wr "$d/3_c.sql"
expect_exit 0 "order: up 1 and 3" -- "${dbctl[@]}" migrate up -d "$d"
printf -- '-- migrate:up\ncreate table oo_2 (x int);\n' | wr "$d/2_b.sql"
printf -- '-- migrate:up\ncreate table oo_4 (x int);\n' | wr "$d/4_d.sql"
expect_exit 4 "status: 2 is out of order" -- "${dbctl[@]}" --json migrate status -d "$d"
is "$(json_field 'd["counts"]["out_of_order"], d["counts"]["pending"], d["migrations"][1]["state"], d["migrations"][3]["state"]' <<<"$OUT")" \
	"(1, 1, 'out_of_order', 'pending')" "... and 4 is pending"
expect_exit 1 "up with an out-of-order file: exit 1" -- "${dbctl[@]}" migrate up -d "$d"
like "$ERR" "2_b\.sql: migration 2 is pending but older than one already applied" "... names it"
like "$ERR" "--out-of-order=apply" "... and the way out"
is "$(versions)|$(exists oo_4)" "1,3|f" "... nothing applied, not even 4"
expect_exit 0 "--out-of-order=apply" -- "${dbctl[@]}" migrate up --out-of-order=apply -d "$d"
like "$OUT" "applied 2_b .*applied 4_d " "... applies 2 then 4"
is "$(versions)" "1,2,3,4" "... all applied"

# --- dry runs ---------------------------------------------------------------------------
newdb dry
d=$tmp/dry
printf -- '-- migrate:up\ncreate table dry_1 (id int primary key);\ninsert into dry_1 values (1);\n-- migrate:down\ndrop table dry_1;\n' | wr "$d/1_a.sql"
printf -- '-- migrate:up transaction:false\ncreate index concurrently dry_1_idx on dry_1 (id);\n-- migrate:down transaction:false\ndrop index concurrently dry_1_idx;\n' | wr "$d/2_idx.sql"
printf -- '-- migrate:up\ncreate table dry_3 (id int references dry_1);\n-- migrate:down\ndrop table dry_3;\n' | wr "$d/3_c.sql"
expect_exit 0 "up --dry-run on an empty database" -- "${dbctl[@]}" migrate up --dry-run -d "$d"
like "$OUT" "BEGIN.*create table dry_1 \(id int primary key\);.*create table dry_3.*ROLLBACK" "... shows the statements between BEGIN and ROLLBACK"
like "$OUT" "advisory lock" "... and the lock"
like "$OUT" "2: transaction:false" "... and that the transaction:false section is not run"
like "$OUT" "create index concurrently dry_1_idx" "... showing its statement"
is "$(exists schema_migrations)|$(exists dry_1)|$(exists dry_1_idx)|$(exists dry_3)" "f|f|f|f" "... and writes nothing, not even the tracking table"
expect_exit 0 "up --dry-run --json" -- "${dbctl[@]}" --json migrate up --dry-run -d "$d"
is "$(json_field 'd["exit"], any(e["event"] == "plan" and "ROLLBACK" in e["message"] for e in d["events"])' <<<"$OUT")" "(0, True)" \
	"... the plan in the events"
mkdir -p "$tmp/dryfail" && cp "$d/1_a.sql" "$tmp/dryfail/"
printf -- '-- migrate:up\ncreate table dry_f (x int);\nselect 1/0;\n' | wr "$tmp/dryfail/2_fail.sql"
expect_exit 1 "a dry run that fails: exit 1" -- "${dbctl[@]}" migrate up --dry-run -d "$tmp/dryfail"
like "$ERR" "2_fail\.sql:3:1: ERROR: division by zero" "... says where"
is "$(exists schema_migrations)|$(exists dry_1)|$(exists dry_f)" "f|f|f" "... and wrote nothing"
expect_exit 0 "to 1 for real" -- "${dbctl[@]}" migrate to 1 -d "$d"
expect_exit 0 "to 3 --dry-run" -- "${dbctl[@]}" migrate to 3 --dry-run -d "$d"
is "$(versions)|$(exists dry_3)" "1|f" "... wrote nothing"
expect_exit 0 "up for real" -- "${dbctl[@]}" migrate up -d "$d"
is "$(versions)|$(exists dry_1_idx)|$(exists dry_3)" "1,2,3|t|t" "... everything"
snapshot() { q "select string_agg(version || ':' || checksum || ':' || applied_at, ',' order by version) from schema_migrations"; }
before=$(snapshot)
expect_exit 0 "down --dry-run" -- "${dbctl[@]}" migrate down --dry-run -d "$d"
like "$OUT" "drop table dry_3" "... shows the statement"
like "$OUT" "BEGIN.*drop table dry_3.*ROLLBACK" "... between BEGIN and ROLLBACK"
is "$(snapshot)|$(exists dry_3)" "$before|t" "... wrote nothing"
expect_exit 0 "to 0 --dry-run: reverting 3 before 1 (3 references 1)" -- "${dbctl[@]}" migrate to 0 --dry-run -d "$d"
like "$OUT" "drop table dry_3.*2: transaction:false.*drop table dry_1" "... the whole plan, newest first"
is "$(snapshot)|$(exists dry_1)|$(exists dry_1_idx)|$(exists dry_3)" "$before|t|t|t" "... wrote nothing"
expect_exit 0 "redo --dry-run" -- "${dbctl[@]}" migrate redo --dry-run -d "$d"
like "$OUT" "drop table dry_3.*create table dry_3" "... shows the revert and the apply again"
is "$(snapshot)|$(exists dry_3)" "$before|t" "... wrote nothing"
expect_exit 0 "down 2 --dry-run" -- "${dbctl[@]}" migrate down 2 --dry-run -d "$d"
is "$(snapshot)|$(exists dry_1_idx)" "$before|t" "... the transaction:false down section was not run"
unlike "$OUT" "drop table dry_1" "... and 1, a third migration, is not part of the plan"

# --- adoption: dbmate and golang-migrate tables ----------------------------------------------
adopt_files() {
	rm -rf "$1"
	printf -- '-- migrate:up\ncreate table ad_1 (x int);\n-- migrate:down\ndrop table ad_1;\n' | wr "$1/20200101000001_one.sql"
	printf -- '-- migrate:up\ncreate table ad_2 (x int);\n-- migrate:down\ndrop table ad_2;\n' | wr "$1/20200101000002_two.sql"
	printf -- '-- migrate:up\ncreate table ad_3 (x int);\n-- migrate:down\ndrop table ad_3;\n' | wr "$1/20200101000003_three.sql"
}
d=$tmp/adopt
adopt_files "$d"
newdb dbmate
q "create table schema_migrations (version varchar(128) primary key);
   insert into schema_migrations values ('20200101000001'), ('20200101000002');
   create table ad_1 (x int); create table ad_2 (x int);" >/dev/null
expect_exit 4 "dbmate table: status sees 2 applied, 1 pending" -- "${dbctl[@]}" migrate status -d "$d"
like "$OUT" "2 applied, 1 pending" "... 2 applied, 1 pending"
expect_exit 0 "dbmate table: down --dry-run" -- "${dbctl[@]}" migrate down --dry-run -d "$d"
is "$(q "select count(*) from information_schema.columns where table_name = 'schema_migrations'")" 1 \
	"... a dry run leaves dbmate's table as it was"
expect_exit 0 "dbmate table: up" -- "${dbctl[@]}" migrate up -d "$d"
like "$OUT" "^applied 20200101000003_three [^
]*$" "... applies only the third"
is "$(versions)|$(exists ad_3)" "20200101000001,20200101000002,20200101000003|t" "... recorded"
is "$(q "select count(*) from schema_migrations where length(checksum) = 64 and name <> ''")" 3 "... the checksum columns are filled for all three"
expect_exit 0 "dbmate table: status up to date" -- "${dbctl[@]}" migrate status -d "$d"
expect_exit 0 "dbmate table: an adopted migration reverts" -- "${dbctl[@]}" migrate down 2 -d "$d"
is "$(versions)|$(exists ad_2)" "20200101000001|f" "... down 2"
# dbmate keeps a file's version as written: '001' is migration 1, and its row
# must be found under '001' by down and accept
pd=$tmp/adopt_padded
printf -- '-- migrate:up\ncreate table pad_1 (x int);\n-- migrate:down\ndrop table pad_1;\n' | wr "$pd/001_one.sql"
newdb dbmate_padded
q "create table schema_migrations (version varchar(128) primary key);
   insert into schema_migrations values ('001'); create table pad_1 (x int);" >/dev/null
expect_exit 0 "dbmate table with version '001': status sees it applied" -- "${dbctl[@]}" migrate status -d "$pd"
printf -- '-- migrate:up\ncreate table pad_1 (x int, y int);\n-- migrate:down\ndrop table pad_1;\n' | wr "$pd/001_one.sql"
expect_exit 0 "... accept 1 after an edit finds the row '001'" -- "${dbctl[@]}" migrate accept 1 -d "$pd"
expect_exit 0 "... status up to date after accept" -- "${dbctl[@]}" migrate status -d "$pd"
expect_exit 0 "... down" -- "${dbctl[@]}" migrate down -d "$pd"
is "$(versions)|$(exists pad_1)" "|f" "... drops the table and deletes the row '001'"
expect_exit 4 "... status shows it pending again" -- "${dbctl[@]}" migrate status -d "$pd"
like "$OUT" "0 applied, 1 pending" "... 0 applied, 1 pending"
expect_exit 0 "... up re-applies it" -- "${dbctl[@]}" migrate up -d "$pd"
is "$(versions)|$(exists pad_1)" "1|t" "... recorded and created"
newdb golang_adopt
q "create table schema_migrations (version bigint not null primary key, dirty boolean not null);
   insert into schema_migrations values (20200101000002, false);
   create table ad_1 (x int); create table ad_2 (x int);" >/dev/null
expect_exit 4 "golang-migrate table: status" -- "${dbctl[@]}" --json migrate status -d "$d"
is "$(json_field '[m["state"] for m in d["migrations"]]' <<<"$OUT")" "['applied', 'applied', 'pending']" \
	"... one row (2, clean) means 1 and 2 are applied"
expect_exit 0 "golang-migrate table: up --dry-run" -- "${dbctl[@]}" migrate up --dry-run -d "$d"
is "$(q "select string_agg(column_name, ',' order by column_name) from information_schema.columns where table_name = 'schema_migrations'")|$(exists ad_3)" \
	"dirty,version|f" "... leaves the table alone"
expect_exit 0 "golang-migrate table: down --dry-run" -- "${dbctl[@]}" migrate down --dry-run -d "$d"
is "$(q "select string_agg(column_name, ',' order by column_name) from information_schema.columns where table_name = 'schema_migrations'")|$(exists schema_migrations_golang_migrate)|$(exists ad_2)" \
	"dirty,version|f|t" "... leaves the table alone too"
expect_exit 0 "golang-migrate table: up" -- "${dbctl[@]}" migrate up -d "$d"
like "$OUT" "^applied 20200101000003_three [^
]*$" "... applies only the third"
is "$(versions)|$(exists ad_3)" "20200101000001,20200101000002,20200101000003|t" "... 3 applied and recorded, 1 and 2 adopted"
expect_exit 0 "golang-migrate table: status up to date" -- "${dbctl[@]}" migrate status -d "$d"
newdb golang_dirty
q "create table schema_migrations (version bigint not null primary key, dirty boolean not null);
   insert into schema_migrations values (20200101000002, true);
   create table ad_1 (x int);" >/dev/null
expect_exit 1 "golang-migrate table marked dirty: up exit 1" -- "${dbctl[@]}" migrate up -d "$d"
like "$ERR" "dirty" "... says the version is dirty"
unlike "$ERR" "statement 0" "... without a statement number that does not exist"
is "$(q "select version || ':' || dirty from schema_migrations")|$(exists ad_3)" "20200101000002:true|f" "... nothing applied, the row untouched"
expect_exit 1 "golang-migrate table marked dirty: status exit 1" -- "${dbctl[@]}" migrate status -d "$d"

# --- SQLite ----------------------------------------------------------------------------------
sqlite_count() { /usr/bin/python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$@" 2>&1; }
sqf=$tmp/mig.db
sq_url="sqlite:///$sqf"
d=$tmp/sqlite
printf -- '-- migrate:up\ncreate table s_a (x int);\n-- migrate:down\ndrop table s_a;\n' | wr "$d/1_a.sql"
wr "$d/2_b.sql" <<'SQL'
-- migrate:up
create table s_b (id integer primary key, n int);
create table s_log (note text);
create trigger s_b_ins after insert on s_b
begin
  insert into s_log values ('added; ok');
end;
insert into s_b (n) values (1), (2);
-- migrate:down
drop table s_log;
drop table s_b;
SQL
expect_exit 4 "SQLite: status before: exit 4" -- "$DBCTL" --url "$sq_url" migrate status -d "$d"
expect_exit 0 "SQLite: up" -- "$DBCTL" --url "$sq_url" migrate up -d "$d"
is "$(sqlite_count "$sqf" "select group_concat(version) from (select version from schema_migrations order by version)")|$(sqlite_count "$sqf" "select count(*) from s_log")" \
	"1,2|2" "... applied, the trigger body kept whole"
is "$(sqlite_count "$sqf" "select count(*) from schema_migrations where length(checksum) = 64 and applied_at is not null")" 2 "... with checksums"
expect_exit 0 "SQLite: status up to date" -- "$DBCTL" --url "$sq_url" --json migrate status -d "$d"
is "$(json_field 'd["counts"]["applied"], d["counts"]["pending"]' <<<"$OUT")" "(2, 0)" "... 2 applied"
expect_exit 0 "SQLite: down" -- "$DBCTL" --url "$sq_url" migrate down -d "$d"
is "$(sqlite_count "$sqf" "select count(*) from sqlite_master where name in ('s_b', 's_log')")|$(sqlite_count "$sqf" "select count(*) from schema_migrations")" \
	"0|1" "... reverted"
printf -- '-- migrate:up\ncreate table s_c (x int);\ninsert into nosuch values (1);\n' | wr "$d/3_c.sql"
expect_exit 1 "SQLite: a failing migration" -- "$DBCTL" --url "$sq_url" migrate up -d "$d"
like "$ERR" "3_c\.sql:3:[0-9]+: ERROR: no such table: nosuch" "... FILE:LINE:COL"
is "$(sqlite_count "$sqf" "select count(*) from schema_migrations")|$(sqlite_count "$sqf" "select count(*) from sqlite_master where name = 's_c'")" \
	"2|0" "... 2 applied, 3 rolled back"
rm "$d/3_c.sql"
printf -- '-- migrate:up\ncreate table s_a (x int, y int);\n-- migrate:down\ndrop table s_a;\n' | wr "$d/1_a.sql"
expect_exit 1 "SQLite: drift is exit 1" -- "$DBCTL" --url "$sq_url" migrate up -d "$d"
like "$ERR" "1_a\.sql: migration 1 was applied, and its file has changed" "... names the file"
expect_exit 0 "SQLite: accept" -- "$DBCTL" --url "$sq_url" migrate accept 1 -d "$d"
expect_exit 0 "SQLite: status up to date after accept" -- "$DBCTL" --url "$sq_url" migrate status -d "$d"
crlf "$d/2_b.sql"
expect_exit 0 "SQLite: a CRLF copy of an applied file is no drift" -- "$DBCTL" --url "$sq_url" migrate status -d "$d"
expect_exit 0 "SQLite: to 0" -- "$DBCTL" --url "$sq_url" migrate to 0 -d "$d"
is "$(sqlite_count "$sqf" "select count(*) from schema_migrations")|$(sqlite_count "$sqf" "select count(*) from sqlite_master where name like 's\_%' escape '\\'")" \
	"0|0" "... everything reverted"
expect_exit 0 "SQLite: up --dry-run" -- "$DBCTL" --url "$sq_url" migrate up --dry-run -d "$d"
is "$(sqlite_count "$sqf" "select count(*) from schema_migrations")|$(sqlite_count "$sqf" "select count(*) from sqlite_master where name like 's\_%' escape '\\'")" \
	"0|0" "... wrote nothing"
# --- baseline: a database that has the schema already (made by hand, another tool, a dump) ---
newdb baseline
d=$tmp/baseline
q "create table bl_1 (x int); create table bl_2 (y int)" >/dev/null
printf -- '-- migrate:up\ncreate table bl_1 (x int);\n-- migrate:down\ndrop table bl_1;\n' | wr "$d/1_one.sql"
printf -- '-- migrate:up\ncreate table bl_2 (y int);\n-- migrate:down\ndrop table bl_2;\n' | wr "$d/2_two.sql"
printf -- '-- migrate:up\ncreate table bl_3 (z int);\n-- migrate:down\ndrop table bl_3;\n' | wr "$d/3_three.sql"
expect_exit 1 "without a baseline, up fails on the existing schema" -- "${dbctl[@]}" migrate up -d "$d"
like "$ERR" 'relation "bl_1" already exists' "... (relation exists)"
expect_exit 3 "baseline of a version no file has: exit 3" -- "${dbctl[@]}" migrate baseline 5 -d "$d"
like "$ERR" "no migration file has version 5" "... says so"
expect_exit 0 "baseline 2" -- "${dbctl[@]}" --json migrate baseline 2 -d "$d"
is "$(json_field 'd["baseline"], d["recorded"]' <<<"$OUT")" "('2', 2)" "... --json: two recorded"
is "$(q "select string_agg(version || ':' || note || ':' || length(checksum) || ':' || coalesce(duration_ms::text, '-'), ',' order by version) from schema_migrations")" \
	"1:baseline:64:-,2:baseline:64:-" "... each row says baseline, with its checksum and no duration"
expect_exit 4 "status: 2 applied (baseline), 1 pending" -- "${dbctl[@]}" migrate status -d "$d"
like "$OUT" "^1 +applied .*\(baseline: not run\)" "... the baselined ones say so"
like "$OUT" "2 applied, 1 pending" "... counted as applied"
expect_exit 0 "up applies only 3" -- "${dbctl[@]}" migrate up -d "$d"
is "$(versions)|$(exists bl_3)" "1,2,3|t" "... so"
expect_exit 1 "baseline on a table that records migrations: exit 1" -- "${dbctl[@]}" migrate baseline 3 -d "$d"
like "$ERR" "the tracking table schema_migrations already records 3 migrations: a baseline is for a database that records none" \
	"... says why"
newdb baseline_empty
expect_exit 0 "baseline on an empty database creates the table" -- "${dbctl[@]}" migrate baseline 1 -d "$d"
is "$(versions)" "1" "... and records 1"

sqf=$tmp/padded.db
d=$tmp/sqlite_padded
printf -- '-- migrate:up\ncreate table sp_1 (x int);\n-- migrate:down\ndrop table sp_1;\n' | wr "$d/001_one.sql"
/usr/bin/python3 -c 'import sqlite3,sys; sqlite3.connect(sys.argv[1]).executescript("create table schema_migrations (version varchar(128) primary key); insert into schema_migrations values (\x27001\x27); create table sp_1 (x int);")' "$sqf"
expect_exit 0 "SQLite: dbmate row '001': down" -- "$DBCTL" --url "sqlite:///$sqf" migrate down -d "$d"
is "$(sqlite_count "$sqf" "select count(*) from schema_migrations")|$(sqlite_count "$sqf" "select count(*) from sqlite_master where name = 'sp_1'")" \
	"0|0" "... the table dropped and its row '001' deleted"
expect_exit 4 "SQLite: ... status shows it pending" -- "$DBCTL" --url "sqlite:///$sqf" migrate status -d "$d"
expect_exit 0 "SQLite: ... up re-applies it" -- "$DBCTL" --url "sqlite:///$sqf" migrate up -d "$d"
is "$(sqlite_count "$sqf" "select group_concat(version) from schema_migrations")|$(sqlite_count "$sqf" "select count(*) from sqlite_master where name = 'sp_1'")" \
	"1|1" "... recorded and created"

done_testing
