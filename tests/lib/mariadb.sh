# tests/lib/mariadb.sh - a throwaway MariaDB server for the tests that need one.
#
# Sourced (bash). Unlike PostgreSQL and Redis, the runner does not start
# MariaDB for every run: a test (or a benchmark) that needs it calls
#   mariadb_start_test || skip_all "..."
#   trap 'mariadb_stop_test; ...' EXIT
# mariadb_start_test takes ~0.6 s (install-db ~0.5 s, start ~0.1 s). It keeps
# its state in files under $TEST_MYSQL_DIR and in exported variables, so that
# mariadb_stop_test works from any process of the test.
#
# Layout of $TEST_MYSQL_DIR (under $TEST_TMP when the runner made one, else
# under $TMPDIR; marked so that mariadb_stop_test only deletes its own dir):
#   .dbctl-mariadb    marker
#   data/             the datadir (mariadb-install-db)
#   mysqld.sock       unix socket, mysqld.pid, mysqld.err (the server log)
#
# Exports:
#   TEST_MYSQL_PORT, TEST_MYSQL_SOCKET, TEST_MYSQL_DIR
#   TEST_MYSQL_APP_PASSWORD, TEST_MYSQL_SUPER_PASSWORD (URL-special characters
#   on purpose, as for PostgreSQL: @ : / % ? # & +)
#   TEST_MYSQL_URL        mysql://app:<encoded>@127.0.0.1:PORT/app (TCP)
#   TEST_MYSQL_UNIX_URL   mysql://app:<encoded>@/app?socket=<socket> (unix)
#   TEST_MYSQL_SUPER_URL  mysql://root:<encoded>@127.0.0.1:PORT/mysql
# and defines mariadb_sql [SQL...] (root over the socket; SQL from the
# arguments or stdin), mariadb_client [ARG...] (the mariadb client as root
# over the socket, e.g. `mariadb_client db <file.sql`) and the general log
# helpers mariadb_general_log_on/_clear/_off and mariadb_general_log (what
# the server received, entry by entry).
#
# Every server option is on the command line after --no-defaults, so
# /etc/mysql/my.cnf (socket and pid in /run/mysqld) is never read. mariadbd
# refuses to run as root without --user=root.

# shellcheck shell=bash

TEST_MYSQL_APP_PASSWORD=${TEST_MYSQL_APP_PASSWORD:-'app:p@ss/w%rd?#&+1'}
TEST_MYSQL_SUPER_PASSWORD=${TEST_MYSQL_SUPER_PASSWORD:-'Sup3r:p@ss/w%rd#1'}

_mariadb_log() { printf 'mariadb.sh: %s\n' "$*" >&2; }

# The helpers of servers.sh, when it was not sourced (a benchmark script).
if ! declare -F pct_encode >/dev/null; then
	pct_encode() {
		local LC_ALL=C s=$1 out='' c i
		for ((i = 0; i < ${#s}; i++)); do
			c=${s:i:1}
			case $c in
			[A-Za-z0-9._~-]) out+=$c ;;
			*) out+=$(printf '%%%02X' "'$c") ;;
			esac
		done
		printf '%s\n' "$out"
	}
fi
_mariadb_free_port() {
	perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen => 1,
		LocalAddr => "127.0.0.1", LocalPort => 0, Proto => "tcp")->sockport, "\n"'
}
_mariadb_alive() {
	local state
	state=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# root over the socket; --skip-ssl: the 10.11 clients otherwise try TLS.
_mariadb_root() {
	local pw=()
	[ -f "$TEST_MYSQL_DIR/root-set" ] && pw=(--password="$TEST_MYSQL_SUPER_PASSWORD")
	local prog=$1
	shift
	# --no-defaults must be the first option.
	timeout 10 "$prog" --no-defaults --skip-ssl -uroot "${pw[@]}" --socket="$TEST_MYSQL_SOCKET" \
		--connect-timeout=1 "$@"
}

# mariadb_sql [SQL...]: run SQL as root (arguments, else stdin); batch output.
mariadb_sql() {
	if [ $# -gt 0 ]; then
		_mariadb_root mariadb -N -B -e "$*" </dev/null
	else
		_mariadb_root mariadb -N -B
	fi
}

# mariadb_wait_running PREFIX: waits (up to ~10 s) until a statement
# starting with PREFIX is running on the server, e.g. before signalling the
# client that sent it; returns 1 if it never shows up.
mariadb_wait_running() {
	local _
	for _ in $(seq 500); do
		[ "$(mariadb_sql "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE '$1%'")" -ge 1 ] && return 0
		sleep 0.02
	done
	return 1
}

# mariadb_client [ARG...]: the mariadb client as root over the socket,
# with the test defaults (no option files, no TLS); stdin is the caller's.
mariadb_client() {
	_mariadb_root mariadb "$@"
}

# The general log: every command the server receives, in mysql.general_log
# (log_output=TABLE: one row per command, the argument whole even when it
# spans lines, unlike the FILE format).
# mariadb_general_log_on: start logging, emptied; _clear: empty it (call it
# right before what is to be looked at); _off: stop logging.
mariadb_general_log_on() {
	mariadb_sql "SET GLOBAL log_output = 'TABLE'; SET GLOBAL general_log = 1; TRUNCATE mysql.general_log"
}
mariadb_general_log_clear() { mariadb_sql "TRUNCATE mysql.general_log"; }
mariadb_general_log_off() { mariadb_sql "SET GLOBAL general_log = 0"; }

# mariadb_general_log: the entries since the last clear of the connections
# made since (those with a Connect entry, so not the one that cleared the
# log, and not this reading one), in the order received, one a line:
#   THREAD<TAB>COMMAND<TAB>ARGUMENT
# COMMAND as the server names it (Connect, Query, Init DB, Quit, ...);
# ARGUMENT escaped as the mariadb client's batch output does it: \\ \n \t \0
# for backslash, newline, tab and NUL. (Not HEX(): past max_allowed_packet
# the server returns NULL for it; the CSV table returns its rows in the
# order they were written.)
mariadb_general_log() {
	mariadb_sql "SELECT thread_id, command_type, argument FROM mysql.general_log
		WHERE thread_id <> CONNECTION_ID()" | awk -F'\t' '
		{ thread[NR] = $1; line[NR] = $0 }
		$2 == "Connect" { connected[$1] = 1 }
		END { for (i = 1; i <= NR; i++) if (thread[i] in connected) print line[i] }'
}

# _mariadb_run PORT: start mariadbd on PORT and wait until it answers.
_mariadb_run() {
	local dir=$TEST_MYSQL_DIR port=$1 pid deadline=$((SECONDS + 20))
	mariadbd --no-defaults --datadir="$dir/data" --socket="$TEST_MYSQL_SOCKET" \
		--port="$port" --bind-address=127.0.0.1 --pid-file="$dir/mysqld.pid" \
		--log-error="$dir/mysqld.err" --user=root --skip-log-bin \
		--innodb-log-file-size=8M --innodb-buffer-pool-size=64M \
		--max-connections=50 --character-set-server=utf8mb4 \
		</dev/null >/dev/null 2>&1 &
	pid=$!
	echo "$pid" >"$dir/server.pid"
	until _mariadb_root mariadb-admin ping >/dev/null 2>&1; do
		if ! _mariadb_alive "$pid" || [ "$SECONDS" -ge "$deadline" ]; then
			_mariadb_log "mariadbd did not start; end of $dir/mysqld.err:"
			tail -n 20 "$dir/mysqld.err" >&2 2>/dev/null
			mariadb_stop_test keep
			return 1
		fi
		sleep 0.02
	done
}

# mariadb_start_test: install a datadir, start the server, create the app
# user and database, export TEST_MYSQL_*. Returns 1 (with a message) when
# the MariaDB tools are missing or the server does not come up.
mariadb_start_test() {
	local tool base try app_pw super_pw
	for tool in mariadb-install-db mariadbd mariadb mariadb-admin perl; do
		command -v "$tool" >/dev/null && continue
		_mariadb_log "$tool not found (hint: .ci/install-deps check)"
		return 1
	done
	base=${TEST_TMP:-${TMPDIR:-/tmp}}
	TEST_MYSQL_DIR=$(mktemp -d "$base/dbctl-mariadb.XXXXXX") || return 1
	touch "$TEST_MYSQL_DIR/.dbctl-mariadb"
	TEST_MYSQL_SOCKET=$TEST_MYSQL_DIR/mysqld.sock
	export TEST_MYSQL_DIR TEST_MYSQL_SOCKET TEST_MYSQL_APP_PASSWORD TEST_MYSQL_SUPER_PASSWORD
	# unix sockets are limited to 107 bytes.
	if [ ${#TEST_MYSQL_SOCKET} -gt 100 ]; then
		_mariadb_log "socket path too long: $TEST_MYSQL_SOCKET"
		mariadb_stop_test
		return 1
	fi
	if ! mariadb-install-db --no-defaults --datadir="$TEST_MYSQL_DIR/data" \
		--auth-root-authentication-method=normal --skip-test-db --user=root \
		--innodb-log-file-size=8M >"$TEST_MYSQL_DIR/install.log" 2>&1; then
		_mariadb_log "mariadb-install-db failed:"
		tail -n 20 "$TEST_MYSQL_DIR/install.log" >&2
		mariadb_stop_test
		return 1
	fi
	# Another process may take the free port before mariadbd binds it: retry.
	for try in 1 2 3; do
		TEST_MYSQL_PORT=$(_mariadb_free_port) || { mariadb_stop_test; return 1; }
		_mariadb_run "$TEST_MYSQL_PORT" && break
		if [ "$try" -eq 3 ] || ! grep -q 'Address already in use\|Do you already have another' \
			"$TEST_MYSQL_DIR/mysqld.err"; then
			mariadb_stop_test
			return 1
		fi
	done
	echo "$TEST_MYSQL_PORT" >"$TEST_MYSQL_DIR/port"
	# Both 'app'@'%' and 'app'@'localhost': with name resolution on,
	# 127.0.0.1 logs in as app@localhost. PROCESS: pool stats' breakdown.
	# The passwords contain no single quote or backslash (see servers.sh).
	if ! mariadb_sql <<-SQL; then
		CREATE DATABASE app CHARACTER SET utf8mb4;
		CREATE USER 'app'@'%' IDENTIFIED BY '$TEST_MYSQL_APP_PASSWORD';
		CREATE USER 'app'@'localhost' IDENTIFIED BY '$TEST_MYSQL_APP_PASSWORD';
		GRANT ALL ON app.* TO 'app'@'%', 'app'@'localhost';
		GRANT PROCESS ON *.* TO 'app'@'%', 'app'@'localhost';
		ALTER USER 'root'@'localhost' IDENTIFIED BY '$TEST_MYSQL_SUPER_PASSWORD';
		ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY '$TEST_MYSQL_SUPER_PASSWORD';
	SQL
		_mariadb_log "provisioning failed"
		mariadb_stop_test
		return 1
	fi
	touch "$TEST_MYSQL_DIR/root-set"
	app_pw=$(pct_encode "$TEST_MYSQL_APP_PASSWORD")
	super_pw=$(pct_encode "$TEST_MYSQL_SUPER_PASSWORD")
	export TEST_MYSQL_PORT
	export TEST_MYSQL_URL="mysql://app:$app_pw@127.0.0.1:$TEST_MYSQL_PORT/app"
	export TEST_MYSQL_UNIX_URL="mysql://app:$app_pw@/app?socket=$TEST_MYSQL_SOCKET"
	export TEST_MYSQL_SUPER_URL="mysql://root:$super_pw@127.0.0.1:$TEST_MYSQL_PORT/mysql"
}

# mariadb_stop_test [keep]: stop the server (TERM, then KILL) and wait until
# it is gone; delete $TEST_MYSQL_DIR unless "keep". Idempotent; keeps the
# exit status, so it can be (part of) an EXIT trap.
mariadb_stop_test() {
	local rc=$? pid n
	[ -n "${TEST_MYSQL_DIR:-}" ] && [ -f "$TEST_MYSQL_DIR/.dbctl-mariadb" ] || return "$rc"
	if [ -f "$TEST_MYSQL_DIR/server.pid" ]; then
		pid=$(cat "$TEST_MYSQL_DIR/server.pid")
		# Only signal the pid if it is still our mariadbd (pids get reused).
		if _mariadb_alive "$pid" && grep -qa "$TEST_MYSQL_DIR" "/proc/$pid/cmdline" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null
			for ((n = 0; n < 1000; n++)); do _mariadb_alive "$pid" || break; sleep 0.01; done
			if _mariadb_alive "$pid"; then
				kill -KILL "$pid" 2>/dev/null
				for ((n = 0; n < 500; n++)); do _mariadb_alive "$pid" || break; sleep 0.01; done
			fi
		fi
		rm -f "$TEST_MYSQL_DIR/server.pid"
	fi
	if [ "${1:-}" != keep ]; then
		rm -rf "$TEST_MYSQL_DIR"
		TEST_MYSQL_DIR=
	fi
	return "$rc"
}
