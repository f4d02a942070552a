#!/bin/bash
# dbctl ping against a throwaway MariaDB (tests/lib/mariadb.sh): exit 0 with
# the version, 1 for every refusal the server sends, 2 when nothing answers
# (closed port, missing socket, a silent listener held to --timeout), --level
# reach/server/auth/query as for PostgreSQL, and the password in no output.
# Refusals: 1045, 1044, 1049, 1040 (max_connections), 1226 (the account's limit). Skipped when MariaDB is not installed.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/mariadb.sh"
DBCTL=${DBCTL:-$PWD/dbctl}
command -v mariadbd >/dev/null || skip_all "mariadbd not installed (hint: .ci/install-deps check)"

tmp=$(mktemp -d)
listener_pids=()
cleanup() {
	local pid
	for pid in "${listener_pids[@]}"; do kill "$pid" 2>/dev/null; done
	mariadb_stop_test
	rm -rf "$tmp"
}
trap cleanup EXIT
mariadb_start_test || skip_all "could not start a throwaway MariaDB (see the messages above)"
cd "$tmp" || exit 1   # ./dbctl.ini must not be read from wherever we were

free_port() { perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen=>1,LocalAddr=>"127.0.0.1",LocalPort=>0,Proto=>"tcp")->sockport'; }
json_field() { /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
silent_port=$(free_port)
perl -MIO::Socket::INET -e '$s=IO::Socket::INET->new(Listen=>50,LocalAddr=>"127.0.0.1:'"$silent_port"'",ReuseAddr=>1) or die; while($c=$s->accept){push @k,$c}' &
listener_pids+=($!)
closed_port=$(free_port)
P=$TEST_MYSQL_PORT
app_pw=$TEST_MYSQL_APP_PASSWORD
enc_pw=$(pct_encode "$app_pw")
# Every output of every case below must be free of both passwords, raw or encoded.
no_secret() {
	local all="$OUT$ERR"
	[[ $all != *"$app_pw"* && $all != *"$enc_pw"* && $all != *"$TEST_MYSQL_SUPER_PASSWORD"* &&
		$all != *"$(pct_encode "$TEST_MYSQL_SUPER_PASSWORD")"* && $all != *"wrongpass99"* ]]
	ok $? "... and no password in its output"
}

# --- up ---
expect_exit 0 "MariaDB over TCP: exit 0" -- "$DBCTL" --url "$TEST_MYSQL_URL" ping
like "$OUT" "^mysql://app:\*\*\*@127\.0\.0\.1:$P/app: up in [0-9.]+ ms \(MariaDB 10\." "masked target, latency, version"
no_secret
expect_exit 0 "over the unix socket (?socket=)" -- "$DBCTL" --url "$TEST_MYSQL_UNIX_URL" ping
like "$OUT" "up in .*MariaDB" "... up"
expect_exit 0 "mariadb:// is the same backend" -- "$DBCTL" --url "mariadb://app:$enc_pw@127.0.0.1:$P/app" ping
expect_exit 0 "golang-migrate's tcp(host:port) form" -- "$DBCTL" --url "mysql://app:$enc_pw@tcp(127.0.0.1:$P)/app" ping
expect_exit 0 "ssl-mode=DISABLED and charset given" -- \
	"$DBCTL" --url "$TEST_MYSQL_URL?ssl-mode=DISABLED&charset=utf8mb4" ping
# F24a: a character set the library does not know is a bad URL, not a server that did not answer
expect_exit 3 "an unknown ?charset= is bad input: exit 3" -- "$DBCTL" --url "$TEST_MYSQL_URL?charset=klingon" ping
like "$ERR" "invalid MySQL URL: charset=klingon is not a character set" "... naming the parameter"
no_secret
expect_exit 3 "... found before connecting (a closed port does not matter)" -- \
	"$DBCTL" --url "mysql://app:$enc_pw@127.0.0.1:1/app?charset=klingon" run - <<<"SELECT 1;"
like "$ERR" "charset=klingon" "... named"
expect_exit 0 "--json up" -- "$DBCTL" --url "$TEST_MYSQL_URL" --json ping
is "$(json_field 'd["results"][0]["status"]' <<<"$OUT")" up "JSON status up"
like "$(json_field 'd["results"][0]["server_version"]' <<<"$OUT")" "MariaDB" "JSON server_version"
no_secret

# "localhost" means TCP too: a server that listens only on a socket the
# library would pick by default (/run/mysqld) must not be what answers.
expect_exit 0 "host localhost goes over TCP to the URL's port" -- \
	"$DBCTL" --url "mysql://app:$enc_pw@localhost:$P/app" ping
expect_exit 2 "localhost on a closed port: exit 2 (no fallback to a default socket)" -- \
	"$DBCTL" --url "mysql://app:$enc_pw@localhost:$closed_port/app" ping
like "$ERR" "2002" "... Can't connect (2002)"

# --- refused: exit 1 ---
expect_exit 1 "wrong password: exit 1 (mysqladmin ping exits 0 here)" -- \
	"$DBCTL" --url "mysql://app:wrongpass99@127.0.0.1:$P/app" ping
like "$ERR" "refused: ERROR 1045 \(28000\): Access denied" "... says refused, 1045"
no_secret
expect_exit 1 "wrong password, --json: exit 1" -- "$DBCTL" --json --url "mysql://app:wrongpass99@127.0.0.1:$P/app" ping
is "$(json_field 'd["results"][0]["status"]' <<<"$OUT")" refused "JSON status refused"
no_secret
expect_exit 1 "unknown database (root): exit 1" -- "$DBCTL" --url "${TEST_MYSQL_SUPER_URL%/mysql}/nosuchdb" ping
like "$ERR" "ERROR 1049 .*Unknown database 'nosuchdb'" "... 1049 names the database"
no_secret
expect_exit 1 "database without rights (app): exit 1" -- "$DBCTL" --url "${TEST_MYSQL_URL%/app}/nosuchdb" ping
like "$ERR" "ERROR 1044" "... 1044"
mariadb_sql "CREATE USER 'lim'@'%' IDENTIFIED BY 'limpw' WITH MAX_USER_CONNECTIONS 1;
	CREATE USER 'lim'@'localhost' IDENTIFIED BY 'limpw' WITH MAX_USER_CONNECTIONS 1;
	GRANT USAGE ON *.* TO 'lim'@'%', 'lim'@'localhost'"
# hold lim's one connection open while dbctl tries a second
mkfifo "$tmp/hold"
timeout 20 mariadb --no-defaults --skip-ssl -ulim -plimpw -h127.0.0.1 -P"$P" <"$tmp/hold" >/dev/null 2>&1 &
holder=$!
listener_pids+=($holder)
exec 7>"$tmp/hold"
echo "SELECT 1;" >&7
for _ in $(seq 100); do
	[ "$(mariadb_sql "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER='lim'")" = 1 ] && break
	sleep 0.02
done
expect_exit 1 "account at its MAX_USER_CONNECTIONS: exit 1" -- "$DBCTL" --url "mysql://lim:limpw@127.0.0.1:$P/" ping
like "$ERR" "1226|max_user_connections" "... says the account's limit"
exec 7>&-
wait "$holder" 2>/dev/null
# max_connections reached: the server answers with 1040 in place of its
# greeting (its minimum is 10; root keeps the one extra SUPER slot)
mariadb_sql "SET GLOBAL max_connections = 10"
# Each holder is a client reading from a fifo kept open on fd 9+N. The
# root connection that counts them takes a normal slot while it runs, so a
# holder starting at that moment can itself be refused: start more until
# ten are in (a loaded machine can take seconds: up to 20 s).
full_pids=() started=0
hold_one() {
	started=$((started + 1))
	mkfifo "$tmp/full$started"
	timeout 30 mariadb --no-defaults --skip-ssl -uapp -p"$app_pw" -h127.0.0.1 -P"$P" app <"$tmp/full$started" >/dev/null 2>&1 &
	full_pids+=($!)
	listener_pids+=($!)
	eval "exec $((9 + started))>\"\$tmp/full$started\""
	echo "SELECT 1;" >&$((9 + started))
}
for _ in $(seq 10); do hold_one; done
held=0
for round in $(seq 400); do
	held=$(mariadb_sql "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER='app'")
	[ "$held" -ge 10 ] && break
	if [ $((round % 20)) = 0 ] && [ "$started" -lt 30 ]; then
		for _ in $(seq $((10 - held))); do hold_one; done
	fi
	sleep 0.05
done
cmp_ok "$held" -ge 10 "the ten connections that fill the server are in ($held)"
expect_exit 1 "max_connections reached: exit 1 (refused, not no answer)" -- "$DBCTL" --url "$TEST_MYSQL_URL" ping
like "$ERR" "refused: ERROR 1040 .*Too many connections" "... 1040"
no_secret
expect_exit 0 "--level server: a full server still answered" -- "$DBCTL" --url "$TEST_MYSQL_URL" ping --level server
expect_exit 1 "--level auth: a full server refused the login" -- "$DBCTL" --url "$TEST_MYSQL_URL" ping --level auth
for i in $(seq "$started"); do eval "exec $((9 + i))>&-"; done
for pid in "${full_pids[@]}"; do wait "$pid" 2>/dev/null; done
mariadb_sql "SET GLOBAL max_connections = 50"
expect_exit 0 "... and up again once they left" -- "$DBCTL" --url "$TEST_MYSQL_URL" ping

expect_exit 0 "--level server: a wrong password still proves the server answers" -- \
	"$DBCTL" --url "mysql://app:wrongpass99@127.0.0.1:$P/app" ping --level server
expect_exit 1 "--level auth: a wrong password fails" -- \
	"$DBCTL" --url "mysql://app:wrongpass99@127.0.0.1:$P/app" ping --level auth
expect_exit 0 "--level query (the default) on a live server" -- "$DBCTL" --url "$TEST_MYSQL_URL" ping --level query
expect_exit 0 "--level auth on a live server" -- "$DBCTL" --url "$TEST_MYSQL_URL" ping --level auth
expect_exit 3 "--level nope is exit 3" -- "$DBCTL" --url "$TEST_MYSQL_URL" ping --level nope

# The library must not read MYSQL_PWD (nor option files): a URL without a
# password stays without one.
expect_exit 1 "MYSQL_PWD is not read: no password in the URL is refused" -- \
	env MYSQL_PWD="$app_pw" "$DBCTL" --url "mysql://app@127.0.0.1:$P/app" ping
like "$ERR" "using password: NO" "... the server saw no password"
printf '[client]\npassword=%s\nuser=app\n' "$app_pw" >"$tmp/my.cnf"
expect_exit 1 "~/.my.cnf is not read" -- env HOME="$tmp" "$DBCTL" --url "mysql://app@127.0.0.1:$P/app" ping

# The throwaway server has no TLS: libmariadb would fall back to plaintext
# silently under SSL_ENFORCE alone, so dbctl reads the greeting and hangs up
# before authenticating.
expect_exit 1 "ssl-mode=REQUIRED against a server without TLS: exit 1" -- \
	"$DBCTL" --url "$TEST_MYSQL_URL?ssl-mode=REQUIRED" ping
like "$ERR" "does not offer TLS, and ssl-mode=REQUIRED requires it: dbctl hung up before authenticating" "... says TLS was required and not offered"
expect_exit 1 "ssl-mode=VERIFY_CA against a server without TLS: exit 1" -- \
	"$DBCTL" --url "$TEST_MYSQL_URL?ssl-mode=VERIFY_CA" ping
expect_exit 0 "ssl-mode=PREFERRED (the default) falls back to plaintext" -- \
	"$DBCTL" --url "$TEST_MYSQL_URL?ssl-mode=PREFERRED" ping

# --- no answer: exit 2 ---
expect_exit 2 "closed port: exit 2" -- "$DBCTL" --url "mysql://app:x@127.0.0.1:$closed_port/app" ping
like "$ERR" "no answer: ERROR 2002" "... says no answer, 2002"
expect_exit 2 "--level server: a closed port fails" -- \
	"$DBCTL" --url "mysql://app:x@127.0.0.1:$closed_port/app" ping --level server
expect_exit 2 "--level reach: a closed port fails" -- \
	"$DBCTL" --url "mysql://app:x@127.0.0.1:$closed_port/app" ping --level reach
expect_exit 2 "--level server: a silent listener never sent its greeting" -- \
	"$DBCTL" --url "mysql://app:x@127.0.0.1:$silent_port/app" ping --timeout 0.3 --level server
expect_exit 2 "missing socket file: exit 2" -- "$DBCTL" --url "mysql://app:x@/app?socket=$tmp/nosock" ping
expect_exit 2 "silent listener, --timeout 0.5: exit 2" -- \
	"$DBCTL" --url "mysql://app:$enc_pw@127.0.0.1:$silent_port/app" ping --timeout 0.5
cmp_ok "$MS" -ge 450 "... not before the deadline ($MS ms)"
cmp_ok "$MS" -lt 1000 "... within about half a second ($MS ms), below the 1 s connect_timeout floor"
like "$ERR" "timed out .* after 0.5 s" "... says it timed out"
no_secret
expect_exit 2 "silent listener, --json: exit 2" -- \
	"$DBCTL" --json --url "mysql://app:$enc_pw@127.0.0.1:$silent_port/app" ping --timeout 0.3
is "$(json_field 'd["results"][0]["status"]' <<<"$OUT")" no_answer "JSON status no_answer"
no_secret
"$DBCTL" --url "mysql://app:x@127.0.0.1:$silent_port/app" ping --timeout 10 >/dev/null 2>&1 &
pid=$!
sleep 0.3
t0=${EPOCHREALTIME/[.,]/}
kill -INT "$pid"
wait "$pid"
rc=$?
ms=$(((${EPOCHREALTIME/[.,]/} - t0) / 1000))
is "$rc" 130 "Ctrl-C while waiting for a silent server: exit 130"
cmp_ok "$ms" -lt 300 "... at once ($ms ms), not at the 10 s deadline"
expect_exit 0 "--level reach: the silent listener accepted TCP" -- \
	"$DBCTL" --url "mysql://app:x@127.0.0.1:$silent_port/app" ping --timeout 0.3 --level reach

# --- bad URLs: exit 3, nothing sent ---
expect_exit 3 "unknown parameter: exit 3" -- "$DBCTL" --url "mysql://app:x@127.0.0.1:$P/app?password=topsecret" ping
like "$ERR" "unknown parameter 'password'" "... names the parameter"
unlike "$ERR" "topsecret" "... but not its value"
expect_exit 3 "bad ssl-mode: exit 3" -- "$DBCTL" --url "mysql://app@127.0.0.1:$P/app?ssl-mode=maybe" ping
expect_exit 3 "host and socket both: exit 3" -- "$DBCTL" --url "mysql://app@127.0.0.1/app?socket=/x.sock" ping
expect_exit 3 "port out of range: exit 3" -- "$DBCTL" --url "mysql://app@127.0.0.1:99999/app" ping

# --- the environment's conventions ---
expect_exit 0 "MYSQL_* variables make a URL" -- env MYSQL_HOST=127.0.0.1 MYSQL_PORT="$P" MYSQL_USER=app \
	MYSQL_PASSWORD="$app_pw" MYSQL_DATABASE=app "$DBCTL" ping
like "$OUT" "^mysql://app:\*\*\*@127\.0\.0\.1:$P/app: up" "... masked"
no_secret
expect_exit 0 "MARIADB_* variables too" -- env MARIADB_HOST=127.0.0.1 MARIADB_PORT="$P" MARIADB_USER=app \
	MARIADB_PASSWORD="$app_pw" MARIADB_DATABASE=app "$DBCTL" ping

done_testing
