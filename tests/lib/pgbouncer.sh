# tests/lib/pgbouncer.sh - throwaway PgBouncer poolers in front of the test PostgreSQL.
#
# Sourced after servers.sh (bash). PgBouncer refuses to run as root, so it runs
# as postgres, like the server. Each pooler lives in its own directory under
# $TEST_TMP with its config, userlist, pid file and log, listens on a free
# loopback port and sends every database name to the test server ("* =").
#
#   pgb_start NAME MODE [SETTING=VALUE...]
#                  starts pooler NAME in pool_mode MODE (session|transaction),
#                  waits until it answers, sets PGB_PORT and PGB_URL_BASE (a URL
#                  for role app without a database: append /DBNAME)
#   pgb_port NAME  the port of pooler NAME
#   pgb_show NAME COMMAND   runs an admin console command (SHOW POOLS...)
#   pgb_stop NAME  stops it (SIGTERM, then SIGKILL) and waits until it is gone
#   pgb_stop_all   stops every pooler pgb_start started; call it from the EXIT trap
#
# The admin role is "pgbadmin" (a PgBouncer-only user, no PostgreSQL role).

# shellcheck shell=bash

PGB_NAMES=()
PGB_ADMIN_PASSWORD=pgb-admin-pw

_pgb_dir() { echo "$TEST_TMP/pgbouncer-$1"; }

pgb_port() { cat "$(_pgb_dir "$1")/port"; }

pgb_start() {
	local name=$1 mode=$2 dir try port deadline pid setting
	shift 2
	command -v pgbouncer >/dev/null || { _servers_log "pgbouncer not found (hint: .ci/install-deps check)"; return 1; }
	dir=$(_pgb_dir "$name")
	_pg_mkdir "$dir" || return 1
	chmod 700 "$dir"
	# userlist: plain passwords, so that PgBouncer can do SCRAM to the server too
	printf '"app" "%s"\n"pgbadmin" "%s"\n' "$TEST_PG_APP_PASSWORD" "$PGB_ADMIN_PASSWORD" >"$dir/userlist.txt"
	for try in 1 2 3; do
		port=$(_free_port) || return 1
		{
			echo '[databases]'
			echo "* = host=127.0.0.1 port=$PGPORT_TEST"
			echo '[pgbouncer]'
			echo 'listen_addr = 127.0.0.1'
			echo "listen_port = $port"
			echo "unix_socket_dir = $dir"
			echo 'auth_type = scram-sha-256'
			echo "auth_file = $dir/userlist.txt"
			echo 'admin_users = pgbadmin'
			echo "pool_mode = $mode"
			echo 'default_pool_size = 5'
			echo 'max_client_conn = 200'
			echo "logfile = $dir/pgbouncer.log"
			echo "pidfile = $dir/pgbouncer.pid"
			echo 'ignore_startup_parameters = extra_float_digits'
			for setting; do echo "${setting%%=*} = ${setting#*=}"; done
		} >"$dir/pgbouncer.ini"
		[ "$(id -u)" -ne 0 ] || chown -R postgres: "$dir"
		rm -f "$dir/pgbouncer.pid"
		_as_pg pgbouncer -d -q "$dir/pgbouncer.ini" </dev/null >>"$dir/start.log" 2>&1
		deadline=$((SECONDS + 10))
		while [ "$SECONDS" -lt "$deadline" ]; do
			pid=$(cat "$dir/pgbouncer.pid" 2>/dev/null)
			if [ -n "$pid" ] && ! _proc_alive "$pid"; then
				break
			fi
			if [ -n "$pid" ] && PGPASSWORD=$PGB_ADMIN_PASSWORD "$TEST_PG_BINDIR/psql" -X -q -At \
				-h 127.0.0.1 -p "$port" -U pgbadmin -d pgbouncer -c 'SHOW VERSION' >/dev/null 2>&1; then
				echo "$port" >"$dir/port"
				PGB_NAMES+=("$name")
				PGB_PORT=$port
				PGB_URL_BASE="postgresql://app:$(pct_encode "$TEST_PG_APP_PASSWORD")@127.0.0.1:$port"
				return 0
			fi
			sleep 0.05
		done
		pid=$(cat "$dir/pgbouncer.pid" 2>/dev/null)
		[ -n "$pid" ] && _proc_alive "$pid" && kill -KILL "$pid" 2>/dev/null
		grep -qi 'address already in use' "$dir/pgbouncer.log" "$dir/start.log" 2>/dev/null && continue
		break
	done
	_servers_log "pgbouncer $name did not start; end of its log:"
	tail -n 20 "$dir/pgbouncer.log" "$dir/start.log" >&2 2>/dev/null
	return 1
}

pgb_show() {
	PGPASSWORD=$PGB_ADMIN_PASSWORD timeout 10 "$TEST_PG_BINDIR/psql" -X -q -At -F '|' -h 127.0.0.1 \
		-p "$(pgb_port "$1")" -U pgbadmin -d pgbouncer -c "$2" 2>&1
}

pgb_stop() {
	local dir pid
	dir=$(_pgb_dir "$1")
	pid=$(cat "$dir/pgbouncer.pid" 2>/dev/null) || return 0
	# only our pgbouncer: pids get reused
	if [ -n "$pid" ] && _proc_alive "$pid" && grep -q pgbouncer "/proc/$pid/cmdline" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		_wait_dead "$pid" 10 || { kill -KILL "$pid" 2>/dev/null; _wait_dead "$pid" 5; }
	fi
	rm -f "$dir/pgbouncer.pid"
}

pgb_stop_all() {
	local name
	for name in "${PGB_NAMES[@]}"; do
		pgb_stop "$name"
	done
	PGB_NAMES=()
}
