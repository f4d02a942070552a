#!/bin/bash
# ping, pool stats and config loading under hostile input and faults (issue 9,
# relB 8-14, 17, 18, 19): numbers that are not numbers, files that are not
# config files, servers that answer garbage, name resolution and SQLite locks
# that must stay inside --timeout, pool stats as a user who cannot see others.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/servers.sh"
[ -n "${TEST_PG_URL:-}" ] || skip_all "no test servers (run me through tests/run)"

tmp=$(mktemp -d)
cd "$tmp" || exit 1 # ./dbctl.ini must not be read from wherever we were
helper_pids=()
end_sleepers() { # the sessions relB 8 holds open must not outlive this file
	"$TEST_PG_BINDIR/psql" -X -qAt "$TEST_PG_SUPER_URL" -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE query LIKE '%pg_sleep(20)%' AND pid <> pg_backend_pid()" >/dev/null 2>&1
}
cleanup() {
	local pid
	end_sleepers
	for pid in "${helper_pids[@]}"; do kill "$pid" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
unset DATABASE_URL DBCTL_URL DBCTL_CONFIG DBCTL_PROFILE

free_port() { perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen=>1,LocalAddr=>"127.0.0.1",LocalPort=>0,Proto=>"tcp")->sockport'; }
json_ok() { /usr/bin/python3 -c 'import json,sys; json.loads(sys.stdin.buffer.read().decode("utf-8"))' 2>/dev/null; }
json_field() { /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

# --- relB 10: NaN and infinities are not numbers of seconds ---
for opt in "--timeout nan" "--timeout inf" "--timeout -nan" "--wait nan" "--interval nan" "--interval infinity" \
	"--timeout 0x10" "--timeout ' 1'"; do
	eval "set -- $opt"
	expect_exit 3 "ping $opt is exit 3" -- "$DBCTL" --url sqlite::memory: ping "$@"
	like "$ERR" "expects a number of seconds" "... and says what it expects"
done
expect_exit 0 "ping -c 2 -i 0.05 still works" -- "$DBCTL" --url sqlite::memory: ping -c 2 -i 0.05
like "$OUT" "2 pings, 2 up" "... both up"

# --- relB 13: whole numbers, in the range the pool and the servers take ---
for value in 4294967297 2147483648 " 5" "+5" "5 " 0x10 1e3; do
	expect_exit 3 "pool_size='$value' is refused" -- "$DBCTL" --url sqlite::memory: -o "pool_size=$value" config show
	like "$ERR" "invalid pool_size" "... names the setting"
done
expect_exit 3 "statement_timeout beyond PostgreSQL's int range is refused before connecting" -- \
	"$DBCTL" --url "$TEST_PG_URL" -o statement_timeout=99999999999999 ping
like "$ERR" "from 0 to 2147483647" "... with the range"
expect_exit 0 "statement_timeout=2147483647 (PostgreSQL's maximum) is taken" -- \
	"$DBCTL" --url "$TEST_PG_URL" -o statement_timeout=2147483647 ping
expect_exit 3 "--workers 1229782938247303442 is refused, not wrapped around" -- \
	"$DBCTL" --url "$TEST_PG_URL" pool stats --workers 1229782938247303442
expect_exit 3 "--workers +5 is refused" -- "$DBCTL" --url "$TEST_PG_URL" pool stats --workers +5
expect_exit 1 "pool_size=2147483647 max_overflow=1: capacity does not wrap to unlimited, and does not fit" -- \
	"$DBCTL" --url "$TEST_PG_URL" -o pool_size=2147483647 -o max_overflow=1 pool stats --workers 1
like "$OUT" "capacity: 2147483647" "... capacity is the largest int"
like "$OUT" "does not fit" "... and the answer is does not fit"

# --- relB 18: a config file must be a file ---
mkdir cfgdir
expect_exit 3 "--config DIRECTORY is exit 3" -- "$DBCTL" --config cfgdir config show
like "$ERR" "is a directory" "... says it is a directory"
RUN_TIMEOUT=20 expect_exit 3 "--config /dev/zero ends at once (NUL byte), exit 3" -- "$DBCTL" --config /dev/zero config show
like "$ERR" "NUL byte" "... says why"
expect_exit 0 "--config /dev/null is still an empty config" -- "$DBCTL" --config /dev/null --url sqlite::memory: config show
mkdir -p rel/dbctl && printf '[defaults]\npool_size = 7\n' >rel/dbctl/config.ini
XDG_CONFIG_HOME=rel HOME=$tmp/nohome expect_exit 0 "relative XDG_CONFIG_HOME: loads" -- "$DBCTL" --url sqlite::memory: config show
unlike "$OUT" "pool_size += 7" "... and ignores it, as the XDG spec says"
XDG_CONFIG_HOME=$tmp/rel expect_exit 0 "absolute XDG_CONFIG_HOME" -- "$DBCTL" --url sqlite::memory: config show
like "$OUT" "pool_size += 7" "... is read"

# --- relB 19: NUL bytes, line length, ${VAR} forms, -p defaults ---
printf '[p]\nurl = sqlite::memory:\nsearch_path = abc\0def\n' >nul.ini
expect_exit 3 "a NUL byte inside a value is refused, not cut short" -- "$DBCTL" --config nul.ini -p p config show
like "$ERR" "nul.ini:3: NUL byte" "... with FILE:LINE"
printf '[p\0x]\nurl = sqlite::memory:\n' >nul2.ini
expect_exit 3 "a NUL byte in a section name is refused" -- "$DBCTL" --config nul2.ini config show
like "$ERR" "nul2.ini:1: NUL byte" "... on its line"
pad=$(printf '%*s' 199 '' | tr ' ' x)
printf '[p]\nurl = sqlite::memory:\napplication_name = %s\n' "${pad:0:180}" >len199.ini
# "application_name = " is 19 characters: 180 more make 199
expect_exit 0 "a line of 199 characters (the documented maximum) loads" -- "$DBCTL" --config len199.ini -p p config show
printf '[p]\r\nurl = sqlite::memory:\r\napplication_name = %s\r\n' "${pad:0:180}" >crlf.ini
expect_exit 0 "... and with a CRLF line end" -- "$DBCTL" --config crlf.ini -p p config show
printf '[p]\nurl = sqlite::memory:\napplication_name = %s\n' "${pad:0:181}" >len200.ini
expect_exit 3 "a line of 200 characters is refused" -- "$DBCTL" --config len200.ini -p p config show
like "$ERR" "len200.ini:3: line too long .*at most 199" "... with the limit the docs give"

printf '[defaults]\nprofile = p\n[p]\nurl = sqlite::memory:\napplication_name = ${APPN:-fallback}\nsearch_path = ${SP-unset_default}\n' >vars.ini
expect_exit 0 "\${VAR:-default} with VAR unset" -- env -u APPN -u SP "$DBCTL" --config vars.ini config show
like "$OUT" "application_name += fallback" "... gives the default"
like "$OUT" "search_path += unset_default" "... and \${VAR-default} too"
APPN="" SP="" expect_exit 0 "VAR set but empty" -- "$DBCTL" --config vars.ini config show
like "$OUT" "application_name += fallback" "... :- takes the default"
like "$OUT" "search_path += *\(" "... - keeps the empty value"
APPN=mine expect_exit 0 "VAR set" -- "$DBCTL" --config vars.ini config show
like "$OUT" "application_name += mine" "... its value wins"
printf '[p]\nurl = sqlite::memory:\napplication_name = ${EMPTYVAR}\n' >empty.ini
EMPTYVAR="" expect_exit 3 "an empty \${VAR} is an error, as an empty DBCTL_* is ignored" -- \
	"$DBCTL" --config empty.ini -p p config show
like "$ERR" "'EMPTYVAR' is empty" "... and says it is empty"
like "$ERR" 'EMPTYVAR:-' "... with the way to allow it"
printf '[p]\nurl = sqlite::memory:\napplication_name = ${OUTER_${INNER}}\n' >nested.ini
INNER=X OUTER_X=y expect_exit 3 "nested \${OUTER_\${INNER}} is refused" -- "$DBCTL" --config nested.ini -p p config show
like "$ERR" "nested" "... and says nested references are not supported"
unlike "$ERR" "OUTER_\\\$\{INNER'" "... rather than naming a variable 'OUTER_\${INNER'"
printf '[p]\nurl = sqlite::memory:\napplication_name = ${X:=a}\n' >assign.ini
expect_exit 3 "\${X:=a} is refused" -- "$DBCTL" --config assign.ini -p p config show
like "$ERR" "malformed" "... as malformed"
printf '[defaults]\npool_size = 3\n[p]\nurl = sqlite::memory:\n' >defaults.ini
expect_exit 3 "-p defaults is refused" -- "$DBCTL" --config defaults.ini -p defaults config show
like "$ERR" "'defaults' .*is not a profile" "... saying [defaults] is not a profile"
unlike "$ERR" "has no \[defaults\] section" "... not that the file lacks one"
printf '[p]\nurl = postgresql://app@db/app\npassword = ${PW_A}${PW_B}\n' >twovars.ini
chmod 644 twovars.ini
PW_A=a PW_B=b expect_exit 0 "password = \${A}\${B} in a 0644 file" -- "$DBCTL" --config twovars.ini -p p config show
unlike "$ERR" "readable by group" "... holds no literal password: no warning"
printf '[p]\nurl = postgresql://app@db/app\npassword = ${PW_A:-Literal_Default_9}\n' >dflt.ini
chmod 644 dflt.ini
expect_exit 0 "password = \${A:-literal} in a 0644 file" -- env -u PW_A "$DBCTL" --config dflt.ini -p p config show
like "$ERR" "readable by group" "... holds a literal password: warned"
unlike "$OUT$ERR" "Literal_Default_9" "... and never shown"

# --- relB 17: a 10 MB INI loads in linear-ish time ---
/usr/bin/python3 -c '
import sys
with open("big.ini", "w") as f:
    for i in range(53556):
        f.write("[p%d]\nurl = sqlite:///some/long/path/%d/%s.db\napplication_name = app%d\n" % (i, i, "x" * 120, i))
'
RUN_TIMEOUT=30 expect_exit 0 "a 10 MB INI with 53,556 profiles loads" -- "$DBCTL" --config big.ini -p p53555 config show
like "$OUT" "application_name += app53555" "... and finds the last profile"
cmp_ok "$MS" -lt 20000 "... in seconds (an asan build takes about 15), not the 25 s of a quadratic load ($MS ms)"
printf '[a]\nurl = sqlite::memory:\n[b]\nurl = sqlite::memory:\n[a]\napplication_name = x\nurl = sqlite:///y.db\n' >dup.ini
expect_exit 3 "a key set twice in a reopened section is still found" -- "$DBCTL" --config dup.ini -p a config show
like "$ERR" "dup.ini:7: 'url' is set twice in \[a\] \(first on line 2\)" "... with both lines"

# --- relB 12: ping --all with a broken default profile ---
closed_port=$(free_port)
cat >all.ini <<INI
[defaults]
profile = broken
[broken]
url = postgresql://app@127.0.0.1:$closed_port/app
password = \${NOT_SET_PW_12}
[pg]
url = $TEST_PG_URL
[down]
url = redis://127.0.0.1:$closed_port/0
INI
chmod 600 all.ini
DATABASE_URL=$TEST_PG_URL expect_exit 3 "ping --all, broken default profile: the first result's exit (3)" -- \
	env -u NOT_SET_PW_12 "$DBCTL" --config all.ini ping --all
like "$OUT" "^\[pg\] postgresql://app:\*\*\*@.*: up in" "... the good profile is still pinged"
like "$ERR" "\[broken\] .*error: .*'NOT_SET_PW_12' is not set" "... the broken one is reported as an error"
like "$ERR" "\[down\] .*no answer" "... and the down one as no answer"
unlike "$ERR" "note: no database configured" "... with no 'no database configured' note"
unlike "$ERR" "DATABASE_URL overrides" "... and no 'DATABASE_URL overrides it' warning (--all ignores it)"
expect_exit 3 "ping --all --json, same file" -- env -u NOT_SET_PW_12 "$DBCTL" --config all.ini --json ping --all
is "$(json_field '[r["status"] for r in d["results"]]' <<<"$OUT")" "['error', 'up', 'no_answer']" "... statuses in file order"

# --- relB 14: bad PostgreSQL ports are bad config ---
expect_exit 3 "PostgreSQL port 'notaport' is exit 3" -- "$DBCTL" --url "postgresql://app@127.0.0.1:notaport/app" ping
like "$ERR" "invalid port number" "... says invalid port"
expect_exit 3 "PostgreSQL port 99999 is exit 3" -- "$DBCTL" --url "postgresql://app@127.0.0.1:99999/app" ping
expect_exit 3 "... also as ?port=0" -- "$DBCTL" --url "postgresql://app@127.0.0.1/app?port=0" ping
expect_exit 3 "2 ports for 3 hosts is exit 3" -- "$DBCTL" --url "host=a,b,c port=1,2 dbname=app" ping
like "$ERR" "2 ports for 3 hosts" "... and says so"
PGPORT=70000 expect_exit 3 "... and from PGPORT" -- "$DBCTL" --url "postgresql://app@127.0.0.1/app" ping
expect_exit 3 "a password fragment libpq reads as the port is not quoted" -- \
	"$DBCTL" --url "postgresql://slashy:Sl/Secret@88@127.0.0.1:$PGPORT_TEST/app" ping
unlike "$ERR" '"Sl"' "... the fragment stays out of the message"

# --- relB 11: what answered, in pg_isready's terms ---
cat >fake_pg.py <<'PY'
# A fake server on 127.0.0.1:PORT: "close" accepts then closes, "junk" sends
# HTTP, "starting" answers the startup packet with 57P03 as a server that is
# not accepting connections (hot_standby=off) does.
import socket, struct, sys, threading
mode, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen(50)
def field(code, text): return code + text.encode() + b"\0"
def serve(c):
    try:
        if mode == "close":
            return
        if mode == "junk":
            c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"); return
        while True:
            n = struct.unpack("!I", c.recv(4, socket.MSG_WAITALL))[0]
            body = c.recv(n - 4, socket.MSG_WAITALL)
            code = struct.unpack("!I", body[:4])[0]
            if code in (80877103, 80877104):   # SSLRequest, GSSENCRequest
                c.sendall(b"N"); continue
            msg = field(b"S", "FATAL") + field(b"V", "FATAL") + field(b"C", "57P03") + \
                field(b"M", "the database system is not accepting connections") + \
                field(b"D", "Hot standby mode is disabled.") + b"\0"
            c.sendall(b"E" + struct.pack("!I", len(msg) + 4) + msg); return
    except Exception:
        pass
    finally:
        c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
start_fake() { # start_fake MODE: echo the port
	local port
	port=$(free_port)
	/usr/bin/python3 fake_pg.py "$1" "$port" &
	helper_pids+=($!)
	for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
	fake_port=$port
}
start_fake close
close_port=$fake_port
start_fake junk
junk_port=$fake_port
start_fake starting
starting_port=$fake_port
for level in query server; do
	expect_exit 2 "a listener that accepts then closes is no answer (2), --level $level" -- \
		"$DBCTL" --url "postgresql://app:x@127.0.0.1:$close_port/app" ping --level $level
	like "$ERR" "no answer" "... says no answer"
	expect_exit 2 "a listener that answers HTTP is no answer (2), --level $level" -- \
		"$DBCTL" --url "postgresql://app:x@127.0.0.1:$junk_port/app" ping --level $level
	expect_exit 1 "57P03 (not accepting connections) is rejecting (1), --level $level" -- \
		"$DBCTL" --url "postgresql://app:x@127.0.0.1:$starting_port/app" ping --level $level
	like "$ERR" "refused: .*not accepting connections" "... with the server's message"
	unlike "$ERR" "LOCATION|57P03:" "... in the default verbosity"
done
expect_exit 0 "--level reach: the closing listener did accept the TCP connection" -- \
	"$DBCTL" --url "postgresql://app:x@127.0.0.1:$close_port/app" ping --level reach
expect_exit 0 "--level reach: so did the 57P03 one" -- \
	"$DBCTL" --url "postgresql://app:x@127.0.0.1:$starting_port/app" ping --level reach
expect_exit 0 "--level server: a wrong password still proves the server answers" -- \
	"$DBCTL" --url "${TEST_PG_URL/app:*@/app:wrong@}" ping --level server
expect_exit 0 "--level server: no password at all (the server asked for one) too" -- \
	env -u PGPASSWORD PGPASSFILE=/nonexistent "$DBCTL" --url "postgresql://app@127.0.0.1:$PGPORT_TEST/app" ping --level server
expect_exit 1 "... and it is refused (1) at the default level" -- \
	env -u PGPASSWORD PGPASSFILE=/nonexistent "$DBCTL" --url "postgresql://app@127.0.0.1:$PGPORT_TEST/app" ping
expect_exit 1 "the SQLSTATE is in --json's error object of pool stats" -- \
	"$DBCTL" --url "${TEST_PG_URL/app:*@/app:wrong@}" --json pool stats
like "$OUT" '"sqlstate":"28P01"' "... 28P01"
if command -v pg_isready >/dev/null || [ -x "$TEST_PG_BINDIR/pg_isready" ]; then
	isready=$(command -v pg_isready || echo "$TEST_PG_BINDIR/pg_isready")
	for port in "$close_port" "$junk_port" "$starting_port"; do
		run_cmd "$isready" -h 127.0.0.1 -p "$port" -t 3
		want=$RC
		expect_exit "$want" "--level server agrees with pg_isready ($want) on port $port" -- \
			"$DBCTL" --url "postgresql://app:x@127.0.0.1:$port/app" ping --level server
	done
else
	skip "pg_isready not installed" 3
fi

# --- relB 9: name resolution and SQLite locks stay inside --timeout ---
# A DNS server that never answers, seen only by the commands run through
# in_dns_hole (a private mount namespace with its own resolv.conf).
dns_ip=127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))
cat >dns_hole.py <<'PY'
import socket, sys, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind((sys.argv[1], 53))
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); t.bind((sys.argv[1], 53)); t.listen(50)
open(sys.argv[2], "w").close()
held = []
while True:   # read and never answer
    u.recvfrom(4096)
PY
/usr/bin/python3 dns_hole.py "$dns_ip" dns_ready 2>dns_hole.err &
helper_pids+=($!)
for _ in $(seq 50); do [ -e dns_ready ] && break; sleep 0.1; done
printf 'nameserver %s\noptions timeout:30 attempts:3\n' "$dns_ip" >resolv.conf
in_dns_hole() { unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$tmp/resolv.conf" "$@"; }
if [ -e dns_ready ] && in_dns_hole true 2>/dev/null; then
	for url in "postgresql://app:Xq9pw_Zt@db.example.com:5432/app" "redis://db.example.com:6379/0"; do
		expect_exit 2 "${url%%:*}: a DNS server that never answers, --timeout 0.5: exit 2" -- \
			in_dns_hole "$DBCTL" --url "$url" ping --timeout 0.5
		like "$ERR" "timed out resolving host name \"db.example.com\" after 0.5 s" "... says it timed out resolving"
		cmp_ok "$MS" -lt 1500 "... within the deadline, not the resolver's minutes ($MS ms)"
		expect_exit 2 "... --json" -- in_dns_hole "$DBCTL" --url "$url" --json ping --timeout 0.5
		is "$(json_field 'd["results"][0]["status"]' <<<"$OUT")" "no_answer" "... says no_answer"
		expect_exit 2 "... --count 3 --interval 0.1 --timeout 0.3: every attempt runs" -- \
			in_dns_hole "$DBCTL" --url "$url" ping --timeout 0.3 --count 3 --interval 0.1
		like "$OUT" "3 pings, 0 up" "... three pings, not one cut short by the watchdog"
	done
	cat >dns_all.ini <<INI
[a_dnshang]
url = postgresql://app:x@db.example.com:5432/app
[b_pg]
url = $TEST_PG_URL
[c_redis]
url = $TEST_REDIS_URL
INI
	chmod 600 dns_all.ini
	# An asan build only: this toolchain's LeakSanitizer crashes scanning
	# thread-local storage after this sequence of libpq and hiredis loads;
	# without that scan, krb5's thread-specific data looks leaked.
	printf 'leak:krb5int_setspecific\n' >lsan.supp
	LSAN_OPTIONS=${LSAN_OPTIONS:+$LSAN_OPTIONS:}use_tls=0:suppressions=$tmp/lsan.supp expect_exit 2 "ping --all, first profile's name hangs: exit 2" -- \
		in_dns_hole "$DBCTL" --config dns_all.ini ping --all --timeout 0.5
	like "$OUT" "\[b_pg\] .*up in" "... the PostgreSQL profile after it is pinged"
	like "$OUT" "\[c_redis\] .*up in" "... and the Redis one"
	# a service file's hosts are libpq's to resolve: only the watchdog ends
	# that lookup, and what it prints must say no answer, not up
	printf '[hang]\nhost=db.example.com\nport=5432\nuser=app\ndbname=app\n' >pg_service.conf
	PGSERVICEFILE=$tmp/pg_service.conf expect_exit 2 "the watchdog ends a lookup libpq makes (service file): exit 2" -- \
		in_dns_hole "$DBCTL" --url "postgresql://?service=hang" --json ping --timeout 0.3
	is "$(json_field '(d["exit"], d["results"][0]["status"], d["results"][0]["exit"], d["results"][0]["latency_ms"])' <<<"$OUT")" \
		"(2, 'no_answer', 2, None)" "... its JSON says no_answer, exit 2, no latency"
	like "$(json_field 'd["results"][0]["error"]' <<<"$OUT")" "timed out after 0.3 s" "... and why"
	cmp_ok "$MS" -lt 1500 "... at the deadline plus the watchdog's grace ($MS ms)"
	expect_exit 2 "a multi-host URL whose first host hangs in DNS: exit 2 within the deadline" -- \
		in_dns_hole "$DBCTL" --url "postgresql://app:x@db.example.com,127.0.0.1:$PGPORT_TEST/app" ping --timeout 0.5
	cmp_ok "$MS" -lt 1500 "... ($MS ms)"
else
	skip "cannot run a private resolv.conf here (unshare -m, port 53 on $dns_ip)" 24
fi

# The watchdog is the last resort; when it fires its JSON must not say "up".
# SQLite: a lock held by another process is waited for within --timeout.
lock_db() { # lock_db FILE SECONDS: hold an exclusive lock, FILE.locked once held
	rm -f "$1.locked"
	/usr/bin/python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("PRAGMA journal_mode=delete"); c.execute("CREATE TABLE IF NOT EXISTS t(x)")
c.execute("BEGIN EXCLUSIVE"); c.execute("INSERT INTO t VALUES (1)")
open(sys.argv[1] + ".locked", "w").close(); time.sleep(float(sys.argv[2])); c.execute("COMMIT")' "$1" "$2" &
	helper_pids+=($!)
	for _ in $(seq 100); do [ -e "$1.locked" ] && break; sleep 0.05; done
}
lock_db w.db 4
expect_exit 2 "SQLite locked for 4 s, ping --timeout 1: exit 2" -- "$DBCTL" --url "sqlite:///w.db" --json ping --timeout 1
is "$(json_field 'd["results"][0]["status"]' <<<"$OUT")" "no_answer" "... --json says no_answer, not up"
like "$(json_field 'd["results"][0]["error"]' <<<"$OUT")" "timed out waiting for .*lock .* after 1 s" "... timed out waiting for the lock"
cmp_ok "$MS" -lt 2000 "... within the deadline, not busy_timeout's 5 s ($MS ms)"
wait "${helper_pids[-1]}" 2>/dev/null
lock_db w.db 1.5
expect_exit 0 "SQLite locked for 1.5 s, ping --timeout 0.3 --wait 10: up once the lock is gone" -- \
	"$DBCTL" --url "sqlite:///w.db" ping --timeout 0.3 --wait 10
cmp_ok "$MS" -ge 1000 "... after the lock was released ($MS ms)"
wait "${helper_pids[-1]}" 2>/dev/null
expect_exit 0 "busy_timeout shorter than --timeout still ends the wait (exit 1 when locked)" -- \
	"$DBCTL" --url "sqlite:///w.db" -o busy_timeout=100 ping --timeout 1
lock_db w.db 3
expect_exit 1 "... locked: busy_timeout=100 gives 'database is locked' (refused)" -- \
	"$DBCTL" --url "sqlite:///w.db" -o busy_timeout=100 ping --timeout 2
like "$ERR" "database is locked" "... with SQLite's message"
wait "${helper_pids[-1]}" 2>/dev/null

# relB 19: the time in the message is the limit that ended the attempt
syn_port=$(free_port)
perl -MIO::Socket::INET -e '$s=IO::Socket::INET->new(Listen=>0,LocalAddr=>"127.0.0.1:'"$syn_port"'",ReuseAddr=>1) or die; sleep 600' &
helper_pids+=($!)
for _ in 1 2 3 4 5 6 7 8; do (exec 3<>"/dev/tcp/127.0.0.1/$syn_port") 2>/dev/null & done # fill the backlog
sleep 0.3
expect_exit 2 "connect_timeout=0.3 shorter than --timeout 2: exit 2" -- \
	"$DBCTL" --url "redis://127.0.0.1:$syn_port/0" -o connect_timeout=0.3 ping --timeout 2
unlike "$ERR" "after 2 s" "... does not claim it waited 2 s"
like "$ERR" "after 0.3 s \(connect_timeout\)" "... names the 0.3 s connect_timeout"

# --- relB 8: pool stats as a role that cannot see other roles' connections ---
psql_super() { "$TEST_PG_BINDIR/psql" -X -qAt "$TEST_PG_SUPER_URL" -c "$1"; }
psql_super "SET client_min_messages = warning; DROP ROLE IF EXISTS lowly; CREATE ROLE lowly LOGIN PASSWORD 'LowSecret_Kj55m'" >/dev/null
lowly_url="postgresql://lowly:LowSecret_Kj55m@127.0.0.1:$PGPORT_TEST/app"
for _ in 1 2 3 4 5 6 7 8 9 10; do
	"$TEST_PG_BINDIR/psql" -X -q "$TEST_PG_URL" -c "SELECT pg_sleep(20)" >/dev/null 2>&1 &
	helper_pids+=($!)
done
for _ in $(seq 100); do
	[ "$(psql_super "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(20)%' AND pid <> pg_backend_pid()")" -ge 10 ] && break
	sleep 0.1
done
expect_exit 0 "pool stats as the superuser" -- "$DBCTL" --url "$TEST_PG_SUPER_URL" --json pool stats
super_in_use=$(json_field 'd["server"]["in_use"]' <<<"$OUT")
expect_exit 0 "pool stats as a role without pg_read_all_stats" -- "$DBCTL" --url "$lowly_url" --json pool stats
# an upper bound: hidden rows of other kinds (an autovacuum worker on the
# database, a session just ending) count too, so at most a few more
low_in_use=$(json_field 'd["server"]["in_use"]' <<<"$OUT")
cmp_ok "$low_in_use" -ge "$super_in_use" "... counts the other roles' connections too (at least $super_in_use)"
cmp_ok "$low_in_use" -le "$((super_in_use + 3))" "... and not many more ($low_in_use)"
is "$(json_field 'd["server"]["in_use_exact"]' <<<"$OUT")" "False" "... and says the count is an upper bound"
cmp_ok "$(json_field 'd["server"]["hidden_from_this_role"]' <<<"$OUT")" -ge 10 "... with how many it could not see"
max=$(json_field 'd["server"]["max_connections"] - d["server"]["reserved"]' <<<"$OUT")
# one worker of a pool just too big for what is left once the 10 sessions are counted
too_big=$((max - super_in_use + 2))
expect_exit 1 "--workers 1 with a pool that fits only if the hidden sessions are ignored: does not fit" -- \
	"$DBCTL" --url "$lowly_url" -o pool_size="$too_big" -o max_overflow=0 pool stats --workers 1
like "$OUT" "at least [0-9]+ free: does not fit as far as this role can see" "... and says what it could not see"
like "$OUT" "note: in_use is an upper bound" "... with a note on in_use"
expect_exit 1 "... the superuser gets the same answer" -- \
	"$DBCTL" --url "$TEST_PG_SUPER_URL" -o pool_size="$too_big" -o max_overflow=0 pool stats --workers 1
unlike "$OUT" "note:|at least" "... exact, without the note"
expect_exit 0 "a pool that fits within the lower bound: fits" -- \
	"$DBCTL" --url "$lowly_url" -o pool_size=1 -o max_overflow=0 --json pool stats --workers 2
is "$(json_field '(d["workers"]["fits"], d["workers"]["exact"])' <<<"$OUT")" "(True, False)" "... fits, not exact"
end_sleepers

# --- relB 19: invalid UTF-8 never reaches JSON as is ---
expect_exit 2 "ping --json, a PostgreSQL dbname with a 0xff byte" -- \
	"$DBCTL" --url "postgresql://app@127.0.0.1:$closed_port/d$(printf '\377')b" --json ping
printf '%s' "$OUT" | json_ok
ok $? "... the output is valid UTF-8 JSON"
like "$OUT" 'd\\ufffdb' "... the byte is U+FFFD"
expect_exit 2 "config show --json with a Latin-1 application_name" -- \
	"$DBCTL" --url "sqlite:///caf$(printf '\351').db" -o "application_name=caf$(printf '\351')" --json ping
printf '%s' "$OUT" | json_ok
ok $? "... ping --json output is valid UTF-8 JSON"
expect_exit 0 "config show --json, same" -- \
	"$DBCTL" --url "sqlite::memory:" -o "application_name=caf$(printf '\351')" --json config show
printf '%s' "$OUT" | json_ok
ok $? "... valid UTF-8 JSON"
done_testing
