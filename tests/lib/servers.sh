# tests/lib/servers.sh - throwaway PostgreSQL 15 and Redis servers for the tests.
#
# Sourced (bash). The runner calls servers_start once and servers_stop on exit;
# test scripts may source it too, for pg_stop_test/pg_start_test and
# redis_stop_test/redis_start_test. Those keep no state in shell variables:
# everything they need is in the exported TEST_* variables and in files under
# $TEST_TMP, so they work from any process of the run.
#
# Layout of $TEST_TMP:
#   .dbctl-test-tmp   marker: servers_stop only deletes a directory that has it
#   pg/               socket dir and server log (owned by postgres when root)
#   pg/data/          the cluster ($PGDATA_TEST)
#   redis/            redis.sock, redis.pid, redis.log, redis working dir
#
# Passwords hold URL-special characters on purpose (@ : / % ? # & +) so that
# percent-encoding and decoding are exercised. They hold no quote, space or
# backslash, so they can be pasted into ini files and conninfo strings as is.

# shellcheck shell=bash disable=SC2119,SC2120 # pg_start_test takes optional arguments

TEST_PG_BINDIR=${TEST_PG_BINDIR:-/usr/lib/postgresql/15/bin}
TEST_PG_SUPER_PASSWORD=${TEST_PG_SUPER_PASSWORD:-'Sup3r:p@ss/w%rd#1'}
TEST_PG_APP_PASSWORD=${TEST_PG_APP_PASSWORD:-'app:p@ss/w%rd?#&+1'}
TEST_REDIS_PASSWORD=${TEST_REDIS_PASSWORD:-'r3dis:p@ss/w%rd?#&+1'}

# Percent-encode everything but RFC 3986 unreserved characters.
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

# A TCP port that was free a moment ago (the kernel picks it).
_free_port() {
	perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen => 1,
		LocalAddr => "127.0.0.1", LocalPort => 0, Proto => "tcp")->sockport, "\n"'
}

_servers_log() { printf 'servers.sh: %s\n' "$*" >&2; }

# PostgreSQL refuses to run as root: run its tools as postgres then, from /
# so that an unreadable working directory does not matter.
_as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

# Alive = /proc entry exists and is not a zombie. kill -0 is not enough: an
# exited process that init has not reaped yet (every ~2 s here) still "exists".
_proc_alive() {
	local state
	state=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# Wait up to $2 seconds (default 10) for pid $1 to die.
_wait_dead() {
	local pid=$1 deadline=$((SECONDS + ${2:-10}))
	while _proc_alive "$pid"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.02
	done
}

_pg_ctl() { _as_pg "$TEST_PG_BINDIR/pg_ctl" -D "$PGDATA_TEST" "$@"; }

# pg_start_test [-c name=value ...]: start the test cluster (again) and wait
# until it accepts connections. Extra postgres options (no spaces inside
# values) apply to this start only, e.g. pg_start_test -c max_connections=5.
pg_start_test() {
	_pg_ctl start -w -t 60 -s -l "$TEST_TMP/pg/postgres.log" ${1+-o "$*"} \
		</dev/null >/dev/null 2>&1 && return 0
	_servers_log "PostgreSQL did not start; end of $TEST_TMP/pg/postgres.log:"
	tail -n 20 "$TEST_TMP/pg/postgres.log" >&2 2>/dev/null
	return 1
}

# pg_stop_test: fast shutdown; returns once the postmaster is gone.
pg_stop_test() {
	_pg_ctl stop -w -t 60 -s -m fast </dev/null >/dev/null
}

_pg_status() { _pg_ctl status </dev/null >/dev/null 2>&1; }

# timeout: a port stolen by a silent listener must not hang us.
_redis_cli() {
	timeout 5 redis-cli -h 127.0.0.1 -p "$REDIS_PORT_TEST" -a "$TEST_REDIS_PASSWORD" \
		--no-auth-warning "$@" </dev/null 2>/dev/null
}

# redis_start_test: start redis-server (again) on the same port and socket
# and wait until it answers PING. Its output goes to a log file, never to our
# stdout: a server holding the test's stdout open would hang prove.
redis_start_test() {
	local dir=$TEST_TMP/redis pid deadline
	if [ -f "$dir/redis.pid" ] && _proc_alive "$(cat "$dir/redis.pid")"; then
		_servers_log "redis-server is already running"
		return 1
	fi
	redis-server --port "$REDIS_PORT_TEST" --bind 127.0.0.1 \
		--requirepass "$TEST_REDIS_PASSWORD" --save '' --appendonly no \
		--daemonize no --unixsocket "$TEST_REDIS_SOCKET" --unixsocketperm 700 \
		--dir "$dir" --logfile '' \
		</dev/null >>"$dir/redis.log" 2>&1 &
	pid=$!
	echo "$pid" >"$dir/redis.pid"
	deadline=$((SECONDS + 10))
	# Wait for redis to say it is listening before PING: if someone else
	# holds the port, PING could reach a listener that never answers.
	until _proc_alive "$pid" &&
		grep -q "^$pid:M .*Ready to accept connections" "$dir/redis.log" &&
		[ "$(_redis_cli ping)" = PONG ]; do
		if ! _proc_alive "$pid" || [ "$SECONDS" -ge "$deadline" ]; then
			_servers_log "redis-server did not start; end of $dir/redis.log:"
			tail -n 20 "$dir/redis.log" >&2
			redis_stop_test
			return 1
		fi
		sleep 0.01
	done
}

# redis_stop_test: stop the redis-server recorded in redis.pid (TERM, then
# KILL) and wait until it is really gone.
redis_stop_test() {
	local pidfile=$TEST_TMP/redis/redis.pid pid
	[ -f "$pidfile" ] || return 0
	pid=$(cat "$pidfile")
	# Only signal the pid if it is still our redis-server (pids get reused).
	if _proc_alive "$pid" && grep -q redis-server "/proc/$pid/cmdline" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		_wait_dead "$pid" 10 || { kill -KILL "$pid" 2>/dev/null; _wait_dead "$pid" 5; }
	fi
	rm -f "$pidfile"
}

# Make a directory owned by postgres when we are root.
_pg_mkdir() {
	mkdir -p "$1" || return 1
	if [ "$(id -u)" -eq 0 ]; then chown postgres: "$1" || return 1; fi
}

_pg_setup() {
	local pgdir=$TEST_TMP/pg try pw_file=$TEST_TMP/pg/superuser.pw
	_pg_mkdir "$pgdir" || return 1
	chmod 755 "$pgdir"
	(umask 077 && printf '%s\n' "$TEST_PG_SUPER_PASSWORD" >"$pw_file")
	[ "$(id -u)" -ne 0 ] || chown postgres: "$pw_file"
	# -N: no fsync, the cluster lives for seconds. --auth only covers initdb's
	# own pg_hba.conf, which we replace below anyway.
	if ! _as_pg "$TEST_PG_BINDIR/initdb" -D "$PGDATA_TEST" -U postgres \
		--pwfile="$pw_file" --auth=scram-sha-256 -E UTF8 --locale=C -N \
		--no-instructions >"$pgdir/initdb.log" 2>&1; then
		_servers_log "initdb failed:"
		cat "$pgdir/initdb.log" >&2
		return 1
	fi
	rm -f "$pw_file"
	# Password auth everywhere: TCP on 127.0.0.1 only, and the unix socket.
	printf '%s\n' \
		'local all all scram-sha-256' \
		'host  all all 127.0.0.1/32 scram-sha-256' >"$PGDATA_TEST/pg_hba.conf"
	# Settings go into postgresql.conf, not onto the command line, so that
	# pg_start_test restarts the cluster with them. The port is appended per
	# attempt below (the last setting in the file wins).
	cat >>"$PGDATA_TEST/postgresql.conf" <<-EOF

		# dbctl tests
		listen_addresses = '127.0.0.1'
		unix_socket_directories = '$pgdir'
		max_connections = 50
		fsync = off                 # throwaway cluster: speed over durability
		synchronous_commit = off
		full_page_writes = off
		password_encryption = scram-sha-256
	EOF
	# Another process may grab the free port before postgres binds it: retry.
	for try in 1 2 3; do
		PGPORT_TEST=$(_free_port) || return 1
		echo "port = $PGPORT_TEST" >>"$PGDATA_TEST/postgresql.conf"
		pg_start_test && break
		grep -q 'already in use' "$pgdir/postgres.log" && [ "$try" -lt 3 ] || return 1
	done
	PGPASSWORD=$TEST_PG_SUPER_PASSWORD "$TEST_PG_BINDIR/psql" -X -q \
		-v ON_ERROR_STOP=1 -v app_pw="$TEST_PG_APP_PASSWORD" \
		-h "$pgdir" -p "$PGPORT_TEST" -U postgres -d postgres <<-'EOF' >&2
		CREATE ROLE app LOGIN PASSWORD :'app_pw';
		CREATE DATABASE app OWNER app;
	EOF
}

_redis_setup() {
	local try
	mkdir -p "$TEST_TMP/redis" && chmod 700 "$TEST_TMP/redis" || return 1
	for try in 1 2 3; do
		REDIS_PORT_TEST=$(_free_port) || return 1
		if redis_start_test; then
			echo "$REDIS_PORT_TEST" >"$TEST_TMP/redis/port"
			return 0
		fi
		grep -q 'already in use' "$TEST_TMP/redis/redis.log" || return 1
	done
	return 1
}

# servers_start: make $TEST_TMP, start both servers, export the TEST_* variables.
servers_start() {
	local base=${TMPDIR:-/tmp} t0=${EPOCHREALTIME/[.,]/} tool
	for tool in "$TEST_PG_BINDIR/initdb" "$TEST_PG_BINDIR/pg_ctl" "$TEST_PG_BINDIR/psql" \
		redis-server redis-cli perl; do
		command -v "$tool" >/dev/null && continue
		_servers_log "$tool not found"
		echo "hint: .ci/install-deps check" >&2
		return 1
	done
	TEST_TMP=$(mktemp -d "$base/dbctl-test.XXXXXX") || return 1
	touch "$TEST_TMP/.dbctl-test-tmp"
	if [ "$(id -u)" -eq 0 ]; then
		# postgres must be able to reach its data dir through $TEST_TMP.
		chmod 711 "$TEST_TMP"
		if ! runuser -u postgres -- test -x "$TEST_TMP"; then
			rm -rf "$TEST_TMP"
			TEST_TMP=$(mktemp -d /tmp/dbctl-test.XXXXXX) || return 1
			touch "$TEST_TMP/.dbctl-test-tmp"
			chmod 711 "$TEST_TMP"
		fi
	fi
	PGDATA_TEST=$TEST_TMP/pg/data
	TEST_PG_SOCKET_DIR=$TEST_TMP/pg
	TEST_REDIS_SOCKET=$TEST_TMP/redis/redis.sock
	export TEST_TMP PGDATA_TEST TEST_PG_BINDIR TEST_PG_SOCKET_DIR TEST_REDIS_SOCKET \
		TEST_PG_SUPER_PASSWORD TEST_PG_APP_PASSWORD TEST_REDIS_PASSWORD

	# Redis starts in milliseconds; start it while initdb runs.
	_redis_setup &
	local redis_job=$!
	_pg_setup || { wait "$redis_job"; return 1; }
	wait "$redis_job" || return 1
	# The port was chosen in the background job, which wrote it down.
	REDIS_PORT_TEST=$(cat "$TEST_TMP/redis/port") || return 1

	local app_pw super_pw redis_pw
	app_pw=$(pct_encode "$TEST_PG_APP_PASSWORD")
	super_pw=$(pct_encode "$TEST_PG_SUPER_PASSWORD")
	redis_pw=$(pct_encode "$TEST_REDIS_PASSWORD")
	export PGPORT_TEST REDIS_PORT_TEST
	export TEST_PG_URL="postgresql://app:$app_pw@127.0.0.1:$PGPORT_TEST/app"
	export TEST_PG_SUPER_URL="postgresql://postgres:$super_pw@127.0.0.1:$PGPORT_TEST/postgres"
	export TEST_REDIS_URL="redis://:$redis_pw@127.0.0.1:$REDIS_PORT_TEST/0"
	export TEST_REDIS_UNIX_URL="unix://$TEST_REDIS_SOCKET?db=0&password=$redis_pw"
	export SERVERS_START_MS=$(((${EPOCHREALTIME/[.,]/} - t0) / 1000))
}

# servers_stop: stop whatever runs and delete $TEST_TMP. Idempotent, and safe
# after a servers_start that failed halfway.
servers_stop() {
	local rc=$?   # keep the exit status when used as an EXIT trap
	[ -n "${TEST_TMP:-}" ] && [ -f "$TEST_TMP/.dbctl-test-tmp" ] || return "$rc"
	redis_stop_test
	if [ -f "${PGDATA_TEST:-}/postmaster.pid" ]; then
		# immediate: no shutdown checkpoint, the data is deleted next anyway.
		if ! _pg_ctl stop -w -t 30 -s -m immediate </dev/null >/dev/null 2>&1; then
			local pid
			pid=$(head -n 1 "$PGDATA_TEST/postmaster.pid" 2>/dev/null)
			[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null && _wait_dead "$pid" 5
		fi
	fi
	rm -rf "$TEST_TMP"
	TEST_TMP=
	return "$rc"
}
