#!/bin/bash
# dbctl run against a throwaway MariaDB, where MySQL breaks all or nothing:
# writes to non-transactional tables (MyISAM, Aria) that no ROLLBACK undoes
# are reported (a warning on commit; a failure, a dry run or a Ctrl-C is
# "failed_partly_applied"); statements the lexer cannot see commit (a CALL
# of a procedure that runs DDL) are stopped by the server's in-transaction
# flag; and -v values are quoted with the session's own escaping.
# Interrupts send one KILL QUERY each and none during COMMIT, which is
# waited for (a proxy holds its answer); a lost connection says what stays.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/mariadb.sh"
DBCTL=${DBCTL:-$PWD/dbctl}
command -v mariadbd >/dev/null || skip_all "mariadbd not installed (hint: .ci/install-deps check)"

tmp=$(mktemp -d)
proxy_pid=
cleanup() {
	[ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null
	mariadb_stop_test
	rm -rf "$tmp"
}
trap cleanup EXIT
mariadb_start_test || skip_all "could not start a throwaway MariaDB (see the messages above)"
cd "$tmp" || exit 1
json_field() { /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
U=$TEST_MYSQL_URL
ids() { mariadb_sql "SELECT COALESCE(GROUP_CONCAT(id ORDER BY id), '-') FROM app.$1"; }
mariadb_sql "CREATE TABLE app.t (id int PRIMARY KEY) ENGINE=InnoDB;
	CREATE TABLE app.m (id int PRIMARY KEY) ENGINE=MyISAM;
	CREATE TABLE app.a (id int PRIMARY KEY) ENGINE=Aria;
	CREATE TABLE app.s (id int PRIMARY KEY AUTO_INCREMENT, v varchar(100)) ENGINE=InnoDB;
	CREATE TABLE app.\`we\`\`ird\` (id int) ENGINE=InnoDB"

# --- non-transactional tables ---
printf "INSERT INTO m VALUES (1);\nINSERT INTO t VALUES (1);\n" >both.sql
expect_exit 0 "a run that writes MyISAM and InnoDB commits" -- "$DBCTL" --url "$U" run both.sql
like "$ERR" "WARNING: the transaction changed non-transactional tables .*a failure would have left those changes behind" \
	"... with a warning that it was never all or nothing"
is "$(ids m),$(ids t)" "1,1" "... both rows are there"
printf "INSERT INTO t VALUES (2);\n" >inno.sql
expect_exit 0 "an InnoDB-only run" -- "$DBCTL" --url "$U" run inno.sql
unlike "$ERR" "non-transactional" "... has no such warning"

printf "INSERT INTO m VALUES (3);\nINSERT INTO t VALUES (3);\nINSERT INTO t VALUES (1);\n" >fail.sql
expect_exit 1 "a failure after a MyISAM write: exit 1" -- "$DBCTL" --url "$U" run fail.sql
like "$ERR" "fail\.sql:3:1: ERROR: Duplicate entry '1'" "... at the failing statement"
like "$ERR" "hint: ROLLBACK could not undo the changes to non-transactional tables .*stay applied" \
	"... and says what the rollback could not undo"
is "$(ids m)" "1,3" "... the MyISAM row stayed (ROLLBACK cannot undo it)"
is "$(ids t)" "1,2" "... the InnoDB row was rolled back"
printf "INSERT INTO m VALUES (4);\nINSERT INTO t VALUES (1);\n" >fail2.sql
expect_exit 1 "--json: the same failure" -- "$DBCTL" --url "$U" --json run fail2.sql
is "$(json_field 'd["outcome"]' <<<"$OUT")" failed_partly_applied "JSON outcome failed_partly_applied, not rolled_back"
printf "INSERT INTO t VALUES (5);\nINSERT INTO t VALUES (1);\n" >fail3.sql
expect_exit 1 "--json: a failure with InnoDB only" -- "$DBCTL" --url "$U" --json run fail3.sql
is "$(json_field 'd["outcome"]' <<<"$OUT")" rolled_back "... is rolled_back"

printf "INSERT INTO a VALUES (1);\nINSERT INTO t VALUES (6);\n" >dry.sql
expect_exit 1 "--dry-run that writes an Aria table: exit 1, it changed what it cannot undo" -- \
	"$DBCTL" --url "$U" run --dry-run dry.sql
like "$ERR" "the dry run changed what it cannot undo: ROLLBACK could not undo" "... says so"
is "$(ids a)" "1" "... the Aria row is really there"
is "$(ids t)" "1,2" "... the InnoDB row is not"
printf "INSERT INTO a VALUES (2);\n" >dry2.sql
expect_exit 1 "--dry-run --json" -- "$DBCTL" --url "$U" --json run --dry-run dry2.sql
is "$(json_field 'd["outcome"]' <<<"$OUT")" failed_partly_applied "... JSON outcome failed_partly_applied"
printf "INSERT INTO t VALUES (9);\n" >inno9.sql
expect_exit 0 "--dry-run of InnoDB writes: exit 0" -- "$DBCTL" --url "$U" run --dry-run inno9.sql
like "$OUT" "rolled back \(dry run\)" "... rolled back"
printf "INSERT INTO m VALUES (7);\n" >nt.sql
expect_exit 0 "--no-transaction: nothing to warn about" -- "$DBCTL" --url "$U" run --no-transaction nt.sql
unlike "$ERR" "non-transactional" "... no warning"

# Ctrl-C after a MyISAM write: KILL QUERY, ROLLBACK, exit 130, and not "nothing was applied"
printf "INSERT INTO m VALUES (8);\nINSERT INTO t VALUES (8);\nSELECT SLEEP(20);\n" >slow.sql
"$DBCTL" --url "$U" run slow.sql >/dev/null 2>"$tmp/slow.err" &
pid=$!
mariadb_wait_running "SELECT SLEEP(20)"
kill -INT "$pid"
wait "$pid"
is "$?" 130 "Ctrl-C after a MyISAM write: exit 130"
like "$(cat "$tmp/slow.err")" "interrupted: rolled back, but not all of it" "... says the rollback was not whole"
like "$(cat "$tmp/slow.err")" "hint: ROLLBACK could not undo" "... and why"
is "$(ids m),$(ids t)" "1,3,4,7,8,1,2" "... the MyISAM row stayed, the InnoDB one did not"

# --- implicit commits the lexer cannot see ---
# (EXECUTE IMMEDIATE and BEGIN NOT ATOMIC are refused before sending: 16-mysql-run.t)
# A procedure can commit in ways the runtime guard (the in-transaction flag
# after the batch) cannot see, as COMMIT AND CHAIN (audit F1): CALL is refused
# before anything is sent, so the guard is no longer reachable from a script
# here; it stays as the safety net for what the lexer may miss.
mariadb_sql "CREATE PROCEDURE app.make_t3() CREATE TABLE app.t3 (id int)"
mariadb_sql "CREATE PROCEDURE app.chain() COMMIT AND CHAIN"
printf "INSERT INTO t VALUES (10);\nCALL make_t3();\nINSERT INTO t VALUES (11);\n" >ei.sql
expect_exit 3 "a CALL of a procedure running DDL in a transactional run: refused, exit 3" -- "$DBCTL" --url "$U" run ei.sql
like "$ERR" "ei\.sql:2:1: CALL runs a procedure dbctl cannot see: it may commit" "... at the CALL"
is "$(ids t)" "1,2" "... nothing was sent"
is "$(mariadb_sql "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='app' AND TABLE_NAME='t3'")" 0 \
	"... and the DDL did not run"
printf "INSERT INTO t VALUES (12);\nCALL chain();\nINSERT INTO t VALUES (13);\n" >chain.sql
expect_exit 3 "a CALL of a procedure that commits and chains (the flag stays on): refused" -- \
	"$DBCTL" --url "$U" --json run --dry-run chain.sql
is "$(json_field 'd["error"]["line"]' <<<"$OUT")" 2 "... the error is at line 2"
is "$(ids t)" "1,2" "... nothing was committed"
printf "INSERT INTO t VALUES (17);\nINSERT INTO t VALUES (1);\n" >dupfail.sql
expect_exit 1 "an ordinary failure keeps the transaction, which dbctl rolls back" -- "$DBCTL" --url "$U" --json run dupfail.sql
is "$(json_field 'd["outcome"]' <<<"$OUT")" rolled_back "... outcome rolled_back"
is "$(mariadb_sql "SELECT COUNT(*) FROM app.t WHERE id = 17")" 0 "... row 17 is not there"
printf "INSERT INTO t VALUES (14);\nEXECUTE IMMEDIATE 'CREATE TABLE t3 (id int)';\nINSERT INTO t VALUES (15);\n" >ei2.sql
expect_exit 0 "--no-transaction runs it" -- "$DBCTL" --url "$U" run --no-transaction ei2.sql
is "$(ids t)" "1,2,14,15" "... every statement applied"

# --- -v values: :'name' a literal, :"name" a backticked name, :name raw ---
val="it's a \\ back\\slash' ; -- x"
expected="CONCAT('it', CHAR(39), 's a ', CHAR(92), ' back', CHAR(92), 'slash', CHAR(39), ' ; -- x')"
printf "INSERT INTO s (v) VALUES (:'val');\nINSERT INTO :\"tbl\" VALUES (1);\n" >v.sql
expect_exit 0 ":'val' and :\"tbl\" with quotes, backslashes, a backtick" -- \
	"$DBCTL" --url "$U" run -v "val=$val" -v 'tbl=we`ird' v.sql
is "$(mariadb_sql "SELECT v = $expected FROM app.s WHERE id = 1")" 1 "... the value arrived byte for byte"
is "$(mariadb_sql 'SELECT COUNT(*) FROM app.`we``ird`')" 1 "... into the table whose name has a backtick"
printf "SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES';\nINSERT INTO s (v) VALUES (:'val');\n" >nbe.sql
expect_exit 0 "after SET sql_mode = NO_BACKSLASH_ESCAPES in the script" -- "$DBCTL" --url "$U" run -v "val=$val" nbe.sql
is "$(mariadb_sql "SELECT v = $expected FROM app.s WHERE id = 2")" 1 "... quoted without backslash escapes"
mariadb_sql "SET GLOBAL sql_mode = 'NO_BACKSLASH_ESCAPES'"
printf "INSERT INTO s (v) VALUES (:'val');\n" >plain.sql
expect_exit 0 "with the server's global sql_mode NO_BACKSLASH_ESCAPES" -- "$DBCTL" --url "$U" run -v "val=$val" plain.sql
is "$(mariadb_sql "SELECT v = $expected FROM app.s WHERE id = 3")" 1 "... quoted as the session reads strings"
mariadb_sql "SET GLOBAL sql_mode = DEFAULT"
printf "SELECT :v;\n" >raw.sql
expect_exit 0 "a raw :v value (1+1)" -- "$DBCTL" --url "$U" run -v "v=1+1" raw.sql
expect_exit 0 "a raw value ending in a -- comment: MySQL's statement goes without its ';'" -- \
	"$DBCTL" --url "$U" run -v "v=1 -- x" raw.sql
expect_exit 3 "a raw value with a COMMIT in it is refused" -- "$DBCTL" --url "$U" run -v "v=1; COMMIT" raw.sql
like "$ERR" "COMMIT is not allowed here.*" "... as transaction control"
like "$ERR" "hint: it comes from a -v value" "... from the value"
expect_exit 3 "a raw value with DDL in it is refused" -- "$DBCTL" --url "$U" run -v "v=1; DROP TABLE s" raw.sql
expect_exit 3 "a raw value that opens a comment is refused" -- "$DBCTL" --url "$U" run -v "v=1 /* x" raw.sql
is "$(ids s | tr , ' ' | wc -w)" 3 "... and s is still there with its 3 rows"
expect_exit 1 "an undefined :name stays as written (the server refuses it)" -- "$DBCTL" --url "$U" run raw.sql
like "$ERR" "near ':v'" "... it reached the server as ':v'"
printf "DELIMITER //\nCREATE PROCEDURE lbl() BEGIN l1: LOOP LEAVE l1; END LOOP l1; SET @x := 1; END //\nDELIMITER ;\n" >lbl.sql
expect_exit 0 "a label's ':' and ':=' are no variables" -- "$DBCTL" --url "$U" run --no-transaction -v "LOOP=x" lbl.sql

# --- the server's own errors above 2000 (MariaDB's 4000s) are refusals, not a lost connection ---
mariadb_sql "CREATE TABLE app.chk (a int CHECK (a > 0)) ENGINE=InnoDB"
printf "INSERT INTO chk VALUES (1);\nINSERT INTO chk VALUES (-1);\n" >chk.sql
expect_exit 1 "a CHECK constraint violation (4025): exit 1, the server refused" -- "$DBCTL" --url "$U" --json run chk.sql
is "$(json_field 'd["outcome"]' <<<"$OUT")" rolled_back "... rolled back, not a lost connection"
like "$(json_field 'd["error"]["message"]' <<<"$OUT")" "CONSTRAINT .*failed.*4025" "... the server's message and number"
is "$(mariadb_sql "SELECT COUNT(*) FROM app.chk")" 0 "... and the first row is not there"

# --- interrupts: one KILL QUERY each; none once COMMIT is sent ---
mariadb_sql "TRUNCATE app.t"
printf "INSERT INTO t VALUES (20);\nSELECT SLEEP(20);\nINSERT INTO t VALUES (21);\n" >sleep.sql
mariadb_general_log_on && mariadb_general_log_clear
"$DBCTL" --url "$U" run sleep.sql >/dev/null 2>"$tmp/sleep.err" &
pid=$!
mariadb_wait_running "SELECT SLEEP(20)"
kill -INT "$pid"
wait "$pid"
is "$?" 130 "Ctrl-C during a statement: exit 130"
is "$(mariadb_general_log | grep -c $'\tQuery\tKILL QUERY')" 1 \
	"... one KILL QUERY, not one more after each later statement (ROLLBACK, the reset)"
is "$(ids t)" "-" "... rolled back"

# A loopback proxy that holds the server's answer to COMMIT for DELAY
# seconds (a slow fsync or a semi-sync replica look the same), and writes
# "COMMIT" to its log when it forwards one.
cat >proxy.py <<'EOF'
import os, socket, sys, threading, time
up, log, delay = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(16)
print(ls.getsockname()[1], flush=True)
def commits(data):
    i = 0
    while i + 5 <= len(data):
        n = data[i] | data[i + 1] << 8 | data[i + 2] << 16
        body = data[i + 4:i + 4 + n]
        if body[:1] == b"\x03" and body[1:].strip().upper() == b"COMMIT":
            return True
        i += 4 + n
    return False
def pipe(a, b, held):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            if held is not None and held.is_set():
                time.sleep(delay)
                held.clear()
            b.sendall(d)
    except OSError:
        pass
    for x in (a, b):
        try: x.shutdown(socket.SHUT_RDWR)
        except OSError: pass
def handle(c):
    s = socket.create_connection(("127.0.0.1", up))
    held = threading.Event()
    threading.Thread(target=pipe, args=(s, c, held), daemon=True).start()
    try:
        while True:
            d = c.recv(65536)
            if not d:
                break
            if commits(d):
                held.set()
                with open(log, "a") as f: f.write("COMMIT\n")
            s.sendall(d)
    except OSError:
        pass
    try: s.shutdown(socket.SHUT_RDWR)
    except OSError: pass
while True:
    c, _ = ls.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
EOF
mkfifo port.fifo
/usr/bin/python3 proxy.py "$TEST_MYSQL_PORT" "$tmp/proxy.log" 3 >port.fifo &
proxy_pid=$!
read -r pport <port.fifo
PU=${U/:$TEST_MYSQL_PORT\//:$pport/}
# starts a run through the proxy, returns once its COMMIT is held
run_to_commit() {
	: >"$tmp/proxy.log"
	"$DBCTL" --url "$PU" --json run "$1" >"$tmp/commit.out" 2>"$tmp/commit.err" &
	pid=$!
	for _ in $(seq 500); do
		grep -q COMMIT "$tmp/proxy.log" && break
		sleep 0.01
	done
	sleep 0.2
}
printf "INSERT INTO t VALUES (30);\nINSERT INTO t VALUES (31);\n" >c1.sql
mariadb_general_log_clear
run_to_commit c1.sql
kill -INT "$pid"
wait "$pid"
is "$?" 0 "Ctrl-C while COMMIT's answer is 3 s slow: dbctl waits for it, exit 0 (not 130 at the 2 s cancel grace)"
like "$(cat "$tmp/commit.err")" "the interrupt came while COMMIT was running, and it committed all the same" "... says so"
is "$(json_field 'd["outcome"]' <"$tmp/commit.out")" committed "... JSON outcome committed"
is "$(ids t)" "30,31" "... and it did commit"
is "$(mariadb_general_log | grep -c $'\tQuery\tKILL QUERY')" 0 "... no KILL QUERY was sent: nothing cancels a COMMIT"
printf "INSERT INTO t VALUES (32);\n" >c2.sql
run_to_commit c2.sql
kill -TERM "$pid"
sleep 0.3
kill -TERM "$pid"
wait "$pid"
is "$?" 5 "a second SIGTERM before COMMIT's answer: exit 5, the outcome is unknown"
like "$(cat "$tmp/commit.err")" "interrupted after COMMIT was sent.*may have committed" "... says it may have committed"
unlike "$(cat "$tmp/commit.err")" "roll" "... and never that it rolled (or rolls) back"
is "$(json_field 'd["outcome"]' <"$tmp/commit.out")" unknown "... JSON outcome unknown"
sleep 3
is "$(ids t)" "30,31,32" "... (it had committed)"
kill "$proxy_pid" 2>/dev/null
proxy_pid=

# --- the connection lost mid-run ---
printf "INSERT INTO t VALUES (40);\nSELECT SLEEP(20);\n" >lost.sql
printf "INSERT INTO m VALUES (40);\nINSERT INTO t VALUES (41);\nSELECT SLEEP(20);\n" >lostm.sql
lose() {
	"$DBCTL" --url "$U" --json run "$1" >"$tmp/lost.out" 2>"$tmp/lost.err" &
	pid=$!
	for _ in $(seq 200); do
		id=$(mariadb_sql "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(20)%'")
		[ -n "$id" ] && break
		sleep 0.02
	done
	mariadb_sql "KILL CONNECTION $id"
	wait "$pid"
}
lose lost.sql
is "$?" 2 "connection killed mid-run, InnoDB only: exit 2"
like "$(cat "$tmp/lost.err")" "hint: the connection was lost; nothing was committed" "... nothing was committed"
is "$(json_field 'd["outcome"]' <"$tmp/lost.out")" rolled_back "... JSON outcome rolled_back, not failed_partly_applied"
is "$(ids t)" "30,31,32" "... true: nothing is there"
lose lostm.sql
is "$?" 2 "connection killed mid-run after a MyISAM write: exit 2"
like "$(cat "$tmp/lost.err")" "hint: the connection was lost; .*non-transactional tables .*stay applied" \
	"... the hint says the MyISAM write stays"
is "$(json_field 'd["outcome"]' <"$tmp/lost.out")" failed_partly_applied "... JSON outcome failed_partly_applied"
is "$(ids t)" "30,31,32" "... the InnoDB row is gone"
like ",$(ids m)," ",40," "... and the MyISAM row is there"

# --- a procedure's COMMIT AND CHAIN leaves a transaction open: rolled back, and said so ---
mariadb_sql "CREATE TABLE app.ch (id int) ENGINE=InnoDB"
printf 'CREATE PROCEDURE chain_p()\nBEGIN\n  START TRANSACTION;\n  INSERT INTO ch VALUES (1);\n  COMMIT AND CHAIN;\n  INSERT INTO ch VALUES (2);\nEND;\n' >"$tmp/proc.sql"
expect_exit 0 "(a procedure that ends in COMMIT AND CHAIN)" -- "$DBCTL" --url "$U" run --no-transaction "$tmp/proc.sql"
printf 'CALL chain_p();\n' >"$tmp/chain.sql"
expect_exit 1 "--no-transaction: CALL of a procedure that ends in COMMIT AND CHAIN fails" -- \
	"$DBCTL" --url "$U" run --no-transaction "$tmp/chain.sql"
like "$ERR" "the run left a transaction open at its end: what ran in that transaction was rolled back" "... says so"
is "$(ids ch)" 1 "... true: the chained transaction's row is gone, the committed one stays"

# B1: a prepared XA branch outlives the connection (XA RECOVER lists it, XA
# COMMIT applies it later): a transactional run refuses XA before sending
# anything; --no-transaction never claims a rollback it did not do.
mariadb_sql "CREATE TABLE app.xa (id int PRIMARY KEY) ENGINE=InnoDB"
xa_recover() { mariadb_sql "XA RECOVER" | awk '{ print $4 }' | sort | tr '\n' ' '; }
printf "INSERT INTO xa VALUES (1);\nXA START 'x1';\nINSERT INTO xa VALUES (2);\nXA END 'x1';\nXA PREPARE 'x1';\n" >xa1.sql
for mode in "" --dry-run; do
	# shellcheck disable=SC2086
	expect_exit 3 "XA in a transactional run is refused (run $mode)" -- "$DBCTL" --url "$U" run $mode xa1.sql
	like "$ERR" "xa1.sql:2:1: XA is not allowed here.*" "... at FILE:LINE:COL"
	like "$ERR" "hint: .*--no-transaction" "... with the hint"
done
is "$(ids xa)" "-" "... nothing was sent"
is "$(xa_recover)" "" "... no XA branch is prepared"
expect_exit 1 "--no-transaction ending with a prepared XA branch: exit 1" -- \
	"$DBCTL" --url "$U" run --no-transaction xa1.sql
like "$ERR" "a prepared XA transaction 'x1' remains on the server: ROLLBACK cannot undo it.*XA RECOVER shows it" \
	"... says it remains"
unlike "$ERR" "rolled back" "... and claims no rollback"
is "$(xa_recover)" "x1 " "... true: XA RECOVER shows it"
mariadb_sql "XA COMMIT 'x1'"
is "$(ids xa)" "1,2" "... and XA COMMIT applies it later"
printf "XA START 'x2';\nINSERT INTO xa VALUES (3);\nXA END 'x2';\nXA PREPARE 'x2';\nSELECT nosuch FROM xa;\n" >xa2.sql
expect_exit 1 "--no-transaction failing with a prepared XA branch: exit 1" -- \
	"$DBCTL" --url "$U" run --no-transaction xa2.sql
like "$ERR" "xa2.sql:5:1: ERROR: .*1399" "... the statement's error"
like "$ERR" "hint: a prepared XA transaction 'x2' remains on the server" "... and the branch that remains"
is "$(xa_recover)" "x2 " "... true"
mariadb_sql "XA ROLLBACK 'x2'"
printf "XA START 'x3';\nINSERT INTO xa VALUES (4);\nXA END 'x3';\n" >xa3.sql
expect_exit 1 "--no-transaction ending with an idle XA branch: exit 1" -- "$DBCTL" --url "$U" run --no-transaction xa3.sql
like "$ERR" "the run left a transaction open at its end: what ran in that transaction was rolled back" "... rolled back"
is "$(ids xa),$(xa_recover)" "1,2," "... true: the disconnect ended it, nothing prepared"
printf "XA START 'x4';\nINSERT INTO xa VALUES (5);\nXA END 'x4';\nXA PREPARE 'x4';\nXA COMMIT 'x4';\n" >xa4.sql
expect_exit 0 "a script that ends its XA branch runs" -- "$DBCTL" --url "$U" run --no-transaction xa4.sql
is "$(ids xa),$(xa_recover)" "1,2,5," "... committed"

printf "BEGIN;\nINSERT INTO xa VALUES (6);\nCOMMIT;\n" >xa5.sql
expect_exit 0 "--no-transaction: a script's own BEGIN ... COMMIT is no implicit commit" -- \
	"$DBCTL" --url "$U" run --no-transaction xa5.sql
is "$(ids xa)" "1,2,5,6" "... committed"
# --- F13: SET GLOBAL / SET PERSIST / SET @@global. change the server, not the transaction ---
S=$TEST_MYSQL_SUPER_URL
maxc() { mariadb_sql "SELECT @@global.max_connections"; }
before=$(maxc)
printf "INSERT INTO app.t VALUES (50);\nSELECT 1; SET GLOBAL max_connections = 77;\n" >glob.sql
expect_exit 3 "a dry run refuses SET GLOBAL" -- "$DBCTL" --url "$S" run --dry-run glob.sql
like "$ERR" "glob.sql:2:11: SET GLOBAL changes the server's settings, which no rollback undoes: a dry run would leave it applied" \
	"... at FILE:LINE:COL, saying why"
is "$(maxc)" "$before" "... the setting is unchanged"
printf "SET @@global.max_connections = 77;\n" >glob2.sql
expect_exit 3 "a dry run refuses SET @@global." -- "$DBCTL" --url "$S" run --dry-run glob2.sql
like "$ERR" "glob2.sql:1:1: SET @@global. changes the server's settings" "... named so"
printf "SET PERSIST max_connections = 77;\n" >glob3.sql
expect_exit 3 "a dry run refuses SET PERSIST (MySQL 8)" -- "$DBCTL" --url "$S" run --dry-run glob3.sql
like "$ERR" "glob3.sql:1:1: SET PERSIST changes the server's settings" "... named so"
printf "SET SESSION sql_mode = '', @@GLOBAL . max_connections = 77;\n" >glob4.sql
expect_exit 3 "a transactional run refuses a global assignment after a session one" -- "$DBCTL" --url "$S" run glob4.sql
like "$ERR" "glob4.sql:1:1: SET @@global. changes the server's settings, which no rollback undoes" "... named so"
like "$ERR" "hint: run the script with --no-transaction" "... with the --no-transaction hint"
is "$(maxc)" "$before" "... the setting is unchanged"
printf "INSERT INTO app.t VALUES (50);\nSET @x = @@global.max_connections;\nSET max_statement_time = 5;\n" >sess.sql
expect_exit 0 "reading a global, or setting a session variable, runs in a dry run" -- \
	"$DBCTL" --url "$S" run --dry-run sess.sql
expect_exit 0 "--no-transaction runs SET GLOBAL" -- "$DBCTL" --url "$S" run --no-transaction glob2.sql
is "$(maxc)" 77 "... it is applied"
mariadb_sql "SET GLOBAL max_connections = $before"

done_testing
