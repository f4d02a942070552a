#!/bin/bash
# dbctl shell against a throwaway MariaDB, through a real pseudo-terminal:
# the prompt shows the transaction, a failing statement undoes only itself
# (natively on MySQL), \rollback undoes the rest, \d and \dt read
# information_schema, and writes show a command tag.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/mariadb.sh"
. "$(dirname "$0")/../lib/pty.sh"
DBCTL=${DBCTL:-$PWD/dbctl}
command -v mariadbd >/dev/null || skip_all "mariadbd not installed (hint: .ci/install-deps check)"
command -v tmux >/dev/null || skip_all "tmux is not installed"

tmp=$(mktemp -d)
trap 'pty_cleanup; mariadb_stop_test; rm -rf "$tmp"' EXIT
mariadb_start_test || skip_all "could not start a throwaway MariaDB (see the messages above)"
cd "$tmp" || exit 1
export XDG_STATE_HOME=$tmp/state PAGER=
mariadb_sql "CREATE TABLE app.items (id int PRIMARY KEY, name varchar(20) NOT NULL DEFAULT 'x') ENGINE=InnoDB"
count() { mariadb_sql "SELECT COUNT(*) FROM app.items"; }

pty_start sh env XDG_STATE_HOME="$XDG_STATE_HOME" PAGER= "$DBCTL" --url "$TEST_MYSQL_URL" shell
pty_wait sh 'app=> $'
ok $? "the shell starts with an idle prompt"
pty_type sh "INSERT INTO items VALUES (1, 'one'), (2, 'two');"
pty_wait sh 'INSERT 2'
ok $? "an INSERT shows its tag"
pty_wait sh 'app\*> $'
ok $? "... and the prompt says a transaction is open"
is "$(count)" 0 "... which other sessions do not see yet"
pty_type sh "INSERT INTO items VALUES (1, 'dup');"
pty_wait sh "Duplicate entry '1'.*1062"
ok $? "a failing statement says why"
pty_type sh "SELECT id, name FROM items ORDER BY id;"
pty_wait sh ' 2 \| two'
ok $? "... and undid only itself: the earlier rows are still there"
pty_type sh '\d items'
pty_wait sh "name +\\| varchar\\(20\\) +\\| not null +\\| 'x'"
ok $? "\\d items lists the columns from information_schema"
pty_type sh '\dt'
pty_wait sh 'app +\| items +\| table +\| InnoDB'
ok $? "\\dt lists the tables of the current database"
pty_type sh '\rollback'
pty_wait sh 'ROLLBACK'
pty_wait sh 'app=> $'
ok $? "\\rollback: the prompt is idle again"
is "$(count)" 0 "... and nothing was committed"
pty_type sh "INSERT INTO items VALUES (3, 'three');"
pty_wait sh 'INSERT 1'
pty_type sh '\commit'
pty_wait sh 'COMMIT'
is "$(count)" 1 "\\commit commits"
is "$(mariadb_sql "SELECT @@GLOBAL.autocommit")" 1 "the server's autocommit is left alone"
pty_type sh "INSERT INTO items VALUES (4, 'four');"
pty_wait sh 'INSERT 1'
pty_type sh "SELECT SLEEP(20);"
for _ in $(seq 200); do
	[ "$(mariadb_sql "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(20)%'")" = 1 ] && break
	sleep 0.02
done
t0=${EPOCHREALTIME/[.,]/}
pty_keys sh C-c
pty_wait sh 'interrupted \(MySQL error 1317\)'
ok $? "Ctrl-C stops the statement in flight: KILL QUERY from a second connection (1317)"
ms=$(((${EPOCHREALTIME/[.,]/} - t0) / 1000))
cmp_ok "$ms" -lt 3000 "... long before the SLEEP would end ($ms ms)"
pty_type sh "SELECT CONCAT('rows:', COUNT(*)) FROM items;"
pty_wait sh 'rows:2'
ok $? "... and the transaction and its earlier row survive it"
pty_type sh '\rollback'
pty_wait sh 'ROLLBACK'
pty_type sh '\q'
pty_wait sh '\[exit 0\]'
ok $? "\\q exits 0"

done_testing
