#!/bin/bash
# dbctl migrate --lock=table: the lease lives as long as its migration
# (issue 12 item 8). A heartbeat on a second connection renews it while a
# long statement runs, so a rival does not take it when it would have
# expired; a runner that loses it stops before its next statement (or
# before COMMIT), with the rest unsent.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/servers.sh"
. "$(dirname "$0")/../lib/migrate.sh"
[ -n "${TEST_PG_SUPER_URL:-}" ] || skip_all "no test servers (run me through tests/run)"

tmp=$(mktemp -d "$TEST_TMP/miglease.XXXXXX")
cd "$tmp" || exit 1
runner=
trap '[ -n "$runner" ] && kill -KILL "$runner" 2>/dev/null; mig_cleanup; rm -rf "$tmp"' EXIT

# --- the heartbeat keeps a 2 s lease through a 5 s statement -------------------
newdb lease_beat
d=$tmp/beat
printf -- "-- migrate:up transaction:false\nSELECT pg_sleep(5);\nCREATE TABLE beat_done (id int);\n" | wr "$d/1_long.sql"
"${dbctl[@]}" migrate up --lock=table --lease 2 -d "$d" >"$tmp/a.out" 2>"$tmp/a.err" &
runner=$!
running "pg_sleep(5)" || diag "the long statement did not start"
sleep 3
is "$(q "SELECT expires_at > now() FROM schema_migrations_lock WHERE id = 1")" t \
	"3 s into a 5 s statement, the 2 s lease has not expired: renewed meanwhile"
expect_exit 1 "a rival --lock=table runner cannot take it" -- \
	"${dbctl[@]}" migrate up --lock=table --lease 2 --lock-timeout 1 -d "$d"
like "$ERR" "could not take the migration lease" "... it says the lease is held"
wait "$runner"
is "$?" 0 "the long runner finishes, exit 0"
runner=
is "$(exists beat_done)" t "... its statements all ran"
is "$(q "SELECT count(*) FROM schema_migrations_lock")" 0 "... and the lease row is gone"

# --- a lost lease stops the runner before its next statement -------------------
newdb lease_lost
d=$tmp/lost
printf -- "-- migrate:up transaction:false\nSELECT pg_sleep(3);\nCREATE TABLE after_loss (id int);\n" | wr "$d/1_long.sql"
"${dbctl[@]}" migrate up --lock=table --lease 2 -d "$d" >"$tmp/b.out" 2>"$tmp/b.err" &
runner=$!
running "pg_sleep(3)" || diag "the long statement did not start"
q "UPDATE schema_migrations_lock SET holder = 'another runner'" >/dev/null
wait "$runner"
is "$?" 1 "a runner whose lease was taken: exit 1"
runner=
like "$(cat "$tmp/b.err")" "the migration lease was lost .*stopped before .*1_long.sql:3, which was not sent" \
	"... says so, naming the statement it did not send"
is "$(exists after_loss)" f "... which indeed did not run"

# the same in a transaction: caught before COMMIT, rolled back
newdb lease_lost_tx
d=$tmp/losttx
printf -- "-- migrate:up\nCREATE TABLE tx_part (id int);\nSELECT pg_sleep(3);\nCREATE TABLE tx_after (id int);\n" |
	wr "$d/1_long.sql"
"${dbctl[@]}" migrate up --lock=table --lease 2 -d "$d" >"$tmp/c.out" 2>"$tmp/c.err" &
runner=$!
running "pg_sleep(3)" || diag "the long statement did not start"
q "UPDATE schema_migrations_lock SET holder = 'another runner'" >/dev/null
wait "$runner"
is "$?" 1 "a transactional migration whose lease was taken: exit 1"
runner=
like "$(cat "$tmp/c.err")" "the migration lease was lost" "... says so"
is "$(exists tx_part)$(exists tx_after)" ff "... rolled back: nothing of it is there"
is "$(versions)" "" "... not recorded"

# bad --lease: exit 3
expect_exit 3 "--lease 0.2" -- "${dbctl[@]}" migrate up --lock=table --lease 0.2 -d "$d"
like "$ERR" "--lease expects at least 1 second" "... says why"

done_testing
