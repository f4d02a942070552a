#!/bin/bash
# dbctl shell against a throwaway MariaDB, through a real pseudo-terminal:
# the prompt shows the transaction, a failing statement undoes only itself
# (natively on MySQL), \rollback undoes the rest, \d and \dt read
# information_schema, and writes show a command tag; DDL is refused while the
# transaction has writes (it would commit them), a deadlock (1213) rolls the
# whole transaction back and the shell says so, completion reads
# information_schema, and no password statement reaches the history.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/mariadb.sh"
. "$(dirname "$0")/../lib/pty.sh"
DBCTL=${DBCTL:-$PWD/dbctl}
command -v mariadbd >/dev/null || skip_all "mariadbd not installed (hint: .ci/install-deps check)"
command -v tmux >/dev/null || skip_all "tmux is not installed"

tmp=$(mktemp -d)
other=
trap '[ -n "$other" ] && kill "$other" 2>/dev/null; pty_cleanup; mariadb_stop_test; rm -rf "$tmp"' EXIT
mariadb_start_test || skip_all "could not start a throwaway MariaDB (see the messages above)"
cd "$tmp" || exit 1
export XDG_STATE_HOME=$tmp/state PAGER=
mariadb_sql "CREATE TABLE app.items (id int PRIMARY KEY, name varchar(20) NOT NULL DEFAULT 'x') ENGINE=InnoDB"
mariadb_sql "CREATE PROCEDURE app.p_commit() COMMIT"
mariadb_sql "CREATE TABLE app.fw_log (id int) ENGINE=InnoDB"
mariadb_client app <<'SQL'
DELIMITER //
CREATE FUNCTION fw() RETURNS int MODIFIES SQL DATA BEGIN INSERT INTO fw_log VALUES (1); RETURN 7; END//
DELIMITER ;
SQL
count() { mariadb_sql "SELECT COUNT(*) FROM app.items"; }
mariadb_sql "CREATE TABLE app.bq1 (bq1_col int); CREATE TABLE app.bq2 (bq2_col int); CREATE TABLE app.\`bq\`\`3\` (bq3_col int)"

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
# F24b: \d takes the name as a statement would have it
pty_type sh '\d `bq1`'
pty_wait sh 'bq1_col +\| int'
ok $? "\\d \`NAME\`: the backticks are taken off"
pty_type sh '\d app.bq2'
pty_wait sh 'bq2_col +\| int'
ok $? "\\d SCHEMA.NAME looks in that schema"
pty_type sh '\d `app`.`bq``3`'
pty_wait sh 'bq3_col +\| int'
ok $? "\\d \`SCHEMA\`.\`NA\`\`ME\`: both quoted, a doubled backtick in a name"
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
mariadb_wait_running "SELECT SLEEP(20)"
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
pty_wait sh 'app=> $'

# --- a statement that commits implicitly (MySQL's DDL) ---
pty_type sh "INSERT INTO items VALUES (5, 'five');"
pty_wait sh 'INSERT 1'
pty_type sh "CREATE TABLE ddl1 (id int);"
pty_wait sh "CREATE TABLE would commit the open transaction, which has uncommitted changes"
ok $? "DDL while the transaction has writes is refused: it would commit them"
pty_wait sh 'hint: \\commit or \\rollback first'
ok $? "... with a hint"
is "$(mariadb_sql "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='app' AND TABLE_NAME='ddl1'")" 0 \
	"... the table was not created"
is "$(mariadb_sql "SELECT COUNT(*) FROM app.items WHERE id = 5")" 0 "... and the row was not committed"
pty_type sh "SELECT CONCAT('still:', COUNT(*)) FROM items WHERE id = 5;"
pty_wait sh 'still:1'
ok $? "... the transaction is still open with its row"
pty_type sh "CALL p_commit();"
pty_wait sh "CALL runs a statement dbctl cannot see, which may commit the open transaction, and this one has uncommitted changes"
ok $? "CALL while the transaction has writes is refused: the procedure may commit them"
is "$(mariadb_sql "SELECT COUNT(*) FROM app.items WHERE id = 5")" 0 "... the row was not committed"
pty_type sh '\rollback'
pty_wait sh 'ROLLBACK'
pty_type sh "SELECT CONCAT('read:', COUNT(*)) FROM items;"
pty_wait sh 'read:1'
pty_wait sh 'app\*> $'
pty_type sh "CREATE TABLE ddl2 (id int);"
pty_wait sh "CREATE TABLE ran outside a transaction: it is already applied"
ok $? "DDL in a transaction that only read runs, and says it is applied"
is "$(mariadb_sql "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='app' AND TABLE_NAME='ddl2'")" 1 \
	"... the table exists"

# F11: a function called by a SELECT writes rows that the transaction
# tracker counts as a read: DDL after it would commit them
pty_type sh "SELECT CONCAT('fw:', fw()) AS r;"
pty_wait sh 'fw:7'
pty_wait sh 'app\*> $'
pty_type sh "CREATE TABLE ddl3 (id int);"
pty_type sh "SELECT CONCAT('fwrows:', COUNT(*)) FROM fw_log;"
pty_wait sh 'fwrows:'
[ "$(pty_screen sh | grep -c "CREATE TABLE would commit the open transaction, which has uncommitted changes")" = 2 ]
ok $? "DDL after a SELECT whose function wrote rows is refused"
pty_wait sh 'fwrows:1'
ok $? "... the transaction still holds the function's row"
is "$(mariadb_sql "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='app' AND TABLE_NAME='ddl3'")" 0 \
	"... the table was not created"
is "$(mariadb_sql "SELECT COUNT(*) FROM app.fw_log")" 0 "... and the function's row was not committed"
pty_type sh '\rollback'
pty_wait sh 'ROLLBACK'
pty_wait sh 'app=> $'
is "$(mariadb_sql "SELECT COUNT(*) FROM app.fw_log")" 0 "... \\rollback undid it"

# --- LOCK TABLES, SET autocommit, XA: never a silent ROLLBACK of the shell's transaction ---
pty_type sh '\rollback'
pty_type sh "INSERT INTO items VALUES (6, 'six');"
pty_wait sh 'INSERT 1'
pty_type sh "LOCK TABLES items WRITE;"
pty_wait sh "LOCK TABLES is not run inside the shell's transaction: it would end it or take it over"
ok $? "LOCK TABLES in the shell's transaction is refused"
pty_type sh "SET autocommit = 1;"
pty_wait sh "SET autocommit is not run inside the shell's transaction"
ok $? "... and SET autocommit"
pty_type sh "SELECT CONCAT('kept:', COUNT(*)) FROM items WHERE id = 6;"
pty_wait sh 'kept:1'
ok $? "... and the transaction and its row are still there (no ROLLBACK was sent)"
pty_type sh '\rollback'
pty_wait sh 'ROLLBACK'
pty_type sh '\autocommit on'
pty_type sh "LOCK TABLES items WRITE;"
pty_type sh "UNLOCK TABLES;"
pty_type sh "SELECT CONCAT('unlocked:', COUNT(*)) FROM items;"
pty_wait sh 'unlocked:'
ok $? "... in autocommit mode they are sent as written"
[[ $(pty_screen sh) != *"LOCK TABLES is not run"*"LOCK TABLES is not run"* ]]
ok $? "... without a refusal"
pty_type sh '\autocommit off'

# --- a deadlock rolls the whole transaction back: the shell says so ---
mariadb_sql "CREATE TABLE app.dl (id int PRIMARY KEY, v int) ENGINE=InnoDB; INSERT INTO app.dl VALUES (1, 0), (2, 0);
	CREATE TABLE app.heavy (id int PRIMARY KEY) ENGINE=InnoDB"
mkfifo "$tmp/other"
timeout 60 mariadb --no-defaults --skip-ssl -uapp -p"$TEST_MYSQL_APP_PASSWORD" -h127.0.0.1 -P"$TEST_MYSQL_PORT" app \
	<"$tmp/other" >/dev/null 2>&1 &
other=$!
exec 7>"$tmp/other"
pty_wait sh 'app=> $'
pty_type sh "UPDATE dl SET v = 1 WHERE id = 1;"
pty_wait sh 'UPDATE 1'
# the other session writes more, so that InnoDB picks the shell's as the victim
echo "BEGIN; INSERT INTO heavy SELECT seq FROM seq_1_to_200; UPDATE dl SET v = 2 WHERE id = 2; UPDATE dl SET v = 2 WHERE id = 1;" >&7
for _ in $(seq 250); do
	[ "$(mariadb_sql "SELECT COUNT(*) FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT'")" = 1 ] && break
	sleep 0.02
done
pty_type sh "UPDATE dl SET v = 1 WHERE id = 2;"
pty_wait sh 'Deadlock found.*1213'
ok $? "a deadlock: the server's 1213"
pty_wait sh 'the database ended the transaction: everything since it began was rolled back'
ok $? "... and the shell says the whole transaction was rolled back (not only the statement)"
pty_wait sh 'app=> $'
ok $? "... the prompt is idle again"
echo "COMMIT;" >&7
exec 7>&-
wait "$other"
is "$(mariadb_sql "SELECT GROUP_CONCAT(v ORDER BY id) FROM app.dl")" "2,2" \
	"... the shell's earlier UPDATE is gone; the other session's committed"

# --- completion from information_schema ---
pty_keys sh -l "SELECT * FROM ite"
pty_keys sh Tab
pty_wait sh 'FROM items $'
ok $? "Tab completes a table name from information_schema"
pty_keys sh C-u
pty_keys sh -l "SELECT items.na"
pty_keys sh Tab
pty_wait sh 'SELECT items\.name +$'
ok $? "... and a column after its table's name"
pty_keys sh C-u

# --- a password never reaches the history ---
pty_type sh "SELECT 'remember me' AS h;"
pty_wait sh 'remember me'
pty_type sh "CREATE USER 'histu'@'localhost' IDENTIFIED BY 'Hist-Secret-42';"
pty_wait sh 'CREATE USER'
pty_type sh "ALTER USER 'histu'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('Hist-Secret-43');"
pty_wait sh 'ALTER USER'
pty_type sh '\q'
pty_wait sh '\[exit 0\]'
ok $? "\\q exits 0"
hist=$XDG_STATE_HOME/dbctl/history
grep -q 'remember' "$hist"
ok $? "statements are saved in the history"
grep -q 'Hist-Secret' "$hist"
ok $((!$?)) "IDENTIFIED BY '...' and PASSWORD('...') are not"

# B1: a prepared XA branch outlives ROLLBACK and the connection: the shell
# never says it was rolled back
mariadb_sql "CREATE TABLE app.xa (id int) ENGINE=InnoDB"
pty_stop sh
pty_start xa env XDG_STATE_HOME="$XDG_STATE_HOME" PAGER= "$DBCTL" --url "$TEST_MYSQL_URL" shell --autocommit
pty_wait xa 'app=> $'
pty_type xa "XA START 'sx';"
pty_wait xa 'app\*> $'
pty_type xa "INSERT INTO xa VALUES (1);"
pty_wait xa 'INSERT 1'
pty_type xa "XA END 'sx';"
pty_type xa "XA PREPARE 'sx';"
pty_type xa "ROLLBACK;"
pty_wait xa "PREPARED state.*1399"
ok $? "ROLLBACK of a prepared XA branch: the server's refusal is shown"
pty_wait xa "hint: a prepared XA transaction outlives ROLLBACK and the connection"
ok $? "... with a hint naming XA COMMIT / XA ROLLBACK"
pty_type xa '\q'
pty_wait xa 'commit, roll back, or stay\? \[c/r/s\] $'
pty_keys xa C-d
pty_wait xa 'not rolled back'
ok $? "... quitting at the question says it was not rolled back"
pty_wait xa '\[exit '
unlike "$(pty_screen xa)" "(^|[^t] )rolled back" "... and never that it was"
is "$(mariadb_sql "XA RECOVER" | awk '{ print $4 }')" "sx" "... true: XA RECOVER shows it"
mariadb_sql "XA ROLLBACK 'sx'"
# F21: Ctrl-C when the account has no connection left for KILL QUERY
mariadb_sql "CREATE USER 'lim'@'%' IDENTIFIED BY 'Lim-Secret-1' WITH MAX_USER_CONNECTIONS 1;
	CREATE USER 'lim'@'localhost' IDENTIFIED BY 'Lim-Secret-1' WITH MAX_USER_CONNECTIONS 1;
	GRANT ALL ON app.* TO 'lim'@'%', 'lim'@'localhost'"
pty_start lim env XDG_STATE_HOME="$XDG_STATE_HOME" PAGER= "$DBCTL" \
	--url "mysql://lim:Lim-Secret-1@127.0.0.1:$TEST_MYSQL_PORT/app" shell --no-history
pty_wait lim 'app=> $'
pty_type lim "INSERT INTO items VALUES (90, 'ninety');"
pty_wait lim 'INSERT 1'
pty_type lim "SELECT SLEEP(30);"
mariadb_wait_running "SELECT SLEEP(30)"
pty_keys lim C-c
pty_wait lim "WARNING: the statement could not be cancelled: the KILL QUERY connection was refused: .*max_user_connections.*interrupt again to close the connection"
ok $? "Ctrl-C without a connection left for KILL QUERY says the statement could not be cancelled, and why"
t0=${EPOCHREALTIME/[.,]/}
pty_keys lim C-c
pty_wait lim "interrupted: the statement could not be cancelled, so dbctl closed the connection"
ok $? "... a second Ctrl-C closes the connection and says so"
pty_wait lim 'app=> $'
ok $? "... and gives the prompt back"
ms=$(((${EPOCHREALTIME/[.,]/} - t0) / 1000))
cmp_ok "$ms" -lt 5000 "... at once ($ms ms), not when the SLEEP ends"
is "$(mariadb_sql "SELECT COUNT(*) FROM app.items WHERE id = 90")" 0 "... the transaction's row was not committed"
[[ $(pty_screen lim) != *Lim-Secret-1* ]]
ok $? "... and the password is shown nowhere"
mariadb_sql "SELECT CONCAT('KILL ', id, ';') FROM information_schema.PROCESSLIST WHERE USER = 'lim'" | mariadb_sql 2>/dev/null

done_testing
